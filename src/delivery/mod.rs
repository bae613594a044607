//! Outbound delivery that survives restarts. An activity and one row per target inbox are
//! written in the same transaction as the change that caused them ([`enqueue`]); a worker in
//! every server process claims due rows, signs them with OpenSSL and posts them, retrying with
//! exponential backoff for about three days.

pub mod signing;

use crate::config::Config;
use crate::db::Db;
use crate::db::DbConn;
use crate::error::Error;
use crate::policy::{self, Decision};
use crate::store::{
    accounts::Account,
    deliveries::{self as queue, DueDelivery, NewActivity},
    instances,
};
use activitypub_federation::resolver::ValidatingDnsResolver;
use chrono::Duration as Span;
use openssl::pkey::{PKey, Private};
use serde_json::Value;
use std::{collections::HashMap, sync::Arc, time::Duration};
use tokio::sync::{watch, Mutex};
use url::Url;

/// Attempts before a delivery is given up: with the default first retry of 30 s, doubling and
/// capped at 12 h, the last one comes about three days after the first.
pub const MAX_ATTEMPTS: i32 = 16;
const MAX_RETRY_DELAY: Span = Span::hours(12);
/// Requests in flight at once, in all and to one instance: a slow or dead instance can hold
/// only its own share, so the others keep flowing.
const MAX_IN_FLIGHT: usize = 64;
const MAX_IN_FLIGHT_PER_INSTANCE: usize = 4;
/// How long a claimed row stays hidden from other workers: longer than any request (10 s
/// timeout), short enough that a worker killed mid-send is replaced soon.
const LEASE: Span = Span::seconds(30);

/// Queue `activity` from `actor` to `inboxes` in the caller's transaction; the workers are
/// woken when it commits. Inboxes on this instance are skipped (local effects are applied
/// directly) and duplicates sent once.
pub fn enqueue(
    conn: &mut DbConn,
    config: &Config,
    actor: &Account,
    activity: &Value,
    inboxes: &[&str],
) -> Result<(), Error> {
    let ap_id = activity["id"]
        .as_str()
        .ok_or_else(|| Error::internal("outbound activity without id"))?;
    let object = crate::protocol::id_of(&activity["object"]);
    let now = crate::time::now();
    let mut seen = std::collections::HashSet::new();
    let mut targets = Vec::new();
    for url in inboxes.iter().filter_map(|inbox| Url::parse(inbox).ok()) {
        let domain = crate::protocol::domain_of(&url);
        // Policy is checked again at sending time, in case it changed since.
        if domain == config.domain
            || !seen.insert(url.to_string())
            || policy::decide(conn, config, &domain)? == Decision::Refuse
        {
            continue;
        }
        // An instance that has not answered for days is not hammered: its first try waits.
        let unreachable =
            instances::failing_since(conn, &domain)?.is_some_and(|t| now - t > UNREACHABLE_AFTER);
        let first_attempt_at = if unreachable {
            now + UNREACHABLE_DELAY
        } else {
            now
        };
        targets.push(queue::Target {
            inbox: url.to_string(),
            domain,
            first_attempt_at,
        });
    }
    let data = serde_json::to_string(activity)?;
    let new = NewActivity {
        id: crate::ids::next_id(),
        ap_id,
        kind: activity["type"].as_str().unwrap_or("Activity"),
        actor_id: actor.id,
        object_ap_id: object,
        data: &data,
        created_at: now,
    };
    crate::db::transaction(conn, |conn| {
        queue::insert_with_deliveries(conn, &new, &targets)?;
        crate::db::after_commit(wake);
        Ok(())
    })
}

/// Deliveries failing this long mark an instance unreachable.
pub const UNREACHABLE_AFTER: Span = Span::days(2);
/// How long new deliveries to an unreachable instance wait before their first try.
const UNREACHABLE_DELAY: Span = Span::hours(1);

/// When to try again after `attempts` failed tries, or `None` to give up.
pub fn next_attempt(
    attempts: i32,
    first_retry: Duration,
    now: chrono::NaiveDateTime,
) -> Option<chrono::NaiveDateTime> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let first = Span::from_std(first_retry).unwrap_or(Span::seconds(30));
    let factor = 1i32 << (attempts - 1).clamp(0, 20);
    Some(now + (first * factor).min(MAX_RETRY_DELAY))
}

/// Counts batches of deliveries committed in this process; every worker watches it, so a
/// commit wakes them at once instead of at their next poll.
static QUEUED: std::sync::LazyLock<watch::Sender<u64>> =
    std::sync::LazyLock::new(|| watch::channel(0).0);

/// Tell the workers that deliveries are due. `enqueue` arranges this for when its
/// transaction commits; callers never need to.
pub fn wake() {
    QUEUED.send_modify(|n| *n = n.wrapping_add(1));
}

