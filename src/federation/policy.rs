//! The federation library's URL check, wired to [`crate::policy`]: every fetch and
//! every received activity id passes through it.

use crate::error::REFUSED_BY_POLICY;
use crate::policy::{decide, Decision};
use crate::protocol::domain_of;
use crate::state::AppState;
use activitypub_federation::{config::UrlVerifier, error::Error as FederationError};
use url::Url;

#[derive(Clone)]
pub struct PolicyVerifier {
    pub state: AppState,
}

#[async_trait::async_trait]
impl UrlVerifier for PolicyVerifier {
    async fn verify(&self, url: &Url) -> Result<(), FederationError> {
        let domain = domain_of(url);
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
            return Err(FederationError::UrlVerificationError(REFUSED_BY_POLICY));
        }
        Ok(())
    }
}
