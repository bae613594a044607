//! Per-domain federation policies set by the operator.

use crate::db::{schema::instance_policies, DbConn};
use crate::domain::DomainPolicy;
use crate::error::Error;
use diesel::prelude::*;

/// Policies that apply to any of `domains` (a domain and its parents).
pub fn for_domains(conn: &mut DbConn, domains: &[String]) -> Result<Vec<DomainPolicy>, Error> {
    Ok(instance_policies::table
        .filter(instance_policies::domain.eq_any(domains))
        .select(instance_policies::policy)
        .load(conn)?)
}

pub fn set(
    conn: &mut DbConn,
    domain: &str,
    policy: DomainPolicy,
    reason: &str,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        remove(conn, domain)?;
        diesel::insert_into(instance_policies::table)
            .values((
                instance_policies::domain.eq(domain),
                instance_policies::policy.eq(policy),
                instance_policies::reason.eq(reason),
                instance_policies::created_at.eq(crate::time::now()),
            ))
            .execute(conn)?;
        Ok(())
    })
}

pub fn remove(conn: &mut DbConn, domain: &str) -> Result<bool, Error> {
    Ok(diesel::delete(instance_policies::table.find(domain)).execute(conn)? > 0)
}

/// Every policy, as (domain, policy, reason).
pub fn list(conn: &mut DbConn) -> Result<Vec<(String, DomainPolicy, String)>, Error> {
    Ok(instance_policies::table
        .order(instance_policies::domain.asc())
        .select((
            instance_policies::domain,
            instance_policies::policy,
            instance_policies::reason,
        ))
        .load(conn)?)
}

/// Domains under `policy`.
pub fn domains_with(conn: &mut DbConn, policy: DomainPolicy) -> Result<Vec<String>, Error> {
    Ok(instance_policies::table
        .filter(instance_policies::policy.eq(policy))
        .select(instance_policies::domain)
        .load(conn)?)
}