/// HTTP client for fetches and deliveries. Unless insecure federation is on, it refuses to
/// connect to loopback and private addresses, and never follows redirects on its own.
pub fn http_client(config: &Config) -> Result<reqwest::Client, Error> {
    let timeout = Duration::from_secs(10);
    let user_agent = format!(
        "Guild/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        config.base_url()
    );
    reqwest::Client::builder()
        .user_agent(user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .dns_resolver(ValidatingDnsResolver::new(
            Vec::new(),
            !config.insecure_federation,
        ))
        .build()
        .map_err(|e| Error::caused_by("cannot build HTTP client", e))
}

/// A response's body as it arrives, or None once it passes `max` bytes: another server
/// decides how much it sends, Guild how much it holds.
pub async fn body_at_most(
    response: &mut reqwest::Response,
    max: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > max {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// Whether Guild may connect to `url`'s host. The client's resolver refuses names that
/// resolve to loopback or private addresses, but an address written in the URL is never
/// resolved, so it is checked here: only public ones, unless insecure federation is on.
pub fn may_connect(config: &Config, url: &url::Url) -> bool {
    use std::net::IpAddr;
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(url::Host::Domain(_)) => return true,
        None => return false,
    };
    config.insecure_federation || is_public(ip)
}

fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (b & 0xc0) == 0x40) // shared address space (CGNAT)
                || a >= 240)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00 // unique local
                    || (first & 0xffc0) == 0xfe80 // link local
                    || v6.segments()[..6] == [0; 6]) // IPv4-compatible
            }
        },
    }
}

/// The delivery worker of this process: the HTTP client, parsed signing keys, and requests
/// in flight per instance.
#[derive(Clone)]
struct Worker {
    config: Arc<Config>,
    db: Db,
    metrics: Arc<crate::metrics::Metrics>,
    client: reqwest::Client,
    keys: KeyCache,
    in_flight: Arc<Mutex<HashMap<String, usize>>>,
}

