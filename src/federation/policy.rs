//! The federation library's URL check, wired to [`crate::service::policy`]: every fetch and
//! every received activity id passes through it.

use crate::delivery::signing::host_header;
use crate::service::policy::{decide, Decision};
use crate::state::AppState;
use activitypub_federation::{config::UrlVerifier, error::Error as FederationError};
use url::Url;

/// The reason given when policy refuses a domain; errors carrying it answer 403.
pub const REFUSED: &str = "domain refused by this instance's federation policy";

#[derive(Clone)]
pub struct PolicyVerifier {
    pub state: AppState,
}

#[async_trait::async_trait]
impl UrlVerifier for PolicyVerifier {
    async fn verify(&self, url: &Url) -> Result<(), FederationError> {
        let domain = host_header(url);
        let config = self.state.config.clone();
        let decision = self
            .state
            .db
            .run(move |conn| decide(conn, &config, &domain))
            .await
            .map_err(|e| {
                tracing::error!("federation policy lookup failed: {e}");
                FederationError::UrlVerificationError("federation policy could not be checked")
            })?;
        if decision == Decision::Refuse {
            return Err(FederationError::UrlVerificationError(REFUSED));
        }
        Ok(())
    }
}
