//! Who may see a status. Every door (client API, ActivityPub fetch, web pages) asks here.

use crate::db::DbConn;
use crate::domain::{AccountKind, FollowState, Visibility};
use crate::error::Error;
use crate::store::{
    accounts::Account,
    blocks, communities, follows,
    statuses::{self, Status},
};
use std::collections::{HashMap, HashSet};

/// Whether `viewer` (None: anonymous) may see `status`. Someone its author blocks may not.
/// A boost is seen by whoever may see what it boosts (a community passes members-only posts
/// on to its members as boosts).
pub fn can_see(
    conn: &mut DbConn,
    viewer: Option<&Account>,
    status: &Status,
) -> Result<bool, Error> {
    Ok(can_see_each(conn, &[viewer], status)?[0])
}

/// [`can_see`] for several viewers at once, in their order: the author's blocks of all of
/// them are one query.
fn can_see_each(
    conn: &mut DbConn,
    viewers: &[Option<&Account>],
    status: &Status,
) -> Result<Vec<bool>, Error> {
    let ids: Vec<i64> = viewers.iter().flatten().map(|v| v.id).collect();
    let blocked = blocks::blocked_among(conn, status.account_id, &ids)?;
    let unblocked = viewers
        .iter()
        .map(|v| !v.is_some_and(|v| blocked.contains(&v.id)));
    let mut seen: Vec<bool> = unblocked.collect();
    if !crate::store::accounts::suspended_among(conn, &[status.account_id])?.is_empty() {
        return Ok(vec![false; viewers.len()]);
    }
    match status.reblog_of_id {
        Some(original) if status.deleted_at.is_none() => match statuses::by_id(conn, original)? {
            Some(original) => {
                let original = can_see_each(conn, viewers, &original)?;
                seen.iter_mut().zip(original).for_each(|(s, o)| *s &= o);
            }
            None => seen.fill(false),
        },
        _ => {
            for (seen, viewer) in seen.iter_mut().zip(viewers) {
                *seen = *seen && can_see_unblocked(conn, *viewer, status)?;
            }
        }
    }
    Ok(seen)
}

/// Which of `viewers` could see post `id` before it was deleted or removed, so that they are
/// told of the deletion only then: nobody learns the id of a post they could not see. A boost
/// is gone outright, so `boost_of` (what it boosted) decides for it.
pub fn could_see_deleted(
    conn: &mut DbConn,
    viewers: &[Account],
    id: i64,
    boost_of: Option<i64>,
) -> Result<Vec<i64>, Error> {
    let Some(mut status) = statuses::by_id(conn, boost_of.unwrap_or(id))? else {
        return Ok(Vec::new());
    };
    status.deleted_at = None;
    status.removed_at = None;
    let each: Vec<Option<&Account>> = viewers.iter().map(Some).collect();
    let seen = can_see_each(conn, &each, &status)?;
    let seen = viewers.iter().zip(seen).filter(|(_, seen)| *seen);
    Ok(seen.map(|(viewer, _)| viewer.id).collect())
}

/// [`can_see`] without the block check, for lists that have left out blocked authors.
fn can_see_unblocked(
    conn: &mut DbConn,
    viewer: Option<&Account>,
    status: &Status,
) -> Result<bool, Error> {
    if status.deleted_at.is_some() {
        return Ok(false);
    }
    let is_author = viewer.is_some_and(|v| v.id == status.account_id);
    let is_moderator = |conn: &mut DbConn| -> Result<bool, Error> {
        match (viewer, status.community_id) {
            (Some(viewer), Some(community)) => {
                communities::is_moderator(conn, community, viewer.id)
            }
            _ => Ok(false),
        }
    };
    // A removed post stays visible to its author and the moderators, who may restore it.
    if status.removed_at.is_some() {
        return Ok(is_author || is_moderator(conn)?);
    }
    if status.visibility.is_open() {
        return Ok(true);
    }
    let Some(viewer) = viewer else {
        return Ok(false);
    };
    if is_author {
        return Ok(true);
    }
    let accepted = |conn: &mut DbConn, target: i64| -> Result<bool, Error> {
        Ok(follows::between(conn, viewer.id, target)?
            .is_some_and(|f| f.state == FollowState::Accepted))
    };
    match status.visibility {
        Visibility::Public | Visibility::Unlisted => Ok(true),
        Visibility::Private => {
            if accepted(conn, status.account_id)? {
                return Ok(true);
            }
            match status.community_id {
                Some(community) => accepted(conn, community),
                None => Ok(false),
            }
        }
        Visibility::Members => match status.community_id {
            Some(community) => Ok(accepted(conn, community)? || is_moderator(conn)?),
            None => Ok(false),
        },
        // Direct: its author and the people it mentions.
        Visibility::Direct => crate::store::mentions::is_mentioned(conn, status.id, viewer.id),
    }
}

