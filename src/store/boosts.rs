//! Boosts: rows of `statuses` that pass another status on (`reblog_of_id`), by a person or,
//! as members' timelines show which community a post is in, by a community.

use super::statuses::{posted, Status};
use crate::db::{
    schema::{accounts, statuses},
    DbConn,
};
use crate::domain::AccountKind;
use crate::error::Error;
use crate::events::{self, Event};
use diesel::{dsl, prelude::*};

/// Store a boost unless its author already boosts that post or its id is known: two boosts
/// made at once are one (a unique index decides, not a read before the write). Says
/// whether this call stored it.
pub fn insert(conn: &mut DbConn, boost: &Status) -> Result<bool, Error> {
    let stored = crate::on_backend!(conn, |c| diesel::insert_into(statuses::table)
        .values((boost, statuses::search_text.eq("")))
        .on_conflict_do_nothing()
        .execute(c))?;
    if stored > 0 {
        posted(conn, boost)?;
        super::status_counts::count_in_account(conn, boost.account_id, true)?;
    }
    Ok(stored > 0)
}

/// An account's boost of a status, if it has one.
pub fn reblog_by(
    conn: &mut DbConn,
    account_id: i64,
    status_id: i64,
) -> Result<Option<Status>, Error> {
    Ok(statuses::table
        .filter(statuses::account_id.eq(account_id))
        .filter(statuses::reblog_of_id.eq(status_id))
        .filter(statuses::deleted_at.is_null())
        .select(Status::as_select())
        .first(conn)
        .optional()?)
}

/// Boosts are rows of their own; undoing one removes it.
pub fn delete(conn: &mut DbConn, boost: &Status) -> Result<(), Error> {
    let deleted = diesel::delete(statuses::table.find(boost.id)).execute(conn)?;
    if deleted > 0 {
        super::status_counts::count_in_account(conn, boost.account_id, false)?;
    }
    events::record(Event::Deleted {
        id: boost.id,
        boost_of: boost.reblog_of_id,
    });
    Ok(())
}

/// The standing boosts of `originals`, which are being deleted, go with them as on Mastodon:
/// out of their boosters' counts and their streams, so that no hidden boost of a deleted
/// post stays behind to thin the pages it falls on. Two statements and one per booster,
/// however many boosts: an author's deletion passes all their posts at once. Not federated:
/// other servers drop their copies' boosts when told of the original's deletion.
pub fn delete_of(conn: &mut DbConn, originals: &[i64]) -> Result<(), Error> {
    if originals.is_empty() {
        return Ok(());
    }
    let boosts: Vec<(i64, i64, Option<i64>)> = statuses::table
        .filter(super::one_of(conn, statuses::reblog_of_id, originals))
        .filter(statuses::deleted_at.is_null())
        .select((statuses::id, statuses::account_id, statuses::reblog_of_id))
        .load(conn)?;
    if boosts.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = boosts.iter().map(|(id, _, _)| *id).collect();
    diesel::delete(statuses::table.filter(super::one_of_keys(conn, statuses::id, &ids)))
        .execute(conn)?;
    let mut per_booster: std::collections::BTreeMap<i64, i64> = Default::default();
    for (_, booster, _) in &boosts {
        *per_booster.entry(*booster).or_default() += 1;
    }
    for (booster, count) in per_booster {
        super::status_counts::count_out_of_account(conn, booster, count)?;
    }
    for (id, _, boost_of) in boosts {
        events::record(Event::Deleted { id, boost_of });
    }
    Ok(())
}

/// Which of `status_ids` the account has boosted.
pub fn reblogged_among(
    conn: &mut DbConn,
    account_id: i64,
    status_ids: &[i64],
) -> Result<std::collections::HashSet<i64>, Error> {
    if status_ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(statuses::table
        .filter(statuses::account_id.eq(account_id))
        .filter(statuses::deleted_at.is_null())
        .filter(super::one_of(conn, statuses::reblog_of_id, status_ids))
        .select(statuses::reblog_of_id)
        .load::<Option<i64>>(conn)?
        .into_iter()
        .flatten()
        .collect())
}

/// Ids of communities, which pass posts on to their members without boosting them.
type Communities =
    dsl::Select<dsl::Filter<accounts::table, dsl::Eq<accounts::kind, AccountKind>>, accounts::id>;

/// The standing boosts of `status_id` by people: a community passing a post on to its
/// members is not a person boosting it. Not boxed, so that each statement built on it stays
/// prepared: a boost's count is taken on every boost and undo, here and from other servers.
type ByPeople = dsl::Filter<
    dsl::Filter<
        dsl::Filter<statuses::table, dsl::Eq<statuses::reblog_of_id, i64>>,
        dsl::IsNull<statuses::deleted_at>,
    >,
    dsl::NeAny<statuses::account_id, Communities>,
>;

fn by_people(status_id: i64) -> ByPeople {
    let communities = accounts::table
        .filter(accounts::kind.eq(AccountKind::Group))
        .select(accounts::id);
    statuses::table
        .filter(statuses::reblog_of_id.eq(status_id))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::account_id.ne_all(communities))
}

/// How many people boost a status (its `reblogs_count`).
pub fn count_by_people(conn: &mut DbConn, status_id: i64) -> Result<i64, Error> {
    Ok(by_people(status_id).count().get_result(conn)?)
}

/// People who boosted a status, newest first.
pub fn reblogger_ids(conn: &mut DbConn, status_id: i64, limit: i64) -> Result<Vec<i64>, Error> {
    Ok(by_people(status_id)
        .order(statuses::id.desc())
        .limit(limit)
        .select(statuses::account_id)
        .load(conn)?)
}
