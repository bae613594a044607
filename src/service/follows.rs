//! Following people and joining communities, both directions. Following a community is
//! membership. Remote effects are queued in the same transaction as the local change.

use crate::config::Config;
use crate::db::DbConn;
use crate::delivery;
use crate::domain::{FollowState, MembershipPolicy, NotificationKind};
use crate::error::Error;
use crate::ids::next_id;
use crate::protocol::activity;
use crate::service::notifications;
use crate::store::{
    accounts::{self as account_store, Account},
    communities,
    follows::{self as follow_store, Follow},
};

/// Whether following `target` waits for its decision: a locked person, or a community whose
/// membership is not open.
fn needs_approval(conn: &mut DbConn, target: &Account) -> Result<bool, Error> {
    if target.is_group() {
        let community = communities::by_account(conn, target.id)?;
        Ok(community.is_some_and(|c| c.membership_policy != MembershipPolicy::Open))
    } else {
        Ok(target.locked)
    }
}

/// Whether `follower` is kept out by `target`: banned from the community, or blocked by the
/// person.
fn is_banned(conn: &mut DbConn, target: &Account, follower: &Account) -> Result<bool, Error> {
    if !target.is_group() {
        return crate::store::blocks::blocking(conn, target.id, follower.id);
    }
    Ok(
        crate::store::moderation::active_ban(conn, target.id, follower.id, crate::time::now())?
            .is_some(),
    )
}

/// The followed person learns of a follow, or of a request to decide on.
fn notify_follow(conn: &mut DbConn, follow: &Follow) -> Result<(), Error> {
    let kind = if follow.state == FollowState::Accepted {
        NotificationKind::Follow
    } else {
        NotificationKind::FollowRequest
    };
    notifications::notify(
        conn,
        follow.target_account_id,
        follow.account_id,
        kind,
        None,
    )
}

fn refresh_counts(conn: &mut DbConn, follow: &Follow) -> Result<(), Error> {
    account_store::refresh_follow_counts(conn, follow.account_id)?;
    account_store::refresh_follow_counts(conn, follow.target_account_id)
}

/// A local account follows (or joins) `target`. Returns the follow, pending or accepted.
pub fn follow(
    conn: &mut DbConn,
    config: &Config,
    follower: &Account,
    target: &Account,
) -> Result<Follow, Error> {
    if follower.id == target.id {
        return Err(Error::Unprocessable(
            "an account cannot follow itself".into(),
        ));
    }
    crate::db::transaction(conn, |conn| {
        if let Some(mut existing) = follow_store::between(conn, follower.id, target.id)? {
            // An invite admitted them before they asked.
            if existing.state == FollowState::Invited {
                follow_store::set_state(conn, existing.id, FollowState::Accepted)?;
                existing.state = FollowState::Accepted;
                refresh_counts(conn, &existing)?;
                notify_follow(conn, &existing)?;
            }
            return Ok(existing);
        }
        if is_banned(conn, target, follower)? {
            return Err(Error::Forbidden(format!(
                "{} does not accept you",
                target.username
            )));
        }
        let id = next_id();
        let mut follow = Follow {
            id,
            account_id: follower.id,
            target_account_id: target.id,
            state: FollowState::Pending,
            ap_id: None,
            created_at: crate::time::now(),
        };
        if target.is_local() {
            if !needs_approval(conn, target)? {
                follow.state = FollowState::Accepted;
            }
            follow_store::insert(conn, &follow)?;
            notify_follow(conn, &follow)?;
        } else {
            let ap_id = activity::activity_id(config, id);
            let activity = activity::follow(&ap_id, &follower.ap_id, &target.ap_id);
            follow.ap_id = Some(ap_id);
            follow_store::insert(conn, &follow)?;
            delivery::enqueue(
                conn,
                config,
                follower,
                &activity,
                &[target.inbox_url.as_str()],
            )?;
        }
        refresh_counts(conn, &follow)?;
        Ok(follow)
    })
}

/// How long a follow waits for an answer before it is asked again, and how long it is asked.
const ASK_AGAIN_AFTER: chrono::Duration = chrono::Duration::days(1);
const ASK_FOR: chrono::Duration = chrono::Duration::days(7);

/// Send again, under a new id, the follows of remote accounts that had no answer for a day
/// (an `Accept` can be lost on a server that had never seen ours); for a week at most.
/// Returns how many were sent.
pub fn ask_again(conn: &mut DbConn, config: &Config) -> Result<usize, Error> {
    let now = crate::time::now();
    let mut sent = 0;
    for follow in follow_store::pending_remote(conn, now - ASK_FOR)? {
        let last_asked = follow
            .ap_id
            .as_deref()
            .and_then(|id| id.rsplit('/').next()?.parse::<i64>().ok())
            .map(crate::ids::time_of);
        if last_asked.is_some_and(|t| now - t < ASK_AGAIN_AFTER) {
            continue;
        }
        crate::db::transaction(conn, |conn| {
            let follower = account_store::by_id(conn, follow.account_id)?;
            let target = account_store::by_id(conn, follow.target_account_id)?;
            let (Some(follower), Some(target)) = (follower.filter(|a| a.is_local()), target) else {
                return Ok(());
            };
            let ap_id = activity::activity_id(config, next_id());
            let request = activity::follow(&ap_id, &follower.ap_id, &target.ap_id);
            follow_store::set_ap_id(conn, follow.id, &ap_id)?;
            let inbox = target.inbox_url.as_str();
            delivery::enqueue(conn, config, &follower, &request, &[inbox])
        })?;
        sent += 1;
    }
    Ok(sent)
}

