//! Who is connected to which streams on this node, and the way to reach each connection.

use super::Stream;
use crate::config::StreamingLimits;
use crate::store::accounts::Account;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::mpsc;

/// Events a connection may fall behind by before it is dropped. A reader that slow would
/// otherwise make the server hold ever more for it; dropped, its app reconnects and loads
/// the timeline again, as after any lost connection.
pub const BACKLOG: usize = 256;

/// Streams one connection may follow: every one is checked for every event, so a client
/// cannot make each event cost more without bound.
pub const STREAMS_PER_CONNECTION: usize = 64;

/// What a connection sends next.
#[derive(Clone, Debug)]
pub struct Message {
    pub stream: Vec<String>,
    pub event: &'static str,
    pub payload: Option<String>,
}

/// One connection: whom it speaks for and what it follows.
#[derive(Clone)]
pub struct Connection {
    pub viewer: Option<Account>,
    pub token: Option<i64>,
    pub scopes: String,
    pub streams: Vec<Stream>,
    sender: mpsc::Sender<Message>,
}

pub struct Hub {
    connections: Mutex<HashMap<u64, Connection>>,
    next_id: std::sync::atomic::AtomicU64,
    limits: StreamingLimits,
    /// Set once the node is stopping: no new connections.
    closing: std::sync::atomic::AtomicBool,
}

/// Why a connection or a subscription was not taken.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    TooManyForToken,
    TooManyForAccount,
    Full,
    Closing,
    TooManyStreams,
}

impl Hub {
    pub fn new(limits: StreamingLimits) -> Hub {
        Hub {
            connections: Mutex::default(),
            next_id: Default::default(),
            limits,
            closing: Default::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Connection>> {
        self.connections.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Take a connection; its id and where its messages arrive.
    pub fn join(
        &self,
        viewer: Option<Account>,
        token: Option<i64>,
        scopes: String,
    ) -> Result<(u64, mpsc::Receiver<Message>), Refused> {
        let mut connections = self.lock();
        if self.closing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Refused::Closing);
        }
        if connections.len() >= self.limits.max {
            return Err(Refused::Full);
        }
        let count =
            |same: &dyn Fn(&Connection) -> bool| connections.values().filter(|c| same(c)).count();
        if token.is_some() && count(&|c| c.token == token) >= self.limits.per_token {
            return Err(Refused::TooManyForToken);
        }
        let account = viewer.as_ref().map(|v| v.id);
        let per_account = self.limits.per_account;
        if account.is_some()
            && count(&|c| c.viewer.as_ref().map(|v| v.id) == account) >= per_account
        {
            return Err(Refused::TooManyForAccount);
        }
        let (sender, receiver) = mpsc::channel(BACKLOG);
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let connection = Connection {
            viewer,
            token,
            scopes,
            streams: Vec::new(),
            sender,
        };
        connections.insert(id, connection);
        Ok((id, receiver))
    }

    pub fn leave(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Follow `stream` on connection `id` too.
    pub fn subscribe(&self, id: u64, stream: Stream) -> Result<(), Refused> {
        if let Some(connection) = self.lock().get_mut(&id) {
            if !connection.streams.contains(&stream) {
                if connection.streams.len() >= STREAMS_PER_CONNECTION {
                    return Err(Refused::TooManyStreams);
                }
                connection.streams.push(stream);
            }
        }
        Ok(())
    }

    pub fn unsubscribe(&self, id: u64, stream: &Stream) {
        if let Some(connection) = self.lock().get_mut(&id) {
            connection.streams.retain(|s| s != stream);
        }
    }

    /// The connections following anything, to decide what each is sent.
    pub fn snapshot(&self) -> Vec<(u64, Connection)> {
        self.lock()
            .iter()
            .filter(|(_, c)| !c.streams.is_empty())
            .map(|(id, c)| (*id, c.clone()))
            .collect()
    }

    /// Queue `message` for connection `id`; one whose backlog is full is dropped.
    pub fn send(&self, id: u64, message: Message) {
        let mut connections = self.lock();
        let Some(connection) = connections.get(&id) else {
            return;
        };
        if let Err(mpsc::error::TrySendError::Full(_)) = connection.sender.try_send(message) {
            tracing::info!("dropped a stream connection that fell {BACKLOG} events behind");
            connections.remove(&id);
        }
    }

    /// Close the connections that `close` picks: their streams end at once.
    pub fn close_where(&self, close: impl Fn(&Connection) -> bool) {
        self.lock().retain(|_, c| !close(c));
    }

    /// Refuse new connections and close every open one, for a stop.
    pub fn close_all(&self) {
        self.closing
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.close_where(|_| true);
    }

    /// The tokens open connections were made with, to check that they still hold.
    pub fn tokens(&self) -> Vec<i64> {
        let mut tokens: Vec<i64> = self.lock().values().filter_map(|c| c.token).collect();
        tokens.sort_unstable();
        tokens.dedup();
        tokens
    }

    pub fn count(&self) -> usize {
        self.lock().len()
    }
}
