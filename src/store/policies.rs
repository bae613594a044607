//! Per-domain federation policies set by the operator.

use crate::db::{schema::instance_policies, DbConn};
use crate::domain::DomainPolicy;
use crate::error::Error;
use diesel::prelude::*;

/// Policies that apply to any of `domains` (a domain and its parents).
pub fn for_domains(conn: &mut DbConn, domains: &[String]) -> Result<Vec<DomainPolicy>, Error> {
    Ok(instance_policies::table
        .filter(super::one_of(conn, instance_policies::domain, domains))
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

/// A policy as the admin API shows it.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = instance_policies)]
pub struct PolicyRow {
    pub domain: String,
    pub policy: DomainPolicy,
    pub reason: String,
    pub created_at: chrono::NaiveDateTime,
}

/// The policy set on exactly `domain`, if any.
pub fn get(conn: &mut DbConn, domain: &str) -> Result<Option<PolicyRow>, Error> {
    Ok(instance_policies::table
        .find(domain)
        .select(PolicyRow::as_select())
        .first(conn)
        .optional()?)
}

/// Every policy in `policies`, by domain.
pub fn rows(conn: &mut DbConn, policies: &[DomainPolicy]) -> Result<Vec<PolicyRow>, Error> {
    Ok(instance_policies::table
        .filter(instance_policies::policy.eq_any(policies))
        .order(instance_policies::domain.asc())
        .select(PolicyRow::as_select())
        .load(conn)?)
}

/// Domains under `policy`.
pub fn domains_with(conn: &mut DbConn, policy: DomainPolicy) -> Result<Vec<String>, Error> {
    Ok(instance_policies::table
        .filter(instance_policies::policy.eq(policy))
        .select(instance_policies::domain)
        .load(conn)?)
}