/// A local account unfollows (or leaves) `target`; a pending request is withdrawn.
pub fn unfollow(
    conn: &mut DbConn,
    config: &Config,
    follower: &Account,
    target: &Account,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        let Some(follow) = follow_store::between(conn, follower.id, target.id)? else {
            return Ok(());
        };
        follow_store::delete(conn, follow.id)?;
        refresh_counts(conn, &follow)?;
        // Lists hold only followed accounts.
        crate::store::lists::remove_everywhere(conn, follower.id, target.id)?;
        if let (false, Some(follow_id)) = (target.is_local(), &follow.ap_id) {
            let inner = activity::follow(follow_id, &follower.ap_id, &target.ap_id);
            let undo = activity::undo(config, next_id(), &follower.ap_id, inner);
            delivery::enqueue(conn, config, follower, &undo, &[target.inbox_url.as_str()])?;
        }
        Ok(())
    })
}

/// Tell a remote follower that `target` accepted or rejected its follow.
fn answer_remote(
    conn: &mut DbConn,
    config: &Config,
    target: &Account,
    follower: &Account,
    follow: &Follow,
    accept: bool,
) -> Result<(), Error> {
    let Some(follow_id) = &follow.ap_id else {
        return Ok(());
    };
    let inner = activity::follow(follow_id, &follower.ap_id, &target.ap_id);
    let answer = activity::answer(config, next_id(), accept, &target.ap_id, inner);
    delivery::enqueue(
        conn,
        config,
        target,
        &answer,
        &[follower.inbox_url.as_str()],
    )
}

/// A remote actor asked to follow the local `target`. Repeated requests are answered again,
/// since peers resend a Follow when they think it was lost.
pub fn receive_follow(
    conn: &mut DbConn,
    config: &Config,
    follower: &Account,
    target: &Account,
    follow_ap_id: &str,
) -> Result<(), Error> {
    if !target.is_local() || follower.is_local() {
        return Err(Error::BadRequest(
            "Follow must be from a remote actor to a local one".into(),
        ));
    }
    crate::db::transaction(conn, |conn| {
        if is_banned(conn, target, follower)? {
            let refused = Follow {
                id: next_id(),
                account_id: follower.id,
                target_account_id: target.id,
                state: FollowState::Pending,
                ap_id: Some(follow_ap_id.to_string()),
                created_at: crate::time::now(),
            };
            return answer_remote(conn, config, target, follower, &refused, false);
        }
        let follow = match follow_store::between(conn, follower.id, target.id)? {
            // An invite admitted them before they asked.
            Some(mut invited) if invited.state == FollowState::Invited => {
                follow_store::set_ap_id(conn, invited.id, follow_ap_id)?;
                follow_store::set_state(conn, invited.id, FollowState::Accepted)?;
                invited.ap_id = Some(follow_ap_id.to_string());
                invited.state = FollowState::Accepted;
                refresh_counts(conn, &invited)?;
                notify_follow(conn, &invited)?;
                invited
            }
            // A resent Follow may carry a new id; answers must name the latest one.
            Some(mut existing) => {
                if existing.ap_id.as_deref() != Some(follow_ap_id) {
                    follow_store::set_ap_id(conn, existing.id, follow_ap_id)?;
                    existing.ap_id = Some(follow_ap_id.to_string());
                }
                existing
            }
            None => {
                let state = if needs_approval(conn, target)? {
                    FollowState::Pending
                } else {
                    FollowState::Accepted
                };
                let follow = Follow {
                    id: next_id(),
                    account_id: follower.id,
                    target_account_id: target.id,
                    state,
                    ap_id: Some(follow_ap_id.to_string()),
                    created_at: crate::time::now(),
                };
                follow_store::insert(conn, &follow)?;
                refresh_counts(conn, &follow)?;
                notify_follow(conn, &follow)?;
                follow
            }
        };
        if follow.state == FollowState::Accepted {
            answer_remote(conn, config, target, follower, &follow, true)?;
        }
        Ok(())
    })
}

/// The local `target` decides on a pending follow request from `follower`.
pub fn decide_request(
    conn: &mut DbConn,
    config: &Config,
    target: &Account,
    follower: &Account,
    accept: bool,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        let follow = follow_store::between(conn, follower.id, target.id)?
            .filter(|f| f.state == FollowState::Pending)
            .ok_or(Error::NotFound)?;
        if accept {
            follow_store::set_state(conn, follow.id, FollowState::Accepted)?;
        } else {
            follow_store::delete(conn, follow.id)?;
        }
        refresh_counts(conn, &follow)?;
        if !follower.is_local() {
            answer_remote(conn, config, target, follower, &follow, accept)?;
        }
        Ok(())
    })
}

