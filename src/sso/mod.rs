//! The organisation's identity provider, spoken to in OpenID Connect: discovery, the
//! authorization code flow with PKCE, a signed ID token (checked in `id_token`), userinfo.
//! What a sign-in means for accounts is `service::sso`'s business.

mod id_token;

use crate::config::SingleSignOn;
use crate::error::Error;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use id_token::KeySet;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the provider's discovery document (with its signing keys) is trusted before it is
/// read again, so that rotated keys are picked up.
const METADATA_TTL: Duration = Duration::from_secs(600);

/// The most Guild reads of any answer from the provider; its documents are a few KB.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

pub struct Provider {
    settings: SingleSignOn,
    redirect: String,
    /// Talks to the provider only; redirects are not followed, so an answer cannot send Guild
    /// elsewhere. The operator chose the provider, so private addresses are allowed.
    http: reqwest::Client,
    metadata: tokio::sync::Mutex<Option<(Instant, Arc<Discovered>)>>,
}

/// What the provider's discovery document says (OpenID Connect Discovery 1.0, section 3),
/// as far as Guild uses it.
#[derive(Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: url::Url,
    token_endpoint: url::Url,
    userinfo_endpoint: Option<url::Url>,
    jwks_uri: url::Url,
    #[serde(default)]
    id_token_signing_alg_values_supported: Vec<String>,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Vec<String>,
}

