//! The streaming API: live timelines and notifications over WebSocket
//! (`/api/v1/streaming`, several streams per connection) and server-sent events
//! (`/api/v1/streaming/user` and the like, one stream each). Connections are kept in the
//! [`hub::Hub`]; [`dispatch`] decides what each is sent when an [`crate::events::Event`]
//! arrives, asking the same services as the timelines.

pub mod dispatch;
pub mod hub;
mod sse;
mod websocket;

use crate::error::Error;
use crate::service::oauth::{self, Authenticated};
use crate::service::timelines::Feed;
use crate::state::Ctx;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
pub use hub::Hub;
use serde::Deserialize;

/// One stream a connection follows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Stream {
    /// `user`: the home timeline, notifications and filter changes.
    User,
    /// `user:notification`
    Notifications,
    /// `direct`: conversations.
    Direct,
    /// `public…`, `hashtag…`, `list`: a timeline, under the name the client used.
    Feed { name: String, feed: Feed },
}

impl Stream {
    /// The stream a client names, with its `tag` or `list` where it needs one.
    pub fn parse(name: &str, tag: Option<&str>, list: Option<&str>) -> Result<Stream, Error> {
        let unknown = || Error::BadRequest(format!("Unknown stream type {name:?}"));
        let feed = match name {
            "user" => return Ok(Stream::User),
            "user:notification" => return Ok(Stream::Notifications),
            "direct" => return Ok(Stream::Direct),
            "hashtag" | "hashtag:local" => {
                let tag = tag.map(|t| t.trim_start_matches('#').to_lowercase());
                Feed::Tag {
                    tag: tag
                        .filter(|t| !t.is_empty())
                        .ok_or_else(|| Error::BadRequest("No tag for stream provided".into()))?,
                    local: (name == "hashtag:local").then_some(true),
                    only_media: false,
                }
            }
            "list" => Feed::List(
                list.and_then(|l| l.parse().ok())
                    .ok_or_else(|| Error::BadRequest("No list for stream provided".into()))?,
            ),
            _ => {
                let rest = name.strip_prefix("public").ok_or_else(unknown)?;
                let (rest, only_media) = match rest.strip_suffix(":media") {
                    Some(rest) => (rest, true),
                    None => (rest, false),
                };
                let local = match rest {
                    "" => None,
                    ":local" => Some(true),
                    ":remote" => Some(false),
                    _ => return Err(unknown()),
                };
                Feed::Public { local, only_media }
            }
        };
        Ok(Stream::Feed {
            name: name.to_string(),
            feed,
        })
    }

    /// The `stream` field of its events: its name, and its tag or list.
    pub fn label(&self) -> Vec<String> {
        match self {
            Stream::User => vec!["user".into()],
            Stream::Notifications => vec!["user:notification".into()],
            Stream::Direct => vec!["direct".into()],
            Stream::Feed { name, feed } => match feed {
                Feed::Tag { tag, .. } => vec![name.clone(), tag.clone()],
                Feed::List(id) => vec![name.clone(), id.to_string()],
                _ => vec![name.clone()],
            },
        }
    }

    /// The scope a token needs to follow it.
    fn scope(&self) -> &'static str {
        match self {
            Stream::Notifications => "read:notifications",
            Stream::Feed {
                feed: Feed::List(_),
                ..
            } => "read:lists",
            _ => "read:statuses",
        }
    }
}

/// Who a streaming request speaks for: a user token, from the `Authorization` header, the
/// `access_token` parameter, or `Sec-WebSocket-Protocol` (where browsers must put it).
/// Streams need a user token, as in Mastodon since 4.2.
async fn authenticate(ctx: &Ctx, req: &HttpRequest) -> Result<Authenticated, Error> {
    let token = token_of(req).ok_or_else(|| Error::Unauthorized("Missing access token".into()))?;
    let auth = crate::api::auth::check_token(ctx, req, token).await?;
    if auth.account.is_none() {
        return Err(Error::Unauthorized("Streams need a user token".into()));
    }
    Ok(auth)
}

pub(crate) fn token_of(req: &HttpRequest) -> Option<String> {
    let headers = req.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    let query = || {
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned())
    };
    bearer
        .map(|t| t.trim().to_string())
        .or_else(query)
        .or_else(|| offered_protocol(req))
        .filter(|t| !t.is_empty())
}

/// The first subprotocol a WebSocket handshake offers: where a browser puts the token.
fn offered_protocol(req: &HttpRequest) -> Option<String> {
    let offered = req.headers().get(header::SEC_WEBSOCKET_PROTOCOL)?;
    let first = offered.to_str().ok()?.split(',').next()?.trim();
    Some(first.to_string())
}

