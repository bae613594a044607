//! The instance's figures (people, active people, communities, posts) that the instance
//! endpoints, nodeinfo and the front page show. Counting the local posts reads every local
//! status, which at a million posts takes longer than any page may, and apps and crawlers ask
//! for these figures often; so each process counts them at most once a minute, as Mastodon
//! caches them.

use crate::db::Db;
use crate::error::Error;
use crate::store::stats::{self, InstanceStats};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FRESH_FOR: Duration = Duration::from_secs(60);

/// The last figures counted, and when.
#[derive(Clone, Default)]
pub struct Cached(Arc<Mutex<Option<(Instant, InstanceStats)>>>);

impl Cached {
    /// The figures, counted again if the last count is older than a minute. Requests that
    /// arrive together while they are stale may each count; the answers are the same.
    pub async fn get(&self, db: &Db) -> Result<InstanceStats, Error> {
        if let Some((at, figures)) = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            if at.elapsed() < FRESH_FOR {
                return Ok(figures);
            }
        }
        let figures = db
            .run(|conn| stats::instance_stats(conn, crate::time::now()))
            .await?;
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), figures.clone()));
        Ok(figures)
    }
}
