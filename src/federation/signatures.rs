//! Checking the signatures other servers put on their requests to us, in both forms in use:
//! draft-cavage HTTP Signatures (`Signature: keyId=…,headers=…,signature=…`, what Mastodon
//! sends) and RFC 9421 HTTP Message Signatures (`Signature-Input` and `Signature`). A
//! signature must cover the request's method and target, a date no more than an hour away
//! (either way: a request dated ahead would replay until then), and for a body its digest;
//! an RFC 9421 signature also the server it was meant for (`@target-uri`, or `@authority`).

use crate::error::Error;
use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    HttpMessage,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use openssl::{
    hash::MessageDigest,
    pkey::{Id, PKey, Public},
    rsa::Padding,
    sha::{sha256, sha512},
    sign::{RsaPssSaltlen, Verifier},
};

/// How far a signature's date may be from ours, before or after.
const MAX_SKEW_SECONDS: i64 = 3600;

/// A signature found on a request, with the text it claims to sign rebuilt from the request.
#[derive(Debug)]
pub struct Signature {
    pub key_id: String,
    algorithm: Algorithm,
    base: String,
    bytes: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Algorithm {
    RsaSha256,
    RsaPssSha512,
    Ed25519,
}

/// What the checks need of a request, whichever web framework it came through.
pub struct Request<'a> {
    pub method: &'a str,
    /// `/path?query`, as sent.
    pub target: &'a str,
    /// This instance's `scheme://host[:port]`, for `@target-uri`.
    pub base_url: &'a str,
    pub headers: &'a actix_web::http::header::HeaderMap,
    pub has_body: bool,
}

impl<'a> Request<'a> {
    /// The parts of an actix request the checks read; `target` is from [`sent_target`].
    pub fn of(
        req: &'a actix_web::HttpRequest,
        target: &'a str,
        base_url: &'a str,
        has_body: bool,
    ) -> Self {
        Request {
            method: req.method().as_str(),
            target,
            base_url,
            headers: req.headers(),
            has_body,
        }
    }

    fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .map(str::trim)
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

/// The request's target as its sender wrote it, which is what a signature covers.
#[derive(Clone)]
struct SentTarget(String);

/// Middleware, outside path normalisation: a signed request's target is kept as sent, since
/// `/inbox/` trimmed to `/inbox` no longer matches the signature.
pub async fn keep_sent_target(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let signed = ["signature", "signature-input"]
        .iter()
        .any(|h| req.headers().contains_key(*h));
    if signed {
        let target = path_and_query(req.uri()).to_string();
        req.extensions_mut().insert(SentTarget(target));
    }
    next.call(req).await
}

/// The target a signature on `req` covers: as sent, before normalisation.
pub fn sent_target(req: &actix_web::HttpRequest) -> String {
    req.extensions()
        .get::<SentTarget>()
        .map(|t| t.0.clone())
        .unwrap_or_else(|| path_and_query(req.uri()).to_string())
}

fn path_and_query(uri: &actix_web::http::Uri) -> &str {
    uri.path_and_query().map_or("/", |p| p.as_str())
}

fn invalid(why: &str) -> Error {
    Error::Unauthorized(format!("HTTP signature does not verify: {why}"))
}

impl Signature {
    /// The signature on `req`, if it has one; a malformed or stale one, or one that leaves
    /// out what it must cover, is a 401.
    pub fn of(req: &Request) -> Result<Option<Signature>, Error> {
        if let Some(input) = req.header("signature-input") {
            return rfc9421(req, &input).map(Some);
        }
        match req.header("signature") {
            Some(value) => cavage(req, &value).map(Some),
            None => Ok(None),
        }
    }

    /// The signing actor's id: the key id without its fragment.
    pub fn actor_id(&self) -> &str {
        self.key_id.split('#').next().unwrap_or_default()
    }

