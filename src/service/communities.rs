//! Community rules shared by every door: who may post, and how a community passes its
//! members' activities on (FEP-1b12).

use crate::config::Config;
use crate::db::DbConn;
use crate::delivery;
use crate::domain::{
    CommunityVisibility, FollowState, LogAction, MembershipPolicy, PostingPolicy, Visibility,
};
use crate::error::Error;
use crate::ids::next_id;
use crate::protocol::{activity, id_of};
use crate::store::{
    accounts::Account,
    communities, follows, instances, moderation,
    statuses::{self, Status},
};
use serde_json::Value;

/// Whether `account` is a member: an accepted follow of the community.
pub fn is_member(conn: &mut DbConn, community_id: i64, account_id: i64) -> Result<bool, Error> {
    Ok(follows::between(conn, account_id, community_id)?
        .is_some_and(|f| f.state == FollowState::Accepted))
}

/// Admit a post by `author` into `community` as a reply to `parent` (if any), or refuse it:
/// a banned author, a locked thread, or the posting policy. A remote community decides for
/// itself what it passes on; we only hold back our own people where we know of a ban or a
/// lock. Returns the visibility the post gets: a members-only community
/// keeps every post but direct ones for its members.
pub fn admit_post(
    conn: &mut DbConn,
    community: &Account,
    author: &Account,
    parent: Option<&Status>,
    visibility: Visibility,
) -> Result<Visibility, Error> {
    let settings = communities::by_account(conn, community.id)?;
    let members_only = settings
        .as_ref()
        .is_some_and(|s| s.visibility == CommunityVisibility::Members);
    let visibility = if members_only && visibility != Visibility::Direct {
        Visibility::Members
    } else {
        visibility
    };
    // Bans and locks we know of also stop our own people before a remote community has to.
    let Some(settings) = settings.filter(|_| community.is_local() || author.is_local()) else {
        return Ok(visibility);
    };
    if moderation::active_ban(conn, community.id, author.id, crate::time::now())?.is_some() {
        return Err(Error::Forbidden(format!(
            "you are banned from {}",
            community.username
        )));
    }
    if let Some(parent) = parent {
        let root = match parent.thread_root_id {
            Some(root) => statuses::by_id(conn, root)?,
            None => Some(parent.clone()),
        };
        if root.is_some_and(|r| r.locked) {
            return Err(Error::Forbidden("this thread is locked".into()));
        }
    }
    if !community.is_local() {
        return Ok(visibility);
    }
    let is_moderator = communities::is_moderator(conn, community.id, author.id)?;
    let allowed = match settings.posting_policy {
        PostingPolicy::Anyone => true,
        PostingPolicy::Moderators => is_moderator,
        PostingPolicy::Members => is_moderator || is_member(conn, community.id, author.id)?,
    };
    if !allowed {
        return Err(Error::Forbidden(format!(
            "only {} may post in {}",
            settings.posting_policy, community.username
        )));
    }
    Ok(visibility)
}