/// Check that `auth` may follow `stream` (scope; a list must be the viewer's).
async fn allow(ctx: &Ctx, auth: &Authenticated, stream: &Stream) -> Result<(), Error> {
    if !oauth::has_scope(&auth.token.scopes, stream.scope()) {
        return Err(Error::Forbidden(format!(
            "Stream {:?} needs the {} scope",
            stream.label()[0],
            stream.scope()
        )));
    }
    if let (
        Stream::Feed {
            feed: Feed::List(id),
            ..
        },
        Some(viewer),
    ) = (stream, &auth.account)
    {
        let (id, owner) = (*id, viewer.id);
        ctx.db
            .run(move |conn| crate::service::lists::owned(conn, owner, id).map(|_| ()))
            .await?;
    }
    Ok(())
}

/// Take a connection for `auth`, or say why not.
fn join(
    hub: &Hub,
    auth: &Authenticated,
) -> Result<(u64, tokio::sync::mpsc::Receiver<hub::Message>), Error> {
    let scopes = auth.token.scopes.clone();
    Ok(hub.join(auth.account.clone(), Some(auth.token.id), scopes)?)
}

impl From<hub::Refused> for Error {
    fn from(refused: hub::Refused) -> Error {
        use hub::Refused;
        tracing::info!("refused a stream connection or subscription: {refused:?}");
        match refused {
            Refused::Closing => Error::Unavailable("This server is stopping".into()),
            Refused::TooManyStreams => Error::Unprocessable(format!(
                "A connection follows at most {} streams",
                hub::STREAMS_PER_CONNECTION
            )),
            Refused::TooManyForToken | Refused::TooManyForAccount | Refused::Full => {
                Error::TooManyRequests
            }
        }
    }
}

#[derive(Deserialize)]
pub struct StreamParams {
    stream: Option<String>,
    tag: Option<String>,
    list: Option<String>,
    only_media: Option<String>,
}

impl StreamParams {
    /// The stream named by the path of a server-sent events URL (`user/notification`), or by
    /// the `stream` parameter; `only_media` picks the media-only public streams.
    fn stream(&self, path: Option<&str>) -> Result<Stream, Error> {
        let mut name = match path {
            Some(path) => path.replace('/', ":"),
            None => self
                .stream
                .clone()
                .ok_or_else(|| Error::BadRequest("No stream named".into()))?,
        };
        let media = matches!(self.only_media.as_deref(), Some("true" | "1"));
        if media && name.starts_with("public") && !name.ends_with(":media") {
            name.push_str(":media");
        }
        Stream::parse(&name, self.tag.as_deref(), self.list.as_deref())
    }
}

/// `GET /api/v1/streaming`: a WebSocket, or server-sent events of the `stream` parameter.
pub async fn root(
    ctx: Ctx,
    hub: web::Data<Hub>,
    req: HttpRequest,
    body: web::Payload,
    params: web::Query<StreamParams>,
) -> Result<HttpResponse, Error> {
    let upgrade = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if upgrade {
        websocket::open(ctx, hub, req, body, params.into_inner()).await
    } else {
        let stream = params.stream(None)?;
        sse::open(ctx, hub, req, stream).await
    }
}

/// `GET /api/v1/streaming/{stream}`: server-sent events of one stream.
pub async fn events(
    ctx: Ctx,
    hub: web::Data<Hub>,
    req: HttpRequest,
    path: web::Path<String>,
    params: web::Query<StreamParams>,
) -> Result<HttpResponse, Error> {
    let stream = params.stream(Some(&path))?;
    sse::open(ctx, hub, req, stream).await
}

/// `GET /api/v1/streaming/health`
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("OK")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_as_mastodon_spells_them() {
        let public = |local, only_media| Feed::Public { local, only_media };
        for (name, feed) in [
            ("public", public(None, false)),
            ("public:media", public(None, true)),
            ("public:local", public(Some(true), false)),
            ("public:remote:media", public(Some(false), true)),
        ] {
            let stream = Stream::parse(name, None, None).unwrap();
            assert_eq!(
                stream,
                Stream::Feed {
                    name: name.into(),
                    feed
                }
            );
            assert_eq!(stream.label(), vec![name.to_string()]);
        }
        let tag = Stream::parse("hashtag:local", Some("#Rust"), None).unwrap();
        assert_eq!(tag.label(), vec!["hashtag:local", "rust"]);
        assert!(Stream::parse("hashtag", None, None).is_err());
        assert_eq!(
            Stream::parse("list", None, Some("12")).unwrap().label(),
            vec!["list", "12"]
        );
        assert!(Stream::parse("public:elsewhere", None, None).is_err());
        assert_eq!(Stream::parse("user", None, None).unwrap(), Stream::User);
    }
}
