//! Polls: made with a post, voted in by people here and elsewhere, and ended. A poll of this
//! server counts the votes cast in it and sends its counts out as `Update(Question)`; a vote
//! in another server's poll goes to that poll's author, whose server counts it.

use crate::config::Config;
use crate::db::DbConn;
use crate::delivery;
use crate::domain::NotificationKind;
use crate::error::Error;
use crate::ids::next_id;
use crate::protocol::{activity, remote_post::RemotePoll};
use crate::store::{
    accounts::{self as account_store, Account},
    polls::{self, Poll},
    statuses::Status,
};

pub const MAX_OPTIONS: usize = 4;
pub const MAX_OPTION_CHARS: usize = 50;
pub const MIN_EXPIRATION: i64 = 300;
pub const MAX_EXPIRATION: i64 = 2_629_746;

/// A poll a local author makes with a post.
pub struct NewPoll {
    pub options: Vec<String>,
    /// Seconds from now until it ends.
    pub expires_in: i64,
    pub multiple: bool,
    pub hide_totals: bool,
}

fn refused(why: impl Into<String>) -> Error {
    Error::Unprocessable(why.into())
}

impl NewPoll {
    pub fn check(&self) -> Result<(), Error> {
        if !(2..=MAX_OPTIONS).contains(&self.options.len()) {
            return Err(refused(format!(
                "a poll has from 2 to {MAX_OPTIONS} options"
            )));
        }
        let blank_or_long =
            |o: &String| o.trim().is_empty() || o.chars().count() > MAX_OPTION_CHARS;
        if self.options.iter().any(blank_or_long) {
            return Err(refused(format!(
                "poll options are 1 to {MAX_OPTION_CHARS} characters"
            )));
        }
        let mut titles: Vec<&str> = self.options.iter().map(|o| o.trim()).collect();
        titles.sort();
        titles.dedup();
        if titles.len() != self.options.len() {
            return Err(refused("poll options must differ"));
        }
        if !(MIN_EXPIRATION..=MAX_EXPIRATION).contains(&self.expires_in) {
            return Err(refused(format!(
                "a poll lasts from {MIN_EXPIRATION} to {MAX_EXPIRATION} seconds"
            )));
        }
        Ok(())
    }
}

/// Keep the poll of a new local post. Call inside the post's transaction.
pub fn create(conn: &mut DbConn, status_id: i64, new: &NewPoll) -> Result<(), Error> {
    new.check()?;
    let poll = Poll {
        status_id,
        multiple: new.multiple,
        hide_totals: new.hide_totals,
        expires_at: Some(crate::time::now() + chrono::Duration::seconds(new.expires_in)),
        voters_count: 0,
        ended_at: None,
        counts_changed_at: None,
    };
    let options: Vec<(String, i32)> = new
        .options
        .iter()
        .map(|o| (o.trim().to_string(), 0))
        .collect();
    polls::insert(conn, &poll, &options)
}

/// Keep or bring up to date the poll of a received post: its counts and end are its
/// server's word; different options make it a new poll.
pub fn store_remote(
    conn: &mut DbConn,
    status_id: i64,
    remote: Option<&RemotePoll>,
) -> Result<(), Error> {
    let existing = polls::by_status(conn, status_id)?;
    let Some(remote) = remote else {
        if existing.is_some() {
            polls::delete(conn, status_id)?;
        }
        return Ok(());
    };
    if existing.is_some() {
        let titles: Vec<String> = polls::options_of(conn, &[status_id])?
            .into_iter()
            .map(|o| o.title)
            .collect();
        let same = titles.iter().eq(remote.options.iter().map(|(t, _)| t));
        if same {
            let counts: Vec<i32> = remote.options.iter().map(|(_, n)| *n).collect();
            polls::set_expiry(conn, status_id, remote.expires_at)?;
            return polls::set_counts(conn, status_id, &counts, remote.voters_count);
        }
        polls::delete(conn, status_id)?;
    }
    let poll = Poll {
        status_id,
        multiple: remote.multiple,
        hide_totals: false,
        expires_at: remote.expires_at,
        voters_count: remote.voters_count,
        ended_at: None,
        counts_changed_at: None,
    };
    polls::insert(conn, &poll, &remote.options)
}