/// A local community passes a member's activity on to its remote members, unchanged inside
/// an `Announce`; a new post is also announced bare, which Mastodon shows as a boost. Only
/// the author's own activity about their post is passed on: anyone else's (a copy of
/// someone's post wrapped in a `Create` of their own) is not. The author's own server,
/// which sent it, is not sent the activity back (Lemmy refuses its own), only the bare
/// announcement where it takes one.
pub fn relay(
    conn: &mut DbConn,
    config: &Config,
    community: &Account,
    activity: &Value,
    status: &Status,
) -> Result<(), Error> {
    // One transaction, so that a retry after a failure sends nothing twice.
    crate::db::transaction(conn, |conn| {
        let author =
            crate::store::accounts::by_id(conn, status.account_id)?.ok_or(Error::NotFound)?;
        if id_of(&activity["actor"]) != Some(author.ap_id.as_str()) {
            return Ok(());
        }
        if status.visibility == Visibility::Direct {
            return Ok(()); // never passed on: it is for the people it names
        }
        if status.removed_at.is_some() && activity["type"] != "Delete" {
            return Ok(()); // a removed post's edits stay with its author
        }
        // Addressed no wider than the post itself, whatever the community's setting is now.
        let restricted = !status.visibility.is_open() || is_members_only(conn, community.id)?;
        let mut inboxes = follows::remote_follower_inboxes(conn, community.id)?;
        let elsewhere: Vec<String> = inboxes
            .iter()
            .filter(|inbox| author.domain.as_deref() != Some(&domain_of_inbox(inbox)))
            .cloned()
            .collect();
        announce(
            conn,
            config,
            community,
            activity.clone(),
            restricted,
            &elsewhere,
        )?;
        if activity["type"] == "Create" {
            // The bare announcement, which Mastodon shows as a boost, goes only to servers
            // that take it; the author's own server among them, so that members there see
            // the post as the community's too.
            let domains: Vec<String> = inboxes.iter().map(|i| domain_of_inbox(i)).collect();
            let refusing = instances::running(conn, &domains, activity::NO_BARE_ANNOUNCE)?;
            inboxes.retain(|inbox| !refusing.contains(&domain_of_inbox(inbox)));
            let bare = Value::from(status.ap_id.clone());
            let announced = announce(conn, config, community, bare, restricted, &inboxes)?;
            super::interactions::record_community_boost(conn, community, status, &announced)?;
        }
        Ok(())
    })
}

fn domain_of_inbox(inbox: &str) -> String {
    url::Url::parse(inbox)
        .map(|u| crate::protocol::domain_of(&u))
        .unwrap_or_default()
}

/// A local community passes a moderator's action on to its remote members, unchanged inside
/// an `Announce`; `also` is one more recipient, such as a banned person who is a member no
/// longer. The moderator's server gets it too: it applies remote moderation only when the
/// community announces it.
pub fn relay_activity(
    conn: &mut DbConn,
    config: &Config,
    community: &Account,
    activity: &Value,
    also: Option<&Account>,
) -> Result<(), Error> {
    let restricted = is_members_only(conn, community.id)?;
    let mut inboxes = follows::remote_follower_inboxes(conn, community.id)?;
    inboxes.extend(
        also.filter(|a| !a.is_local())
            .map(|a| a.shared_inbox_url.clone().unwrap_or(a.inbox_url.clone())),
    );
    announce(
        conn,
        config,
        community,
        activity.clone(),
        restricted,
        &inboxes,
    )
    .map(|_| ())
}

/// Announce `object` to `inboxes`: to the public as well unless `restricted`. Returns the
/// announcement's id.
fn announce(
    conn: &mut DbConn,
    config: &Config,
    community: &Account,
    object: Value,
    restricted: bool,
    inboxes: &[String],
) -> Result<String, Error> {
    let followers = community.followers_url.clone().unwrap_or_default();
    let inboxes: Vec<&str> = inboxes.iter().map(String::as_str).collect();
    let announce = activity::announce(
        config,
        next_id(),
        &community.ap_id,
        &followers,
        restricted,
        object,
    );
    delivery::enqueue(conn, config, community, &announce, &inboxes)?;
    Ok(announce["id"].as_str().unwrap_or_default().to_string())
}

/// Whether a community keeps its posts for its members.
pub fn is_members_only(conn: &mut DbConn, community_id: i64) -> Result<bool, Error> {
    Ok(communities::by_account(conn, community_id)?
        .is_some_and(|c| c.visibility == CommunityVisibility::Members))
}

/// Whether `viewer` sees inside a community (its posts, log and health): anyone for a public
/// community, only members and moderators for a members-only one.
pub fn sees_inside(
    conn: &mut DbConn,
    community_id: i64,
    viewer: Option<&Account>,
) -> Result<bool, Error> {
    if !is_members_only(conn, community_id)? {
        return Ok(true);
    }
    Ok(match viewer {
        Some(v) => {
            is_member(conn, community_id, v.id)?
                || crate::store::communities::is_moderator(conn, community_id, v.id)?
        }
        None => false,
    })
}

