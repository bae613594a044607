//! Streams as server-sent events: one stream per request, a comment every 15 seconds so
//! that proxies keep an idle connection open.

use super::hub::{Hub, Message};
use super::{allow, authenticate, join, Stream};
use crate::error::Error;
use crate::state::Ctx;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use bytes::Bytes;
use std::sync::Arc;

const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(15);

pub async fn open(
    ctx: Ctx,
    hub: web::Data<Hub>,
    req: HttpRequest,
    stream: Stream,
) -> Result<HttpResponse, Error> {
    let auth = authenticate(&ctx, &req).await?;
    allow(&ctx, &auth, &stream).await?;
    let (id, receiver) = join(&hub, &auth)?;
    hub.subscribe(id, stream)?;
    let leave = Leave {
        hub: hub.into_inner(),
        id,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // Compressing would hold events back until a block fills.
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body(receiver, leave)))
}

/// Leaves the hub when the response is dropped: the client went away.
struct Leave {
    hub: Arc<Hub>,
    id: u64,
}

impl Drop for Leave {
    fn drop(&mut self) {
        self.hub.leave(self.id);
    }
}

fn body(
    receiver: tokio::sync::mpsc::Receiver<Message>,
    leave: Leave,
) -> impl futures::Stream<Item = Result<Bytes, Error>> {
    let mut heartbeat = tokio::time::interval(HEARTBEAT_EVERY);
    heartbeat.reset();
    let opening = futures::stream::once(async { Ok(Bytes::from_static(b":)\n\n")) });
    let events = futures::stream::unfold(
        (receiver, heartbeat, leave),
        |(mut receiver, mut heartbeat, leave)| async move {
            let chunk = tokio::select! {
                message = receiver.recv() => event(&message?),
                _ = heartbeat.tick() => Bytes::from_static(b":thump\n\n"),
            };
            Some((Ok(chunk), (receiver, heartbeat, leave)))
        },
    );
    futures::StreamExt::chain(opening, events)
}

fn event(message: &Message) -> Bytes {
    let data = message.payload.as_deref().unwrap_or_default();
    Bytes::from(format!("event: {}\ndata: {data}\n\n", message.event))
}
