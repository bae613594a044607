//! Signing in through the organisation's identity provider: the browser goes there, and
//! comes back with a code that Guild trades for who signed in.

use super::account::{local_path, Next};
use super::visitor::Visitor;
use super::PageError;
use crate::error::Error;
use crate::service::{sso, web_sessions};
use crate::state::Ctx;
use actix_web::{web::Query, HttpResponse};
use serde::Deserialize;

fn provider(ctx: &Ctx) -> Result<std::sync::Arc<crate::sso::Provider>, Error> {
    ctx.sso.clone().ok_or(Error::NotFound)
}

/// `GET /sign-in/sso?next=…`: off to the provider.
pub async fn start(
    ctx: Ctx,
    visitor: Visitor,
    Query(next): Query<Next>,
) -> Result<HttpResponse, PageError> {
    let started = provider(&ctx)?.start().await?;
    let browser = visitor.browser_secret().to_string();
    let next = local_path(&next.next).to_string();
    let url = started.url.to_string();
    ctx.db
        .run(move |conn| sso::begin(conn, &started, &browser, &next))
        .await?;
    Ok(visitor.see_other(&url))
}

/// What the provider sends the browser back with: a code, or why it refused.
#[derive(Deserialize)]
pub struct Callback {
    #[serde(default)]
    state: String,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /sign-in/sso/callback`: signed in, and on to where the person was going.
pub async fn callback(
    ctx: Ctx,
    visitor: Visitor,
    Query(answer): Query<Callback>,
) -> Result<HttpResponse, PageError> {
    let provider = provider(&ctx)?;
    let (state, browser) = (answer.state.clone(), visitor.browser_secret().to_string());
    let login = ctx
        .db
        .run(move |conn| sso::resume(conn, &state, &browser))
        .await?;
    let code = match (answer.code, answer.error) {
        (Some(code), None) => code,
        (_, error) => {
            let why = answer.error_description.or(error).unwrap_or_default();
            return Err(Error::Unauthorized(format!(
                "{} did not sign you in: {why}",
                provider.name()
            ))
            .into());
        }
    };
    let identity = provider
        .finish(&code, &login.verifier, &login.nonce)
        .await?;
    let config = ctx.config.clone();
    let (token, _) = ctx
        .db
        .run(move |conn| web_sessions::sign_in_with_provider(conn, &config, &identity))
        .await?;
    Ok(visitor.signed_in_as(visitor.see_other(local_path(&login.next)), token))
}
