//! Signing in and out, and signing up, in a browser.

use super::visitor::{CsrfOnly, Frame, Visitor};
use super::PageError;
use crate::config::Registrations;
use crate::error::Error;
use crate::service::web_sessions::{self, SignedUp};
use crate::state::Ctx;
use actix_web::{
    http::StatusCode,
    web::{Form, Query},
    HttpResponse,
};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "sign_in.html", config = "src/web/askama.toml")]
struct SignInPage<'a> {
    frame: Frame,
    next: &'a str,
    username: &'a str,
    choices: SignInChoices,
    error: Option<String>,
}

/// The ways to sign in that a page offers.
pub struct SignInChoices {
    pub passwords: bool,
    pub provider: Option<ProviderLink>,
}

/// Signing in through the organisation's identity provider, then on to a page.
pub struct ProviderLink {
    pub name: String,
    pub href: String,
}

/// The ways to sign in here; signing in through the provider comes back to `next`.
pub(super) fn sign_in_choices(ctx: &Ctx, next: &str) -> SignInChoices {
    let provider = ctx.sso.as_ref().map(|sso| ProviderLink {
        name: sso.name().to_string(),
        href: format!(
            "/sign-in/sso?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("next", local_path(next))
                .finish()
        ),
    });
    SignInChoices {
        passwords: ctx.config.password_sign_in,
        provider,
    }
}

#[derive(Deserialize)]
pub struct Next {
    #[serde(default)]
    pub(super) next: String,
}

/// Where to go after signing in: a path on this site, never another site.
pub(super) fn local_path(next: &str) -> &str {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if local {
        next
    } else {
        "/"
    }
}

fn sign_in_page(
    ctx: &Ctx,
    visitor: &Visitor,
    status: StatusCode,
    (next, username): (&str, &str),
    error: Option<String>,
) -> Result<HttpResponse, Error> {
    visitor.page(
        status,
        &SignInPage {
            frame: visitor.frame(ctx),
            next: local_path(next),
            username,
            choices: sign_in_choices(ctx, next),
            error,
        },
    )
}

/// `GET /sign-in`
pub async fn sign_in_form(
    ctx: Ctx,
    visitor: Visitor,
    Query(next): Query<Next>,
) -> Result<HttpResponse, PageError> {
    Ok(sign_in_page(
        &ctx,
        &visitor,
        StatusCode::OK,
        (&next.next, ""),
        None,
    )?)
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
    username: String,
    password: String,
}

/// `POST /sign-in`
pub async fn sign_in(
    ctx: Ctx,
    visitor: Visitor,
    Form(form): Form<SignIn>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let (login, password) = (form.username.trim().to_string(), form.password);
    let (address, config) = (visitor.address.clone(), ctx.config.clone());
    let result = ctx
        .db
        .run(move |conn| web_sessions::sign_in(conn, &config, (&login, &password), &address))
        .await;
    match result {
        Ok((token, _)) => {
            let target = visitor.see_other(local_path(&form.next));
            Ok(visitor.signed_in_as(target, token))
        }
        Err(Error::Unauthorized(why) | Error::Forbidden(why)) => Ok(sign_in_page(
            &ctx,
            &visitor,
            StatusCode::UNAUTHORIZED,
            (&form.next, form.username.trim()),
            Some(why),
        )?),
        Err(e) => Err(e.into()),
    }
}

/// `POST /sign-out`
pub async fn sign_out(
    ctx: Ctx,
    visitor: Visitor,
    Form(form): Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    if let Some(signed_in) = visitor.signed_in.clone() {
        ctx.db
            .run(move |conn| web_sessions::sign_out(conn, &signed_in))
            .await?;
    }
    Ok(visitor.signed_out(visitor.see_other("/")))
}

#[derive(Template)]
#[template(path = "sign_up.html", config = "src/web/askama.toml")]
struct SignUpPage<'a> {
    frame: Frame,
    domain: &'a str,
    approval: bool,
    username: &'a str,
    email: &'a str,
    error: Option<String>,
}

fn sign_up_page(
    ctx: &Ctx,
    visitor: &Visitor,
    status: StatusCode,
    (username, email): (&str, &str),
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    if !web_sessions::sign_up_open(&ctx.config) {
        return Err(Error::Forbidden(
            "This instance takes no sign-ups. Ask its administrators for an account.".into(),
        )
        .into());
    }
    Ok(visitor.page(
        status,
        &SignUpPage {
            frame: visitor.frame(ctx),
            domain: &ctx.config.domain,
            approval: ctx.config.registrations == Registrations::Approval,
            username,
            email,
            error,
        },
    )?)
}

/// `GET /sign-up`
pub async fn sign_up_form(ctx: Ctx, visitor: Visitor) -> Result<HttpResponse, PageError> {
    sign_up_page(&ctx, &visitor, StatusCode::OK, ("", ""), None)
}

/// The sign-up form, here and on invite pages.
#[derive(Deserialize)]
pub struct SignUp {
    #[serde(default)]
    pub(super) csrf: String,
    pub(super) username: String,
    pub(super) email: String,
    pub(super) password: String,
}

/// `POST /sign-up`: the new person is signed in at once where registrations are open.
pub async fn sign_up(
    ctx: Ctx,
    visitor: Visitor,
    Form(form): Form<SignUp>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let (username, email) = (form.username.trim(), form.email.trim());
    let config = ctx.config.clone();
    let (name, address, password) = (username.to_string(), email.to_string(), form.password);
    let result = ctx
        .db
        .run(move |conn| web_sessions::sign_up(conn, &config, &name, &address, &password))
        .await;
    match result {
        Ok(SignedUp::SignedIn(token)) => Ok(visitor.signed_in_as(visitor.see_other("/"), token)),
        Ok(SignedUp::AwaitingApproval) => Ok(super::message(
            &ctx,
            &visitor,
            StatusCode::OK,
            "Welcome",
            "Your account is created. An administrator will approve it; then sign in here or \
             in any Mastodon-compatible app.",
        )?),
        Err(Error::Unprocessable(why)) => sign_up_page(
            &ctx,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            (username, email),
            Some(why),
        ),
        Err(e) => Err(e.into()),
    }
}
