//! Server-rendered pages: the front page, profiles for browsers, first-run setup, and the
//! default images that keep avatar and header URLs from ever being empty.

use crate::error::Error;
use crate::protocol::accepts_activity_json;
use crate::service::setup;
use crate::state::Ctx;
use actix_web::{
    body::SizedStream,
    guard,
    http::header,
    web::{self as aw, Form, Query, ServiceConfig},
    HttpResponse,
};
use askama::Template;
use serde::Deserialize;

pub mod account;
pub mod admin;
pub mod bookmarks;
pub mod communities;
pub mod feeds;
pub mod home;
pub mod invites;
pub mod moderation;
pub mod oauth;
pub mod people;
pub mod posts;
pub mod settings;
pub mod sso;
pub mod threads;
pub mod visitor;

use visitor::{Frame, Visitor};

/// Pages, forms and images. Actor and post URLs serve pages here unless the request asks for
/// ActivityStreams JSON, which the federation door answers.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.route("/", aw::get().to(home))
        .route("/sign-in", aw::get().to(account::sign_in_form))
        .route("/sign-in", aw::post().to(account::sign_in))
        .route("/sign-in/sso", aw::get().to(sso::start))
        .route("/sign-in/sso/callback", aw::get().to(sso::callback))
        .route("/sign-out", aw::post().to(account::sign_out))
        .route("/sign-up", aw::get().to(account::sign_up_form))
        .route("/sign-up", aw::post().to(account::sign_up))
        .route("/home", aw::get().to(home::feed))
        .route("/notifications", aw::get().to(home::notifications))
        .route("/bookmarks", aw::get().to(bookmarks::list))
        .route("/bookmarks/{id:[0-9]+}", aw::post().to(bookmarks::annotate))
        .route("/admin", aw::get().to(admin::page))
        .route("/admin/{what}", aw::post().to(admin::decide))
        .route("/settings/password", aw::get().to(settings::password_form))
        .route(
            "/settings/password",
            aw::post().to(settings::change_password),
        )
        .route("/settings/delete", aw::post().to(settings::delete_account))
        .route("/settings/export/{file}", aw::get().to(settings::export))
        .route("/settings/import", aw::post().to(settings::import))
        .route(
            "/settings/{what:aliases|move}",
            aw::post().to(settings::moving),
        )
        .route("/setup", aw::get().to(setup_form))
        .route("/setup", aw::post().to(setup_submit))
        .route("/invite/{token}", aw::get().to(invites::invite_form))
        .route("/invite/{token}", aw::post().to(invites::invite_submit))
        .route("/invite/{token}/sign-up", aw::post().to(invites::sign_up))
        .route("/oauth/authorize", aw::get().to(oauth::authorize_form))
        .route("/oauth/authorize", aw::post().to(oauth::authorize))
        .service(
            aw::resource("/users/{name}")
                .guard(page())
                .get(people::person),
        )
        .route("/accounts/{id}", aw::get().to(people::account))
        .route("/accounts/{id}/{verb}", aw::post().to(people::follow))
        .route("/search", aw::get().to(people::search))
        .service(
            aw::resource("/c/{name}")
                .guard(page())
                .get(communities::community),
        )
        .route(
            "/c/{name}/threads",
            aw::post().to(communities::start_thread),
        )
        .route("/c/{name}/moderation", aw::get().to(moderation::page))
        .route(
            "/c/{name}/moderation/{what}",
            aw::post().to(moderation::decide),
        )
        .route(
            "/c/{name}/moderation/{what}/{id}",
            aw::post().to(moderation::decide),
        )
        .route("/c/{name}/log", aw::get().to(moderation::log))
        .route("/c/{name}/export", aw::get().to(moderation::export))
        .route("/c/{name}/{verb}", aw::post().to(communities::membership))
        .service(
            aw::resource("/statuses/{id}")
                .guard(page())
                .get(threads::thread),
        )
        .route("/statuses/{id}/reply", aw::post().to(threads::reply))
        .route("/statuses/{id}/edit", aw::get().to(threads::edit_form))
        .route("/statuses/{id}/edit", aw::post().to(threads::edit))
        .route("/statuses/{id}/{verb}", aw::post().to(threads::act))
        .route("/feeds/users/{name}.atom", aw::get().to(feeds::person))
        .route("/feeds/c/{name}.atom", aw::get().to(feeds::community))
        .route("/feeds/tags/{tag}.atom", aw::get().to(feeds::tag))
        .route("/media/{name}", aw::get().to(media))
        .route("/static/guild.css", aw::get().to(stylesheet))
        .route("/static/avatar.png", aw::get().to(avatar_png))
        .route("/static/header.png", aw::get().to(header_png))
        .route("/static/thumbnail.png", aw::get().to(thumbnail_png));
}

/// Requests for a page rather than ActivityStreams JSON.
fn page() -> impl guard::Guard {
    guard::fn_guard(|ctx| !accepts_activity_json(ctx.head().headers()))
}

