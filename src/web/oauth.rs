//! The OAuth sign-in and consent page, where a person lets an app act for them.

use super::visitor::{Frame, Visitor};
use super::PageError;
use crate::error::Error;
use crate::service::oauth::{self, OOB};
use crate::service::web_sessions;
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
    frame: Frame,
    app_name: &'a str,
    client_id: &'a str,
    redirect_uri: &'a str,
    scopes: &'a str,
    state: &'a str,
    code_challenge: &'a str,
    code_challenge_method: &'a str,
    choices: super::account::SignInChoices,
    error: Option<String>,
}

impl AuthorizeQuery {
    /// This page again, where signing in through the identity provider returns.
    fn back_here(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri);
        let optional = [
            ("scope", &self.scope),
            ("state", &self.state),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
        format!("/oauth/authorize?{}", query.finish())
    }
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
    visitor: &Visitor,
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
    visitor.page(
        status,
        &AuthorizePage {
            frame: visitor.frame(ctx),
            app_name: &app.name,
            client_id: &query.client_id,
            redirect_uri: &query.redirect_uri,
            scopes,
            state: query.state.as_deref().unwrap_or_default(),
            code_challenge: query.code_challenge.as_deref().unwrap_or_default(),
            code_challenge_method: query.code_challenge_method.as_deref().unwrap_or("S256"),
            choices: super::account::sign_in_choices(ctx, &query.back_here()),
            error,
        },
    )
}

/// `GET /oauth/authorize`: the consent page, which also asks to sign in where the browser
/// is not signed in yet.
pub async fn authorize_form(
    ctx: Ctx,
    visitor: Visitor,
    Query(query): Query<AuthorizeQuery>,
) -> Result<HttpResponse, PageError> {
    let (app, scopes) = checked_app(&ctx, &query).await?;
    Ok(authorize_page(&ctx, &visitor, &app, &scopes, &query, None)?)
}

#[derive(Deserialize)]
pub struct Consent {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    query: AuthorizeQuery,
    /// Asked only of a browser that is not signed in.
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// `POST /oauth/authorize`: consent, signing in first where the browser is not signed in;
/// that sign-in is kept as the browser's session.
pub async fn authorize(
    ctx: Ctx,
    visitor: Visitor,
    Form(consent): Form<Consent>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&consent.csrf)?;
    let query = consent.query;
    let (app, scopes) = checked_app(&ctx, &query).await?;
    let challenge = query.code_challenge.clone().filter(|c| !c.is_empty());
    let (redirect, granted, for_app) = (query.redirect_uri.clone(), scopes.clone(), app.clone());
    let session_user = visitor.signed_in.as_ref().map(|me| me.user.clone());
    let credentials = consent.username.zip(consent.password);
    let (address, config) = (visitor.address.clone(), ctx.config.clone());
    let issued = ctx
        .db
        .run(move |conn| {
            let (user, session) = match (session_user, credentials) {
                (Some(user), _) => (user, None),
                (None, Some((login, password))) => {
                    let (token, signed_in) =
                        web_sessions::sign_in(conn, &config, (&login, &password), &address)?;
                    (signed_in.user, Some(token))
                }
                (None, None) => {
                    return Err(Error::Unauthorized("Sign in to authorize the app.".into()))
                }
            };
            let code = oauth::issue_code(conn, &for_app, &user, &redirect, &granted, challenge)?;
            Ok((code, session))
        })
        .await;
    let (code, session) = match issued {
        Ok(issued) => issued,
        Err(Error::Unauthorized(why) | Error::Forbidden(why)) => {
            return Ok(authorize_page(
                &ctx,
                &visitor,
                &app,
                &scopes,
                &query,
                Some(why),
            )?)
        }
        Err(e) => return Err(e.into()),
    };
    let keep_session = |response: HttpResponse| match session {
        Some(token) => visitor.signed_in_as(response, token),
        None => response,
    };
    if query.redirect_uri == OOB {
        return Ok(keep_session(super::code_page(&ctx, &visitor, &code)?));
    }
    let mut target = url::Url::parse(&query.redirect_uri)?;
    target.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = query.state.filter(|s| !s.is_empty()) {
        target.query_pairs_mut().append_pair("state", &state);
    }
    Ok(keep_session(
        HttpResponse::Found()
            .insert_header((header::LOCATION, target.to_string()))
            .finish(),
    ))
}
