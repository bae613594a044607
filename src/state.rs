//! What every door shares: settings, the database and the file store. Kept small and low so that nothing
//! using it pulls in the route table.

use crate::config::Config;
use crate::db::Db;
use crate::files::FileStore;
use activitypub_federation::config::Data;
use std::sync::Arc;

/// Application state; handlers reach it through [`Ctx`].
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub files: FileStore,
    /// The instance's figures, counted at most once a minute.
    pub stats: crate::service::instance_stats::Cached,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The one HTTP client for fetches, deliveries and link previews: building one loads
    /// the system's certificates (tens of milliseconds), and clones share its connections.
    pub http: reqwest::Client,
    /// The organisation's identity provider, where single sign-on is set up.
    pub sso: Option<Arc<crate::sso::Provider>>,
}

/// Handler context: app state plus the federation library's per-request data.
pub type Ctx = Data<AppState>;

/// Largest request body accepted anywhere (JSON, forms, inbox posts).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
