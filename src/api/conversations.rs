//! `/api/v1/conversations`: direct messages grouped by thread. Conversations are read off the
//! direct statuses themselves; nothing marks them read, so `unread` is always false.

use super::auth::Auth;
use super::entities::{account::Account, status};
use super::pagination::{respond_paged, PageParams};
use super::params::Query;
use crate::db::DbConn;
use crate::error::Error;
use crate::state::Ctx;
use crate::store::{accounts, statuses};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{json, Value};

/// `GET /api/v1/conversations`: one entry per thread with direct messages, newest first,
/// with the latest message and the other people in it. Pages by the latest message's id.
pub async fn list(
    ctx: Ctx,
    req: HttpRequest,
    auth: Auth,
    Query(params): Query<PageParams>,
) -> Result<HttpResponse, Error> {
    let me = auth.user("read:statuses")?.1.clone();
    let base = ctx.config.base_url();
    respond_paged(&ctx, &req, &params, move |conn, page| {
        // Pages run over the messages, so Link follows them even when a page folds into
        // fewer conversations; a long conversation can show again on a later page.
        let messages = statuses::direct_of(conn, me.id, page)?;
        let cursor: Vec<i64> = messages.iter().map(|s| s.id).collect();
        let body = render(conn, &base, &me, messages)?;
        Ok((cursor, body))
    })
    .await
}

/// One conversation per thread among `messages` (newest first) that `me` may see: its latest
/// message and the other people in it.
pub(crate) fn render(
    conn: &mut DbConn,
    base: &str,
    me: &accounts::Account,
    messages: Vec<statuses::Status>,
) -> Result<Vec<Value>, Error> {
    let mut seen = std::collections::HashSet::new();
    let latest: Vec<statuses::Status> =
        crate::service::visibility::filter_visible(conn, Some(me), messages)?
            .into_iter()
            .filter(|s| seen.insert(s.thread_root_id.unwrap_or(s.id)))
            .collect();
    let rendered = status::render(conn, base, Some(me), &latest)?;
    let mentions = crate::store::mentions::of_statuses(
        conn,
        &latest.iter().map(|s| s.id).collect::<Vec<_>>(),
    )?;
    let people: Vec<i64> = latest
        .iter()
        .map(|s| s.account_id)
        .chain(mentions.iter().map(|(_, a)| *a))
        .collect();
    let found = accounts::profiles_by_ids(conn, &people)?;
    Ok(latest
        .iter()
        .zip(rendered)
        .map(|(status, entity)| {
            let mut ids: Vec<i64> = mentions
                .iter()
                .filter(|(s, _)| *s == status.id)
                .map(|(_, a)| *a)
                .chain([status.account_id])
                .filter(|a| *a != me.id)
                .collect();
            ids.sort();
            ids.dedup();
            let others: Vec<Account> = found
                .iter()
                .filter(|a| ids.contains(&a.id))
                .map(|a| Account::from_row(a, base))
                .collect();
            json!({
                "id": status.thread_root_id.unwrap_or(status.id).to_string(),
                "unread": false,
                "accounts": others,
                "last_status": entity,
            })
        })
        .collect())
}