/// Keep our list of a remote community's moderators as its own collection gives them.
pub fn set_remote_moderators(
    conn: &mut DbConn,
    community_id: i64,
    moderator_ids: &[i64],
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        let community = crate::store::accounts::by_id(conn, community_id)?;
        if community.is_none_or(|c| c.is_local() || !c.is_group()) {
            return Err(Error::Forbidden(
                "only a remote community's own list replaces its moderators".into(),
            ));
        }
        communities::set_moderators(conn, community_id, moderator_ids)
    })
}

/// Settings a community's moderators choose; `None` keeps a value.
#[derive(Clone, Debug, Default)]
pub struct SettingsChange {
    pub display_name: Option<String>,
    /// Plain text; stored as HTML like a profile note.
    pub description: Option<String>,
    pub rules: Option<Vec<String>>,
    pub membership_policy: Option<MembershipPolicy>,
    pub posting_policy: Option<PostingPolicy>,
    pub visibility: Option<CommunityVisibility>,
    /// URLs of uploaded images (see `service::media`).
    pub avatar_url: Option<String>,
    pub header_url: Option<String>,
}

const MAX_RULES: usize = 20;
const MAX_RULE_CHARS: usize = 500;

fn validate(change: &SettingsChange) -> Result<(), Error> {
    if let Some(rules) = &change.rules {
        if rules.len() > MAX_RULES || rules.iter().any(|r| r.chars().count() > MAX_RULE_CHARS) {
            return Err(Error::Unprocessable(format!(
                "rules: at most {MAX_RULES}, of up to {MAX_RULE_CHARS} characters each"
            )));
        }
    }
    Ok(())
}

/// A members-only community must not take posts from non-members, nor let anyone in.
fn check_combination(settings: &communities::Community) -> Result<(), Error> {
    if settings.visibility != CommunityVisibility::Members {
        return Ok(());
    }
    if settings.posting_policy == PostingPolicy::Anyone {
        return Err(Error::Unprocessable(
            "a members-only community cannot take posts from anyone".into(),
        ));
    }
    if settings.membership_policy == MembershipPolicy::Open {
        return Err(Error::Unprocessable(
            "a members-only community needs approval or invites to join".into(),
        ));
    }
    Ok(())
}

/// A local person creates a community and becomes its first moderator. Whether everyone may
/// is the instance's choice (`community_creation`).
pub fn create(
    conn: &mut DbConn,
    config: &Config,
    creator: &Account,
    creator_is_admin: bool,
    name: &str,
    change: SettingsChange,
) -> Result<Account, Error> {
    if config.communities_by_admins_only && !creator_is_admin {
        return Err(Error::Forbidden(
            "only administrators may create communities on this instance".into(),
        ));
    }
    validate(&change)?;
    crate::db::transaction(conn, |conn| {
        let community = crate::service::accounts::create_community(
            conn,
            config,
            name,
            &creator.username,
            change.display_name.as_deref(),
        )?;
        update_settings(conn, config, &community, change)
    })
}

/// A moderator (or, with `None`, the operator on the command line) changes a community's
/// settings; members' instances get the new Group.
pub fn update(
    conn: &mut DbConn,
    config: &Config,
    moderator: Option<&Account>,
    community: &Account,
    change: SettingsChange,
) -> Result<Account, Error> {
    validate(&change)?;
    if !community.is_local() {
        return Err(Error::Unprocessable(
            "settings are changed on the community's own instance".into(),
        ));
    }
    crate::db::transaction(conn, |conn| {
        if let Some(moderator) = moderator {
            super::moderation::require_moderator(conn, community, moderator)?;
        }
        let updated = update_settings(conn, config, community, change)?;
        let entry = moderation::LogEntry::new(
            community.id,
            moderator.map(|m| m.id),
            LogAction::UpdateSettings,
        );
        moderation::insert_log(conn, &entry)?;
        Ok(updated)
    })
}

