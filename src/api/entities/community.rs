//! Guild's community shapes: a community as a Mastodon account with a `guild` object of its
//! settings and the viewer's standing; invites; reports (Guild's and Mastodon's shape).

use super::account::Account;
use super::time;
use crate::db::DbConn;
use crate::domain::FollowState;
use crate::error::Error;
use crate::store::{
    accounts::Account as AccountRow, communities as community_store, follows,
    moderation as moderation_store,
};
use serde_json::{json, Value};

/// A community as an Account with its settings, and the viewer's standing in it.
pub fn community_json(
    conn: &mut DbConn,
    base: &str,
    community: &AccountRow,
    viewer: Option<&AccountRow>,
) -> Result<Value, Error> {
    let settings = community_store::by_account(conn, community.id)?.ok_or(Error::NotFound)?;
    let moderators = community_store::moderator_ids(conn, community.id)?;
    let membership = match viewer {
        Some(v) => follows::between(conn, v.id, community.id)?.map(|f| f.state),
        None => None,
    };
    let standing = (viewer.map(|v| v.id), membership);
    community_body(base, community, &settings, &moderators, standing)
}

/// [`community_json`] from what is already loaded: the viewer's id and follow state.
pub fn community_body(
    base: &str,
    community: &AccountRow,
    settings: &community_store::Community,
    moderators: &[i64],
    (viewer, membership): (Option<i64>, Option<FollowState>),
) -> Result<Value, Error> {
    let mut body = serde_json::to_value(Account::from_row(community, base))?;
    body["guild"] = json!({
        "membership_policy": settings.membership_policy,
        "posting_policy": settings.posting_policy,
        "visibility": settings.visibility,
        "rules": serde_json::from_str::<Value>(&settings.rules).unwrap_or(json!([])),
        "moderator_ids": moderators.iter().map(i64::to_string).collect::<Vec<_>>(),
        "member": membership == Some(FollowState::Accepted),
        "requested": membership == Some(FollowState::Pending),
        "moderator": viewer.is_some_and(|v| moderators.contains(&v)),
        "local": community.is_local(),
    });
    Ok(body)
}

pub fn invite_json(base: &str, invite: &moderation_store::Invite, token: Option<&str>) -> Value {
    let mut body = json!({
        "id": invite.id.to_string(),
        "max_uses": invite.max_uses,
        "uses": invite.uses,
        "expires_at": invite.expires_at.map(time),
        "created_at": time(invite.created_at),
    });
    if let Some(token) = token {
        body["token"] = Value::from(token);
        body["url"] = Value::from(format!("{base}/invite/{token}"));
    }
    body
}

pub fn report_json(report: &moderation_store::Report) -> Value {
    json!({
        "id": report.id.to_string(),
        "community_id": report.community_id.to_string(),
        "reporter_id": report.reporter_id.to_string(),
        "target_account_id": report.target_account_id.to_string(),
        "status_id": report.status_id.map(|id| id.to_string()),
        "comment": report.comment,
        "resolved_at": report.resolved_at.map(time),
        "created_at": time(report.created_at),
    })
}

/// What Mastodon's `Report` and `Admin::Report` share. Reports in Guild carry a comment
/// only, so the category is `other`; `forwarded` says the report crossed servers.
pub fn report_fields(report: &moderation_store::Report) -> Value {
    json!({
        "id": report.id.to_string(),
        "action_taken": report.resolved_at.is_some(),
        "action_taken_at": report.resolved_at.map(time),
        "category": "other",
        "comment": report.comment,
        "forwarded": report.ap_id.is_some(),
        "created_at": time(report.created_at),
    })
}

/// A report in Mastodon's Report shape.
pub fn mastodon_report_json(
    report: &moderation_store::Report,
    target: &crate::store::accounts::Profile,
    base: &str,
) -> Value {
    let mut body = report_fields(report);
    body["status_ids"] = json!(report
        .status_id
        .map(|id| vec![id.to_string()])
        .unwrap_or_default());
    body["rule_ids"] = Value::Null;
    body["target_account"] = json!(Account::from_row(target, base));
    body
}
