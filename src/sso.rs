//! The organisation's identity provider, spoken to in OpenID Connect (discovery, the
//! authorization code flow with PKCE, a signed ID token, userinfo) through the
//! `openidconnect` crate. What a sign-in means for accounts is `service::sso`'s business.

use crate::config::SingleSignOn;
use crate::error::Error;
use openidconnect::core::CoreProviderMetadata;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreGenderClaim};
use openidconnect::{
    AccessToken, AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    HttpRequest, HttpResponse, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, SubjectIdentifier, TokenResponse, UserInfoClaims,
};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long the provider's discovery document (with its signing keys) is trusted before it is
/// read again, so that rotated keys are picked up.
const METADATA_TTL: Duration = Duration::from_secs(600);

pub struct Provider {
    settings: SingleSignOn,
    redirect: RedirectUrl,
    /// Talks to the provider only; redirects are not followed (the crate's advice against
    /// request forgery). The operator chose the provider, so private addresses are allowed.
    http: reqwest::Client,
    metadata: tokio::sync::Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

/// A sign-in sent to the provider: the browser goes to `url`; the rest is kept until it
/// comes back.
pub struct Started {
    pub url: url::Url,
    pub state: String,
    pub verifier: String,
    pub nonce: String,
}

/// Who the provider says signed in.
#[derive(Debug)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub username: Option<String>,
    pub name: Option<String>,
    /// Every claim from userinfo, for the administrator claim.
    pub claims: HashMap<String, serde_json::Value>,
}

/// Claims beyond the standard ones, such as `groups`.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
struct OtherClaims(HashMap<String, serde_json::Value>);

impl AdditionalClaims for OtherClaims {}

impl Provider {
    pub fn new(settings: SingleSignOn, base_url: &str) -> Result<Provider, Error> {
        let redirect = RedirectUrl::new(format!("{base_url}/sign-in/sso/callback"))
            .map_err(|e| Error::caused_by("single sign-on redirect URL", e))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("Guild/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::caused_by("single sign-on HTTP client", e))?;
        Ok(Provider {
            settings,
            redirect,
            http,
            metadata: Default::default(),
        })
    }

    /// What the sign-in button calls the provider.
    pub fn name(&self) -> &str {
        &self.settings.name
    }

    pub fn settings(&self) -> &SingleSignOn {
        &self.settings
    }

    /// The discovery document, read again once it is older than [`METADATA_TTL`].
    async fn metadata(&self) -> Result<CoreProviderMetadata, Error> {
        let mut cached = self.metadata.lock().await;
        if let Some((read_at, metadata)) = cached.as_ref() {
            if read_at.elapsed() < METADATA_TTL {
                return Ok(metadata.clone());
            }
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| Error::caused_by("single sign-on issuer", e))?;
        let send = self.sender();
        let metadata = CoreProviderMetadata::discover_async(issuer, &send)
            .await
            .map_err(|e| unreachable_provider("read the discovery document of", e))?;
        *cached = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    fn sender(&self) -> impl Fn(HttpRequest) -> SendFuture {
        let http = self.http.clone();
        move |request| Box::pin(send(http.clone(), request))
    }

    /// Begin a sign-in: where to send the browser, with fresh state, nonce and PKCE verifier.
    pub async fn start(&self) -> Result<Started, Error> {
        let client = self.client(self.metadata().await?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Started {
            url,
            state: state.secret().clone(),
            verifier: verifier.secret().clone(),
            nonce: nonce.secret().clone(),
        })
    }

    /// Finish a sign-in: trade the code for tokens, check the ID token's signature, issuer,
    /// audience, expiry and nonce, and read the person's claims from userinfo.
    pub async fn finish(&self, code: &str, verifier: &str, nonce: &str) -> Result<Identity, Error> {
        let client = self.client(self.metadata().await?);
        let send = self.sender();
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| Error::caused_by("single sign-on token endpoint", e))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
            .request_async(&send)
            .await
            .map_err(|e| refused_by_provider("exchange the sign-in code with", e))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| Error::Upstream("the identity provider sent no ID token".into()))?;
        let nonce = Nonce::new(nonce.to_string());
        let claims = id_token
            .claims(&client.id_token_verifier(), &nonce)
            .map_err(|e| {
                Error::Unauthorized(format!("the provider's ID token is not valid: {e}"))
            })?;
        let mut identity = Identity {
            issuer: self.settings.issuer.clone(),
            subject: claims.subject().to_string(),
            email: claims.email().map(|e| e.to_string()),
            email_verified: claims.email_verified().unwrap_or(false),
            username: claims.preferred_username().map(|u| u.to_string()),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string()),
            claims: HashMap::new(),
        };
        if client.user_info_url().is_some() {
            let subject = SubjectIdentifier::new(identity.subject.clone());
            let info: UserInfoClaims<OtherClaims, CoreGenderClaim> = client
                .user_info(
                    AccessToken::new(tokens.access_token().secret().clone()),
                    Some(subject),
                )
                .map_err(|e| Error::caused_by("single sign-on userinfo endpoint", e))?
                .request_async(&send)
                .await
                .map_err(|e| refused_by_provider("read userinfo from", e))?;
            identity.merge(&info);
        }
        Ok(identity)
    }

    fn client(
        &self,
        metadata: CoreProviderMetadata,
    ) -> CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.0.clone())),
        )
        .set_redirect_uri(self.redirect.clone())
    }
}

