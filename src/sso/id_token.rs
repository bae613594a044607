//! Checking an ID token (a JSON Web Token signed by the provider, RFC 7515/7519) the way
//! OpenID Connect Core 3.1.3.7 asks: the signature with one of the provider's published keys
//! (or, for the HMAC algorithms, the client secret), then issuer, audience, expiry and nonce.
//! Verification is OpenSSL's, as for every other signature Guild checks.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::{RsaPssSaltlen, Signer, Verifier};
use serde::Deserialize;
use serde_json::{Map, Value};

/// How far the provider's clock may run behind ours before a fresh token looks expired.
const CLOCK_SKEW_SECONDS: i64 = 60;

/// The provider's signing keys, from its `jwks_uri` (RFC 7517).
#[derive(Debug, Default, Deserialize)]
pub struct KeySet {
    keys: Vec<Jwk>,
}

/// One published key; only what signature checks need. Unknown kinds are kept and never match.
#[derive(Debug, Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    alg: Option<String>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

/// What a valid token must say, and what may sign it.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub nonce: &'a str,
    /// The provider's `id_token_signing_alg_values_supported`; empty means RS256 only, the
    /// specification's default.
    pub algorithms: &'a [String],
    /// Seconds since the epoch.
    pub now: i64,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
    /// Extensions the signer requires the reader to understand; Guild understands none.
    crit: Option<Value>,
}

/// The signature algorithms of RFC 7518 that Guild accepts; `none` is not among them.
#[derive(Clone, Copy)]
enum Algorithm {
    Rsa(MessageDigest),
    RsaPss(MessageDigest),
    Ecdsa(MessageDigest, &'static str),
    EdDsa,
    Hmac(MessageDigest),
}

impl Algorithm {
    fn named(name: &str) -> Option<Algorithm> {
        use MessageDigest as D;
        Some(match name {
            "RS256" => Algorithm::Rsa(D::sha256()),
            "RS384" => Algorithm::Rsa(D::sha384()),
            "RS512" => Algorithm::Rsa(D::sha512()),
            "PS256" => Algorithm::RsaPss(D::sha256()),
            "PS384" => Algorithm::RsaPss(D::sha384()),
            "PS512" => Algorithm::RsaPss(D::sha512()),
            "ES256" => Algorithm::Ecdsa(D::sha256(), "P-256"),
            "ES384" => Algorithm::Ecdsa(D::sha384(), "P-384"),
            "ES512" => Algorithm::Ecdsa(D::sha512(), "P-521"),
            "EdDSA" => Algorithm::EdDsa,
            "HS256" => Algorithm::Hmac(D::sha256()),
            "HS384" => Algorithm::Hmac(D::sha384()),
            "HS512" => Algorithm::Hmac(D::sha512()),
            _ => return None,
        })
    }

    /// The JWK key type (and curve) that can check this algorithm's signatures.
    fn fits(self, key: &Jwk) -> bool {
        match self {
            Algorithm::Rsa(_) | Algorithm::RsaPss(_) => key.kty == "RSA",
            Algorithm::Ecdsa(_, curve) => key.kty == "EC" && key.crv.as_deref() == Some(curve),
            Algorithm::EdDsa => key.kty == "OKP" && key.crv.as_deref() == Some("Ed25519"),
            Algorithm::Hmac(_) => false,
        }
    }
}

/// The token's claims when everything checks out, or what did not.
pub fn verify(
    token: &str,
    keys: &KeySet,
    expected: &Expected,
) -> Result<Map<String, Value>, String> {
    let parts: Vec<&str> = token.split('.').collect();
    let [head, payload, signature] = parts[..] else {
        return Err(if parts.len() == 5 {
            "it is encrypted, which Guild does not support".into()
        } else {
            "it is not a signed JSON Web Token".into()
        });
    };
    let header: Header = serde_json::from_slice(&decode(head, "header")?)
        .map_err(|e| format!("its header is not valid: {e}"))?;
    if header.crit.is_some() {
        return Err("its header asks for extensions Guild does not know (crit)".into());
    }
    let allowed = if expected.algorithms.is_empty() {
        header.alg == "RS256"
    } else {
        expected.algorithms.contains(&header.alg)
    };
    let algorithm = Algorithm::named(&header.alg)
        .filter(|_| allowed)
        .ok_or_else(|| format!("it is signed with {}, which is not accepted", header.alg))?;
    let signed = &token[..head.len() + 1 + payload.len()];
    let signature = decode(signature, "signature")?;
    let valid = match algorithm {
        Algorithm::Hmac(digest) => hmac_matches(
            digest,
            expected.client_secret.as_bytes(),
            signed,
            &signature,
        ),
        _ => {
            let key = signing_key(keys, algorithm, &header)?;
            signature_matches(algorithm, key, signed, &signature)
        }
    }
    .map_err(|e| format!("its signature could not be checked: {e}"))?;
    if !valid {
        return Err("its signature does not match".into());
    }
    let claims: Map<String, Value> = serde_json::from_slice(&decode(payload, "claims")?)
        .map_err(|e| format!("its claims are not a JSON object: {e}"))?;
    check_claims(&claims, expected)?;
    Ok(claims)
}

fn decode(part: &str, what: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| format!("its {what} is not base64url: {e}"))
}

