//! Favourites (Like) and boosts (Announce), both directions; counted at the origin.

use crate::config::Config;
use crate::db::DbConn;
use crate::delivery;
use crate::domain::{NotificationKind, Visibility};
use crate::error::Error;
use crate::ids::next_id;
use crate::protocol::activity;
use crate::service::notifications;
use crate::store::{
    accounts::{self as account_store, Account},
    boosts,
    favourites::{self as favourite_store, Favourite},
    follows,
    statuses::{self as status_store, Status},
};

fn visible_status(conn: &mut DbConn, account: &Account, status_id: i64) -> Result<Status, Error> {
    let status = status_store::by_id(conn, status_id)?
        .filter(|s| s.deleted_at.is_none() && s.reblog_of_id.is_none())
        .ok_or(Error::NotFound)?;
    // What the person may not see does not exist for them, whichever door they came by.
    if !crate::service::visibility::can_see(conn, Some(account), &status)? {
        return Err(Error::NotFound);
    }
    Ok(status)
}

/// The author's inbox when the author is remote.
fn author_inbox(conn: &mut DbConn, status: &Status) -> Result<Vec<String>, Error> {
    let author = account_store::by_id(conn, status.account_id)?.ok_or(Error::NotFound)?;
    Ok(if author.is_local() {
        vec![]
    } else {
        vec![author.inbox_url]
    })
}

fn send(
    conn: &mut DbConn,
    config: &Config,
    actor: &Account,
    activity: &serde_json::Value,
    inboxes: &[String],
) -> Result<(), Error> {
    let inboxes: Vec<&str> = inboxes.iter().map(String::as_str).collect();
    delivery::enqueue(conn, config, actor, activity, &inboxes)
}

/// Record a favourite (its Like's id is `ap_id`), recount and tell the author; false when
/// it was there already.
fn add_favourite(
    conn: &mut DbConn,
    account: &Account,
    status: &Status,
    ap_id: &str,
) -> Result<bool, Error> {
    let favourite = Favourite {
        id: next_id(),
        account_id: account.id,
        status_id: status.id,
        ap_id: Some(ap_id.to_string()),
        created_at: crate::time::now(),
    };
    if !favourite_store::insert(conn, &favourite)? {
        return Ok(false);
    }
    favourite_store::refresh_counts(conn, status.id)?;
    notifications::notify(
        conn,
        status.account_id,
        account.id,
        NotificationKind::Favourite,
        Some(status.id),
    )?;
    Ok(true)
}

/// A local account favourites a status.
pub fn favourite(
    conn: &mut DbConn,
    config: &Config,
    account: &Account,
    status_id: i64,
) -> Result<Status, Error> {
    crate::db::transaction(conn, |conn| {
        let status = visible_status(conn, account, status_id)?;
        if favourite_store::between(conn, account.id, status.id)?.is_none() {
            let ap_id = activity::activity_id(config, next_id());
            // Another request may have favourited it since the check, and told its author.
            if add_favourite(conn, account, &status, &ap_id)? {
                let like = activity::like(&ap_id, &account.ap_id, &status.ap_id);
                let inboxes = author_inbox(conn, &status)?;
                send(conn, config, account, &like, &inboxes)?;
            }
        }
        status_store::by_id(conn, status.id)?.ok_or(Error::NotFound)
    })
}

pub fn unfavourite(
    conn: &mut DbConn,
    config: &Config,
    account: &Account,
    status_id: i64,
) -> Result<Status, Error> {
    crate::db::transaction(conn, |conn| {
        let status = status_store::by_id(conn, status_id)?.ok_or(Error::NotFound)?;
        if let Some(favourite) = favourite_store::between(conn, account.id, status.id)? {
            favourite_store::delete(conn, favourite.id)?;
            favourite_store::refresh_counts(conn, status.id)?;
            if let Some(like_id) = &favourite.ap_id {
                let undo = activity::undo(
                    config,
                    next_id(),
                    &account.ap_id,
                    activity::like(like_id, &account.ap_id, &status.ap_id),
                );
                let inboxes = author_inbox(conn, &status)?;
                send(conn, config, account, &undo, &inboxes)?;
            }
        }
        status_store::by_id(conn, status.id)?.ok_or(Error::NotFound)
    })
}

/// A local account boosts a public or unlisted status.
pub fn reblog(
    conn: &mut DbConn,
    config: &Config,
    account: &Account,
    status_id: i64,
) -> Result<Status, Error> {
    crate::db::transaction(conn, |conn| {
        let status = visible_status(conn, account, status_id)?;
        if status.visibility != Visibility::Public && status.visibility != Visibility::Unlisted {
            return Err(Error::Forbidden(
                "only public and unlisted posts can be boosted".into(),
            ));
        }
        let id = next_id();
        let ap_id = activity::activity_id(config, id);
        let boost = boost_row(id, &ap_id, account.id, &status, true);
        if !boosts::insert(conn, &boost)? {
            return boosts::reblog_by(conn, account.id, status.id)?.ok_or(Error::NotFound);
        }
        favourite_store::refresh_counts(conn, status.id)?;
        notifications::notify(
            conn,
            status.account_id,
            account.id,
            NotificationKind::Reblog,
            Some(status.id),
        )?;
        let announce = activity::boost(
            &ap_id,
            &account.ap_id,
            account.followers_url.as_deref().unwrap_or_default(),
            &status.ap_id,
        );
        let mut inboxes = follows::remote_follower_inboxes(conn, account.id)?;
        inboxes.extend(author_inbox(conn, &status)?);
        send(conn, config, account, &announce, &inboxes)?;
        Ok(boost)
    })
}

