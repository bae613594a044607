//! Requests as other servers sign them, written here from the specifications rather than
//! with Guild's own signer: RFC 9421 HTTP Message Signatures, and draft-cavage signatures
//! dated as the test chooses.

use super::{Signer, TestServer};
use base64::{engine::general_purpose::STANDARD, Engine};
use openssl::{hash::MessageDigest, pkey::PKey, sha::sha256, sign::Signer as RsaSigner};

fn sign_sha256(private_pem: &str, text: &str) -> String {
    let key = PKey::private_key_from_pem(private_pem.as_bytes()).unwrap();
    let mut signer = RsaSigner::new(MessageDigest::sha256(), &key).unwrap();
    signer.update(text.as_bytes()).unwrap();
    STANDARD.encode(signer.sign_to_vec().unwrap())
}

async fn send(server: &TestServer, path: &str, body: &str, headers: Vec<(&str, String)>) -> u16 {
    let mut request = server
        .http
        .post(server.url(path))
        .header("Content-Type", "application/activity+json");
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// POST `body` signed with RFC 9421 (`rsa-v1_5-sha256` over `@method`, `@target-uri` and
/// `content-digest`, no `Digest` header), created `offset` seconds from now.
pub async fn post_rfc9421(
    server: &TestServer,
    path: &str,
    body: &serde_json::Value,
    signer: &Signer,
    offset: i64,
) -> u16 {
    let body = body.to_string();
    let created = chrono::Utc::now().timestamp() + offset;
    let digest = format!("sha-256=:{}:", STANDARD.encode(sha256(body.as_bytes())));
    let params = format!(
        "(\"@method\" \"@target-uri\" \"content-digest\");created={created};keyid=\"{}\";alg=\"rsa-v1_5-sha256\"",
        signer.key_id
    );
    let base = format!(
        "\"@method\": POST\n\"@target-uri\": {}\n\"content-digest\": {digest}\n\"@signature-params\": {params}",
        server.url(path)
    );
    let signature = sign_sha256(&signer.private_pem, &base);
    let headers = vec![
        ("Content-Digest", digest),
        ("Signature-Input", format!("sig1={params}")),
        ("Signature", format!("sig1=:{signature}:")),
    ];
    send(server, path, &body, headers).await
}

/// POST `body` with a draft-cavage signature whose `Date` is `offset` seconds from now.
pub async fn post_dated(
    server: &TestServer,
    path: &str,
    body: &serde_json::Value,
    signer: &Signer,
    offset: i64,
) -> u16 {
    let body = body.to_string();
    let date = (chrono::Utc::now() + chrono::Duration::seconds(offset))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let digest = format!("SHA-256={}", STANDARD.encode(sha256(body.as_bytes())));
    let text = format!(
        "(request-target): post {path}\nhost: {}\ndate: {date}\ndigest: {digest}",
        server.domain
    );
    let signature = format!(
        "keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"{}\"",
        signer.key_id,
        sign_sha256(&signer.private_pem, &text)
    );
    let headers = vec![("Date", date), ("Digest", digest), ("Signature", signature)];
    send(server, path, &body, headers).await
}