/// The one published key that fits the algorithm (and the header's key id, if any). As in
/// OpenID Connect Core 10.1, a provider with several such keys must name the one it used.
fn signing_key<'k>(
    keys: &'k KeySet,
    algorithm: Algorithm,
    header: &Header,
) -> Result<&'k Jwk, String> {
    let mut fitting = keys.keys.iter().filter(|key| {
        algorithm.fits(key)
            && key.usage.as_deref().is_none_or(|u| u == "sig")
            && key.alg.as_deref().is_none_or(|a| a == header.alg)
            && header
                .kid
                .as_ref()
                .is_none_or(|kid| key.kid.as_ref() == Some(kid))
    });
    match (fitting.next(), fitting.next()) {
        (Some(key), None) => Ok(key),
        (None, _) => Err(format!(
            "the provider publishes no {} key{}",
            header.alg,
            header
                .kid
                .as_ref()
                .map(|k| format!(" with id {k}"))
                .unwrap_or_default()
        )),
        (Some(_), Some(_)) => Err(format!(
            "the provider publishes several {} keys and the token does not say which signed it",
            header.alg
        )),
    }
}

type Checked = Result<bool, Box<dyn std::error::Error>>;

fn hmac_matches(digest: MessageDigest, secret: &[u8], signed: &str, signature: &[u8]) -> Checked {
    let key = PKey::hmac(secret)?;
    let mac = Signer::new(digest, &key)?.sign_oneshot_to_vec(signed.as_bytes())?;
    Ok(crate::crypto::same_secret(&mac, signature))
}

fn signature_matches(algorithm: Algorithm, key: &Jwk, signed: &str, signature: &[u8]) -> Checked {
    let public = public_key(algorithm, key)?;
    let signed = signed.as_bytes();
    match algorithm {
        Algorithm::Rsa(digest) => {
            Ok(Verifier::new(digest, &public)?.verify_oneshot(signature, signed)?)
        }
        Algorithm::RsaPss(digest) => {
            let mut verifier = Verifier::new(digest, &public)?;
            verifier.set_rsa_padding(Padding::PKCS1_PSS)?;
            verifier.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
            verifier.set_rsa_mgf1_md(digest)?;
            Ok(verifier.verify_oneshot(signature, signed)?)
        }
        Algorithm::Ecdsa(digest, curve) => {
            // JWS carries r and s side by side, each as long as the curve's order; OpenSSL
            // wants them DER-encoded.
            let half = match curve {
                "P-256" => 32,
                "P-384" => 48,
                _ => 66,
            };
            if signature.len() != 2 * half {
                return Ok(false);
            }
            let r = BigNum::from_slice(&signature[..half])?;
            let s = BigNum::from_slice(&signature[half..])?;
            let der = EcdsaSig::from_private_components(r, s)?.to_der()?;
            Ok(Verifier::new(digest, &public)?.verify_oneshot(&der, signed)?)
        }
        Algorithm::EdDsa => {
            Ok(Verifier::new_without_digest(&public)?.verify_oneshot(signature, signed)?)
        }
        Algorithm::Hmac(_) => Ok(false),
    }
}