    /// Whether the signature was made with the key whose public half is `public_key_pem`. A
    /// key that cannot check it (unreadable, or of another kind) verifies nothing: a 401,
    /// not a fault of ours for the sender to retry.
    pub fn verify(&self, public_key_pem: &str) -> Result<bool, Error> {
        self.check(public_key_pem)
            .map_err(|e| invalid(&format!("the actor's key cannot check it: {e}")))
    }

    fn check(&self, public_key_pem: &str) -> Result<bool, openssl::error::ErrorStack> {
        let key = public_key(public_key_pem)?;
        let algorithm = match key.id() {
            Id::ED25519 => Algorithm::Ed25519,
            _ if self.algorithm == Algorithm::Ed25519 => return Ok(false),
            _ => self.algorithm,
        };
        let mut verifier = match algorithm {
            Algorithm::Ed25519 => {
                let mut verifier = Verifier::new_without_digest(&key)?;
                return verifier.verify_oneshot(&self.bytes, self.base.as_bytes());
            }
            Algorithm::RsaSha256 => Verifier::new(MessageDigest::sha256(), &key)?,
            Algorithm::RsaPssSha512 => {
                let mut verifier = Verifier::new(MessageDigest::sha512(), &key)?;
                verifier.set_rsa_padding(Padding::PKCS1_PSS)?;
                verifier.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
                verifier
            }
        };
        verifier.update(self.base.as_bytes())?;
        verifier.verify(&self.bytes)
    }
}

/// Senders' keys already read, by their PEM text: reading one cost a fifth of receiving an
/// activity (OpenSSL 3's decoders), and a peer signs with the same few keys all day. Emptied
/// when full, so made-up keys cannot make it grow past [`KEYS_KEPT`] (a few MB at most).
static KEYS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, PKey<Public>>>,
> = std::sync::LazyLock::new(Default::default);
const KEYS_KEPT: usize = 1000;

fn public_key(pem: &str) -> Result<PKey<Public>, openssl::error::ErrorStack> {
    let keys = || KEYS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(key) = keys().get(pem) {
        return Ok(key.clone());
    }
    let key = PKey::public_key_from_pem(pem.as_bytes())?;
    let mut kept = keys();
    if kept.len() >= KEYS_KEPT {
        kept.clear();
    }
    kept.insert(pem.to_string(), key.clone());
    Ok(key)
}

/// A date (seconds since the epoch) within the allowed skew of now.
fn fresh(seconds: i64) -> Result<(), Error> {
    let now = chrono::Utc::now().timestamp();
    if seconds > now + MAX_SKEW_SECONDS {
        return Err(invalid("the signature is dated in the future"));
    }
    if seconds < now - MAX_SKEW_SECONDS {
        return Err(invalid("the signature has expired"));
    }
    Ok(())
}

/// The `Date` header, when the signature covers it, must be fresh.
fn fresh_date(req: &Request) -> Result<(), Error> {
    let date = req
        .header("date")
        .ok_or_else(|| invalid("no Date header"))?;
    let date = chrono::DateTime::parse_from_rfc2822(&date.replace("GMT", "+0000"))
        .map_err(|_| invalid("unreadable Date header"))?;
    fresh(date.timestamp())
}

fn expired(expires: Option<i64>) -> Result<(), Error> {
    match expires {
        Some(t) if t < chrono::Utc::now().timestamp() => Err(invalid("the signature has expired")),
        _ => Ok(()),
    }
}

/// `Signature: keyId="…",algorithm="…",headers="…",signature="…"` (draft-cavage-12).
fn cavage(req: &Request, value: &str) -> Result<Signature, Error> {
    let mut key_id = None;
    let mut headers = vec!["date".to_string()];
    let (mut signature, mut algorithm) = (None, Algorithm::RsaSha256);
    let (mut created, mut expires) = (None, None);
    for part in value.split(',') {
        let (name, quoted) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| invalid("malformed Signature header"))?;
        let text = quoted.trim_matches('"');
        match name {
            "keyId" => key_id = Some(text.to_string()),
            "headers" => headers = text.split(' ').map(str::to_ascii_lowercase).collect(),
            "signature" => signature = STANDARD.decode(text).ok(),
            "algorithm" if text == "ed25519" => algorithm = Algorithm::Ed25519,
            "created" => created = text.parse::<i64>().ok(),
            "expires" => expires = text.parse::<i64>().ok(),
            _ => {}
        }
    }
    let covers = |name: &str| headers.iter().any(|h| h == name);
    // `host` is not required: the federation library (Lemmy's) leaves it out of signatures.
    if !covers("(request-target)") {
        return Err(invalid("(request-target) is not signed"));
    }
    if req.has_body && !covers("digest") {
        return Err(invalid("the body's digest is not signed"));
    }
    match created {
        Some(created) if covers("(created)") => fresh(created)?,
        _ if covers("date") => fresh_date(req)?,
        _ => return Err(invalid("neither date nor (created) is signed")),
    }
    expired(expires)?;
    let lines: Option<Vec<String>> = headers
        .iter()
        .map(|name| match name.as_str() {
            "(created)" => created.map(|c| format!("(created): {c}")),
            "(expires)" => expires.map(|e| format!("(expires): {e}")),
            "(request-target)" => Some(format!(
                "(request-target): {} {}",
                req.method.to_ascii_lowercase(),
                req.target
            )),
            name => req.header(name).map(|v| format!("{name}: {v}")),
        })
        .collect();
    Ok(Signature {
        key_id: key_id.ok_or_else(|| invalid("no keyId"))?,
        algorithm,
        base: lines
            .ok_or_else(|| invalid("a signed header is missing"))?
            .join("\n"),
        bytes: signature.ok_or_else(|| invalid("unreadable signature"))?,
    })
}