fn update_settings(
    conn: &mut DbConn,
    config: &Config,
    community: &Account,
    change: SettingsChange,
) -> Result<Account, Error> {
    let rules = change
        .rules
        .map(|r| serde_json::to_string(&r))
        .transpose()?;
    communities::edit(
        conn,
        community.id,
        &communities::SettingsEdit {
            membership_policy: change.membership_policy,
            posting_policy: change.posting_policy,
            visibility: change.visibility,
            rules,
        },
    )?;
    let settings = communities::by_account(conn, community.id)?.ok_or(Error::NotFound)?;
    check_combination(&settings)?;
    // A community that becomes members-only takes its earlier posts in with it here. Copies
    // other servers already hold cannot be called back.
    if settings.visibility == CommunityVisibility::Members {
        statuses::restrict_to_members(conn, community.id)?;
    }
    let profile = crate::service::accounts::ProfileChanges {
        display_name: change.display_name,
        note: change.description,
        locked: Some(settings.membership_policy != MembershipPolicy::Open),
        avatar_url: change.avatar_url,
        header_url: change.header_url,
        ..Default::default()
    };
    crate::service::accounts::update_profile(conn, config, community, profile)
}

/// A moderator admits or turns away someone who asked to join.
pub fn decide_join(
    conn: &mut DbConn,
    config: &Config,
    moderator: &Account,
    community: &Account,
    requester: &Account,
    accept: bool,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        super::moderation::require_moderator(conn, community, moderator)?;
        super::follows::decide_request(conn, config, community, requester, accept)?;
        let action = match accept {
            true => LogAction::ApproveMember,
            false => LogAction::RejectMember,
        };
        let entry = moderation::LogEntry {
            target_account_id: Some(requester.id),
            ..moderation::LogEntry::new(community.id, Some(moderator.id), action)
        };
        moderation::insert_log(conn, &entry)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn servers_that_refuse_bare_announces_get_only_the_announced_activity() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let ann = f.person(conn, "ann");
        let practice = f.community(conn, "practice", &ann);
        for (name, domain) in [("rita", "masto.example"), ("lem", "lemmy.example")] {
            let member = f.remote_person(conn, name, domain);
            let follow_id = format!("https://{domain}/follows/1");
            super::super::follows::receive_follow(conn, &f.config, &member, &practice, &follow_id)
                .unwrap();
        }
        instances::set_software(conn, "lemmy.example", "lemmy").unwrap();
        f.post(conn, &ann, "a thread", Some(&practice), Some("Hello"));
        use crate::db::schema::{activities, deliveries};
        use diesel::prelude::*;
        let sent: Vec<(String, String)> = deliveries::table
            .inner_join(activities::table.on(activities::id.eq(deliveries::activity_id)))
            .filter(activities::actor_id.eq(practice.id))
            .filter(activities::kind.eq("Announce"))
            .select((activities::data, deliveries::domain))
            .load(conn)
            .unwrap();
        let bare = |data: &str| serde_json::from_str::<Value>(data).unwrap()["object"].is_string();
        let to = |domain: &str, want_bare: bool| {
            sent.iter()
                .filter(|(data, d)| d == domain && bare(data) == want_bare)
                .count()
        };
        assert_eq!(
            (to("masto.example", false), to("masto.example", true)),
            (1, 1)
        );
        assert_eq!(
            (to("lemmy.example", false), to("lemmy.example", true)),
            (1, 0)
        );
    }

    #[test]
    fn a_members_only_community_keeps_posts_from_outsiders_out() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let (ann, bob) = (f.person(conn, "ann"), f.person(conn, "bob"));
        let practice = f.community(conn, "practice", &ann);
        let open_door = SettingsChange {
            visibility: Some(CommunityVisibility::Members),
            ..Default::default()
        };
        let refused = update(conn, &f.config, Some(&ann), &practice, open_door);
        assert!(
            matches!(refused, Err(Error::Unprocessable(_))),
            "{refused:?}"
        );
        let closed = SettingsChange {
            visibility: Some(CommunityVisibility::Members),
            membership_policy: Some(MembershipPolicy::Approval),
            ..Default::default()
        };
        update(conn, &f.config, Some(&ann), &practice, closed).unwrap();
        let post = f.post(conn, &ann, "for members", Some(&practice), None);
        assert_eq!(post.visibility, Visibility::Members);
        let outsider = admit_post(conn, &practice, &bob, None, Visibility::Public);
        assert!(matches!(outsider, Err(Error::Forbidden(_))), "{outsider:?}");
    }
}
