//! Federation policy, decided in one place: the instance's mode (open, blocklist,
//! allowlist) and per-domain policies. Inbound activities, outbound deliveries and fetches
//! all ask [`decide`]; the operator changes policies through `service::policy`.

use crate::config::{Config, FederationMode};
use crate::db::DbConn;
use crate::domain::DomainPolicy;
use crate::error::Error;
use crate::store::policies;

/// What this instance does with a domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Federate,
    /// Accepted, but kept out of public timelines.
    Silence,
    /// Accepted, without its media.
    RejectMedia,
    /// Nothing in, nothing out, nothing fetched.
    Refuse,
}

/// `domain` and its parent domains (`a.b.org` → `a.b.org`, `b.org`, `org`); a port is kept on
/// the full name only. A policy or list entry for a domain covers its subdomains.
fn domain_and_parents(domain: &str) -> Vec<String> {
    let domain = domain.to_ascii_lowercase();
    let host = domain.split(':').next().unwrap_or_default().to_string();
    let mut names = vec![domain.clone()];
    let mut rest = host.as_str();
    loop {
        if !names.iter().any(|n| n == rest) {
            names.push(rest.to_string());
        }
        match rest.split_once('.') {
            Some((_, parent)) => rest = parent,
            None => break,
        }
    }
    names
}

fn listed(list: &[String], names: &[String]) -> bool {
    names.iter().any(|n| list.contains(n))
}

/// The decision for `domain` (`host[:port]`).
pub fn decide(conn: &mut DbConn, config: &Config, domain: &str) -> Result<Decision, Error> {
    if domain.eq_ignore_ascii_case(&config.domain) {
        return Ok(Decision::Federate);
    }
    let names = domain_and_parents(domain);
    let set = policies::for_domains(conn, &names)?;
    let has = |p: DomainPolicy| set.contains(&p);
    let admitted = match &config.federation {
        FederationMode::Open => true,
        FederationMode::Blocklist(list) => !listed(list, &names),
        FederationMode::Allowlist(list) => listed(list, &names) || has(DomainPolicy::Allow),
    };
    Ok(if !admitted || has(DomainPolicy::Suspend) {
        Decision::Refuse
    } else if has(DomainPolicy::Silence) {
        Decision::Silence
    } else if has(DomainPolicy::RejectMedia) {
        Decision::RejectMedia
    } else {
        Decision::Federate
    })
}

#[cfg(test)]
mod tests {
    use super::domain_and_parents;

    #[test]
    fn policies_cover_subdomains() {
        assert_eq!(domain_and_parents("a.b.org"), ["a.b.org", "b.org", "org"]);
        assert_eq!(
            domain_and_parents("localhost:8080"),
            ["localhost:8080", "localhost"]
        );
    }
}

#[cfg(test)]
mod decisions {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn domain_policies_cover_subdomains_and_suspension_wins() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let set = |conn: &mut DbConn, domain: &str, policy| {
            crate::service::policy::set(conn, domain, policy, "").unwrap()
        };
        set(conn, "noisy.example", DomainPolicy::Silence);
        set(conn, "bad.example", DomainPolicy::Suspend);
        let decide = |conn: &mut DbConn, domain: &str| decide(conn, &f.config, domain).unwrap();
        assert_eq!(decide(conn, "a.noisy.example"), Decision::Silence);
        assert_eq!(decide(conn, "bad.example:8443"), Decision::Refuse);
        assert_eq!(decide(conn, "fine.example"), Decision::Federate);
        assert_eq!(decide(conn, "GUILD.test"), Decision::Federate);
    }
}