/// A remote actor accepted or rejected our follow `follow_ap_id`. Only the followed actor
/// may answer.
pub fn receive_answer(
    conn: &mut DbConn,
    follow_ap_id: &str,
    follower_ap_id: Option<&str>,
    answerer: &Account,
    accept: bool,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        // A follow asked again has a new id; an answer to an earlier one still counts.
        let follow = match follow_store::by_ap_id(conn, follow_ap_id)? {
            Some(follow) => Some(follow),
            None => match follower_ap_id {
                Some(id) => match account_store::by_ap_id(conn, id)?.filter(|a| a.is_local()) {
                    Some(follower) => follow_store::between(conn, follower.id, answerer.id)?
                        .filter(|f| f.state == FollowState::Pending),
                    None => None,
                },
                None => None,
            },
        };
        let Some(follow) = follow else {
            return Ok(()); // unknown or already withdrawn: nothing to do
        };
        if follow.target_account_id != answerer.id {
            return Err(Error::Forbidden(
                "only the followed actor may answer a follow".into(),
            ));
        }
        if accept {
            follow_store::set_state(conn, follow.id, FollowState::Accepted)?;
        } else {
            follow_store::delete(conn, follow.id)?;
        }
        refresh_counts(conn, &follow)
    })
}

/// The follow of `follower` ends without a word to anyone: a remote follower withdrew it,
/// or a banned member's membership ended.
pub fn drop_follow(conn: &mut DbConn, follower: &Account, target: &Account) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        if let Some(follow) = follow_store::between(conn, follower.id, target.id)? {
            follow_store::delete(conn, follow.id)?;
            refresh_counts(conn, &follow)?;
        }
        Ok(())
    })
}

/// Admit `follower` to the local community `target` without asking its moderators (an
/// invite): a pending request is accepted; a local person who `joins` now is a member at
/// once; anyone else is marked so that their own Follow is accepted when they send it.
pub fn admit(
    conn: &mut DbConn,
    config: &Config,
    follower: &Account,
    target: &Account,
    joins: bool,
) -> Result<(), Error> {
    match follow_store::between(conn, follower.id, target.id)? {
        Some(f) if f.state == FollowState::Pending => {
            decide_request(conn, config, target, follower, true)
        }
        Some(_) => Ok(()),
        None => {
            let follow = Follow {
                id: next_id(),
                account_id: follower.id,
                target_account_id: target.id,
                state: if follower.is_local() && joins {
                    FollowState::Accepted
                } else {
                    FollowState::Invited
                },
                ap_id: None,
                created_at: crate::time::now(),
            };
            follow_store::insert(conn, &follow)?;
            if follow.state == FollowState::Accepted {
                refresh_counts(conn, &follow)?;
                notify_follow(conn, &follow)?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn unanswered_remote_follows_are_asked_again_daily_and_an_answer_to_any_counts() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let ann = f.person(conn, "ann");
        let now = crate::time::now();
        let remote = crate::store::accounts::RemoteActor {
            kind: crate::domain::AccountKind::Person,
            username: "rita".into(),
            domain: Some("far.example".into()),
            display_name: "Rita".into(),
            note: String::new(),
            ap_id: "https://far.example/users/rita".into(),
            url: None,
            inbox_url: "https://far.example/users/rita/inbox".into(),
            shared_inbox_url: None,
            outbox_url: None,
            followers_url: None,
            following_url: None,
            featured_url: None,
            public_key_pem: ann.public_key_pem.clone(),
            locked: true,
            discoverable: false,
            bot: false,
            avatar_url: None,
            header_url: None,
            updated_at: now,
            fetched_at: Some(now),
        };
        let rita = super::super::accounts::store_remote(conn, remote, None, false).unwrap();
        let asked = follow(conn, &f.config, &ann, &rita).unwrap();
        let first_id = asked.ap_id.clone().unwrap();
        assert_eq!(ask_again(conn, &f.config).unwrap(), 0, "asked just now");
        // As if it was asked two days ago.
        let two_days_ago = (now - chrono::Duration::days(2))
            .and_utc()
            .timestamp_millis()
            << 16;
        let old_id = crate::protocol::activity::activity_id(&f.config, two_days_ago);
        follow_store::set_ap_id(conn, asked.id, &old_id).unwrap();
        assert_eq!(ask_again(conn, &f.config).unwrap(), 1);
        let again = follow_store::between(conn, ann.id, rita.id)
            .unwrap()
            .unwrap();
        assert_ne!(again.ap_id.as_deref(), Some(old_id.as_str()));
        assert_eq!(ask_again(conn, &f.config).unwrap(), 0, "not twice a day");
        // rita answers the first request, whose id is no longer the follow's.
        receive_answer(conn, &first_id, Some(&ann.ap_id), &rita, true).unwrap();
        let accepted = follow_store::between(conn, ann.id, rita.id)
            .unwrap()
            .unwrap();
        assert_eq!(accepted.state, FollowState::Accepted);
    }
}