struct Discovered {
    metadata: Metadata,
    keys: KeySet,
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

/// The token endpoint's answer (RFC 6749 5.1, OpenID Connect Core 3.1.3.3).
#[derive(Deserialize)]
struct Tokens {
    access_token: String,
    id_token: Option<String>,
}

/// Why the provider refused (RFC 6749 5.2).
#[derive(Deserialize)]
struct Refusal {
    error: String,
    error_description: Option<String>,
}

impl Provider {
    pub fn new(settings: SingleSignOn, base_url: &str) -> Result<Provider, Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("Guild/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::caused_by("single sign-on HTTP client", e))?;
        Ok(Provider {
            settings,
            redirect: format!("{base_url}/sign-in/sso/callback"),
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

    /// The discovery document and signing keys, read again once older than [`METADATA_TTL`].
    async fn discovered(&self) -> Result<Arc<Discovered>, Error> {
        self.discovered_unless(None).await
    }

    /// [`Provider::discovered`], but read again now if what is kept is still `stale`.
    async fn discovered_unless(
        &self,
        stale: Option<&Arc<Discovered>>,
    ) -> Result<Arc<Discovered>, Error> {
        let mut cached = self.metadata.lock().await;
        if let Some((read_at, discovered)) = cached.as_ref() {
            let is_stale = stale.is_some_and(|stale| Arc::ptr_eq(stale, discovered));
            if read_at.elapsed() < METADATA_TTL && !is_stale {
                return Ok(discovered.clone());
            }
        }
        let discovered = Arc::new(self.discover().await.map_err(|e| {
            tracing::warn!("single sign-on: could not read the discovery document: {e}");
            Error::Upstream(
                "Could not reach the identity provider; try again later, and tell the \
                 administrators if it persists."
                    .into(),
            )
        })?);
        *cached = Some((Instant::now(), discovered.clone()));
        Ok(discovered)
    }

    async fn discover(&self) -> Result<Discovered, String> {
        let issuer = &self.settings.issuer;
        let address = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let metadata: Metadata = read_json(self.http.get(&address)).await?;
        // Discovery 4.3: the document must be the configured issuer's own.
        if metadata.issuer != *issuer {
            return Err(format!(
                "{address} names the issuer {}, not {issuer} as configured",
                metadata.issuer
            ));
        }
        let keys = read_json(self.http.get(metadata.jwks_uri.clone())).await?;
        Ok(Discovered { metadata, keys })
    }

    /// Begin a sign-in: where to send the browser, with fresh state, nonce and PKCE verifier.
    pub async fn start(&self) -> Result<Started, Error> {
        let discovered = self.discovered().await?;
        let verifier = crate::crypto::random_token();
        let state = crate::crypto::random_token();
        let nonce = crate::crypto::random_token();
        let challenge = URL_SAFE_NO_PAD.encode(openssl::sha::sha256(verifier.as_bytes()));
        let mut url = discovered.metadata.authorization_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", &self.redirect)
            .append_pair("scope", "openid email profile")
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        Ok(Started {
            url,
            state,
            verifier,
            nonce,
        })
    }

    /// Finish a sign-in: trade the code for tokens, check the ID token's signature, issuer,
    /// audience, expiry and nonce, and read the person's claims from userinfo.
    pub async fn finish(&self, code: &str, verifier: &str, nonce: &str) -> Result<Identity, Error> {
        let discovered = self.discovered().await?;
        let tokens = self
            .exchange(&discovered.metadata, code, verifier)
            .await
            .map_err(|e| refused_by_provider("exchange the sign-in code with", e))?;
        let id_token = tokens
            .id_token
            .ok_or_else(|| Error::Upstream("the identity provider sent no ID token".into()))?;
        let verify = |discovered: &Discovered| {
            let expected = id_token::Expected {
                issuer: &self.settings.issuer,
                client_id: &self.settings.client_id,
                client_secret: &self.settings.client_secret.0,
                nonce,
                algorithms: &discovered.metadata.id_token_signing_alg_values_supported,
                now: crate::time::now().and_utc().timestamp(),
            };
            id_token::verify(&id_token, &discovered.keys, &expected)
        };
        // A provider may sign with a key it published after Guild last read its keys: read
        // them once more before refusing. The token came from the provider's own token
        // endpoint in exchange for a code, so a stranger cannot make Guild read them at will.
        let claims = match verify(&discovered) {
            Ok(claims) => Ok(claims),
            Err(_) => verify(&*self.discovered_unless(Some(&discovered)).await?),
        }
        .map_err(|e| Error::Unauthorized(format!("the provider's ID token is not valid: {e}")))?;
        let mut identity = Identity::from_claims(self.settings.issuer.clone(), &claims);
        if let Some(address) = &discovered.metadata.userinfo_endpoint {
            let request = self
                .http
                .get(address.clone())
                .bearer_auth(&tokens.access_token);
            let info: HashMap<String, serde_json::Value> = read_json(request)
                .await
                .map_err(|e| refused_by_provider("read userinfo from", e))?;
            identity.merge(info)?;
        }
        Ok(identity)
    }

    /// The code, with the PKCE verifier, for tokens: the client authenticates with HTTP Basic
    /// unless the provider takes the secret in the form only (RFC 6749 2.3.1).
    async fn exchange(
        &self,
        metadata: &Metadata,
        code: &str,
        verifier: &str,
    ) -> Result<Tokens, String> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.redirect),
            ("code_verifier", verifier),
        ];
        let methods = &metadata.token_endpoint_auth_methods_supported;
        let request = self.http.post(metadata.token_endpoint.clone());
        let request = if methods.iter().any(|m| m == "client_secret_basic") || methods.is_empty() {
            let encode =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            request.basic_auth(
                encode(&self.settings.client_id),
                Some(encode(&self.settings.client_secret.0)),
            )
        } else {
            form.push(("client_id", &self.settings.client_id));
            form.push(("client_secret", &self.settings.client_secret.0));
            request
        };
        read_json(request.form(&form)).await
    }
}

/// Send the request and read a JSON answer, or say what went wrong; a refusal in the shape of
/// RFC 6749 5.2 is quoted.
async fn read_json<T: DeserializeOwned>(request: reqwest::RequestBuilder) -> Result<T, String> {
    let mut response = request
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| with_causes(&e))?;
    let status = response.status();
    let address = response.url().clone();
    let body = crate::delivery::body_at_most(&mut response, MAX_ANSWER_BYTES)
        .await
        .map_err(|e| with_causes(&e))?
        .ok_or_else(|| format!("{address} answered with more than {MAX_ANSWER_BYTES} bytes"))?;
    if !status.is_success() {
        return Err(match serde_json::from_slice::<Refusal>(&body) {
            Ok(r) => format!(
                "{address} answered {status}: {} {}",
                r.error,
                r.error_description.unwrap_or_default()
            ),
            Err(_) => format!("{address} answered {status}"),
        });
    }
    serde_json::from_slice(&body)
        .map_err(|e| format!("{address} answered with unexpected JSON: {e}"))
}

impl Identity {
    fn from_claims(
        issuer: String,
        claims: &serde_json::Map<String, serde_json::Value>,
    ) -> Identity {
        let text = |name: &str| text(claims.get(name));
        Identity {
            issuer,
            subject: text("sub").unwrap_or_default(),
            email: text("email"),
            email_verified: is_true(claims.get("email_verified")),
            username: text("preferred_username"),
            name: text("name"),
            claims: HashMap::new(),
        }
    }

