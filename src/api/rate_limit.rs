//! Request limits for the client API, per access token (or per address without a valid one), in
//! fixed five-minute windows as Mastodon counts them, with `X-RateLimit-*` headers on every
//! answer and 429 past the limit. Counted per process.

use crate::error::Error;
use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    ResponseError,
};
use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

const WINDOW: Duration = Duration::from_secs(300);

/// Requests counted per caller in the current window, and how many a window allows
/// (`api_rate_limit`).
#[derive(Clone)]
pub struct Limiter {
    counts: Arc<Mutex<HashMap<String, (u64, u32)>>>,
    /// Hashes of tokens seen to be valid: only those get a count of their own, so made-up
    /// tokens share their address's count instead of each buying a fresh allowance.
    known: Arc<Mutex<HashSet<String>>>,
    limit: u32,
}

/// The most callers, and known tokens, kept at once; past it, the past is forgotten.
const KEPT: usize = 100_000;

impl Limiter {
    pub fn new(limit: u32) -> Limiter {
        Limiter {
            counts: Arc::default(),
            known: Arc::default(),
            limit,
        }
    }

    /// Note that the token with this hash is valid (the API's authentication says so).
    pub fn know(&self, token_hash: String) {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if known.len() >= KEPT {
            known.clear();
        }
        known.insert(token_hash);
    }

    fn knows(&self, token_hash: &str) -> bool {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        known.contains(token_hash)
    }

    /// Count one request; returns (remaining, window end in seconds since the epoch), or
    /// `None` when the caller is over the limit.
    fn count(&self, caller: String, now: u64) -> (Option<u32>, u64) {
        let window = now - now % WINDOW.as_secs();
        let reset = window + WINDOW.as_secs();
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.len() > KEPT {
            counts.retain(|_, (w, _)| *w == window); // forget callers of past windows
        }
        let entry = counts.entry(caller).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 += 1;
        (self.limit.checked_sub(entry.1), reset)
    }
}

/// Who is counted: the token for API calls that carry a valid one, else the address. Sign-in
/// and token endpoints always count by address, so made-up tokens do not buy more guesses.
/// Streaming connections may carry their token in the query or the subprotocol instead.
fn caller(limiter: &Limiter, req: &ServiceRequest) -> String {
    let token = match req.path().starts_with("/api/v1/streaming") {
        true => super::streaming::token_of(req.request()),
        false => super::auth::bearer(req.request()),
    };
    let token = token.filter(|_| !req.path().starts_with("/oauth/"));
    let address = || crate::client_address::of(req.request());
    match token.map(|t| crate::crypto::hash_token(&t)) {
        Some(hash) if limiter.knows(&hash) => hash,
        // Tokens not seen valid yet (a new one, or made-up ones) share one count per address,
        // apart from the address's requests without a token.
        Some(_) => format!("unknown token from {}", address()),
        None => address(),
    }
}

fn header(name: &'static str, value: String) -> (HeaderName, HeaderValue) {
    (
        HeaderName::from_static(name),
        HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("0")),
    )
}

/// Middleware for `/api` and `/oauth` paths.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path();
    if !(path.starts_with("/api/") || path.starts_with("/oauth/")) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let limiter = req
        .app_data::<actix_web::web::Data<Limiter>>()
        .map(|l| l.get_ref().clone());
    let Some(limiter) = limiter else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (remaining, reset) = limiter.count(caller(&limiter, &req), now);
    let reset_at = chrono::DateTime::from_timestamp(reset as i64, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default();
    let mut response = match remaining {
        Some(_) => next.call(req).await?.map_into_boxed_body(),
        None => {
            let refused = Error::TooManyRequests.error_response();
            req.into_response(refused).map_into_boxed_body()
        }
    };
    let headers = response.headers_mut();
    for (name, value) in [
        header("x-ratelimit-limit", limiter.limit.to_string()),
        header("x-ratelimit-remaining", remaining.unwrap_or(0).to_string()),
        header("x-ratelimit-reset", reset_at),
    ] {
        headers.insert(name, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_window() {
        let limit = 300;
        let limiter = Limiter::new(limit);
        let now = 1_000_200;
        for n in 1..=limit {
            assert_eq!(limiter.count("a".into(), now).0, Some(limit - n));
        }
        assert_eq!(limiter.count("a".into(), now).0, None);
        assert_eq!(limiter.count("b".into(), now).0, Some(limit - 1));
        assert_eq!(limiter.count("a".into(), now + 300).0, Some(limit - 1));
    }
}
