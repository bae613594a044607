//! The admin API's shapes: Mastodon's `Admin::Account`, `Role`, `Admin::DomainBlock` and
//! `Admin::DomainAllow`.

use super::{account::Account, time};
use crate::domain::{DomainPolicy, Role};
use crate::service::admin::Managed;
use crate::store::{moderation::Report, policies::PolicyRow};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Mastodon's role ids and permission bits for the two roles Guild has: everyone (-99, may
/// invite) and administrator (all permissions).
fn role(role: Role) -> Value {
    let (id, name, permissions, highlighted) = match role {
        Role::User => ("-99", "", "65536", false),
        Role::Admin => ("3", "Admin", "1", true),
    };
    json!({
        "id": id,
        "name": name,
        "color": "",
        "permissions": permissions,
        "highlighted": highlighted,
    })
}

/// `Admin::Account`. Guild keeps no sign-in addresses, so `ip` is null and `ips` empty;
/// nobody is silenced or marked sensitive.
pub fn account(managed: &Managed, base_url: &str) -> Value {
    let (row, user) = (&managed.account, managed.user.as_ref());
    json!({
        "id": row.id.to_string(),
        "username": row.username,
        "domain": row.domain,
        "created_at": time(user.map_or(row.created_at, |u| u.created_at)),
        "email": user.map_or("", |u| u.email.as_str()),
        "ip": null,
        "ips": [],
        "locale": user.map_or("", |u| u.locale.as_str()),
        "invite_request": null,
        "role": role(user.map_or(Role::User, |u| u.role)),
        "confirmed": true,
        "approved": user.is_none_or(|u| u.approved),
        "disabled": user.is_some_and(|u| u.disabled),
        "silenced": false,
        "sensitized": false,
        "suspended": row.suspended,
        "account": Account::from_row(row, base_url),
        "created_by_application_id": null,
        "invited_by_account_id": null,
    })
}

/// `Admin::DomainBlock`; its id is the domain. Guild's `reject_media` is Mastodon's `noop`
/// severity with media rejected.
pub fn domain_block(row: &PolicyRow) -> Value {
    let severity = match row.policy {
        DomainPolicy::Suspend => "suspend",
        DomainPolicy::Silence => "silence",
        _ => "noop",
    };
    json!({
        "id": row.domain,
        "domain": row.domain,
        "digest": crate::crypto::hash_token(&row.domain),
        "created_at": time(row.created_at),
        "severity": severity,
        "reject_media": row.policy != DomainPolicy::Silence,
        "reject_reports": row.policy == DomainPolicy::Suspend,
        "private_comment": row.reason,
        "public_comment": null,
        "obfuscate": false,
    })
}

/// `Admin::DomainAllow`; its id is the domain.
pub fn domain_allow(row: &PolicyRow) -> Value {
    json!({
        "id": row.domain,
        "domain": row.domain,
        "created_at": time(row.created_at),
    })
}

/// `Admin::Report`: Mastodon's report fields, its people as `Admin::Account`, `statuses` the
/// one reported post while it exists, and no `rules` (reports carry a comment only).
pub fn report(
    report: &Report,
    people: &HashMap<i64, Managed>,
    statuses: &HashMap<String, Value>,
    base_url: &str,
) -> Value {
    let person = |id: Option<i64>| {
        id.and_then(|id| people.get(&id))
            .map(|m| account(m, base_url))
    };
    let status: Vec<&Value> = report
        .status_id
        .and_then(|id| statuses.get(&id.to_string()))
        .into_iter()
        .collect();
    let mut body = super::community::report_fields(report);
    let more = json!({
        "updated_at": time(report.resolved_at.unwrap_or(report.created_at)),
        "account": person(Some(report.reporter_id)),
        "target_account": person(Some(report.target_account_id)),
        "assigned_account": person(report.assigned_account_id),
        "action_taken_by_account": person(report.resolved_by_id),
        "statuses": status,
        "rules": [],
    });
    if let (Some(body), Value::Object(more)) = (body.as_object_mut(), more) {
        body.extend(more);
    }
    body
}