/// Run this process's delivery worker until its task is aborted.
pub async fn run_worker(
    config: Arc<Config>,
    db: Db,
    metrics: Arc<crate::metrics::Metrics>,
    client: reqwest::Client,
) {
    let worker = Worker {
        config,
        db,
        metrics,
        client,
        keys: KeyCache::default(),
        in_flight: Arc::default(),
    };
    let mut queued = QUEUED.subscribe();
    loop {
        if let Err(e) = worker.start_due().await {
            tracing::warn!("delivery queue: {e}");
        }
        tokio::select! {
            _ = queued.changed() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

impl Worker {
    /// Instances with all their slots taken, or `None` when every slot is taken.
    async fn busy_instances(&self) -> Option<Vec<String>> {
        let counts = self.in_flight.lock().await;
        if counts.values().sum::<usize>() >= MAX_IN_FLIGHT {
            return None;
        }
        Some(
            counts
                .iter()
                .filter(|(_, n)| **n >= MAX_IN_FLIGHT_PER_INSTANCE)
                .map(|(domain, _)| domain.clone())
                .collect(),
        )
    }

    /// Claim the due deliveries there is room for and send each in its own task.
    async fn start_due(&self) -> Result<(), Error> {
        let Some(busy) = self.busy_instances().await else {
            return Ok(());
        };
        let now = crate::time::now();
        let due = self
            .db
            .run(move |conn| queue::due(conn, now, &busy, MAX_IN_FLIGHT as i64))
            .await?;
        for delivery in due {
            if !self.claim(&delivery).await? {
                continue;
            }
            let worker = self.clone();
            tokio::spawn(async move {
                let domain = delivery.domain.clone();
                if let Err(e) = worker.deliver(delivery).await {
                    tracing::warn!("delivery bookkeeping failed: {e}");
                }
                worker.release(&domain).await;
                wake();
            });
        }
        Ok(())
    }

    /// Take a slot for the delivery's instance and claim the row; false if either fails.
    async fn claim(&self, delivery: &DueDelivery) -> Result<bool, Error> {
        let mut counts = self.in_flight.lock().await;
        let total: usize = counts.values().sum();
        let mine = counts.get(&delivery.domain).copied().unwrap_or(0);
        if total >= MAX_IN_FLIGHT || mine >= MAX_IN_FLIGHT_PER_INSTANCE {
            return Ok(false);
        }
        let claim = delivery.clone();
        let claimed = self
            .db
            .run(move |conn| queue::claim(conn, &claim, crate::time::now() + LEASE))
            .await?;
        if claimed {
            *counts.entry(delivery.domain.clone()).or_default() += 1;
        }
        Ok(claimed)
    }

    async fn release(&self, domain: &str) {
        let mut counts = self.in_flight.lock().await;
        if let Some(count) = counts.get_mut(domain) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(domain);
            }
        }
    }

    /// One attempt, and its outcome written back. Policy is asked again: it may have
    /// changed since the delivery was queued.
    async fn deliver(&self, delivery: DueDelivery) -> Result<(), Error> {
        let (domain, config) = (delivery.domain.clone(), self.config.clone());
        let decision = self
            .db
            .run(move |conn| policy::decide(conn, &config, &domain))
            .await?;
        let outcome = if decision == Decision::Refuse {
            Err(Failure::permanent(crate::error::REFUSED_BY_POLICY))
        } else {
            send(&self.client, &self.keys, &delivery).await
        };
        let (id, attempts) = (delivery.id, delivery.attempts + 1);
        let first_retry = self.config.delivery_first_retry;
        // An instance that answered, even with a refusal, is reachable.
        let answered = !matches!(
            &outcome,
            Err(Failure {
                permanent: false,
                ..
            })
        );
        let domain = delivery.domain.clone();
        let result = self
            .db
            .run(move |conn| {
                let now = crate::time::now();
                instances::record(conn, &domain, answered, now)?;
                match outcome {
                    Ok(()) => queue::mark_delivered(conn, id, now).map(|()| "delivered"),
                    Err(Failure { reason, permanent }) => {
                        tracing::info!(delivery = id, attempts, "delivery failed: {reason}");
                        let retry = match permanent {
                            true => None,
                            false => next_attempt(attempts, first_retry, now),
                        };
                        queue::mark_attempt_failed(conn, id, &reason, retry, now)?;
                        Ok(if retry.is_some() { "retry" } else { "failed" })
                    }
                }
            })
            .await?;
        self.metrics.delivery(result);
        Ok(())
    }
}

struct Failure {
    reason: String,
    permanent: bool,
}

impl Failure {
    fn retry(reason: impl Into<String>) -> Failure {
        Failure {
            reason: reason.into(),
            permanent: false,
        }
    }

    fn permanent(reason: impl Into<String>) -> Failure {
        Failure {
            reason: reason.into(),
            permanent: true,
        }
    }
}

/// Parsed private keys of local actors, by actor id.
#[derive(Clone, Default)]
pub struct KeyCache(Arc<Mutex<HashMap<String, PKey<Private>>>>);

impl KeyCache {
    async fn get(&self, actor: &str, pem: &str) -> Result<PKey<Private>, Error> {
        let mut keys = self.0.lock().await;
        if let Some(key) = keys.get(actor) {
            return Ok(key.clone());
        }
        let key = signing::parse_key(pem)?;
        keys.insert(actor.to_string(), key.clone());
        Ok(key)
    }
}

async fn send(
    client: &reqwest::Client,
    keys: &KeyCache,
    delivery: &DueDelivery,
) -> Result<(), Failure> {
    let url = Url::parse(&delivery.inbox_url)
        .map_err(|e| Failure::permanent(format!("bad inbox URL: {e}")))?;
    let pem = delivery
        .actor_private_key
        .as_deref()
        .ok_or_else(|| Failure::permanent("the sending actor has no private key"))?;
    let key = keys
        .get(&delivery.actor_ap_id, pem)
        .await
        .map_err(|e| Failure::permanent(format!("unusable private key: {e}")))?;
    let body = delivery.data.as_bytes();
    let key_id = format!("{}#main-key", delivery.actor_ap_id);
    let signed = signing::sign("POST", &url, Some(body), &key_id, &key)
        .map_err(|e| Failure::permanent(format!("signing failed: {e}")))?;
    let response = client
        .post(url)
        .header("Content-Type", crate::protocol::ACTIVITY_JSON)
        .header("Accept", crate::protocol::ACTIVITY_JSON)
        .header("Date", signed.date)
        .header("Digest", signed.digest.unwrap_or_default())
        .header("Signature", signed.signature)
        .body(delivery.data.clone())
        .send()
        .await
        .map_err(|e| Failure::retry(format!("request failed: {e}")))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let reason = format!("inbox answered {status}");
    // The receiver refused this activity for good; retrying would be refused again. A 401
    // often means it could not fetch our key just then, so that one is retried.
    let permanent = status.is_client_error() && ![401, 408, 429].contains(&status.as_u16());
    Err(Failure { reason, permanent })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_written_in_urls_must_be_public() {
        let config = Config::from_sources(None, &[]).unwrap();
        let allowed = |url: &str| may_connect(&config, &url::Url::parse(url).unwrap());
        for internal in [
            "http://127.0.0.1/",
            "http://10.1.2.3/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(!allowed(internal), "{internal}");
        }
        assert!(allowed("https://93.184.216.34/"));
        assert!(allowed("https://docs.example/"));
    }

    #[test]
    fn backoff_doubles_caps_and_gives_up() {
        let now = crate::time::now();
        let first = Duration::from_secs(30);
        let delays: Vec<i64> = (1..MAX_ATTEMPTS)
            .map(|n| (next_attempt(n, first, now).unwrap() - now).num_seconds())
            .collect();
        assert_eq!(&delays[..4], &[30, 60, 120, 240]);
        assert_eq!(*delays.last().unwrap(), 12 * 3600);
        let total: i64 = delays.iter().sum();
        assert!(
            total > 2 * 24 * 3600,
            "retries span more than two days: {total}s"
        );
        assert!(next_attempt(MAX_ATTEMPTS, first, now).is_none());
    }
}