/// Whether another server may fetch `status` over ActivityPub with a request signed by
/// `signer`: what the signer may see, and a members-only post also by the instance actor of
/// a server where a member lives (servers fetch with their own actor's signature).
pub fn can_fetch(
    conn: &mut DbConn,
    signer: Option<&Account>,
    status: &Status,
) -> Result<bool, Error> {
    if can_see(conn, signer, status)? {
        return Ok(true);
    }
    let instance_actor = signer.filter(|s| s.kind == AccountKind::Service);
    match (
        instance_actor.and_then(|s| s.domain.as_deref()),
        status.community_id,
    ) {
        (Some(domain), Some(community))
            if status.visibility == Visibility::Members
                && status.removed_at.is_none()
                && status.deleted_at.is_none() =>
        {
            follows::has_accepted_follower_on(conn, community, domain)
        }
        _ => Ok(false),
    }
}

/// The statuses of `list` that `viewer` may see, in order, leaving out those of people the
/// viewer blocks or mutes or who block the viewer (one query). A boost is shown only if what
/// it boosts may be seen too; the boosted statuses are loaded with one query. Public and
/// unlisted statuses need no further query; followers-only and direct ones are checked
/// one by one.
pub fn filter_visible(
    conn: &mut DbConn,
    viewer: Option<&Account>,
    list: Vec<Status>,
) -> Result<Vec<Status>, Error> {
    filter(conn, viewer, list, true)
}

/// Which of `viewers` [`filter_visible`] would show `status` to, asked for all of them at once
/// as a stream's event asks it: blocks, mutes and suspensions with one query each, whatever
/// the number of viewers. Public and unlisted posts need no query per viewer.
pub fn seen_by(conn: &mut DbConn, viewers: &[Account], status: &Status) -> Result<Vec<i64>, Error> {
    // A boost is seen where what it boosts is, unless its booster is hidden.
    let original = match status.reblog_of_id {
        Some(_) if status.deleted_at.is_some() => return Ok(Vec::new()),
        Some(id) => match statuses::by_id(conn, id)? {
            Some(original) => Some(original),
            None => return Ok(Vec::new()),
        },
        None => None,
    };
    let judged = original.as_ref().unwrap_or(status);
    let mut authors = vec![status.account_id, judged.account_id];
    authors.dedup();
    if !crate::store::accounts::suspended_among(conn, &authors)?.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = viewers.iter().map(|v| v.id).collect();
    let hiding = blocks::hiding(conn, &ids, &authors)?;
    let mut seen = Vec::new();
    for viewer in viewers {
        if !hiding.contains(&viewer.id) && can_see_unblocked(conn, Some(viewer), judged)? {
            seen.push(viewer.id);
        }
    }
    Ok(seen)
}

/// [`filter_visible`] for the statuses of notifications: muted people stay, since a mute
/// that spares notifications was asked not to hide them (and one that does not, keeps them
/// from being made).
pub fn filter_notified(
    conn: &mut DbConn,
    viewer: &Account,
    list: Vec<Status>,
) -> Result<Vec<Status>, Error> {
    filter(conn, Some(viewer), list, false)
}

fn filter(
    conn: &mut DbConn,
    viewer: Option<&Account>,
    list: Vec<Status>,
    hide_muted: bool,
) -> Result<Vec<Status>, Error> {
    let mut hidden: HashSet<i64> = match viewer {
        Some(viewer) => blocks::hidden_from(conn, viewer.id, hide_muted)?
            .into_iter()
            .collect(),
        None => HashSet::new(),
    };
    let boosted_ids: Vec<i64> = list.iter().filter_map(|s| s.reblog_of_id).collect();
    let boosted: HashMap<i64, Status> = statuses::by_ids(conn, &boosted_ids)?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    // A suspended person's posts are hidden from everyone, as their profile is.
    let mut authors: Vec<i64> = list
        .iter()
        .chain(boosted.values())
        .map(|s| s.account_id)
        .collect();
    authors.sort_unstable();
    authors.dedup();
    hidden.extend(crate::store::accounts::suspended_among(conn, &authors)?);
    let shown = |conn: &mut DbConn, status: &Status| -> Result<bool, Error> {
        Ok(!hidden.contains(&status.account_id) && can_see_unblocked(conn, viewer, status)?)
    };
    let mut visible = Vec::with_capacity(list.len());
    for status in list {
        let seen = match status.reblog_of_id {
            // A boost is seen where what it boosts is, unless its booster is hidden.
            Some(id) => match boosted.get(&id) {
                Some(original) => {
                    !hidden.contains(&status.account_id)
                        && status.deleted_at.is_none()
                        && shown(conn, original)?
                }
                None => false,
            },
            None => shown(conn, &status)?,
        };
        if seen {
            visible.push(status);
        }
    }
    Ok(visible)
}
