//! Invite links: `/invite/{token}` shows the community and takes the handle of the person
//! invited, who then joins from their own app. The token in the path is the form's only
//! authority, so no session (and no cross-site request) can act through it.

use super::{html, message, ok_html};
use crate::error::Error;
use crate::federation::resolve;
use crate::service::communities;
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
    instance_name: &'a str,
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
    match ctx
        .db
        .run(move |conn| communities::usable_invite(conn, &token))
        .await
    {
        Ok((_, community)) => Ok(Some(community)),
        Err(Error::NotFound | Error::Gone) => Ok(None),
        Err(e) => Err(e),
    }
}

fn invite_page(
    ctx: &Ctx,
    status: StatusCode,
    community: &accounts::Account,
    (token, handle): (&str, &str),
    error: Option<String>,
) -> Result<HttpResponse, Error> {
    html(
        status,
        &InvitePage {
            instance_name: &ctx.config.instance_name,
            community: &community.display_name,
            acct: format!("{}@{}", community.username, ctx.config.domain),
            description: &community.note,
            token,
            handle,
            error,
        },
    )
}

fn unusable(ctx: &Ctx) -> Result<HttpResponse, Error> {
    message(
        ctx,
        StatusCode::NOT_FOUND,
        "Invite not valid",
        "This invite link is unknown, expired or used up. Ask the community's moderators for a new one.",
    )
}

/// `GET /invite/{token}`
pub async fn invite_form(ctx: Ctx, token: Path<String>) -> Result<HttpResponse, Error> {
    match community_of(&ctx, &token).await? {
        Some(community) => invite_page(&ctx, StatusCode::OK, &community, (&token, ""), None),
        None => unusable(&ctx),
    }
}

#[derive(Deserialize)]
pub struct InviteSubmission {
    acct: String,
}

/// `POST /invite/{token}`: admit the handle given.
pub async fn invite_submit(
    ctx: Ctx,
    token: Path<String>,
    form: Form<InviteSubmission>,
) -> Result<HttpResponse, Error> {
    let Some(community) = community_of(&ctx, &token).await? else {
        return unusable(&ctx);
    };
    let handle = form.acct.trim().trim_start_matches('@').to_string();
    let refused = |why: String| {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        invite_page(&ctx, status, &community, (&token, &handle), Some(why))
    };
    let account = match resolve::account(&ctx, &handle).await {
        Ok(account) => account,
        Err(_) => return refused(format!("No account {handle:?} could be found.")),
    };
    let (config, secret) = (ctx.config.clone(), token.to_string());
    let result = ctx
        .db
        .run(move |conn| communities::redeem_invite(conn, &config, &secret, &account, false))
        .await;
    match result {
        Ok(_) => ok_html(&super::MessagePage {
            instance_name: &ctx.config.instance_name,
            heading: "You are in",
            message: &format!(
                "Now join @{}@{} from your app: follow it, and you will be let in.",
                community.username, ctx.config.domain
            ),
        }),
        Err(Error::Forbidden(why) | Error::Unprocessable(why)) => refused(why),
        Err(Error::Gone | Error::NotFound) => unusable(&ctx),
        Err(e) => Err(e),
    }
}
