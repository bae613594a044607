//! The operator's per-domain federation policies (CLI, and later the admin API); what they
//! mean is decided in `crate::policy`.

use crate::db::DbConn;
use crate::domain::DomainPolicy;
use crate::error::Error;
use crate::store::policies;

/// Set a per-domain policy (CLI and admin API).
pub fn set(
    conn: &mut DbConn,
    domain: &str,
    policy: DomainPolicy,
    reason: &str,
) -> Result<(), Error> {
    let domain = normalise(domain)?;
    policies::set(conn, &domain, policy, reason)
}

/// Lift the policy on a domain; false if it had none.
pub fn clear(conn: &mut DbConn, domain: &str) -> Result<bool, Error> {
    policies::remove(conn, &normalise(domain)?)
}

fn normalise(domain: &str) -> Result<String, Error> {
    let domain = domain.trim().to_ascii_lowercase();
    if domain.is_empty() || domain.contains('/') {
        return Err(Error::Unprocessable(format!("{domain:?} is not a domain")));
    }
    Ok(domain)
}
