//! Invite links: `/invite/{token}` shows the community. A person signed in here joins with a
//! button; someone new signs up there and is in; a person elsewhere gives their handle and
//! then joins from their own app. The token in the path is the form's authority.

use super::visitor::{Frame, Visitor};
use super::{message, PageError};
use crate::error::Error;
use crate::federation::resolve;
use crate::service::{invites, web_sessions};
use crate::state::Ctx;
use crate::store::accounts;
use actix_web::{
    http::StatusCode,
    web::{Form, Path},
    HttpResponse,
};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "invite.html", config = "src/web/askama.toml")]
struct InvitePage<'a> {
    frame: Frame,
    community: &'a str,
    acct: String,
    description: &'a str,
    token: &'a str,
    handle: &'a str,
    error: Option<String>,
}

/// The community an invite token admits to, if the invite can still be used.
async fn community_of(ctx: &Ctx, token: &str) -> Result<Option<accounts::Account>, Error> {
    let token = token.to_string();
    match ctx.db.run(move |conn| invites::usable(conn, &token)).await {
        Ok((_, community)) => Ok(Some(community)),
        Err(Error::NotFound | Error::Gone) => Ok(None),
        Err(e) => Err(e),
    }
}

fn invite_page(
    ctx: &Ctx,
    visitor: &Visitor,
    status: StatusCode,
    community: &accounts::Account,
    (token, handle): (&str, &str),
    error: Option<String>,
) -> Result<HttpResponse, Error> {
    visitor.page(
        status,
        &InvitePage {
            frame: visitor.frame(ctx),
            community: &community.display_name,
            acct: format!("{}@{}", community.username, ctx.config.domain),
            description: &community.note,
            token,
            handle,
            error,
        },
    )
}

fn unusable(ctx: &Ctx, visitor: &Visitor) -> Result<HttpResponse, Error> {
    message(
        ctx,
        visitor,
        StatusCode::NOT_FOUND,
        "Invite not valid",
        "This invite link is unknown, expired or used up. Ask the community's moderators for a new one.",
    )
}

/// `GET /invite/{token}`
pub async fn invite_form(
    ctx: Ctx,
    visitor: Visitor,
    token: Path<String>,
) -> Result<HttpResponse, Error> {
    match community_of(&ctx, &token).await? {
        Some(community) => {
            let handle = match &visitor.signed_in {
                Some(me) => me.account.username.clone(),
                None => String::new(),
            };
            invite_page(
                &ctx,
                &visitor,
                StatusCode::OK,
                &community,
                (&token, &handle),
                None,
            )
        }
        None => unusable(&ctx, &visitor),
    }
}

#[derive(Deserialize)]
pub struct InviteSubmission {
    #[serde(default)]
    csrf: String,
    acct: String,
}

/// `POST /invite/{token}`: admit the handle given.
pub async fn invite_submit(
    ctx: Ctx,
    visitor: Visitor,
    token: Path<String>,
    form: Form<InviteSubmission>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let Some(community) = community_of(&ctx, &token).await? else {
        return Ok(unusable(&ctx, &visitor)?);
    };
    let handle = form.acct.trim().trim_start_matches('@').to_string();
    let refused = |why: String| {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        invite_page(
            &ctx,
            &visitor,
            status,
            &community,
            (&token, &handle),
            Some(why),
        )
    };
    // A person signed in here joins at once, as following the community would.
    let me = visitor.signed_in.as_ref().map(|s| s.account.clone());
    let joins = me.as_ref().is_some_and(|me| me.username == handle);
    let account = match me.filter(|_| joins) {
        Some(me) => Ok(me),
        None => resolve::account(&ctx, &handle).await,
    };
    let account = match account {
        Ok(account) => account,
        Err(_) => return Ok(refused(format!("No account {handle:?} could be found."))?),
    };
    let (config, secret) = (ctx.config.clone(), token.to_string());
    let result = ctx
        .db
        .run(move |conn| invites::redeem(conn, &config, &secret, &account, joins))
        .await;
    let page = match result {
        Ok(community) if joins => Ok(visitor.see_other(&format!("/c/{}", community.username))),
        Ok(_) => message(
            &ctx,
            &visitor,
            StatusCode::OK,
            "You are in",
            &format!(
                "Now join @{}@{} from your app: follow it, and you will be let in.",
                community.username, ctx.config.domain
            ),
        ),
        Err(Error::Forbidden(why) | Error::Unprocessable(why)) => refused(why),
        Err(Error::Gone | Error::NotFound) => unusable(&ctx, &visitor),
        Err(e) => Err(e),
    };
    Ok(page?)
}

/// `POST /invite/{token}/sign-up`: someone new signs up through the invite and is in.
pub async fn sign_up(
    ctx: Ctx,
    visitor: Visitor,
    token: Path<String>,
    Form(form): Form<super::account::SignUp>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let Some(community) = community_of(&ctx, &token).await? else {
        return Ok(unusable(&ctx, &visitor)?);
    };
    let (config, secret) = (ctx.config.clone(), token.to_string());
    let (username, email) = (
        form.username.trim().to_string(),
        form.email.trim().to_string(),
    );
    let who = (username.clone(), email, form.password);
    let result = ctx
        .db
        .run(move |conn| {
            let (name, email, password) = &who;
            web_sessions::sign_up_invited(conn, &config, &secret, (name, email, password))
        })
        .await;
    match result {
        Ok(session) => {
            let home = visitor.see_other(&format!("/c/{}", community.username));
            Ok(visitor.signed_in_as(home, session))
        }
        Err(Error::Unprocessable(why) | Error::Forbidden(why)) => Ok(invite_page(
            &ctx,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            &community,
            (&token, &username),
            Some(why),
        )?),
        Err(Error::Gone | Error::NotFound) => Ok(unusable(&ctx, &visitor)?),
        Err(e) => Err(e.into()),
    }
}