    /// Take what userinfo adds to the ID token: providers that follow the specification
    /// closely put the scopes' claims only there. Userinfo must be about the same person
    /// (OpenID Connect Core 5.3.2).
    fn merge(&mut self, info: HashMap<String, serde_json::Value>) -> Result<(), Error> {
        let text = |name: &str| text(info.get(name));
        if text("sub").as_deref() != Some(self.subject.as_str()) {
            return Err(Error::Unauthorized(
                "the identity provider's userinfo is about someone else".into(),
            ));
        }
        if self.email.is_none() {
            self.email = text("email");
            self.email_verified = is_true(info.get("email_verified"));
        }
        if self.username.is_none() {
            self.username = text("preferred_username");
        }
        if self.name.is_none() {
            self.name = text("name");
        }
        self.claims = info;
        Ok(())
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

/// A claim that is a string.
fn text(value: Option<&serde_json::Value>) -> Option<String> {
    value.and_then(|v| v.as_str()).map(str::to_string)
}

/// `true`, or the string "true" that some providers send instead.
fn is_true(value: Option<&serde_json::Value>) -> bool {
    matches!(value, Some(serde_json::Value::Bool(true)))
        || value.and_then(|v| v.as_str()) == Some("true")
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

fn refused_by_provider(what: &str, e: String) -> Error {
    tracing::warn!("single sign-on: could not {what} the identity provider: {e}");
    Error::Unauthorized(format!("Could not {what} the identity provider: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use openssl::{hash::MessageDigest, pkey::PKey, rsa::Rsa, sign::Signer};
    use serde_json::{json, Value};
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    type Key = PKey<openssl::pkey::Private>;

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn published(key: &Key, kid: &str) -> Value {
        let rsa = key.rsa().unwrap();
        let (n, e) = (b64(&rsa.n().to_vec()), b64(&rsa.e().to_vec()));
        json!({ "keys": [{ "kty": "RSA", "kid": kid, "use": "sig", "n": n, "e": e }] })
    }

    fn rs256(key: &Key, kid: &str, claims: &Value) -> String {
        let header = json!({ "alg": "RS256", "kid": kid, "typ": "JWT" });
        let signed = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let mut signer = Signer::new(MessageDigest::sha256(), key).unwrap();
        signer.update(signed.as_bytes()).unwrap();
        format!("{signed}.{}", b64(&signer.sign_to_vec().unwrap()))
    }

    /// Answer each request on `listener` with `answer(path)` as JSON, on a thread of its own.
    fn serve(listener: std::net::TcpListener, answer: impl Fn(&str) -> Value + Send + 'static) {
        std::thread::spawn(move || {
            for socket in listener.incoming() {
                let mut socket = socket.unwrap();
                let mut request = vec![0; 16384];
                let read = socket.read(&mut request).unwrap();
                let text = String::from_utf8_lossy(&request[..read]).into_owned();
                let body = answer(text.split(' ').nth(1).unwrap_or("/")).to_string();
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                socket.write_all(head.as_bytes()).unwrap();
                socket.write_all(body.as_bytes()).unwrap();
            }
        });
    }

    #[tokio::test]
    async fn keys_published_since_the_last_read_are_read_before_a_token_is_refused() {
        let old: Key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let new: Key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let key_reads = Arc::new(AtomicUsize::new(0));
        let (reads, at) = (key_reads.clone(), issuer.clone());
        let (old_keys, new_keys) = (published(&old, "old"), published(&new, "new"));
        serve(listener, move |path| match path {
            "/.well-known/openid-configuration" => json!({
                "issuer": at,
                "authorization_endpoint": format!("{at}/authorize"),
                "token_endpoint": format!("{at}/token"),
                "jwks_uri": format!("{at}/jwks"),
                "id_token_signing_alg_values_supported": ["RS256"],
            }),
            // The provider starts signing with a new key just after Guild read the old one.
            "/jwks" => match reads.fetch_add(1, SeqCst) {
                0 => old_keys.clone(),
                _ => new_keys.clone(),
            },
            "/token" => {
                let now = crate::time::now().and_utc().timestamp();
                let claims = json!({ "iss": at, "aud": "guild", "sub": "someone",
                    "nonce": "n", "iat": now, "exp": now + 60 });
                json!({ "access_token": "a", "token_type": "Bearer",
                    "id_token": rs256(&new, "new", &claims) })
            }
            _ => json!({}),
        });
        let settings = SingleSignOn {
            issuer,
            client_id: "guild".into(),
            client_secret: Secret("secret".into()),
            name: "Test".into(),
            email_domains: Vec::new(),
            admin_claim: None,
        };
        let provider = Provider::new(settings, "http://localhost:1").unwrap();
        provider.start().await.unwrap();
        assert_eq!(key_reads.load(SeqCst), 1);
        let identity = provider.finish("code", "verifier", "n").await.unwrap();
        assert_eq!(identity.subject, "someone");
        assert_eq!(key_reads.load(SeqCst), 2, "the keys were read once more");
        // Keys that verify are kept: the next sign-in reads nothing.
        provider.finish("code", "verifier", "n").await.unwrap();
        assert_eq!(key_reads.load(SeqCst), 2);
        // A nonce that does not match is refused, after one more read of the keys.
        let refused = provider
            .finish("code", "verifier", "other")
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("nonce"), "{refused}");
        assert_eq!(key_reads.load(SeqCst), 3);
    }
}
