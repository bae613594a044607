//! The OAuth sign-in and consent page, where a person lets an app act for them.

use crate::error::Error;
use crate::service::oauth::{self, OOB};
use crate::state::Ctx;
use crate::store::oauth::App;
use actix_web::{
    http::header,
    web::{Form, Query},
    HttpResponse,
};
use serde::Deserialize;

#[derive(Clone, Deserialize)]
pub struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    code_challenge: Option<String>,
    #[serde(default)]
    code_challenge_method: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "authorize.html", config = "src/web/askama.toml")]
struct AuthorizePage<'a> {
    instance_name: &'a str,
    app_name: &'a str,
    client_id: &'a str,
    redirect_uri: &'a str,
    scopes: &'a str,
    state: &'a str,
    code_challenge: &'a str,
    code_challenge_method: &'a str,
    error: Option<String>,
}

async fn checked_app(ctx: &Ctx, query: &AuthorizeQuery) -> Result<(App, String), Error> {
    let (client_id, redirect, scope) = (
        query.client_id.clone(),
        query.redirect_uri.clone(),
        query.scope.clone(),
    );
    ctx.db
        .run(move |conn| {
            let app = oauth::client(conn, &client_id, None)?;
            oauth::check_redirect(&app, &redirect)?;
            let scopes = oauth::scopes_for(&app, scope.as_deref())?;
            Ok((app, scopes))
        })
        .await
}

fn authorize_page(
    ctx: &Ctx,
    app: &App,
    scopes: &str,
    query: &AuthorizeQuery,
    error: Option<String>,
) -> Result<HttpResponse, Error> {
    if query.code_challenge.is_some()
        && query.code_challenge_method.as_deref().unwrap_or("S256") != "S256"
    {
        return Err(Error::BadRequest(
            "only the S256 code challenge method is supported".into(),
        ));
    }
    let status = if error.is_some() {
        actix_web::http::StatusCode::UNAUTHORIZED
    } else {
        actix_web::http::StatusCode::OK
    };
    super::html(
        status,
        &AuthorizePage {
            instance_name: &ctx.config.instance_name,
            app_name: &app.name,
            client_id: &query.client_id,
            redirect_uri: &query.redirect_uri,
            scopes,
            state: query.state.as_deref().unwrap_or_default(),
            code_challenge: query.code_challenge.as_deref().unwrap_or_default(),
            code_challenge_method: query.code_challenge_method.as_deref().unwrap_or("S256"),
            error,
        },
    )
}

/// `GET /oauth/authorize`: the sign-in and consent page.
pub async fn authorize_form(
    ctx: Ctx,
    Query(query): Query<AuthorizeQuery>,
) -> Result<HttpResponse, Error> {
    let (app, scopes) = checked_app(&ctx, &query).await?;
    authorize_page(&ctx, &app, &scopes, &query, None)
}

#[derive(Deserialize)]
pub struct Consent {
    #[serde(flatten)]
    query: AuthorizeQuery,
    username: String,
    password: String,
}

/// `POST /oauth/authorize`: sign in and consent in one step. The password in the form is what
/// makes a forged cross-site submission useless.
pub async fn authorize(ctx: Ctx, Form(consent): Form<Consent>) -> Result<HttpResponse, Error> {
    let query = consent.query;
    let (app, scopes) = checked_app(&ctx, &query).await?;
    let challenge = query.code_challenge.clone().filter(|c| !c.is_empty());
    let (login, password, redirect, granted, for_app) = (
        consent.username,
        consent.password,
        query.redirect_uri.clone(),
        scopes.clone(),
        app.clone(),
    );
    let code = ctx
        .db
        .run(move |conn| {
            let (user, _) = oauth::sign_in(conn, &login, &password)?;
            oauth::issue_code(conn, &for_app, &user, &redirect, &granted, challenge)
        })
        .await;
    let code = match code {
        Ok(code) => code,
        Err(Error::Unauthorized(why) | Error::Forbidden(why)) => {
            return authorize_page(&ctx, &app, &scopes, &query, Some(why))
        }
        Err(e) => return Err(e),
    };
    if query.redirect_uri == OOB {
        return super::code_page(&ctx, &code);
    }
    let mut target = url::Url::parse(&query.redirect_uri)?;
    target.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = query.state.filter(|s| !s.is_empty()) {
        target.query_pairs_mut().append_pair("state", &state);
    }
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, target.to_string()))
        .finish())
}