fn public_key(algorithm: Algorithm, key: &Jwk) -> Result<PKey<Public>, Box<dyn std::error::Error>> {
    let number =
        |field: &Option<String>, name: &str| -> Result<BigNum, Box<dyn std::error::Error>> {
            let text = field.as_deref().ok_or(format!("the key has no {name}"))?;
            Ok(BigNum::from_slice(&decode(text, name)?)?)
        };
    Ok(match algorithm {
        Algorithm::Rsa(_) | Algorithm::RsaPss(_) => PKey::from_rsa(Rsa::from_public_components(
            number(&key.n, "n")?,
            number(&key.e, "e")?,
        )?)?,
        Algorithm::Ecdsa(_, curve) => {
            let nid = match curve {
                "P-256" => Nid::X9_62_PRIME256V1,
                "P-384" => Nid::SECP384R1,
                _ => Nid::SECP521R1,
            };
            let group = EcGroup::from_curve_name(nid)?;
            let (x, y) = (number(&key.x, "x")?, number(&key.y, "y")?);
            PKey::from_ec_key(EcKey::from_public_key_affine_coordinates(&group, &x, &y)?)?
        }
        Algorithm::EdDsa => {
            let x = decode(key.x.as_deref().ok_or("the key has no x")?, "x")?;
            PKey::public_key_from_raw_bytes(&x, Id::ED25519)?
        }
        Algorithm::Hmac(_) => return Err("an HMAC has no public key".into()),
    })
}

