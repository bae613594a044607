//! OAuth endpoints: app registration, the sign-in and consent page, tokens, revocation and
//! server metadata.

use super::params::{string_list, Params};
use crate::error::Error;
use crate::service::oauth::{self, Issued};
use crate::state::Ctx;
use crate::store::oauth::App;
use actix_web::{http::header, HttpRequest, HttpResponse};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct NewApp {
    client_name: String,
    #[serde(default, deserialize_with = "string_list")]
    redirect_uris: Vec<String>,
    #[serde(default)]
    scopes: Option<String>,
    #[serde(default)]
    website: Option<String>,
}

fn app_json(app: &App, secret: Option<&str>) -> serde_json::Value {
    let uris: Vec<&str> = app.redirect_uris.lines().collect();
    let mut body = json!({
        "id": app.id.to_string(),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(' ').collect::<Vec<_>>(),
        "redirect_uri": uris.join("\n"),
        "redirect_uris": uris,
        "vapid_key": "",
    });
    if let Some(secret) = secret {
        body["client_id"] = json!(app.client_id);
        body["client_secret"] = json!(secret);
        body["client_secret_expires_at"] = json!(0);
    }
    body
}

/// `POST /api/v1/apps`
pub async fn create_app(ctx: Ctx, Params(new): Params<NewApp>) -> Result<HttpResponse, Error> {
    let scopes = new.scopes.unwrap_or_else(|| "read".to_string());
    let (app, secret) = ctx
        .db
        .run(move |conn| {
            oauth::create_app(
                conn,
                &new.client_name,
                &new.redirect_uris,
                &scopes,
                new.website,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(app_json(&app, Some(&secret))))
}

#[derive(Deserialize)]
pub struct TokenRequest {
    grant_type: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    redirect_uri: Option<String>,
    #[serde(default)]
    code_verifier: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// Client credentials from the body or from HTTP Basic authentication.
fn client_credentials(
    req: &HttpRequest,
    body: &TokenRequest,
) -> Result<(String, Option<String>), Error> {
    if let Some(basic) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = STANDARD
            .decode(basic.trim())
            .map_err(|_| Error::Unauthorized("bad Basic credentials".into()))?;
        let decoded = String::from_utf8_lossy(&decoded).to_string();
        let (id, secret) = decoded
            .split_once(':')
            .ok_or_else(|| Error::Unauthorized("bad Basic credentials".into()))?;
        return Ok((id.to_string(), Some(secret.to_string())));
    }
    let id = body
        .client_id
        .clone()
        .ok_or_else(|| Error::Unauthorized("client_id is required".into()))?;
    Ok((id, body.client_secret.clone()))
}

pub fn token_json(issued: Issued) -> serde_json::Value {
    let mut body = json!({
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "scope": issued.scopes,
        "created_at": issued.created_at,
    });
    if let Some(refresh) = issued.refresh_token {
        body["refresh_token"] = json!(refresh);
    }
    body
}

/// `POST /oauth/token`
pub async fn token(
    ctx: Ctx,
    req: HttpRequest,
    Params(body): Params<TokenRequest>,
) -> Result<HttpResponse, Error> {
    let (client_id, secret) = client_credentials(&req, &body)?;
    let config = ctx.config.clone();
    let address = crate::client_address::of(&req);
    let issued = ctx
        .db
        .run(move |conn| {
            // PKCE public clients may leave out the secret on the code grant; every other grant
            // needs it.
            let pkce = body.grant_type == "authorization_code" && body.code_verifier.is_some();
            if secret.is_none() && !pkce {
                return Err(Error::Unauthorized("client_secret is required".into()));
            }
            let app = oauth::client(conn, &client_id, secret.as_deref())?;
            match body.grant_type.as_str() {
                "authorization_code" => {
                    let code = body
                        .code
                        .as_deref()
                        .ok_or_else(|| Error::BadRequest("code is required".into()))?;
                    let redirect = body.redirect_uri.as_deref().unwrap_or_default();
                    oauth::exchange_code(
                        conn,
                        &app,
                        code,
                        redirect,
                        body.code_verifier.as_deref(),
                        secret.is_some(),
                    )
                }
                "client_credentials" => {
                    let scopes = oauth::scopes_for(&app, body.scope.as_deref())?;
                    oauth::issue_token(conn, &app, None, scopes)
                }
                "refresh_token" => {
                    let refresh = body
                        .refresh_token
                        .as_deref()
                        .ok_or_else(|| Error::BadRequest("refresh_token is required".into()))?;
                    oauth::refresh(conn, &app, refresh)
                }
                "password" => oauth::password_grant(
                    conn,
                    &config,
                    &app,
                    (
                        body.username.as_deref().unwrap_or_default(),
                        body.password.as_deref().unwrap_or_default(),
                        &address,
                    ),
                    body.scope.as_deref(),
                ),
                other => Err(Error::BadRequest(format!(
                    "unsupported_grant_type: {other}"
                ))),
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(token_json(issued)))
}

#[derive(Deserialize)]
pub struct RevokeRequest {
    token: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
}

/// `POST /oauth/revoke`
pub async fn revoke(ctx: Ctx, Params(body): Params<RevokeRequest>) -> Result<HttpResponse, Error> {
    let client_id = body
        .client_id
        .ok_or_else(|| Error::Unauthorized("client_id is required".into()))?;
    let secret = body
        .client_secret
        .ok_or_else(|| Error::Unauthorized("client_secret is required".into()))?;
    ctx.db
        .run(move |conn| {
            let app = oauth::client(conn, &client_id, Some(&secret))?;
            oauth::revoke(conn, &app, &body.token)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414), which newer apps read first.
pub async fn metadata(ctx: Ctx) -> HttpResponse {
    let base = ctx.config.base_url();
    let mut grants = vec!["authorization_code", "client_credentials", "refresh_token"];
    if ctx.config.oauth_password_grant {
        grants.push("password");
    }
    HttpResponse::Ok().json(json!({
        "issuer": format!("{base}/"),
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "app_registration_endpoint": format!("{base}/api/v1/apps"),
        "scopes_supported": ["read", "write", "follow", "push", "profile"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": grants,
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "service_documentation": "https://docs.joinmastodon.org/",
    }))
}
