//! The operator's per-domain federation policies (CLI, web and admin API); what they mean is
//! decided in `crate::policy`. A domain has one policy at most: blocked (suspend, silence,
//! reject media) or allowed.

use crate::db::DbConn;
use crate::domain::DomainPolicy;
use crate::error::Error;
use crate::store::policies::{self, PolicyRow};

/// The policies that keep a domain out, in part or whole (the admin API's domain blocks).
pub const BLOCKS: &[DomainPolicy] = &[
    DomainPolicy::Suspend,
    DomainPolicy::Silence,
    DomainPolicy::RejectMedia,
];

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

/// Put a policy on a domain that has none: `BLOCKS` or `Allow`. A domain that has one is
/// changed with [`set`] (or its policy lifted first), so a block never turns into an allow
/// by accident.
pub fn add(
    conn: &mut DbConn,
    domain: &str,
    policy: DomainPolicy,
    reason: &str,
) -> Result<PolicyRow, Error> {
    let domain = normalise(domain)?;
    if let Some(existing) = policies::get(conn, &domain)? {
        return Err(Error::Unprocessable(format!(
            "{domain} already has the policy {}",
            existing.policy
        )));
    }
    policies::set(conn, &domain, policy, reason)?;
    policies::get(conn, &domain)?.ok_or(Error::NotFound)
}

/// The policy on exactly `domain` if it is one of `kinds`.
pub fn find(conn: &mut DbConn, domain: &str, kinds: &[DomainPolicy]) -> Result<PolicyRow, Error> {
    policies::get(conn, &normalise(domain)?)?
        .filter(|row| kinds.contains(&row.policy))
        .ok_or(Error::NotFound)
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
