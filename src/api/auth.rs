//! Bearer tokens: who a request speaks for, and whether its scopes allow an action.

use crate::error::Error;
use crate::service::oauth::{self, Authenticated};
use crate::state::AppState;
use crate::store::{accounts::Account, users::User};
use activitypub_federation::config::Data;
use actix_web::{dev::Payload, http::header, FromRequest, HttpRequest};
use futures::future::LocalBoxFuture;

/// A request with a valid token (401 otherwise).
pub struct Auth(pub Authenticated);

/// A request with a valid token or none at all (an invalid token is still a 401).
pub struct MaybeAuth(pub Option<Authenticated>);

impl Auth {
    /// The signed-in person, if the token's scopes cover `scope`.
    pub fn user(&self, scope: &str) -> Result<(&User, &Account), Error> {
        self.scope(scope)?;
        match (&self.0.user, &self.0.account) {
            (Some(user), Some(account)) => Ok((user, account)),
            _ => Err(Error::Forbidden("This action needs a user token".into())),
        }
    }

    /// The signed-in administrator, if the token's scopes cover `scope` (an `admin:` one).
    pub fn admin(&self, scope: &str) -> Result<(&User, &Account), Error> {
        let (user, account) = self.user(scope)?;
        crate::service::admin::require_admin(user)?;
        Ok((user, account))
    }

    /// 403 unless the token's scopes cover `scope`.
    pub fn scope(&self, scope: &str) -> Result<(), Error> {
        if oauth::has_scope(&self.0.token.scopes, scope) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "This action is outside the authorized scopes (needs {scope})"
            )))
        }
    }
}

impl MaybeAuth {
    /// The viewer's account, when signed in with a token that may read.
    pub fn viewer(&self, scope: &str) -> Option<&Account> {
        self.0
            .as_ref()
            .filter(|a| oauth::has_scope(&a.token.scopes, scope))
            .and_then(|a| a.account.as_ref())
    }
}

/// The token of an `Authorization: Bearer` header.
pub(crate) fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim().to_string())
}

async fn authenticate(req: HttpRequest) -> Result<Option<Authenticated>, Error> {
    let Some(token) = bearer(&req) else {
        return Ok(None);
    };
    let ctx = Data::<AppState>::extract(&req)
        .await
        .map_err(|e| Error::internal(format!("no app state: {e}")))?;
    Ok(Some(check_token(&ctx, &req, token).await?))
}

/// Who `token` speaks for; a valid token is noted by the rate limiter, which from then on
/// counts it on its own.
pub(crate) async fn check_token(
    ctx: &crate::state::Ctx,
    req: &HttpRequest,
    token: String,
) -> Result<Authenticated, Error> {
    let hash = crate::crypto::hash_token(&token);
    let auth = ctx
        .db
        .run(move |conn| oauth::authenticate(conn, &token))
        .await?;
    if let Some(limiter) = req.app_data::<actix_web::web::Data<super::rate_limit::Limiter>>() {
        limiter.know(hash);
    }
    Ok(auth)
}

impl FromRequest for Auth {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            authenticate(req)
                .await?
                .map(Auth)
                .ok_or_else(|| Error::Unauthorized("The access token is invalid".into()))
        })
    }
}

impl FromRequest for MaybeAuth {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(MaybeAuth) })
    }
}
