//! Mastodon's Poll entity.

use super::time;
use crate::store::polls::{Poll, PollOption};
use serde_json::{json, Value};

/// What one viewer sees of a poll.
pub struct Seen<'a> {
    /// The viewer's choices; None without a viewer.
    pub own_votes: Option<Vec<i32>>,
    /// Whether the viewer made the poll: its author sees hidden totals.
    pub is_author: bool,
    pub options: Vec<&'a PollOption>,
}

/// A poll as apps show it; the poll's id is its post's. Hidden totals stay hidden from all
/// but the author until the poll ends.
pub fn poll_json(poll: &Poll, seen: &Seen) -> Value {
    let expired = poll.expired(crate::time::now());
    let shown = !poll.hide_totals || expired || seen.is_author;
    let votes: i64 = seen.options.iter().map(|o| i64::from(o.votes_count)).sum();
    json!({
        "id": poll.status_id.to_string(),
        "expires_at": poll.expires_at.map(time),
        "expired": expired,
        "multiple": poll.multiple,
        "votes_count": votes,
        "voters_count": poll.voters_count,
        "options": seen.options.iter().map(|o| json!({
            "title": o.title,
            "votes_count": if shown { Some(o.votes_count) } else { None },
        })).collect::<Vec<_>>(),
        "emojis": [],
        // An author counts as having voted in their own poll, as Mastodon has it.
        "voted": seen.own_votes.as_ref().map(|v| !v.is_empty() || seen.is_author),
        "own_votes": seen.own_votes,
    })
}
