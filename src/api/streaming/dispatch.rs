//! What each connection is sent when an event arrives. The question "would this timeline
//! show this post to these people" is asked once per stream for all the people following it
//! on this node (`service::timelines::shown_to_each`, the timelines' own rule), and each post
//! is rendered once for all who are shown it, with only what each of them did to it apart;
//! connections then share the answers. An event so costs a few queries, not a few per person.

use super::hub::{Hub, Message};
use super::Stream;
use crate::api::entities::status;
use crate::db::DbConn;
use crate::error::Error;
use crate::events::Event;
use crate::service::timelines::{self, Feed};
use crate::service::{oauth, visibility};
use crate::state::AppState;
use crate::store::{accounts::Account, notifications, statuses::Status};
use std::collections::{HashMap, HashSet};

/// How often the tokens of open connections are checked. A revocation closes its streams at
/// once through its event; this catches what no event told of here (an event missed while
/// the PostgreSQL listener reconnected, a suspension, a login disabled).
const CHECK_TOKENS_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Hear this node's events and pass them on to its connections, until the bus closes.
///
/// Subscribes at once, not when first polled: the task that polls it may first spend a
/// while on other work (building HTTP clients loads the system's CA certificates), and
/// an event published meanwhile would reach no stream.
pub fn run(
    hub: actix_web::web::Data<Hub>,
    state: AppState,
) -> impl std::future::Future<Output = ()> {
    let events = state.db.events.subscribe();
    pass_on(events, hub, state)
}

