//! HTTP Signatures (draft-cavage, `rsa-sha256`) made with OpenSSL, as Mastodon expects them:
//! `(request-target) host date digest` for POSTs, `(request-target) host date` for GETs.

use crate::error::Error;
use base64::{engine::general_purpose::STANDARD, Engine};
use openssl::{
    hash::MessageDigest,
    pkey::{PKey, Private},
    sha::sha256,
    sign::Signer,
};
use url::Url;

/// Headers to add to a signed request.
pub struct SignedHeaders {
    pub date: String,
    pub digest: Option<String>,
    pub signature: String,
}

/// `SHA-256=…` digest header value of a body.
pub fn digest(body: &[u8]) -> String {
    format!("SHA-256={}", STANDARD.encode(sha256(body)))
}

/// An actor's private key, parsed once: parsing the PEM costs more than signing.
pub fn parse_key(private_key_pem: &str) -> Result<PKey<Private>, Error> {
    Ok(PKey::private_key_from_pem(private_key_pem.as_bytes())?)
}

/// Sign a request to `url` as the actor whose key is `key_id`.
pub fn sign(
    method: &str,
    url: &Url,
    body: Option<&[u8]>,
    key_id: &str,
    key: &PKey<Private>,
) -> Result<SignedHeaders, Error> {
    let date = httpdate(chrono::Utc::now());
    let mut target = url.path().to_string();
    if let Some(query) = url.query() {
        target = format!("{target}?{query}");
    }
    let digest = body.map(digest);
    let mut lines = vec![
        format!("(request-target): {} {target}", method.to_ascii_lowercase()),
        format!("host: {}", crate::protocol::domain_of(url)),
        format!("date: {date}"),
    ];
    let mut headers = "(request-target) host date".to_string();
    if let Some(digest) = &digest {
        lines.push(format!("digest: {digest}"));
        headers.push_str(" digest");
    }
    let mut signer = Signer::new(MessageDigest::sha256(), key)?;
    signer.update(lines.join("\n").as_bytes())?;
    let signature = STANDARD.encode(signer.sign_to_vec()?);
    Ok(SignedHeaders {
        date,
        digest,
        signature: format!(
            "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{headers}\",signature=\"{signature}\""
        ),
    })
}

/// RFC 7231 date, as the `Date` header needs it.
fn httpdate(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::sign::Verifier;

    #[test]
    fn signatures_verify_with_the_public_key() {
        let keys = crate::crypto::generate_keypair().unwrap();
        let url = Url::parse("http://localhost:8081/users/bob/inbox").unwrap();
        let key = parse_key(&keys.private_pem).unwrap();
        let signed = sign("POST", &url, Some(b"{}"), "http://a/users/x#main-key", &key).unwrap();
        assert_eq!(
            signed.digest.as_deref(),
            Some("SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=")
        );
        assert!(signed
            .signature
            .contains("headers=\"(request-target) host date digest\""));
        let signature = signed
            .signature
            .split("signature=\"")
            .nth(1)
            .unwrap()
            .trim_end_matches('"');
        let text = format!(
            "(request-target): post /users/bob/inbox\nhost: localhost:8081\ndate: {}\ndigest: {}",
            signed.date,
            signed.digest.unwrap()
        );
        let public = PKey::public_key_from_pem(keys.public_pem.as_bytes()).unwrap();
        let mut verifier = Verifier::new(MessageDigest::sha256(), &public).unwrap();
        verifier.update(text.as_bytes()).unwrap();
        assert!(verifier
            .verify(&STANDARD.decode(signature).unwrap())
            .unwrap());
    }
}