/// Issuer, audience, authorised party, expiry, issue time and nonce (Core 3.1.3.7, 2–11).
fn check_claims(claims: &Map<String, Value>, expected: &Expected) -> Result<(), String> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("iss") != Some(expected.issuer) {
        return Err(format!(
            "it was issued by {:?}, not {}",
            text("iss"),
            expected.issuer
        ));
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    // Only tokens meant for Guild alone: another client's token must not open an account here.
    if audiences.is_empty() || audiences.iter().any(|a| *a != expected.client_id) {
        return Err(format!(
            "it is meant for {audiences:?}, not {} alone",
            expected.client_id
        ));
    }
    if claims
        .get("azp")
        .is_some_and(|azp| azp.as_str() != Some(expected.client_id))
    {
        return Err("it was given to another client (azp)".into());
    }
    let time = |name: &str| claims.get(name).and_then(Value::as_f64);
    match time("exp") {
        Some(exp) if (expected.now - CLOCK_SKEW_SECONDS) as f64 >= exp => {
            return Err("it has expired".into())
        }
        Some(_) => {}
        None => return Err("it has no expiry (exp)".into()),
    }
    if time("iat").is_none() {
        return Err("it has no issue time (iat)".into());
    }
    let nonce = text("nonce").unwrap_or_default();
    if !crate::crypto::same_secret(nonce.as_bytes(), expected.nonce.as_bytes()) {
        return Err("its nonce is not the one this sign-in sent".into());
    }
    if text("sub").is_none_or(str::is_empty) {
        return Err("it names no subject (sub)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::ec::EcKey;
    use openssl::pkey::Private;
    use serde_json::json;

    const ISSUER: &str = "https://id.acme.example";
    const SECRET: &str = "the client secret";

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Keys a provider might sign with, and the set it would publish for them.
    struct ProviderKeys {
        rsa: PKey<Private>,
        ec: PKey<Private>,
        ed: PKey<Private>,
    }

    impl ProviderKeys {
        fn new() -> ProviderKeys {
            let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
            ProviderKeys {
                rsa: PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap(),
                ec: PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap(),
                ed: PKey::generate_ed25519().unwrap(),
            }
        }

        fn published(&self) -> KeySet {
            let rsa = self.rsa.rsa().unwrap();
            let ec = self.ec.ec_key().unwrap();
            let (mut x, mut y) = (BigNum::new().unwrap(), BigNum::new().unwrap());
            let mut ctx = openssl::bn::BigNumContext::new().unwrap();
            ec.public_key()
                .affine_coordinates(ec.group(), &mut x, &mut y, &mut ctx)
                .unwrap();
            serde_json::from_value(json!({ "keys": [
                { "kty": "RSA", "kid": "r1", "use": "sig",
                  "n": b64(&rsa.n().to_vec()), "e": b64(&rsa.e().to_vec()) },
                { "kty": "EC", "kid": "e1", "crv": "P-256",
                  "x": b64(&x.to_vec_padded(32).unwrap()), "y": b64(&y.to_vec_padded(32).unwrap()) },
                { "kty": "OKP", "kid": "d1", "crv": "Ed25519",
                  "x": b64(&self.ed.raw_public_key().unwrap()) },
                { "kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB" },
            ]}))
            .unwrap()
        }

        /// A token signed as a provider signs it, with `alg` and `kid` in the header.
        fn sign(&self, alg: &str, kid: Option<&str>, claims: &Value) -> String {
            let header = json!({ "alg": alg, "kid": kid, "typ": "JWT" });
            let signed = format!(
                "{}.{}",
                b64(header.to_string().as_bytes()),
                b64(claims.to_string().as_bytes())
            );
            let input = signed.as_bytes();
            let signature = match alg {
                "RS256" => Signer::new(MessageDigest::sha256(), &self.rsa)
                    .unwrap()
                    .sign_oneshot_to_vec(input)
                    .unwrap(),
                "PS256" => {
                    let mut signer = Signer::new(MessageDigest::sha256(), &self.rsa).unwrap();
                    signer.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
                    signer
                        .set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)
                        .unwrap();
                    signer.sign_oneshot_to_vec(input).unwrap()
                }
                "ES256" => {
                    let der = Signer::new(MessageDigest::sha256(), &self.ec)
                        .unwrap()
                        .sign_oneshot_to_vec(input)
                        .unwrap();
                    let sig = EcdsaSig::from_der(&der).unwrap();
                    [
                        sig.r().to_vec_padded(32).unwrap(),
                        sig.s().to_vec_padded(32).unwrap(),
                    ]
                    .concat()
                }
                "EdDSA" => Signer::new_without_digest(&self.ed)
                    .unwrap()
                    .sign_oneshot_to_vec(input)
                    .unwrap(),
                "HS256" => hmac(SECRET.as_bytes(), input),
                _ => Vec::new(),
            };
            format!("{signed}.{}", b64(&signature))
        }
    }

    fn hmac(secret: &[u8], input: &[u8]) -> Vec<u8> {
        let key = PKey::hmac(secret).unwrap();
        Signer::new(MessageDigest::sha256(), &key)
            .unwrap()
            .sign_oneshot_to_vec(input)
            .unwrap()
    }

    const NOW: i64 = 1_800_000_000;

    fn claims() -> Value {
        json!({ "iss": ISSUER, "aud": "guild", "sub": "dave-0001", "nonce": "n-123",
                "iat": NOW, "exp": NOW + 300, "email": "dave@acme.example" })
    }

    fn expect(algorithms: &[String]) -> Expected<'_> {
        Expected {
            issuer: ISSUER,
            client_id: "guild",
            client_secret: SECRET,
            nonce: "n-123",
            algorithms,
            now: NOW,
        }
    }

    fn every_algorithm() -> Vec<String> {
        ["RS256", "PS256", "ES256", "EdDSA", "HS256"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn tokens_signed_with_a_published_key_or_the_secret_verify() {
        let keys = ProviderKeys::new();
        let algorithms = every_algorithm();
        for (alg, kid) in [
            ("RS256", Some("r1")),
            ("RS256", None),
            ("PS256", Some("r1")),
            ("ES256", Some("e1")),
            ("EdDSA", None),
            ("HS256", None),
        ] {
            let token = keys.sign(alg, kid, &claims());
            let verified = verify(&token, &keys.published(), &expect(&algorithms));
            let claims = verified.unwrap_or_else(|e| panic!("{alg} {kid:?}: {e}"));
            assert_eq!(claims["email"], "dave@acme.example");
        }
    }

    fn refusal(token: &str, keys: &ProviderKeys, algorithms: &[String]) -> String {
        verify(token, &keys.published(), &expect(algorithms)).expect_err("must be refused")
    }

    #[test]
    fn forged_and_altered_tokens_are_refused() {
        let keys = ProviderKeys::new();
        let all = every_algorithm();
        let token = keys.sign("RS256", Some("r1"), &claims());
        let (signed, _) = token.rsplit_once('.').unwrap();

        // The claims changed after signing.
        let mut other = claims();
        other["sub"] = json!("carol-0002");
        let altered = format!(
            "{}.{}.{}",
            signed.split('.').next().unwrap(),
            b64(other.to_string().as_bytes()),
            token.rsplit('.').next().unwrap()
        );
        assert!(refusal(&altered, &keys, &all).contains("does not match"));

        // Signed by a key the provider does not publish.
        let stranger = ProviderKeys::new().sign("RS256", Some("r1"), &claims());
        assert!(refusal(&stranger, &keys, &all).contains("does not match"));

        // No signature at all, or `none`.
        assert!(refusal(&format!("{signed}."), &keys, &all).contains("does not match"));
        let unsigned = keys.sign("none", None, &claims());
        assert!(refusal(&unsigned, &keys, &all).contains("not accepted"));

        // HMAC keyed with the provider's public key (the algorithm-confusion attack): the only
        // HMAC key is the client secret.
        let public_pem = keys.rsa.public_key_to_pem().unwrap();
        let header = b64(json!({ "alg": "HS256" }).to_string().as_bytes());
        let body = b64(claims().to_string().as_bytes());
        let input = format!("{header}.{body}");
        let confused = format!("{input}.{}", b64(&hmac(&public_pem, input.as_bytes())));
        assert!(refusal(&confused, &keys, &all).contains("does not match"));

        // An algorithm the provider does not list, and RS256 alone when it lists none.
        let hs = keys.sign("HS256", None, &claims());
        assert!(refusal(&hs, &keys, &["RS256".into()]).contains("not accepted"));
        assert!(refusal(&keys.sign("ES256", None, &claims()), &keys, &[]).contains("not accepted"));
        assert!(verify(&token, &keys.published(), &expect(&[])).is_ok());

        // A key id nobody published; an encryption key is never a signing key.
        let unknown = keys.sign("RS256", Some("r9"), &claims());
        assert!(refusal(&unknown, &keys, &all).contains("no RS256 key with id r9"));
        let encryption = keys.sign("RS256", Some("enc"), &claims());
        assert!(refusal(&encryption, &keys, &all).contains("no RS256 key"));

        assert!(refusal("a.b", &keys, &all).contains("not a signed JSON Web Token"));
        assert!(refusal("a.b.c.d.e", &keys, &all).contains("encrypted"));
    }

    #[test]
    fn claims_must_name_this_issuer_this_client_this_sign_in_and_the_present() {
        let keys = ProviderKeys::new();
        let all = every_algorithm();
        let refused = |change: &dyn Fn(&mut Value)| {
            let mut claims = claims();
            change(&mut claims);
            refusal(&keys.sign("ES256", None, &claims), &keys, &all)
        };
        assert!(refused(&|c| c["iss"] = json!("https://evil.example")).contains("issued by"));
        assert!(refused(&|c| c["aud"] = json!("another-app")).contains("meant for"));
        assert!(refused(&|c| c["aud"] = json!(["guild", "another-app"])).contains("meant for"));
        assert!(refused(&|c| c["azp"] = json!("another-app")).contains("azp"));
        assert!(refused(&|c| c["exp"] = json!(NOW - 61)).contains("expired"));
        assert!(refused(&|c| drop(c.as_object_mut().unwrap().remove("exp"))).contains("no expiry"));
        assert!(refused(&|c| drop(c.as_object_mut().unwrap().remove("iat"))).contains("issue time"));
        assert!(refused(&|c| c["nonce"] = json!("n-124")).contains("nonce"));
        assert!(refused(&|c| drop(c.as_object_mut().unwrap().remove("nonce"))).contains("nonce"));
        assert!(refused(&|c| c["sub"] = json!("")).contains("subject"));

        // A clock a little behind, and the audience as a one-element list, are fine.
        let mut claims = claims();
        claims["exp"] = json!(NOW - 30);
        claims["aud"] = json!(["guild"]);
        claims["azp"] = json!("guild");
        let token = keys.sign("ES256", None, &claims);
        assert!(verify(&token, &keys.published(), &expect(&all)).is_ok());
    }
}
