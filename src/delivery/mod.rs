//! Outbound delivery that survives restarts. An activity and one row per target inbox are
//! written in the same transaction as the change that caused them ([`enqueue`]); a worker in
//! every server process claims due rows, signs them with OpenSSL and posts them, retrying with
//! exponential backoff for about three days.

pub mod signing;

use crate::app::AppState;
use crate::config::Config;
use crate::db::DbConn;
use crate::error::Error;
use crate::service::policy::{self, Decision};
use crate::store::{
    self,
    accounts::Account,
    deliveries::{self as queue, DueDelivery, NewActivity},
};
use chrono::Duration as Span;
use serde_json::Value;
use std::{collections::HashMap, sync::Arc, time::Duration};
use tokio::sync::{Mutex, Notify};
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

/// Queue `activity` from `actor` to `inboxes` in the caller's transaction. Inboxes on this
/// instance are skipped (local effects are applied directly) and duplicates sent once.
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
    let object = match &activity["object"] {
        Value::String(id) => Some(id.as_str()),
        object => object["id"].as_str(),
    };
    let mut targets = Vec::new();
    for url in inboxes.iter().filter_map(|inbox| Url::parse(inbox).ok()) {
        let domain = signing::host_header(&url);
        // Policy is checked again at sending time, in case it changed since.
        if domain != config.domain && policy::decide(conn, config, &domain)? != Decision::Refuse {
            targets.push((url.to_string(), domain));
        }
    }
    targets.sort();
    targets.dedup();
    let data = serde_json::to_string(activity)?;
    queue::insert_with_deliveries(
        conn,
        &NewActivity {
            id: crate::ids::next_id(),
            ap_id,
            kind: activity["type"].as_str().unwrap_or("Activity"),
            actor_id: actor.id,
            object_ap_id: object,
            data: &data,
            created_at: store::now(),
        },
        &targets,
    )
}

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

/// Handle to wake the worker when new deliveries are queued.
#[derive(Clone, Default)]
pub struct Waker(Arc<Notify>);

impl Waker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// The delivery worker of this process. Runs until its task is aborted.
pub async fn run_worker(state: AppState) {
    let client = match crate::app::http_client(&state.config) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!("delivery worker cannot start: {e}");
            return;
        }
    };
    let in_flight: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    loop {
        if let Err(e) = start_due(&state, &client, &in_flight).await {
            tracing::warn!("delivery queue: {e}");
        }
        tokio::select! {
            _ = state.deliveries.0.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Claim the due deliveries there is room for and send each in its own task.
async fn start_due(
    state: &AppState,
    client: &reqwest::Client,
    in_flight: &Arc<Mutex<HashMap<String, usize>>>,
) -> Result<(), Error> {
    let now = store::now();
    let busy: Vec<String> = {
        let counts = in_flight.lock().await;
        if counts.values().sum::<usize>() >= MAX_IN_FLIGHT {
            return Ok(());
        }
        counts
            .iter()
            .filter(|(_, n)| **n >= MAX_IN_FLIGHT_PER_INSTANCE)
            .map(|(domain, _)| domain.clone())
            .collect()
    };
    let due = state
        .db
        .run(move |conn| queue::due(conn, now, &busy, MAX_IN_FLIGHT as i64))
        .await?;
    for delivery in due {
        {
            let mut counts = in_flight.lock().await;
            let total: usize = counts.values().sum();
            let mine = counts.get(&delivery.domain).copied().unwrap_or(0);
            if total >= MAX_IN_FLIGHT || mine >= MAX_IN_FLIGHT_PER_INSTANCE {
                continue;
            }
            let claim = delivery.clone();
            let claimed = state
                .db
                .run(move |conn| queue::claim(conn, &claim, store::now() + LEASE))
                .await?;
            if !claimed {
                continue;
            }
            *counts.entry(delivery.domain.clone()).or_default() += 1;
        }
        let (state, client, in_flight) = (state.clone(), client.clone(), in_flight.clone());
        tokio::spawn(async move {
            let domain = delivery.domain.clone();
            if let Err(e) = deliver(&state, &client, delivery).await {
                tracing::warn!("delivery bookkeeping failed: {e}");
            }
            let mut counts = in_flight.lock().await;
            if let Some(count) = counts.get_mut(&domain) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    counts.remove(&domain);
                }
            }
            drop(counts);
            state.deliveries.wake();
        });
    }
    Ok(())
}

/// One attempt, and its outcome written back.
async fn deliver(
    state: &AppState,
    client: &reqwest::Client,
    delivery: DueDelivery,
) -> Result<(), Error> {
    let outcome = send(client, &delivery).await;
    let (id, attempts) = (delivery.id, delivery.attempts + 1);
    let first_retry = state.config.delivery_first_retry;
    state
        .db
        .run(move |conn| {
            let now = store::now();
            match outcome {
                Ok(()) => queue::mark_delivered(conn, id, now),
                Err(Failure { reason, permanent }) => {
                    tracing::info!(delivery = id, attempts, "delivery failed: {reason}");
                    let retry = if permanent {
                        None
                    } else {
                        next_attempt(attempts, first_retry, now)
                    };
                    queue::mark_attempt_failed(conn, id, &reason, retry, now)
                }
            }
        })
        .await
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

async fn send(client: &reqwest::Client, delivery: &DueDelivery) -> Result<(), Failure> {
    let url = Url::parse(&delivery.inbox_url)
        .map_err(|e| Failure::permanent(format!("bad inbox URL: {e}")))?;
    let key = delivery
        .actor_private_key
        .as_deref()
        .ok_or_else(|| Failure::permanent("the sending actor has no private key"))?;
    let body = delivery.data.as_bytes();
    let key_id = format!("{}#main-key", delivery.actor_ap_id);
    let signed = signing::sign("POST", &url, Some(body), &key_id, key)
        .map_err(|e| Failure::permanent(format!("signing failed: {e}")))?;
    let response = client
        .post(url)
        .header("Content-Type", crate::federation::ACTIVITY_JSON)
        .header("Accept", crate::federation::ACTIVITY_JSON)
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
    fn backoff_doubles_caps_and_gives_up() {
        let now = store::now();
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