/// `Signature-Input: sig1=("@method" "@target-uri" …);created=…;keyid="…"` and
/// `Signature: sig1=:…:` (RFC 9421). The first label that has both is checked.
fn rfc9421(req: &Request, input: &str) -> Result<Signature, Error> {
    let signatures = req
        .header("signature")
        .ok_or_else(|| invalid("Signature-Input without Signature"))?;
    let (label, params) = split_members(input)
        .into_iter()
        .find(|(label, _)| member(&signatures, label).is_some())
        .ok_or_else(|| invalid("no Signature for the Signature-Input"))?;
    let bytes = member(&signatures, label)
        .and_then(|v| v.strip_prefix(':')?.strip_suffix(':').map(str::to_string))
        .and_then(|b| STANDARD.decode(b).ok())
        .ok_or_else(|| invalid("unreadable signature"))?;
    let close = params
        .find(')')
        .ok_or_else(|| invalid("malformed Signature-Input"))?;
    let components: Vec<&str> = params[..close]
        .trim_start_matches('(')
        .split_whitespace()
        .map(|c| c.split(';').next().unwrap_or_default().trim_matches('"'))
        .collect();
    let param = |name: &str| {
        params[close + 1..]
            .split(';')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim() == name)
            .map(|(_, v)| v.trim_matches('"').to_string())
    };
    let covers = |name: &str| components.contains(&name);
    let target = covers("@target-uri")
        || (covers("@authority") && ["@request-target", "@path"].iter().any(|c| covers(c)));
    if !covers("@method") || !target {
        return Err(invalid(
            "the method and the target on this server are not signed",
        ));
    }
    if req.has_body && !covers("content-digest") && !covers("digest") {
        return Err(invalid("the body's digest is not signed"));
    }
    match param("created").and_then(|c| c.parse::<i64>().ok()) {
        Some(created) => fresh(created)?,
        None if covers("date") => fresh_date(req)?,
        None => return Err(invalid("neither date nor created is signed")),
    }
    expired(param("expires").and_then(|e| e.parse::<i64>().ok()))?;
    let algorithm = match param("alg").as_deref() {
        None | Some("rsa-v1_5-sha256") => Algorithm::RsaSha256,
        Some("rsa-pss-sha512") => Algorithm::RsaPssSha512,
        Some("ed25519") => Algorithm::Ed25519,
        Some(other) => return Err(invalid(&format!("algorithm {other} is not supported"))),
    };
    let mut lines = Vec::new();
    for component in &components {
        let value = component_value(req, component)
            .ok_or_else(|| invalid(&format!("{component} is not in the request")))?;
        lines.push(format!("\"{component}\": {value}"));
    }
    lines.push(format!("\"@signature-params\": {params}"));
    Ok(Signature {
        key_id: param("keyid").ok_or_else(|| invalid("no keyid"))?,
        algorithm,
        base: lines.join("\n"),
        bytes,
    })
}

