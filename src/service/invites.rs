//! Invite links to a community: made and revoked by its moderators, stored hashed like OAuth
//! tokens, and used by the person invited, who is then let in without waiting.

use crate::config::Config;
use crate::db::DbConn;
use crate::domain::{FollowState, LogAction};
use crate::error::Error;
use crate::ids::next_id;
use crate::store::{accounts::Account, follows, moderation};

/// A new invite link's token, shown once; stored hashed like OAuth tokens.
pub fn create(
    conn: &mut DbConn,
    moderator: &Account,
    community: &Account,
    max_uses: Option<i32>,
    expires_at: Option<chrono::NaiveDateTime>,
) -> Result<(moderation::Invite, String), Error> {
    if !community.is_local() {
        return Err(Error::Unprocessable(
            "invites are made on the community's own instance".into(),
        ));
    }
    if max_uses.is_some_and(|n| n < 1) {
        return Err(Error::Unprocessable("max_uses must be at least 1".into()));
    }
    crate::db::transaction(conn, |conn| {
        super::moderation::require_moderator(conn, community, moderator)?;
        let token = crate::crypto::random_token();
        let invite = moderation::Invite {
            id: next_id(),
            community_id: community.id,
            token_hash: crate::crypto::hash_token(&token),
            created_by: moderator.id,
            max_uses,
            uses: 0,
            expires_at,
            created_at: crate::time::now(),
        };
        moderation::insert_invite(conn, &invite)?;
        let entry =
            moderation::LogEntry::new(community.id, Some(moderator.id), LogAction::CreateInvite);
        moderation::insert_log(conn, &entry)?;
        Ok((invite, token))
    })
}

/// A moderator withdraws an invite link; a token already used keeps the people it let in.
pub fn revoke(
    conn: &mut DbConn,
    moderator: &Account,
    community: &Account,
    invite_id: i64,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        super::moderation::require_moderator(conn, community, moderator)?;
        if !moderation::delete_invite(conn, community.id, invite_id)? {
            return Err(Error::NotFound);
        }
        let entry =
            moderation::LogEntry::new(community.id, Some(moderator.id), LogAction::RevokeInvite);
        moderation::insert_log(conn, &entry)
    })
}

/// The invite a token names and its community: 404 for an unknown token, 410 for one
/// expired or used up. Its use is counted only when someone is admitted (`use_invite`).
pub fn usable(conn: &mut DbConn, token: &str) -> Result<(moderation::Invite, Account), Error> {
    let invite = moderation::invite_by_hash(conn, &crate::crypto::hash_token(token))?
        .ok_or(Error::NotFound)?;
    let expired = invite.expires_at.is_some_and(|t| t <= crate::time::now());
    let used_up = invite.max_uses.is_some_and(|max| invite.uses >= max);
    if expired || used_up {
        return Err(Error::Gone);
    }
    let community =
        crate::store::accounts::by_id(conn, invite.community_id)?.ok_or(Error::NotFound)?;
    Ok((invite, community))
}

/// An invite is used for `account`: a person signed in here who `joins` becomes a member at
/// once; anyone else (named by handle, here or on another instance) is admitted when they
/// join from their own app.
pub fn redeem(
    conn: &mut DbConn,
    config: &Config,
    token: &str,
    account: &Account,
    joins: bool,
) -> Result<Account, Error> {
    if account.is_group() {
        return Err(Error::Unprocessable(
            "communities do not join communities".into(),
        ));
    }
    crate::db::transaction(conn, |conn| {
        let now = crate::time::now();
        let (invite, community) = usable(conn, token)?;
        if moderation::active_ban(conn, community.id, account.id, now)?.is_some() {
            return Err(Error::Forbidden(format!(
                "you are banned from {}",
                community.username
            )));
        }
        let already = follows::between(conn, account.id, community.id)?
            .is_some_and(|f| f.state == FollowState::Accepted || f.state == FollowState::Invited);
        if already {
            return Ok(community);
        }
        if !moderation::use_invite(conn, invite.id)? {
            return Err(Error::Gone);
        }
        super::follows::admit(conn, config, account, &community, joins)?;
        let entry = moderation::LogEntry {
            target_account_id: Some(account.id),
            ..moderation::LogEntry::new(
                community.id,
                Some(invite.created_by),
                LogAction::InviteUsed,
            )
        };
        moderation::insert_log(conn, &entry)?;
        Ok(community)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{logged, Fixture};

    #[test]
    fn invites_are_made_and_revoked_by_moderators_only_and_logged() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let (ann, bob) = (f.person(conn, "ann"), f.person(conn, "bob"));
        let practice = f.community(conn, "practice", &ann);
        let (invite, token) = create(conn, &ann, &practice, Some(2), None).unwrap();
        assert!(create(conn, &bob, &practice, None, None).is_err());
        let refused = revoke(conn, &bob, &practice, invite.id);
        assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
        revoke(conn, &ann, &practice, invite.id).unwrap();
        assert_eq!(
            logged(conn, &practice),
            [LogAction::RevokeInvite, LogAction::CreateInvite]
        );
        let redeemed = redeem(conn, &f.config, &token, &bob, true);
        assert!(matches!(redeemed, Err(Error::NotFound)), "{redeemed:?}");
    }
}