impl Identity {
    /// Take what userinfo adds to the ID token: providers that follow the specification
    /// closely put the scopes' claims only there.
    fn merge(&mut self, info: &UserInfoClaims<OtherClaims, CoreGenderClaim>) {
        if self.email.is_none() {
            self.email = info.email().map(|e| e.to_string());
            self.email_verified = info.email_verified().unwrap_or(false);
        }
        if self.username.is_none() {
            self.username = info.preferred_username().map(|u| u.to_string());
        }
        if self.name.is_none() {
            self.name = info.name().and_then(|n| n.get(None)).map(|n| n.to_string());
        }
        self.claims = info.additional_claims().0.clone();
    }

    /// Whether `claim` is `value`, lists it, or (for `true`) is true.
    pub fn has_claim(&self, claim: &str, value: &str) -> bool {
        match self.claims.get(claim) {
            Some(serde_json::Value::String(s)) => s == value,
            Some(serde_json::Value::Array(items)) => {
                items.iter().any(|i| i.as_str() == Some(value))
            }
            Some(serde_json::Value::Bool(b)) => b.to_string() == value,
            _ => false,
        }
    }
}

type SendFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<HttpResponse, reqwest::Error>>>>;

async fn send(http: reqwest::Client, request: HttpRequest) -> Result<HttpResponse, reqwest::Error> {
    let (parts, body) = request.into_parts();
    let response = http
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let mut answer = http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        answer = answer.header(name, value);
    }
    let body = response.bytes().await?.to_vec();
    // Status and headers came from a response, so they are valid.
    Ok(answer.body(body).unwrap_or_default())
}

/// An error with the errors that caused it, for the log.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(e) = cause {
        text.push_str(&format!(": {e}"));
        cause = e.source();
    }
    text
}

fn unreachable_provider(what: &str, e: impl std::error::Error) -> Error {
    let e = with_causes(&e);
    tracing::warn!("single sign-on: could not {what} the identity provider: {e}");
    Error::Upstream(format!(
        "Could not {what} the identity provider; try again later, and tell the administrators \
         if it persists."
    ))
}

fn refused_by_provider(what: &str, e: impl std::error::Error) -> Error {
    let e = with_causes(&e);
    tracing::warn!("single sign-on: could not {what} the identity provider: {e}");
    Error::Unauthorized(format!("Could not {what} the identity provider: {e}"))
}