fn component_value(req: &Request, component: &str) -> Option<String> {
    let (path, query) = req.target.split_once('?').unwrap_or((req.target, ""));
    let (scheme, authority) = req.base_url.split_once("://")?;
    Some(match component {
        "@method" => req.method.to_ascii_uppercase(),
        "@target-uri" => format!("{}{}", req.base_url, req.target),
        "@authority" => authority.to_ascii_lowercase(),
        "@scheme" => scheme.to_string(),
        "@request-target" => req.target.to_string(),
        "@path" => path.to_string(),
        "@query" => format!("?{query}"),
        name if name.starts_with('@') => return None,
        name => req.header(name)?,
    })
}

/// Members of a structured-field dictionary (`a=…, b=…`), split at top-level commas.
fn split_members(dictionary: &str) -> Vec<(&str, &str)> {
    let (mut members, mut depth, mut start, mut quoted) = (Vec::new(), 0, 0, false);
    for (i, c) in dictionary.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                members.push(&dictionary[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    members.push(&dictionary[start..]);
    members
        .into_iter()
        .filter_map(|m| m.trim().split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

fn member<'a>(dictionary: &'a str, label: &str) -> Option<&'a str> {
    split_members(dictionary)
        .into_iter()
        .find(|(k, _)| *k == label)
        .map(|(_, v)| v)
}

/// The body must match every digest given of it (`Digest: SHA-256=…` or RFC 9530
/// `Content-Digest: sha-256=:…:`), so that whichever the signature covers is checked; a body
/// without a digest, with one in an algorithm we cannot check, or with one that does not
/// match, is a 400.
pub fn check_digest(
    headers: &actix_web::http::header::HeaderMap,
    body: &[u8],
) -> Result<(), Error> {
    let mut checked = 0;
    let value = |name: &str| {
        headers
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",")
    };
    let digest = value("digest");
    let content_digest = value("content-digest");
    let legacy = digest
        .split(',')
        .filter_map(|p| p.trim().split_once('='))
        .map(|(alg, v)| (alg.to_ascii_lowercase(), v.to_string()));
    let modern = split_members(&content_digest)
        .into_iter()
        .map(|(alg, v)| (alg.to_ascii_lowercase(), v.trim_matches(':').to_string()));
    for (algorithm, given) in legacy.chain(modern) {
        let actual = match algorithm.as_str() {
            "sha-256" => STANDARD.encode(sha256(body)),
            "sha-512" => STANDARD.encode(sha512(body)),
            // A digest we cannot check may be the one the signature covers.
            other => {
                return Err(Error::BadRequest(format!(
                    "the body's {other} digest cannot be checked; send SHA-256 or SHA-512"
                )))
            }
        };
        if actual != given {
            return Err(Error::BadRequest(
                "the body does not match its digest".into(),
            ));
        }
        checked += 1;
    }
    if checked == 0 {
        return Err(Error::BadRequest(
            "the request has no SHA-256 or SHA-512 digest of its body".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
    use openssl::sign::Signer;

    fn headers(pairs: &[(&str, String)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn request(headers: &HeaderMap) -> Request<'_> {
        Request {
            method: "POST",
            target: "/users/bob/inbox",
            base_url: "http://localhost:8081",
            headers,
            has_body: true,
        }
    }

    /// An RFC 9421 signature as a peer makes it, created `offset` seconds from now.
    fn rfc9421_headers(body: &[u8], offset: i64, private_pem: &str) -> HeaderMap {
        let created = chrono::Utc::now().timestamp() + offset;
        let digest = format!("sha-256=:{}:", STANDARD.encode(sha256(body)));
        let params = format!(
            "(\"@method\" \"@target-uri\" \"content-digest\");created={created};keyid=\"http://a.example/users/x#main-key\";alg=\"rsa-v1_5-sha256\""
        );
        let base = format!(
            "\"@method\": POST\n\"@target-uri\": http://localhost:8081/users/bob/inbox\n\"content-digest\": {digest}\n\"@signature-params\": {params}"
        );
        let key = PKey::private_key_from_pem(private_pem.as_bytes()).unwrap();
        let mut signer = Signer::new(MessageDigest::sha256(), &key).unwrap();
        signer.update(base.as_bytes()).unwrap();
        let signature = STANDARD.encode(signer.sign_to_vec().unwrap());
        headers(&[
            ("content-digest", digest),
            ("signature-input", format!("sig1={params}")),
            ("signature", format!("sig1=:{signature}:")),
        ])
    }

    #[test]
    fn rfc9421_signatures_verify_and_future_dates_are_refused() {
        let keys = crate::crypto::generate_keypair().unwrap();
        let body = br#"{"type":"Follow"}"#;
        let signed = rfc9421_headers(body, 0, &keys.private_pem);
        check_digest(&signed, body).unwrap();
        let signature = Signature::of(&request(&signed)).unwrap().unwrap();
        assert_eq!(signature.actor_id(), "http://a.example/users/x");
        assert!(signature.verify(&keys.public_pem).unwrap());
        let other = crate::crypto::generate_keypair().unwrap();
        assert!(!signature.verify(&other.public_pem).unwrap());
        let ahead = rfc9421_headers(body, 2 * 3600, &keys.private_pem);
        let refused = Signature::of(&request(&ahead)).unwrap_err();
        assert!(refused.to_string().contains("future"), "{refused}");
        assert!(check_digest(&signed, b"{}").is_err());
        // A digest we cannot check may be the signed one: a matching unsigned one beside it
        // does not make the body believed.
        let mut swapped = signed.clone();
        swapped.insert(
            HeaderName::from_static("digest"),
            HeaderValue::from_static("SHA=AAAA"),
        );
        assert!(check_digest(&swapped, body).is_err());
    }

    #[test]
    fn draft_cavage_signatures_dated_ahead_are_refused() {
        let keys = crate::crypto::generate_keypair().unwrap();
        let url = url::Url::parse("http://localhost:8081/users/bob/inbox").unwrap();
        let key = crate::delivery::signing::parse_key(&keys.private_pem).unwrap();
        let body = b"{}";
        let signed = crate::delivery::signing::sign("POST", &url, Some(body), "k#main-key", &key);
        let signed = signed.unwrap();
        let map = |date: String| {
            headers(&[
                ("host", "localhost:8081".to_string()),
                ("date", date),
                ("digest", signed.digest.clone().unwrap()),
                ("signature", signed.signature.clone()),
            ])
        };
        let now = map(signed.date.clone());
        let signature = Signature::of(&request(&now)).unwrap().unwrap();
        assert!(signature.verify(&keys.public_pem).unwrap());
        let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
        let ahead = map(tomorrow.format("%a, %d %b %Y %H:%M:%S GMT").to_string());
        assert!(Signature::of(&request(&ahead)).is_err());
    }
}