async fn pass_on(
    mut events: tokio::sync::broadcast::Receiver<Event>,
    hub: actix_web::web::Data<Hub>,
    state: AppState,
) {
    use tokio::sync::broadcast::error::RecvError;
    let mut check = tokio::time::interval(CHECK_TOKENS_EVERY);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = check.tick() => {
                if let Err(e) = close_invalid(&hub, &state).await {
                    tracing::warn!("checking the tokens of streams: {e}");
                }
                continue;
            }
        };
        match event {
            Ok(event) => {
                if let Err(e) = dispatch(&hub, &state, event).await {
                    tracing::warn!("streaming an event: {e}");
                }
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!("streaming fell behind and skipped {missed} events")
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Close the connections whose token no longer holds.
async fn close_invalid(hub: &Hub, state: &AppState) -> Result<(), Error> {
    let tokens = hub.tokens();
    if tokens.is_empty() {
        return Ok(());
    }
    let open = tokens.clone();
    let valid = state
        .db
        .run(move |conn| crate::store::oauth::valid_among(conn, &open))
        .await?;
    hub.close_where(|c| {
        c.token
            .is_some_and(|t| tokens.contains(&t) && !valid.contains(&t))
    });
    Ok(())
}

/// (viewer, stream): the connections that would be sent the same thing.
type Audience = (i64, Stream);

/// The people following each stream on this node.
type Followers = HashMap<Stream, Vec<Account>>;

async fn dispatch(hub: &Hub, state: &AppState, event: Event) -> Result<(), Error> {
    if let Event::TokenRevoked { token } = event {
        hub.close_where(|c| c.token == Some(token));
        return Ok(());
    }
    let connections = hub.snapshot();
    let mut followers: Followers = HashMap::new();
    let mut counted = HashSet::new();
    for (_, connection) in &connections {
        let Some(viewer) = &connection.viewer else {
            continue;
        };
        for stream in &connection.streams {
            if counted.insert((viewer.id, stream)) {
                followers
                    .entry(stream.clone())
                    .or_default()
                    .push(viewer.clone());
            }
        }
    }
    if followers.is_empty() {
        return Ok(());
    }
    let base = state.config.base_url();
    let answers = state
        .db
        .run(move |conn| answer(conn, &base, &event, followers))
        .await?;
    for (id, connection) in connections {
        let Some(viewer) = &connection.viewer else {
            continue;
        };
        for stream in &connection.streams {
            if let Some(message) = answers.get(&(viewer.id, stream.clone())) {
                let allowed = message.event != "notification"
                    || oauth::has_scope(&connection.scopes, "read:notifications");
                if allowed {
                    hub.send(id, message.clone());
                }
            }
        }
    }
    Ok(())
}

/// The message for each audience that gets one.
fn answer(
    conn: &mut DbConn,
    base: &str,
    event: &Event,
    followers: Followers,
) -> Result<HashMap<Audience, Message>, Error> {
    match *event {
        Event::Posted { id } => posted(conn, base, (id, true), followers),
        Event::Edited { id } => posted(conn, base, (id, false), followers),
        Event::Deleted { id, boost_of } => deleted(conn, (id, boost_of), followers),
        Event::Notified { .. } | Event::FiltersChanged { .. } => {
            personal(conn, base, event, followers)
        }
        Event::TokenRevoked { .. } => Ok(HashMap::new()),
    }
}

/// `delete` for those who could see post `id` (what `boost_of` boosted, for a boost), on
/// every stream but notifications: one check for all the people of each stream.
fn deleted(
    conn: &mut DbConn,
    (id, boost_of): (i64, Option<i64>),
    followers: Followers,
) -> Result<HashMap<Audience, Message>, Error> {
    let mut answers = HashMap::new();
    for (stream, viewers) in followers {
        if stream == Stream::Notifications {
            continue;
        }
        for viewer in visibility::could_see_deleted(conn, &viewers, id, boost_of)? {
            let said = message(&stream, "delete", Some(id.to_string()));
            answers.insert((viewer, stream.clone()), said);
        }
    }
    Ok(answers)
}

/// What concerns one person only: a notification of theirs, their filters changed.
fn personal(
    conn: &mut DbConn,
    base: &str,
    event: &Event,
    followers: Followers,
) -> Result<HashMap<Audience, Message>, Error> {
    let mut answers = HashMap::new();
    for (stream, viewers) in followers {
        for viewer in viewers {
            let said = match *event {
                Event::Notified { id, account } => {
                    // Whether each connection's token may read it is checked when sending.
                    let notified = account == viewer.id
                        && matches!(stream, Stream::User | Stream::Notifications);
                    match notified {
                        true => notification(conn, base, &viewer, id)?
                            .map(|payload| ("notification", Some(payload))),
                        false => None,
                    }
                }
                Event::FiltersChanged { account } => (account == viewer.id
                    && stream == Stream::User)
                    .then_some(("filters_changed", None)),
                _ => None,
            };
            if let Some((event, payload)) = said {
                let said = message(&stream, event, payload);
                answers.insert((viewer.id, stream.clone()), said);
            }
        }
    }
    Ok(answers)
}

fn message(stream: &Stream, event: &'static str, payload: Option<String>) -> Message {
    Message {
        stream: stream.label(),
        event,
        payload,
    }
}

/// The messages for post `id`, made or (unless `new`) edited: each timeline stream asks which
/// of its followers it shows the post to, for all of them at once, and each row shown is
/// rendered once for all who are shown it.
fn posted(
    conn: &mut DbConn,
    base: &str,
    (id, new): (i64, bool),
    followers: Followers,
) -> Result<HashMap<Audience, Message>, Error> {
    let name = if new { "update" } else { "status.update" };
    let mut answers = HashMap::new();
    let mut shown: Vec<(Audience, Status)> = Vec::new();
    for (stream, viewers) in followers {
        let feed = match &stream {
            Stream::User => &Feed::Home,
            Stream::Feed { feed, .. } => feed,
            Stream::Direct if new => {
                for viewer in &viewers {
                    if let Some(payload) = conversation(conn, base, viewer, id)? {
                        let said = message(&stream, "conversation", Some(payload));
                        answers.insert((viewer.id, stream.clone()), said);
                    }
                }
                continue;
            }
            Stream::Direct | Stream::Notifications => continue,
        };
        for (viewer, row) in timelines::shown_to_each(conn, &viewers, feed, (id, new))? {
            shown.push(((viewer, stream.clone()), row));
        }
    }
    let mut rows: HashMap<i64, (&Status, Vec<i64>)> = HashMap::new();
    let mut counted = HashSet::new();
    for ((viewer, _), row) in &shown {
        let (_, viewers) = rows.entry(row.id).or_insert_with(|| (row, Vec::new()));
        if counted.insert((*viewer, row.id)) {
            viewers.push(*viewer);
        }
    }
    let mut payloads: HashMap<(i64, i64), String> = HashMap::new();
    for (row, viewers) in rows.into_values() {
        for (viewer, entity) in status::render_for_each(conn, base, &viewers, row)? {
            payloads.insert((viewer, row.id), serde_json::to_string(&entity)?);
        }
    }
    for ((viewer, stream), row) in shown {
        if let Some(payload) = payloads.get(&(viewer, row.id)) {
            let said = message(&stream, name, Some(payload.clone()));
            answers.insert((viewer, stream), said);
        }
    }
    Ok(answers)
}

/// The conversation that direct post `id` updates, as `viewer` sees it.
fn conversation(
    conn: &mut DbConn,
    base: &str,
    viewer: &Account,
    id: i64,
) -> Result<Option<String>, Error> {
    let messages = timelines::conversation_of(conn, viewer, id)?;
    if messages.is_empty() {
        return Ok(None);
    }
    let conversations = crate::api::conversations::render(conn, base, viewer, messages)?;
    Ok(conversations
        .first()
        .map(serde_json::to_string)
        .transpose()?)
}

/// Notification `id` of `viewer`, rendered as the notifications list renders it.
fn notification(
    conn: &mut DbConn,
    base: &str,
    viewer: &Account,
    id: i64,
) -> Result<Option<String>, Error> {
    let Some(row) = notifications::by_id(conn, viewer.id, id)? else {
        return Ok(None);
    };
    let rendered = crate::api::notifications::render(conn, base, viewer, &[row])?;
    Ok(rendered.first().map(serde_json::to_string).transpose()?)
}
