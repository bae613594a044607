//! What every door and the delivery worker share: settings, the database, the HTTP client
//! settings, and the handle that wakes the delivery worker. Kept small and low so that
//! nothing using it pulls in the route table.

use crate::config::Config;
use crate::db::Db;
use crate::delivery;
use crate::error::Error;
use activitypub_federation::{config::Data, resolver::ValidatingDnsResolver};
use std::{sync::Arc, time::Duration};

/// Application state; handlers reach it through [`Ctx`].
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    /// Wakes this process's delivery worker after new deliveries are committed.
    pub deliveries: delivery::Waker,
}

/// Handler context: app state plus the federation library's per-request data.
pub type Ctx = Data<AppState>;

/// Largest request body accepted anywhere (JSON, forms, inbox posts).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

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
        .map_err(|e| Error::internal(format!("cannot build HTTP client: {e}")))
}