const AVATAR_PNG: &[u8] = include_bytes!("static/avatar.png");
const HEADER_PNG: &[u8] = include_bytes!("static/header.png");
const THUMBNAIL_PNG: &[u8] = include_bytes!("static/thumbnail.png");
const STYLESHEET: &str = include_str!("static/guild.css");

fn png(bytes: &'static [u8]) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(bytes)
}

/// `GET /media/{key}`: a kept file, streamed from the file store as it is read, with ranges
/// (video players seek, and Safari plays video only so). Keys are made by Guild
/// (`service::media`), so anything else is a 404 and no path can leave the file store. A file
/// never changes under its key; documents a browser should not open are offered as downloads.
pub async fn media(
    ctx: Ctx,
    req: actix_web::HttpRequest,
    key: actix_web::web::Path<String>,
) -> Result<HttpResponse, Error> {
    use actix_web::http::header::{ContentDisposition, DispositionType};
    let content_type = crate::service::media::stored_type(&key).ok_or(Error::NotFound)?;
    let mut response = match one_range(&req) {
        None => {
            let file = ctx.files.get(&key, None).await?;
            HttpResponse::Ok().body(SizedStream::new(file.len, file.bytes))
        }
        Some(spec) => {
            let size = ctx.files.size(&key).await?;
            let Some((first, last)) = spec.to_satisfiable_range(size) else {
                return Ok(HttpResponse::RangeNotSatisfiable()
                    .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                    .finish());
            };
            let file = ctx.files.get(&key, Some(first..last + 1)).await?;
            HttpResponse::PartialContent()
                .insert_header((
                    header::CONTENT_RANGE,
                    format!("bytes {first}-{last}/{size}"),
                ))
                .body(SizedStream::new(file.len, file.bytes))
        }
    };
    let disposition = match crate::service::media::served_as_download(content_type) {
        true => DispositionType::Attachment,
        false => DispositionType::Inline,
    };
    let headers = response.headers_mut();
    let value = header::HeaderValue::from_static;
    headers.insert(header::CONTENT_TYPE, value(content_type));
    let disposition = ContentDisposition {
        disposition,
        parameters: Vec::new(),
    };
    if let Ok(disposition) = disposition.to_string().parse() {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    headers.insert(header::ACCEPT_RANGES, value("bytes"));
    headers.insert(
        header::CACHE_CONTROL,
        value("public, max-age=31536000, immutable"),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, value("nosniff"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        value("default-src 'none'; sandbox"),
    );
    Ok(response)
}

/// The one byte range a request asks for. Several ranges at once are answered with the whole
/// file, which HTTP allows; players ask for one. A range that ends before it starts is not a
/// range at all (RFC 9110 14.1.1), so it too is answered with the whole file.
fn one_range(req: &actix_web::HttpRequest) -> Option<header::ByteRangeSpec> {
    use actix_web::http::header::{ByteRangeSpec, Header, Range};
    match Range::parse(req) {
        Ok(Range::Bytes(mut specs)) if specs.len() == 1 => match specs.pop() {
            Some(ByteRangeSpec::FromTo(first, last)) if last < first => None,
            spec => spec,
        },
        _ => None,
    }
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}

pub async fn avatar_png() -> HttpResponse {
    png(AVATAR_PNG)
}

pub async fn header_png() -> HttpResponse {
    png(HEADER_PNG)
}

pub async fn thumbnail_png() -> HttpResponse {
    png(THUMBNAIL_PNG)
}

/// The page that shows an OAuth code to copy into an app without a callback.
pub fn code_page(ctx: &Ctx, visitor: &Visitor, code: &str) -> Result<HttpResponse, Error> {
    message(
        ctx,
        visitor,
        actix_web::http::StatusCode::OK,
        "Authorization code",
        &format!("Copy this code into the app: {code}"),
    )
}

/// What a page may load: its own stylesheet, and images from anywhere (posts from other
/// servers show their images where they are). No script runs, and nothing embeds a page.
/// `form-action` is left out because the OAuth form ends in a redirect to the app, which
/// browsers would check against it.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; img-src * data:; \
     media-src *; frame-ancestors 'none'; base-uri 'none'";

/// The cursor of a page further down a list: items older than `max_id`.
#[derive(Deserialize)]
pub struct Older {
    #[serde(default)]
    pub max_id: Option<i64>,
}

/// A failed page, shown as a page (the API's errors are JSON).
#[derive(Debug)]
pub struct PageError(Error);

impl<E> From<E> for PageError
where
    Error: From<E>,
{
    fn from(e: E) -> PageError {
        PageError(Error::from(e))
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Template)]
#[template(path = "error.html", config = "src/web/askama.toml")]
struct ErrorPage<'a> {
    heading: &'a str,
    message: &'a str,
    sign_in: bool,
}

impl actix_web::ResponseError for PageError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        use actix_web::http::StatusCode;
        let status = self.status_code();
        let message = match &self.0 {
            Error::Internal(cause) => {
                tracing::error!("{cause:#}");
                "Something went wrong on our side. Try again in a moment.".to_string()
            }
            Error::NotFound => "There is nothing here, or it is not shown to you.".into(),
            e => e.to_string(),
        };
        let heading = match status {
            StatusCode::NOT_FOUND | StatusCode::GONE => "Not found",
            StatusCode::UNAUTHORIZED => "Sign in",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::TOO_MANY_REQUESTS => "Wait a moment",
            s if s.is_server_error() => "Error",
            _ => "Cannot do that",
        };
        let page = ErrorPage {
            heading,
            message: &message,
            sign_in: status == StatusCode::UNAUTHORIZED,
        };
        let mut response = html(status, &page).unwrap_or_else(|e| e.error_response());
        if let Error::SlowDown(seconds) = &self.0 {
            if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// Render a page with the headers every page gets.
pub fn html<T: Template>(
    status: actix_web::http::StatusCode,
    page: &T,
) -> Result<HttpResponse, Error> {
    let body = page.render().map_err(|e| Error::caused_by("template", e))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_POLICY))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body))
}

