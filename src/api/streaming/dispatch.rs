//! What each connection is sent when an event arrives. The question "would this timeline
//! show this post to this person" is asked once per distinct (person, stream) among the
//! connections, of the timeline's own query (`service::timelines::shows`), and each post is
//! rendered once per person; connections then share the answers.

use super::hub::{Hub, Message};
use super::Stream;
use crate::db::DbConn;
use crate::error::Error;
use crate::events::Event;
use crate::service::timelines::{self, Feed};
use crate::service::{oauth, visibility};
use crate::state::AppState;
use crate::store::{accounts::Account, notifications};
use std::collections::HashMap;

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

/// Database connections one event's audiences are shared out over: at most a quarter of the
/// pool, so that a burst of events leaves the rest to requests.
fn shares(pool_size: u32) -> usize {
    (pool_size as usize / 4).clamp(1, 4)
}

async fn dispatch(hub: &Hub, state: &AppState, event: Event) -> Result<(), Error> {
    if let Event::TokenRevoked { token } = event {
        hub.close_where(|c| c.token == Some(token));
        return Ok(());
    }
    let connections = hub.snapshot();
    let mut audiences: HashMap<Audience, Account> = HashMap::new();
    for (_, connection) in &connections {
        let Some(viewer) = &connection.viewer else {
            continue;
        };
        for stream in &connection.streams {
            let key = (viewer.id, stream.clone());
            audiences.entry(key).or_insert_with(|| viewer.clone());
        }
    }
    if audiences.is_empty() {
        return Ok(());
    }
    // Shared out over a few database connections, each person's audiences together so that
    // their post is rendered once.
    let count = shares(state.config.db_pool_size);
    let mut shares: Vec<HashMap<Audience, Account>> = vec![HashMap::new(); count];
    for (key, value) in audiences {
        shares[(key.0.unsigned_abs() % count as u64) as usize].insert(key, value);
    }
    let answering = shares
        .into_iter()
        .filter(|share| !share.is_empty())
        .map(|share| {
            let (base, event) = (state.config.base_url(), event.clone());
            state.db.run(move |conn| answer(conn, &base, &event, share))
        });
    let mut answers = HashMap::new();
    for share in futures::future::join_all(answering).await {
        answers.extend(share?);
    }
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
    audiences: HashMap<Audience, Account>,
) -> Result<HashMap<Audience, Message>, Error> {
    let mut rendered: HashMap<i64, Option<String>> = HashMap::new();
    let mut answers = HashMap::new();
    for ((viewer_id, stream), viewer) in audiences {
        let said = match *event {
            Event::Posted { id } | Event::Edited { id } => {
                let new = matches!(event, Event::Posted { .. });
                let name = if new { "update" } else { "status.update" };
                let feed = match &stream {
                    Stream::User => Some(&Feed::Home),
                    Stream::Feed { feed, .. } => Some(feed),
                    _ => None,
                };
                match (&stream, feed) {
                    (Stream::Direct, _) if new => conversation(conn, base, &viewer, id)?
                        .map(|payload| ("conversation", Some(payload))),
                    (_, Some(feed)) => {
                        in_feed(conn, base, &viewer, (feed, id, new), &mut rendered)?
                            .map(|payload| (name, Some(payload)))
                    }
                    _ => None,
                }
            }
            Event::Deleted { id, boost_of } => match stream {
                Stream::Notifications => None,
                _ => visibility::could_see_deleted(conn, &viewer, id, boost_of)?
                    .then(|| ("delete", Some(id.to_string()))),
            },
            Event::Notified { id, account } => {
                // Whether each connection's token may read it is checked when sending.
                let notified =
                    account == viewer_id && matches!(stream, Stream::User | Stream::Notifications);
                match notified {
                    true => notification(conn, base, &viewer, id)?
                        .map(|payload| ("notification", Some(payload))),
                    false => None,
                }
            }
            Event::FiltersChanged { account } => (account == viewer_id && stream == Stream::User)
                .then_some(("filters_changed", None)),
            Event::TokenRevoked { .. } => None,
        };
        if let Some((event, payload)) = said {
            let label = stream.label();
            answers.insert(
                (viewer_id, stream),
                Message {
                    stream: label,
                    event,
                    payload,
                },
            );
        }
    }
    Ok(answers)
}

/// Post `id` rendered for `viewer`, if `feed` shows it to them; rendered once per viewer.
fn in_feed(
    conn: &mut DbConn,
    base: &str,
    viewer: &Account,
    (feed, id, new): (&Feed, i64, bool),
    rendered: &mut HashMap<i64, Option<String>>,
) -> Result<Option<String>, Error> {
    let shows = match new {
        true => timelines::shows_new,
        false => timelines::shows,
    };
    let shown = match shows(conn, Some(viewer), feed, id) {
        // A list that is gone (or never was the viewer's) shows nothing.
        Err(Error::NotFound) if matches!(feed, Feed::List(_)) => None,
        other => other?,
    };
    let Some(row) = shown else {
        return Ok(None);
    };
    if let Some(payload) = rendered.get(&viewer.id) {
        return Ok(payload.clone());
    }
    let entity = crate::api::entities::status::render(conn, base, Some(viewer), &[row])?;
    let payload = entity.first().map(serde_json::to_string).transpose()?;
    rendered.insert(viewer.id, payload.clone());
    Ok(payload)
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
