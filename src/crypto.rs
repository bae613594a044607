//! Key pairs, password hashes and secret tokens. RSA uses OpenSSL, which is several times
//! faster than the pure-Rust implementation; passwords use argon2 with its default cost.

use crate::error::Error;
use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use openssl::{rsa::Rsa, sha::sha256};

/// PEM-encoded RSA key pair of an actor.
pub struct KeyPair {
    pub public_pem: String,
    pub private_pem: String,
}

/// A new RSA-2048 key pair: public key as SPKI PEM, private key as PKCS#8 PEM (what
/// ActivityPub peers and the federation library expect).
pub fn generate_keypair() -> Result<KeyPair, Error> {
    let rsa = Rsa::generate(2048)?;
    let key = openssl::pkey::PKey::from_rsa(rsa)?;
    Ok(KeyPair {
        public_pem: String::from_utf8(key.public_key_to_pem()?)
            .map_err(|e| Error::caused_by("key is not UTF-8", e))?,
        private_pem: String::from_utf8(key.private_key_to_pem_pkcs8()?)
            .map_err(|e| Error::caused_by("key is not UTF-8", e))?,
    })
}

pub fn hash_password(password: &str) -> Result<String, Error> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| Error::internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(format!("password hashing failed: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Check `password` against a hash that belongs to nobody and matches nothing, at the cost of
/// checking a real one: a sign-in with an unknown name then takes as long as one with a known
/// name, so timing does not tell which names exist.
pub fn verify_nobody(password: &str) {
    verify_password(password, &NOBODY);
}

/// The hash of a random password nobody knows, made as every password's is.
static NOBODY: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&random_token()).unwrap_or_default());

/// A random secret of 32 bytes, URL-safe (tokens, setup links, client secrets).
pub fn random_token() -> String {
    hex(&rand::random::<[u8; 32]>())
}

/// How secrets are stored: the hex SHA-256 of the secret. Secrets are random and long, so a
/// fast hash is enough and lets lookups go by index.
pub fn hash_token(token: &str) -> String {
    hex(&sha256(token.as_bytes()))
}

/// Whether two secrets are the same, in time that does not tell how much of them matched.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && openssl::memcmp::eq(a, b)
}

/// Bytes in lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
    }

    #[test]
    fn nobody_has_a_real_hash_to_check_against() {
        verify_nobody("anything");
        let nobody = PasswordHash::new(&NOBODY).unwrap();
        let real = hash_password("a real one").unwrap();
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(
            (nobody.algorithm, &nobody.params),
            (real.algorithm, &real.params)
        );
    }

    #[test]
    fn keypairs_are_pem() {
        let pair = generate_keypair().unwrap();
        assert!(pair.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(pair.private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    }
}
