//! Streams over a WebSocket: several per connection, chosen by the `stream` parameter and by
//! `subscribe` and `unsubscribe` messages; pinged every 30 seconds so that proxies keep an
//! idle connection open.

use super::hub::{Hub, Message};
use super::{allow, authenticate, join, Stream, StreamParams};
use crate::error::Error;
use crate::service::oauth::Authenticated;
use crate::state::Ctx;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

const PING_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Largest message a client may send: commands are a few dozen bytes.
const MAX_FRAME: usize = 16 * 1024;

pub async fn open(
    ctx: Ctx,
    hub: web::Data<Hub>,
    req: HttpRequest,
    body: web::Payload,
    params: StreamParams,
) -> Result<HttpResponse, Error> {
    let auth = authenticate(&ctx, &req).await?;
    let first = match params.stream {
        Some(_) => Some(params.stream(None)?),
        None => None,
    };
    if let Some(stream) = &first {
        allow(&ctx, &auth, stream).await?;
    }
    // A browser can send its token only as a subprotocol; the handshake must name it back.
    let offered = super::offered_protocol(&req);
    let protocols: Vec<&str> = offered.iter().map(String::as_str).collect();
    let (response, session, messages) = actix_ws::handle_with_protocols(&req, body, &protocols)
        .map_err(|e| Error::BadRequest(format!("not a WebSocket handshake: {e}")))?;
    let (id, receiver) = join(&hub, &auth)?;
    if let Some(stream) = first {
        hub.subscribe(id, stream)?;
    }
    let messages = messages.max_frame_size(MAX_FRAME);
    actix_web::rt::spawn(serve(ctx, hub, auth, id, (session, messages, receiver)));
    Ok(response)
}

type Channels = (
    actix_ws::Session,
    actix_ws::MessageStream,
    tokio::sync::mpsc::Receiver<Message>,
);

async fn serve(
    ctx: Ctx,
    hub: web::Data<Hub>,
    auth: Authenticated,
    id: u64,
    (mut session, mut messages, mut receiver): Channels,
) {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            out = receiver.recv() => match out {
                Some(message) => {
                    if session.text(frame(&message)).await.is_err() {
                        break;
                    }
                }
                // The hub let the connection go: token revoked, too slow, or shutting down.
                None => break,
            },
            incoming = messages.recv() => match incoming {
                Some(Ok(actix_ws::Message::Text(text))) => {
                    if let Err(e) = command(&ctx, &hub, &auth, id, &text).await {
                        let status = actix_web::ResponseError::status_code(&e).as_u16();
                        let error = json!({ "error": e.to_string(), "status": status });
                        if session.text(error.to_string()).await.is_err() {
                            break;
                        }
                    }
                }
                Some(Ok(actix_ws::Message::Ping(bytes))) => {
                    if session.pong(&bytes).await.is_err() {
                        break;
                    }
                }
                Some(Ok(actix_ws::Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if session.ping(b"").await.is_err() {
                    break;
                }
            }
        }
    }
    hub.leave(id);
    let _ = session.close(None).await;
}

/// An event as Mastodon frames it: the payload is a JSON string inside the JSON.
fn frame(message: &Message) -> String {
    let mut frame = json!({ "stream": message.stream, "event": message.event });
    if let Some(payload) = &message.payload {
        frame["payload"] = json!(payload);
    }
    frame.to_string()
}

#[derive(Deserialize)]
struct Command {
    #[serde(rename = "type")]
    kind: String,
    stream: String,
    tag: Option<String>,
    list: Option<serde_json::Value>,
}

/// `{"type":"subscribe"|"unsubscribe","stream":…,"tag"|"list":…}`
async fn command(
    ctx: &Ctx,
    hub: &Hub,
    auth: &Authenticated,
    id: u64,
    text: &str,
) -> Result<(), Error> {
    let command: Command = serde_json::from_str(text)
        .map_err(|e| Error::BadRequest(format!("Unreadable message: {e}")))?;
    let list = command.list.as_ref().map(|l| match l {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let stream = Stream::parse(&command.stream, command.tag.as_deref(), list.as_deref())?;
    match command.kind.as_str() {
        "subscribe" => {
            allow(ctx, auth, &stream).await?;
            hub.subscribe(id, stream)?;
        }
        "unsubscribe" => hub.unsubscribe(id, &stream),
        other => {
            return Err(Error::BadRequest(format!("Unknown message type {other:?}")));
        }
    }
    Ok(())
}
