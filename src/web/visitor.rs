//! Who is looking at a page: the signed-in person from the session cookie, and the token that
//! every form carries against cross-site request forgery.
//!
//! Forms are guarded twice. A browser sends `Origin` with every form it posts, and a form
//! from another site is refused by it. And each form carries the value of a cookie that only
//! this site's pages can read (the double-submit pattern): another site can make a browser
//! post, but cannot know the value to put in the form. Behind HTTPS both cookies carry the
//! `__Host-` prefix, so a neighbouring subdomain cannot plant them.

use crate::error::Error;
use crate::service::web_sessions::{self, SignedIn};
use crate::state::{AppState, Ctx};
use activitypub_federation::config::Data;
use actix_web::{
    cookie::{time::Duration, Cookie, SameSite},
    dev::Payload,
    http::{header, StatusCode},
    FromRequest, HttpRequest, HttpResponse,
};
use askama::Template;
use futures::future::LocalBoxFuture;

/// How long a browser keeps the session cookie; the session itself ends sooner when unused.
const SESSION_COOKIE_DAYS: i64 = 30;

/// A form that carries nothing but its token: a button.
#[derive(serde::Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

pub struct Visitor {
    pub signed_in: Option<SignedIn>,
    /// The client's address, which failed sign-ins are counted under.
    pub address: String,
    csrf: String,
    /// The browser had no CSRF cookie: the response sets one.
    new_csrf: bool,
    /// `Origin` or `Sec-Fetch-Site` says the request came from another site.
    cross_site: bool,
    secure: bool,
}

/// What every page's frame shows: the instance, who is signed in, and the token for forms.
pub struct Frame {
    pub instance_name: String,
    /// The signed-in person's name.
    pub me: Option<String>,
    /// The signed-in person administers the instance.
    pub admin: bool,
    /// People may sign up here.
    pub sign_up: bool,
    pub csrf: String,
}

fn cookie_name(secure: bool, name: &'static str) -> &'static str {
    match (secure, name) {
        (true, "session") => "__Host-guild_session",
        (true, _) => "__Host-guild_csrf",
        (false, "session") => "guild_session",
        (false, _) => "guild_csrf",
    }
}

fn cookie(secure: bool, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(cookie_name(secure, name), value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}

/// Whether the request says it came from a page of another site. A page's own origin is the
/// instance's address, or whatever host the browser used to reach it (`127.0.0.1:8080` for a
/// server that calls itself `localhost:8080`): a page of another site cannot send that host's
/// origin.
fn from_another_site(req: &HttpRequest, base_url: &str) -> bool {
    let headers = req.headers();
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
    };
    let host = text(header::HOST);
    let own = |origin: &str| {
        let origin_host = origin.split_once("://").map(|(_, host)| host);
        origin == base_url || (origin_host.is_some() && origin_host == host)
    };
    let origin = text(header::ORIGIN);
    origin.is_some_and(|o| !own(o))
        || text(header::HeaderName::from_static("sec-fetch-site")) == Some("cross-site")
}

impl Visitor {
    async fn extract(req: HttpRequest) -> Result<Visitor, Error> {
        let ctx = Data::<AppState>::extract(&req)
            .await
            .map_err(|e| Error::internal(format!("no app state: {e}")))?;
        let secure = ctx.config.scheme() == "https";
        let signed_in = match req.cookie(cookie_name(secure, "session")) {
            Some(session) => {
                let token = session.value().to_string();
                ctx.db
                    .run(move |conn| web_sessions::current(conn, &token))
                    .await?
            }
            None => None,
        };
        let existing = req
            .cookie(cookie_name(secure, "csrf"))
            .map(|c| c.value().to_string())
            .filter(|v| v.len() == 64);
        Ok(Visitor {
            signed_in,
            address: crate::client_address::of(&req),
            new_csrf: existing.is_none(),
            csrf: existing.unwrap_or_else(crate::crypto::random_token),
            cross_site: from_another_site(&req, &ctx.config.base_url()),
            secure,
        })
    }

    pub fn frame(&self, ctx: &Ctx) -> Frame {
        Frame {
            instance_name: ctx.config.instance_name.clone(),
            me: self.signed_in.as_ref().map(|s| s.account.username.clone()),
            admin: self
                .signed_in
                .as_ref()
                .is_some_and(|s| s.user.role == crate::domain::Role::Admin),
            sign_up: crate::service::web_sessions::sign_up_open(&ctx.config),
            csrf: self.csrf.clone(),
        }
    }

    /// Refuse a form that came from another site or without this browser's token.
    pub fn check_form(&self, token: &str) -> Result<(), Error> {
        let matches =
            !self.new_csrf && crate::crypto::same_secret(token.as_bytes(), self.csrf.as_bytes());
        if self.cross_site || !matches {
            return Err(Error::Forbidden(
                "This form was sent from another site or has expired. Go back, reload the \
                 page and send it again."
                    .into(),
            ));
        }
        Ok(())
    }

    /// The signed-in person, or a refusal that asks to sign in.
    pub fn person(&self) -> Result<&SignedIn, Error> {
        self.signed_in
            .as_ref()
            .ok_or_else(|| Error::Unauthorized("Sign in to do this.".into()))
    }

    /// `page` with the given status, setting the form cookie where the browser has none.
    pub fn page<T: Template>(&self, status: StatusCode, page: &T) -> Result<HttpResponse, Error> {
        let mut response = super::html(status, page)?;
        self.keep_csrf(&mut response);
        Ok(response)
    }

    pub fn ok<T: Template>(&self, page: &T) -> Result<HttpResponse, Error> {
        self.page(StatusCode::OK, page)
    }

    fn keep_csrf(&self, response: &mut HttpResponse) {
        if self.new_csrf {
            let csrf = cookie(self.secure, "csrf", self.csrf.clone());
            // Only fails for a malformed cookie, which this one is not.
            let _ = response.add_cookie(&csrf);
        }
    }

    /// A redirect to `location` after a form.
    pub fn see_other(&self, location: &str) -> HttpResponse {
        let mut response = HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .finish();
        self.keep_csrf(&mut response);
        response
    }

    /// A secret of this browser (its form cookie's value), which a sign-in through the
    /// identity provider is bound to.
    pub fn browser_secret(&self) -> &str {
        &self.csrf
    }

    /// `response` with the cookie of the session `token`, which the browser keeps for 30 days.
    pub fn signed_in_as(&self, mut response: HttpResponse, token: String) -> HttpResponse {
        let mut session = cookie(self.secure, "session", token);
        session.set_max_age(Duration::days(SESSION_COOKIE_DAYS));
        let _ = response.add_cookie(&session);
        self.keep_csrf(&mut response);
        response
    }

    /// `response` that removes the session cookie.
    pub fn signed_out(&self, mut response: HttpResponse) -> HttpResponse {
        let _ = response.add_removal_cookie(&cookie(self.secure, "session", String::new()));
        response
    }
}

impl FromRequest for Visitor {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(Visitor::extract(req.clone()))
    }
}