/// A poll that takes votes: it exists, has not ended, and the voter has not voted in it.
fn open_poll(conn: &mut DbConn, voter_id: i64, status: &Status) -> Result<Poll, Error> {
    let poll = polls::by_status(conn, status.id)?.ok_or(Error::NotFound)?;
    if poll.expired(crate::time::now()) {
        return Err(refused("the poll has already ended"));
    }
    if !polls::votes_of(conn, voter_id, &[status.id])?.is_empty() {
        return Err(refused("you have already voted in this poll"));
    }
    Ok(poll)
}

/// A local person votes in the poll of status `status_id`, which they must be able to see;
/// the status afterwards.
pub fn vote(
    conn: &mut DbConn,
    config: &Config,
    voter: &Account,
    status_id: i64,
    choices: &[i32],
) -> Result<Status, Error> {
    let status = crate::store::statuses::by_id(conn, status_id)?
        .filter(|s| s.deleted_at.is_none())
        .ok_or(Error::NotFound)?;
    if !super::visibility::can_see(conn, Some(voter), &status)? {
        return Err(Error::NotFound);
    }
    cast(conn, config, voter, &status, choices)?;
    crate::store::statuses::by_id(conn, status_id)?.ok_or(Error::NotFound)
}

fn cast(
    conn: &mut DbConn,
    config: &Config,
    voter: &Account,
    status: &Status,
    choices: &[i32],
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        polls::lock(conn, status.id)?;
        let poll = open_poll(conn, voter.id, status)?;
        let options = polls::options_of(conn, &[status.id])?;
        let mut chosen = choices.to_vec();
        chosen.sort();
        chosen.dedup();
        let valid = !chosen.is_empty()
            && chosen
                .iter()
                .all(|c| options.iter().any(|o| o.position == *c))
            && (poll.multiple || chosen.len() == 1);
        if !valid {
            return Err(refused(match poll.multiple {
                true => "choose one or more of the poll's options",
                false => "choose one of the poll's options",
            }));
        }
        for choice in &chosen {
            polls::add_vote(conn, status.id, voter.id, *choice, None)?;
        }
        let author = account_store::by_id(conn, status.account_id)?.ok_or(Error::NotFound)?;
        if author.is_local() {
            polls::recount(conn, status.id)?;
            return polls::mark_changed(conn, status.id);
        }
        // Counted here at once, as the poll's own server will count it.
        let counts: Vec<i32> = options
            .iter()
            .map(|o| {
                o.votes_count
                    .saturating_add(i32::from(chosen.contains(&o.position)))
            })
            .collect();
        polls::set_counts(
            conn,
            status.id,
            &counts,
            poll.voters_count.saturating_add(1),
        )?;
        let inbox = author
            .shared_inbox_url
            .clone()
            .unwrap_or(author.inbox_url.clone());
        for option in options.iter().filter(|o| chosen.contains(&o.position)) {
            let ballot = activity::vote(
                config,
                next_id(),
                &voter.ap_id,
                &status.ap_id,
                &author.ap_id,
                &option.title,
            );
            delivery::enqueue(conn, config, voter, &ballot, &[inbox.as_str()])?;
        }
        Ok(())
    })
}

