//! Polls, their options and the votes cast in them.

use crate::db::schema::{poll_options, poll_votes, polls};
use crate::db::DbConn;
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = polls)]
pub struct Poll {
    pub status_id: i64,
    pub multiple: bool,
    pub hide_totals: bool,
    pub expires_at: Option<NaiveDateTime>,
    pub voters_count: i32,
    /// When the poll's end was dealt with (voters told, the final count sent).
    pub ended_at: Option<NaiveDateTime>,
    /// Votes came in since the counts were last sent out (a local poll).
    pub counts_changed_at: Option<NaiveDateTime>,
}

impl Poll {
    pub fn expired(&self, now: NaiveDateTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = poll_options)]
pub struct PollOption {
    pub status_id: i64,
    pub position: i32,
    pub title: String,
    pub votes_count: i32,
}

/// Keep a new poll with its options (`counts` beside the titles, for a received poll).
pub fn insert(conn: &mut DbConn, poll: &Poll, options: &[(String, i32)]) -> Result<(), Error> {
    diesel::insert_into(polls::table)
        .values(poll)
        .execute(conn)?;
    for (position, (title, votes)) in options.iter().enumerate() {
        diesel::insert_into(poll_options::table)
            .values((
                poll_options::status_id.eq(poll.status_id),
                poll_options::position.eq(position as i32),
                poll_options::title.eq(title),
                poll_options::votes_count.eq(votes),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Remove a poll, its options and votes (a received post that no longer has it).
pub fn delete(conn: &mut DbConn, status_id: i64) -> Result<(), Error> {
    diesel::delete(poll_votes::table.filter(poll_votes::status_id.eq(status_id))).execute(conn)?;
    diesel::delete(poll_options::table.filter(poll_options::status_id.eq(status_id)))
        .execute(conn)?;
    diesel::delete(polls::table.find(status_id)).execute(conn)?;
    Ok(())
}

pub fn by_status(conn: &mut DbConn, status_id: i64) -> Result<Option<Poll>, Error> {
    Ok(polls::table
        .find(status_id)
        .select(Poll::as_select())
        .first(conn)
        .optional()?)
}

/// The polls of `status_ids`: one query for a whole list.
pub fn of_statuses(conn: &mut DbConn, status_ids: &[i64]) -> Result<Vec<Poll>, Error> {
    Ok(polls::table
        .filter(super::one_of(conn, polls::status_id, status_ids))
        .select(Poll::as_select())
        .load(conn)?)
}

/// The options of the polls of `status_ids`, in order.
pub fn options_of(conn: &mut DbConn, status_ids: &[i64]) -> Result<Vec<PollOption>, Error> {
    if status_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(poll_options::table
        .filter(super::one_of(conn, poll_options::status_id, status_ids))
        .order((poll_options::status_id, poll_options::position))
        .select(PollOption::as_select())
        .load(conn)?)
}

/// (status id, choice) of `account_id`'s votes in the polls of `status_ids`.
pub fn votes_of(
    conn: &mut DbConn,
    account_id: i64,
    status_ids: &[i64],
) -> Result<Vec<(i64, i32)>, Error> {
    if status_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(poll_votes::table
        .filter(poll_votes::account_id.eq(account_id))
        .filter(super::one_of(conn, poll_votes::status_id, status_ids))
        .order(poll_votes::choice)
        .select((poll_votes::status_id, poll_votes::choice))
        .load(conn)?)
}

/// Hold a poll's row until the transaction ends, so that two votes by one person at once
/// are counted one after the other (an update locks the row on both backends).
pub fn lock(conn: &mut DbConn, status_id: i64) -> Result<(), Error> {
    diesel::update(polls::table.find(status_id))
        .set(polls::voters_count.eq(polls::voters_count))
        .execute(conn)?;
    Ok(())
}

/// Record `account_id`'s vote for `choice`, with the id of the Note that carried it.
pub fn add_vote(
    conn: &mut DbConn,
    status_id: i64,
    account_id: i64,
    choice: i32,
    ap_id: Option<&str>,
) -> Result<(), Error> {
    diesel::insert_into(poll_votes::table)
        .values((
            poll_votes::id.eq(crate::ids::next_id()),
            poll_votes::status_id.eq(status_id),
            poll_votes::account_id.eq(account_id),
            poll_votes::choice.eq(choice),
            poll_votes::ap_id.eq(ap_id),
            poll_votes::created_at.eq(crate::time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Count a local poll's votes again from the votes cast.
pub fn recount(conn: &mut DbConn, status_id: i64) -> Result<(), Error> {
    let per_choice: Vec<(i32, i64)> = poll_votes::table
        .filter(poll_votes::status_id.eq(status_id))
        .group_by(poll_votes::choice)
        .select((poll_votes::choice, diesel::dsl::count_star()))
        .load(conn)?;
    let voters: Vec<i64> = poll_votes::table
        .filter(poll_votes::status_id.eq(status_id))
        .select(poll_votes::account_id)
        .distinct()
        .load(conn)?;
    let options = options_of(conn, &[status_id])?;
    let counts: Vec<i32> = options
        .iter()
        .map(|o| {
            per_choice
                .iter()
                .find(|(choice, _)| *choice == o.position)
                .map_or(0, |(_, n)| *n as i32)
        })
        .collect();
    set_counts(conn, status_id, &counts, voters.len() as i32)
}

/// Set the counts of a poll's options (in order) and of its voters.
pub fn set_counts(
    conn: &mut DbConn,
    status_id: i64,
    counts: &[i32],
    voters: i32,
) -> Result<(), Error> {
    for (position, count) in counts.iter().enumerate() {
        diesel::update(poll_options::table.find((status_id, position as i32)))
            .set(poll_options::votes_count.eq(count))
            .execute(conn)?;
    }
    diesel::update(polls::table.find(status_id))
        .set(polls::voters_count.eq(voters))
        .execute(conn)?;
    Ok(())
}

/// Change when a poll ends (a received poll's `endTime`).
pub fn set_expiry(
    conn: &mut DbConn,
    status_id: i64,
    expires_at: Option<NaiveDateTime>,
) -> Result<(), Error> {
    diesel::update(polls::table.find(status_id))
        .set(polls::expires_at.eq(expires_at))
        .execute(conn)?;
    Ok(())
}

/// Polls that have ended by `now` and whose end was not dealt with yet; at most `limit`.
pub fn due(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> Result<Vec<Poll>, Error> {
    Ok(polls::table
        .filter(polls::ended_at.is_null())
        .filter(polls::expires_at.le(now))
        .limit(limit)
        .select(Poll::as_select())
        .load(conn)?)
}

/// Note that a local poll's counts changed, to be sent out by the minute task.
pub fn mark_changed(conn: &mut DbConn, status_id: i64) -> Result<(), Error> {
    diesel::update(polls::table.find(status_id))
        .set(polls::counts_changed_at.eq(Some(crate::time::now())))
        .execute(conn)?;
    Ok(())
}

/// Ids of polls whose counts changed since they were last sent; at most `limit`.
pub fn changed(conn: &mut DbConn, limit: i64) -> Result<Vec<i64>, Error> {
    Ok(polls::table
        .filter(polls::counts_changed_at.is_not_null())
        .limit(limit)
        .select(polls::status_id)
        .load(conn)?)
}

pub fn mark_sent(conn: &mut DbConn, status_id: i64) -> Result<(), Error> {
    diesel::update(polls::table.find(status_id))
        .set(polls::counts_changed_at.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    Ok(())
}

pub fn mark_ended(conn: &mut DbConn, status_id: i64, now: NaiveDateTime) -> Result<(), Error> {
    diesel::update(polls::table.find(status_id))
        .set(polls::ended_at.eq(Some(now)))
        .execute(conn)?;
    Ok(())
}

/// Local people who voted in a poll, once each.
pub fn local_voters(conn: &mut DbConn, status_id: i64) -> Result<Vec<i64>, Error> {
    use crate::db::schema::accounts;
    Ok(poll_votes::table
        .inner_join(accounts::table.on(accounts::id.eq(poll_votes::account_id)))
        .filter(poll_votes::status_id.eq(status_id))
        .filter(accounts::domain.is_null())
        .select(poll_votes::account_id)
        .distinct()
        .load(conn)?)
}
