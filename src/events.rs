//! What changed, for the streaming API: posts made, edited and deleted, notifications,
//! changed filters, revoked tokens. Events are recorded where the rows change (the store; a
//! person's filters in their service), so no door can forget one; they are held until the transaction commits (none if it rolls
//! back) and then published by [`crate::db::Db::run`]: in-process on SQLite, and through
//! PostgreSQL's `NOTIFY` on PostgreSQL, so that every node serving the database hears every
//! event, its own included. Events carry ids only: who may see what is decided when they are
//! streamed, by the same rules as the timelines.

use crate::db::listener::Listener;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use tokio::sync::broadcast;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "e", rename_all = "snake_case")]
pub enum Event {
    Posted {
        id: i64,
    },
    Edited {
        id: i64,
    },
    /// Deleted by its author or removed by a moderator. A boost is deleted outright, so it
    /// names what it boosted: who may be told of it is decided by that post.
    Deleted {
        id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        boost_of: Option<i64>,
    },
    Notified {
        id: i64,
        account: i64,
    },
    FiltersChanged {
        account: i64,
    },
    TokenRevoked {
        token: i64,
    },
}

thread_local! {
    /// Recorded inside the open transaction, if any.
    static PENDING: RefCell<Vec<Event>> = const { RefCell::new(Vec::new()) };
    /// Committed and waiting to be published.
    static READY: RefCell<Vec<Event>> = const { RefCell::new(Vec::new()) };
    static IN_TRANSACTION: RefCell<bool> = const { RefCell::new(false) };
}

/// Record `event` for publishing once what it tells of is committed.
pub fn record(event: Event) {
    if IN_TRANSACTION.with(|t| *t.borrow()) {
        PENDING.with(|p| p.borrow_mut().push(event));
    } else {
        READY.with(|r| r.borrow_mut().push(event));
    }
}

/// The outermost transaction on this thread began.
pub(crate) fn transaction_began() {
    IN_TRANSACTION.with(|t| *t.borrow_mut() = true);
    PENDING.with(|p| p.borrow_mut().clear());
}

/// The outermost transaction ended: its events are ready if it committed.
pub(crate) fn transaction_ended(committed: bool) {
    IN_TRANSACTION.with(|t| *t.borrow_mut() = false);
    let pending = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    if committed {
        READY.with(|r| r.borrow_mut().extend(pending));
    }
}

/// Where the events of a savepoint begin, to forget them if it rolls back.
pub(crate) fn savepoint() -> usize {
    PENDING.with(|p| p.borrow().len())
}

/// The savepoint begun at `mark` rolled back: what it recorded did not happen.
pub(crate) fn savepoint_rolled_back(mark: usize) {
    PENDING.with(|p| p.borrow_mut().truncate(mark));
}

/// Events committed on this thread since the last call.
pub(crate) fn take_ready() -> Vec<Event> {
    READY.with(|r| std::mem::take(&mut *r.borrow_mut()))
}

/// Forget what an earlier, unpublished piece of work on this thread recorded.
pub(crate) fn discard() {
    IN_TRANSACTION.with(|t| *t.borrow_mut() = false);
    PENDING.with(|p| p.borrow_mut().clear());
    READY.with(|r| r.borrow_mut().clear());
}

/// The events this node hears, for its streams. A listener that falls more than
/// [`BUS_CAPACITY`] events behind loses the oldest (and logs it).
#[derive(Clone)]
pub struct Bus {
    sender: broadcast::Sender<Event>,
}

pub const BUS_CAPACITY: usize = 4096;

/// The PostgreSQL channel events travel on.
pub const CHANNEL: &str = "guild_events";

impl Default for Bus {
    fn default() -> Bus {
        Bus {
            sender: broadcast::channel(BUS_CAPACITY).0,
        }
    }
}

impl Bus {
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    /// Tell this node's listeners; nobody listening is fine.
    pub fn send(&self, events: Vec<Event>) {
        for event in events {
            let _ = self.sender.send(event);
        }
    }
}

/// Hear the events of every node on PostgreSQL at `url` and pass them to `bus`, on a thread
/// of its own until `alive` is dropped.
///
/// Returns once the node listens (or after `LISTEN_WAIT` if it cannot yet, retrying behind),
/// so that a node serving requests hears what is posted from then on: a stream opened on it
/// just after start would otherwise miss events until the listening connection came up.
pub fn listen_postgres(url: String, bus: Bus, alive: std::sync::Weak<()>) {
    let (listening, started) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut failures = 0u32;
        while alive.strong_count() > 0 {
            let mut listener = match Listener::connect(&url, CHANNEL) {
                Ok(listener) => listener,
                Err(e) => {
                    failures += 1;
                    if failures == 1 {
                        tracing::warn!("streaming cannot listen on PostgreSQL: {e}; retrying");
                    }
                    std::thread::sleep(std::time::Duration::from_secs(1));
                    continue;
                }
            };
            failures = 0;
            let _ = listening.send(());
            hear(&mut listener, &bus, &alive);
        }
    });
    if started.recv_timeout(LISTEN_WAIT).is_err() {
        tracing::warn!("streaming is not listening on PostgreSQL yet; other nodes' events are not heard until it does");
    }
}

/// How long a starting node waits to listen before it serves anyway.
const LISTEN_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// How often the listening thread wakes with nothing heard, to see whether it should stop.
const LISTEN_CHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// Pass on what `listener` hears until it fails or `alive` is dropped.
fn hear(listener: &mut Listener, bus: &Bus, alive: &std::sync::Weak<()>) {
    while alive.strong_count() > 0 {
        let heard = listener.wait(LISTEN_CHECK, |payload| {
            match serde_json::from_str::<Vec<Event>>(payload) {
                Ok(events) => bus.send(events),
                Err(e) => tracing::warn!("an unreadable stream event: {e}"),
            }
        });
        if let Err(e) = heard {
            tracing::warn!("streaming lost its PostgreSQL connection: {e}");
            return;
        }
    }
}

/// `NOTIFY` carries at most 8000 bytes; an event is at most about 75.
pub const EVENTS_PER_NOTIFY: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_wait_for_the_commit_and_vanish_with_a_rollback() {
        discard();
        record(Event::Posted { id: 1 });
        transaction_began();
        record(Event::Posted { id: 2 });
        transaction_ended(false);
        transaction_began();
        record(Event::Posted { id: 3 });
        assert_eq!(take_ready(), vec![Event::Posted { id: 1 }]);
        let mark = savepoint();
        record(Event::Posted { id: 4 });
        savepoint_rolled_back(mark);
        transaction_ended(true);
        assert_eq!(take_ready(), vec![Event::Posted { id: 3 }]);
        let json = serde_json::to_string(&Event::Notified { id: 4, account: 5 }).unwrap();
        assert_eq!(json, r#"{"e":"notified","id":4,"account":5}"#);
    }
}
