//! Guild's domain values as types. Each is stored as the same text it always was (so no data
//! migration), read back through diesel, shown in JSON by that text, and parsed from it with
//! an error that lists what is accepted.

use diesel::{
    backend::Backend,
    deserialize::{self, FromSql, FromSqlRow},
    expression::AsExpression,
    serialize::{self, Output, ToSql},
    sql_types::Text,
};
use std::{fmt, str::FromStr};

/// A text value that is not one of a type's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    pub accepted: String,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} must be one of {}, not {:?}",
            self.what, self.accepted, self.value
        )
    }
}

impl std::error::Error for UnknownValue {}

/// An enum kept as text: `as_str`, `FromStr`, `Display`, serde and diesel, all by the same
/// text per variant.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $name:ident ($what:literal) {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
        #[diesel(sql_type = Text)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;

            fn from_str(value: &str) -> Result<Self, UnknownValue> {
                match value {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue {
                        what: $what,
                        value: value.to_string(),
                        accepted: [$($text),+].join(", "),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $name
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $name
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                Ok(String::from_sql(bytes)?.parse()?)
            }
        }
    };
}

text_enum! {
    /// Who may see a post.
    Visibility("visibility") {
        Public = "public",
        /// Anyone with the link; left out of public timelines.
        Unlisted = "unlisted",
        /// The author's followers (and, in a community, its members).
        Private = "private",
        /// The people it mentions.
        Direct = "direct",
        /// The members and moderators of a members-only community; shown to clients as
        /// `private`.
        Members = "members",
    }
}

impl Visibility {
    /// Public and unlisted posts: anyone may read them.
    pub fn is_open(self) -> bool {
        matches!(self, Visibility::Public | Visibility::Unlisted)
    }
}

text_enum! {
    /// What an account is.
    AccountKind("account kind") {
        Person = "person",
        /// A community.
        Group = "group",
        /// An instance actor, which acts (and signs fetches) for its server.
        Service = "service",
    }
}

text_enum! {
    /// Where a follow (or a community membership) stands.
    FollowState("follow state") {
        Pending = "pending",
        Accepted = "accepted",
        /// Let in by an invite before their `Follow` arrived.
        Invited = "invited",
    }
}

text_enum! {
    /// A local person's role on the instance.
    Role("role") {
        User = "user",
        Admin = "admin",
    }
}

text_enum! {
    /// Who may join a community.
    MembershipPolicy("membership_policy") {
        Open = "open",
        /// Moderators decide on each request.
        Approval = "approval",
        /// Only people with an invite.
        Invite = "invite",
    }
}

text_enum! {
    /// Who may start threads and reply in a community.
    PostingPolicy("posting_policy") {
        Members = "members",
        Anyone = "anyone",
        Moderators = "moderators",
    }
}

text_enum! {
    /// Who may read a community's posts.
    CommunityVisibility("visibility") {
        Public = "public",
        /// Its members and moderators only.
        Members = "members",
    }
}

text_enum! {
    /// What a notification tells of, by Mastodon's names.
    NotificationKind("notification type") {
        Follow = "follow",
        FollowRequest = "follow_request",
        Favourite = "favourite",
        Reblog = "reblog",
        Mention = "mention",
        /// A post the person boosted was edited.
        Update = "update",
        /// A report about a community the person moderates.
        Report = "admin.report",
        /// A poll the person made or voted in has ended.
        Poll = "poll",
    }
}

text_enum! {
    /// Where a link preview stands.
    CardState("card state") {
        /// Not fetched yet.
        Pending = "pending",
        Ready = "ready",
        /// The page could not be had or said nothing: no card is shown.
        Failed = "failed",
    }
}

/// Longest alt text kept for an attachment, as Mastodon's.
pub const MAX_ALT_TEXT_CHARS: usize = 1500;

text_enum! {
    /// What an attachment is, by Mastodon's names: how apps show it.
    MediaKind("media type") {
        Image = "image",
        Video = "video",
        Audio = "audio",
        /// Anything else (a PDF, a text file): offered as a download.
        Unknown = "unknown",
    }
}

text_enum! {
    /// A per-domain federation policy.
    DomainPolicy("policy") {
        /// Nothing in, nothing out, nothing fetched.
        Suspend = "suspend",
        /// Accepted, but kept out of public timelines.
        Silence = "silence",
        /// Accepted, without media.
        RejectMedia = "reject_media",
        /// Admitted even when federation is by allowlist.
        Allow = "allow",
    }
}

text_enum! {
    /// What a community's moderation log records.
    LogAction("moderation action") {
        RemoveStatus = "remove_status",
        RestoreStatus = "restore_status",
        LockThread = "lock_thread",
        UnlockThread = "unlock_thread",
        PinThread = "pin_thread",
        UnpinThread = "unpin_thread",
        AddModerator = "add_moderator",
        RemoveModerator = "remove_moderator",
        Ban = "ban",
        Unban = "unban",
        ApproveMember = "approve_member",
        RejectMember = "reject_member",
        UpdateSettings = "update_settings",
        CreateInvite = "create_invite",
        RevokeInvite = "revoke_invite",
        InviteUsed = "invite_used",
        ResolveReport = "resolve_report",
        AcceptAnswer = "accept_answer",
        UnacceptAnswer = "unaccept_answer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_unknown_values_say_what_is_accepted() {
        for v in Visibility::ALL {
            assert_eq!(v.as_str().parse::<Visibility>().unwrap(), *v);
        }
        assert_eq!(NotificationKind::Report.as_str(), "admin.report");
        let err = "everyone".parse::<PostingPolicy>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "posting_policy must be one of members, anyone, moderators, not \"everyone\""
        );
        assert_eq!(
            serde_json::to_value(MembershipPolicy::Approval).unwrap(),
            "approval"
        );
    }
}