/// A person of another server votes in the local poll `poll` (its post's id): `option` is
/// the title they chose. False when `poll` is no local poll. Votes by someone who may not see
/// the post, for a missing option, in an ended poll, or a second vote where one choice is
/// allowed, are refused.
pub fn receive_vote(
    conn: &mut DbConn,
    voter: &Account,
    (poll, option): (&str, &str),
    note_id: &str,
) -> Result<bool, Error> {
    let Some(status) = crate::store::statuses::by_ap_id(conn, poll)?
        .filter(|s| s.local && s.deleted_at.is_none())
        .filter(|s| polls::by_status(conn, s.id).is_ok_and(|p| p.is_some()))
    else {
        return Ok(false);
    };
    if !super::visibility::can_see(conn, Some(voter), &status)? {
        return Err(Error::NotFound);
    }
    count_vote(conn, voter, &status, option, note_id).map(|()| true)
}

fn count_vote(
    conn: &mut DbConn,
    voter: &Account,
    status: &Status,
    option: &str,
    note_id: &str,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        polls::lock(conn, status.id)?;
        let poll = polls::by_status(conn, status.id)?.ok_or(Error::NotFound)?;
        if poll.expired(crate::time::now()) {
            return Err(refused("the poll has already ended"));
        }
        let options = polls::options_of(conn, &[status.id])?;
        let chosen = options
            .iter()
            .find(|o| o.title == option)
            .ok_or_else(|| refused("the poll has no such option"))?;
        let earlier = polls::votes_of(conn, voter.id, &[status.id])?;
        if earlier.iter().any(|(_, c)| *c == chosen.position) {
            return Ok(()); // the same vote again
        }
        if !poll.multiple && !earlier.is_empty() {
            return Err(refused("the poll takes one choice"));
        }
        polls::add_vote(conn, status.id, voter.id, chosen.position, Some(note_id))?;
        polls::recount(conn, status.id)?;
        polls::mark_changed(conn, status.id)
    })
}

/// Send the counts of local polls that changed to everyone who has their posts: once a
/// minute at most per poll, however many votes came in (the minute task calls this).
/// Returns how many were sent.
pub fn send_changed_counts(conn: &mut DbConn, config: &Config) -> Result<usize, Error> {
    let changed = polls::changed(conn, 100)?;
    for status_id in &changed {
        crate::db::transaction(conn, |conn| {
            let status = crate::store::statuses::by_id(conn, *status_id)?;
            let author = match &status {
                Some(s) => account_store::by_id(conn, s.account_id)?,
                None => None,
            };
            if let (Some(status), Some(author)) =
                (status.filter(|s| s.deleted_at.is_none()), author)
            {
                send_counts(conn, config, &author, &status)?;
            }
            polls::mark_sent(conn, *status_id)
        })?;
    }
    Ok(changed.len())
}

/// Send a local poll's counts to everyone who has the post.
fn send_counts(
    conn: &mut DbConn,
    config: &Config,
    author: &Account,
    status: &Status,
) -> Result<(), Error> {
    super::statuses::federate(conn, config, author, status, "Update")
}

/// Deal with polls that have ended: their voters (and a local author) are told, and a local
/// poll's final count is sent out. Returns how many ended.
pub fn end_due(conn: &mut DbConn, config: &Config) -> Result<usize, Error> {
    let now = crate::time::now();
    let due = polls::due(conn, now, 100)?;
    for poll in &due {
        crate::db::transaction(conn, |conn| {
            let status = crate::store::statuses::by_id(conn, poll.status_id)?;
            let author = match &status {
                Some(s) => account_store::by_id(conn, s.account_id)?,
                None => None,
            };
            if let (Some(status), Some(author)) =
                (status.filter(|s| s.deleted_at.is_none()), author)
            {
                let mut told = polls::local_voters(conn, status.id)?;
                if author.is_local() {
                    told.push(author.id);
                    send_counts(conn, config, &author, &status)?;
                    polls::mark_sent(conn, status.id)?;
                }
                for account_id in told {
                    super::notifications::notify(
                        conn,
                        account_id,
                        author.id,
                        NotificationKind::Poll,
                        Some(status.id),
                    )?;
                }
            }
            polls::mark_ended(conn, poll.status_id, now)
        })?;
    }
    Ok(due.len())
}