pub fn unreblog(
    conn: &mut DbConn,
    config: &Config,
    account: &Account,
    status_id: i64,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        let status = status_store::by_id(conn, status_id)?.ok_or(Error::NotFound)?;
        let Some(boost) = boosts::reblog_by(conn, account.id, status.id)? else {
            return Ok(());
        };
        boosts::delete(conn, &boost)?;
        favourite_store::refresh_counts(conn, status.id)?;
        let followers = account.followers_url.as_deref().unwrap_or_default();
        let undo = activity::undo(
            config,
            next_id(),
            &account.ap_id,
            activity::boost(&boost.ap_id, &account.ap_id, followers, &status.ap_id),
        );
        let mut inboxes = follows::remote_follower_inboxes(conn, account.id)?;
        inboxes.extend(author_inbox(conn, &status)?);
        send(conn, config, account, &undo, &inboxes)
    })
}

/// A community passed `status` on to its members (its `Announce` is `ap_id`): kept as the
/// community's boost, which is how members' timelines show which community a post is in.
/// It is not a person's boost: no one is notified and `reblogs_count` leaves it out.
pub fn record_community_boost(
    conn: &mut DbConn,
    community: &Account,
    status: &Status,
    ap_id: &str,
) -> Result<(), Error> {
    let in_it = status.community_id == Some(community.id) && status.reblog_of_id.is_none();
    if !in_it || status.visibility == Visibility::Direct {
        return Ok(());
    }
    let boost = boost_row(next_id(), ap_id, community.id, status, community.is_local());
    boosts::insert(conn, &boost).map(|_| ())
}

fn boost_row(id: i64, ap_id: &str, account_id: i64, of: &Status, local: bool) -> Status {
    Status {
        reblog_of_id: Some(of.id),
        local,
        ..Status::new(id, account_id, ap_id.to_string(), of.visibility)
    }
}

/// A remote account liked `status`.
pub fn receive_like(
    conn: &mut DbConn,
    account: &Account,
    status: &Status,
    like_ap_id: &str,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        if favourite_store::between(conn, account.id, status.id)?.is_none() {
            add_favourite(conn, account, status, like_ap_id)?;
        }
        Ok(())
    })
}

/// A remote account boosted `status`.
pub fn receive_boost(
    conn: &mut DbConn,
    account: &Account,
    status: &Status,
    announce_ap_id: &str,
) -> Result<(), Error> {
    if status.visibility != Visibility::Public && status.visibility != Visibility::Unlisted {
        return Err(Error::Forbidden(
            "only public and unlisted posts can be boosted".into(),
        ));
    }
    crate::db::transaction(conn, |conn| {
        let boost = boost_row(next_id(), announce_ap_id, account.id, status, false);
        if boosts::insert(conn, &boost)? {
            favourite_store::refresh_counts(conn, status.id)?;
            notifications::notify(
                conn,
                status.account_id,
                account.id,
                NotificationKind::Reblog,
                Some(status.id),
            )?;
        }
        Ok(())
    })
}

/// A remote account withdraws its own like or boost `ap_id`; `liked` is the post an undone
/// `Like` names, for likes whose id we never saw.
pub fn receive_undo(
    conn: &mut DbConn,
    account: &Account,
    ap_id: &str,
    liked: Option<&str>,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        // Lemmy withdraws a vote with an Undo that wraps a Like under a new id: the like is
        // then found by who liked what.
        let by_object = |conn: &mut DbConn| -> Result<Option<_>, Error> {
            match liked
                .map(|o| status_store::by_ap_id(conn, o))
                .transpose()?
                .flatten()
            {
                Some(status) => favourite_store::between(conn, account.id, status.id),
                None => Ok(None),
            }
        };
        let favourite = match favourite_store::by_ap_id(conn, ap_id)? {
            Some(favourite) => Some(favourite),
            None => by_object(conn)?,
        };
        if let Some(favourite) = favourite.filter(|f| f.account_id == account.id) {
            favourite_store::delete(conn, favourite.id)?;
            favourite_store::refresh_counts(conn, favourite.status_id)?;
        }
        if let Some(boost) = status_store::by_ap_id(conn, ap_id)?
            .filter(|s| s.account_id == account.id && s.reblog_of_id.is_some())
        {
            boosts::delete(conn, &boost)?;
            if let Some(of) = boost.reblog_of_id {
                favourite_store::refresh_counts(conn, of)?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    /// A boost counts among its booster's posts, as on Mastodon, and as a recount counts it.
    #[test]
    fn boosts_count_among_the_boosters_posts() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let (ann, bob) = (f.person(conn, "ann"), f.person(conn, "bob"));
        let post = f.post(conn, &ann, "worth passing on", None, None);
        let count = |conn: &mut DbConn| {
            let bob = crate::store::accounts::by_id(conn, bob.id)
                .unwrap()
                .unwrap();
            bob.statuses_count
        };
        assert_eq!(count(conn), 0);
        reblog(conn, &f.config, &bob, post.id).unwrap();
        reblog(conn, &f.config, &bob, post.id).unwrap();
        assert_eq!(count(conn), 1, "boosting twice is one boost");
        crate::store::status_counts::refresh_account_counts(conn, bob.id).unwrap();
        assert_eq!(count(conn), 1, "a recount agrees");
        unreblog(conn, &f.config, &bob, post.id).unwrap();
        assert_eq!(count(conn), 0);
    }
}
