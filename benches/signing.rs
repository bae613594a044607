//! Prints how many HTTP signatures per second one core makes: Guild's OpenSSL signer against
//! the pure-Rust RSA that the federation library uses internally. Run: `cargo bench`.

use guild::{
    crypto::generate_keypair,
    delivery::signing::{parse_key, sign},
};
use rsa::{
    pkcs1v15::SigningKey,
    pkcs8::DecodePrivateKey,
    signature::{SignatureEncoding, Signer},
    RsaPrivateKey,
};
use std::time::{Duration, Instant};

fn rate(label: &str, mut op: impl FnMut()) {
    let (mut count, start) = (0u32, Instant::now());
    while start.elapsed() < Duration::from_secs(3) {
        op();
        count += 1;
    }
    let per_second = f64::from(count) / start.elapsed().as_secs_f64();
    println!("{label:<40} {per_second:>8.0} signatures/s");
}

fn main() {
    let keys = generate_keypair().expect("key pair");
    let url = url::Url::parse("https://guild.example/users/bob/inbox").unwrap();
    let body = br#"{"type":"Create","id":"https://guild.example/activities/1"}"#;
    let key_id = "https://a.example/users/x#main-key";
    let key = parse_key(&keys.private_pem).unwrap();
    rate("OpenSSL, key parsed once (deliveries)", || {
        sign("POST", &url, Some(body), key_id, &key).unwrap();
    });
    rate("OpenSSL, key parsed every time", || {
        let key = parse_key(&keys.private_pem).unwrap();
        sign("POST", &url, Some(body), key_id, &key).unwrap();
    });
    let key = SigningKey::<rsa::sha2::Sha256>::new(
        RsaPrivateKey::from_pkcs8_pem(&keys.private_pem).unwrap(),
    );
    rate("pure-Rust rsa crate (library's signer)", || {
        std::hint::black_box(
            key.sign(b"(request-target): post /users/bob/inbox")
                .to_bytes(),
        );
    });
}