#[derive(Template)]
#[template(path = "home.html", config = "src/web/askama.toml")]
struct HomePage<'a> {
    frame: Frame,
    description: &'a str,
    domain: &'a str,
    users: i64,
    posts: i64,
    communities: Vec<communities::CommunityCard>,
}

/// `GET /`: the instance and its communities.
pub async fn home(ctx: Ctx, visitor: Visitor) -> Result<HttpResponse, PageError> {
    let stats = ctx.stats.get(&ctx.db).await?;
    let reader = visitor.signed_in.as_ref().map(|s| s.account.clone());
    let listed = ctx
        .db
        .run(move |conn| communities::listed(conn, reader.as_ref()))
        .await?;
    Ok(visitor.ok(&HomePage {
        frame: visitor.frame(&ctx),
        description: &ctx.config.instance_description,
        domain: &ctx.config.domain,
        users: stats.users,
        posts: stats.local_posts,
        communities: listed,
    })?)
}

#[derive(Template)]
#[template(path = "setup.html", config = "src/web/askama.toml")]
struct SetupPage<'a> {
    frame: Frame,
    domain: &'a str,
    token: &'a str,
    username: &'a str,
    email: &'a str,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html", config = "src/web/askama.toml")]
pub(crate) struct MessagePage<'a> {
    pub(crate) frame: Frame,
    pub(crate) heading: &'a str,
    pub(crate) message: &'a str,
}

pub(crate) fn message(
    ctx: &Ctx,
    visitor: &Visitor,
    status: actix_web::http::StatusCode,
    heading: &str,
    text: &str,
) -> Result<HttpResponse, Error> {
    visitor.page(
        status,
        &MessagePage {
            frame: visitor.frame(ctx),
            heading,
            message: text,
        },
    )
}

#[derive(Deserialize)]
pub struct SetupQuery {
    #[serde(default)]
    token: String,
}

fn invalid_setup_link(ctx: &Ctx, visitor: &Visitor) -> Result<HttpResponse, Error> {
    message(
        ctx,
        visitor,
        actix_web::http::StatusCode::FORBIDDEN,
        "Setup link not valid",
        "This setup link has been used or replaced. If no administrator exists yet, restart \
         the server and use the new link from its log.",
    )
}

/// `GET /setup?token=…`: the first-run form.
pub async fn setup_form(
    ctx: Ctx,
    visitor: Visitor,
    query: Query<SetupQuery>,
) -> Result<HttpResponse, Error> {
    let token = query.into_inner().token;
    let check = token.clone();
    if !ctx
        .db
        .run(move |conn| setup::token_is_valid(conn, &check))
        .await?
    {
        return invalid_setup_link(&ctx, &visitor);
    }
    visitor.ok(&SetupPage {
        frame: visitor.frame(&ctx),
        domain: &ctx.config.domain,
        token: &token,
        username: "",
        email: "",
        error: None,
    })
}

#[derive(Deserialize)]
pub struct SetupSubmission {
    #[serde(default)]
    csrf: String,
    token: String,
    username: String,
    email: String,
    password: String,
}

/// `POST /setup`: create the admin.
pub async fn setup_submit(
    ctx: Ctx,
    visitor: Visitor,
    form: Form<SetupSubmission>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    visitor.check_form(&form.csrf)?;
    let config = ctx.config.clone();
    let (token, username, email, password) = (
        form.token.clone(),
        form.username.trim().to_string(),
        form.email.trim().to_string(),
        form.password,
    );
    let result = ctx
        .db
        .run(move |conn| setup::complete_setup(conn, &config, &token, &username, &email, &password))
        .await;
    let page = match result {
        Ok(()) => message(
            &ctx,
            &visitor,
            actix_web::http::StatusCode::OK,
            "Administrator created",
            "You can now sign in with this account here or from any Mastodon-compatible app.",
        ),
        Err(Error::Forbidden(_)) => invalid_setup_link(&ctx, &visitor),
        Err(Error::Unprocessable(why) | Error::Conflict(why)) => visitor.page(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            &SetupPage {
                frame: visitor.frame(&ctx),
                domain: &ctx.config.domain,
                token: &form.token,
                username: form.username.trim(),
                email: form.email.trim(),
                error: Some(why),
            },
        ),
        Err(e) => Err(e),
    };
    Ok(page?)
}
