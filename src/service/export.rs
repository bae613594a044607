//! A person's data to take to another server: whom they follow, block and mute, their lists
//! and bookmarks as the CSV files Mastodon exports and imports, and their own posts as an
//! ActivityPub outbox holding each post whole (`Create`, or `Announce` for boosts).

use crate::config::Config;
use crate::db::DbConn;
use crate::error::Error;
use crate::store::{
    accounts::{self as account_store, Account},
    blocks, bookmarks, follows, lists, statuses,
};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The files a person can download, by the names Mastodon gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum File {
    Following,
    Blocks,
    Mutes,
    Lists,
    Bookmarks,
    Outbox,
}

impl File {
    pub const ALL: [File; 6] = [
        File::Following,
        File::Blocks,
        File::Mutes,
        File::Lists,
        File::Bookmarks,
        File::Outbox,
    ];

    pub fn name(self) -> &'static str {
        match self {
            File::Following => "following_accounts.csv",
            File::Blocks => "blocked_accounts.csv",
            File::Mutes => "muted_accounts.csv",
            File::Lists => "lists.csv",
            File::Bookmarks => "bookmarks.csv",
            File::Outbox => "outbox.json",
        }
    }

    pub fn parse(name: &str) -> Option<File> {
        File::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn media_type(self) -> &'static str {
        match self {
            File::Outbox => "application/activity+json",
            _ => "text/csv; charset=utf-8",
        }
    }
}

/// The file's contents for `account`.
pub fn export(
    conn: &mut DbConn,
    config: &Config,
    account: &Account,
    file: File,
) -> Result<String, Error> {
    match file {
        File::Following => {
            let ids = follows::followed_ids(conn, account.id)?;
            let rows = handles(conn, config, &ids)?
                .into_iter()
                .map(|h| vec![h, "true".into(), "false".into(), String::new()]);
            Ok(csv(
                Some(&[
                    "Account address",
                    "Show boosts",
                    "Notify on new posts",
                    "Languages",
                ]),
                rows,
            ))
        }
        File::Blocks => {
            let ids = blocks::blocked_ids(conn, account.id)?;
            Ok(csv(
                None,
                handles(conn, config, &ids)?.into_iter().map(|h| vec![h]),
            ))
        }
        File::Mutes => {
            let muted = blocks::muted(conn, account.id)?;
            let ids: Vec<i64> = muted.iter().map(|(id, _)| *id).collect();
            let hide: HashMap<i64, bool> = muted.into_iter().collect();
            let rows = with_handles(conn, config, &ids)?
                .into_iter()
                .map(|(id, h)| vec![h, hide[&id].to_string()]);
            Ok(csv(Some(&["Account address", "Hide notifications"]), rows))
        }
        File::Lists => {
            let mut rows = Vec::new();
            for list in lists::of_account(conn, account.id)? {
                let members = lists::member_ids(conn, list.id)?;
                for handle in handles(conn, config, &members)? {
                    rows.push(vec![list.title.clone(), handle]);
                }
            }
            Ok(csv(None, rows.into_iter()))
        }
        File::Bookmarks => {
            let ids = bookmarks::status_ids(conn, account.id)?;
            let mut found = statuses::by_ids(conn, &ids)?;
            found.retain(|s| s.deleted_at.is_none());
            let order: HashMap<i64, usize> =
                ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
            found.sort_by_key(|s| order[&s.id]);
            Ok(csv(None, found.into_iter().map(|s| vec![s.ap_id])))
        }
        File::Outbox => Ok(outbox(conn, config, account)?.to_string()),
    }
}

/// `user@domain` of each account in `ids` (this server's domain for its own people), in the
/// order of `ids`; accounts no longer kept are left out.
fn handles(conn: &mut DbConn, config: &Config, ids: &[i64]) -> Result<Vec<String>, Error> {
    Ok(with_handles(conn, config, ids)?
        .into_iter()
        .map(|(_, handle)| handle)
        .collect())
}

fn with_handles(
    conn: &mut DbConn,
    config: &Config,
    ids: &[i64],
) -> Result<Vec<(i64, String)>, Error> {
    let found: HashMap<i64, Account> = account_store::by_ids(conn, ids)?
        .into_iter()
        .filter(|a| a.deleted_at.is_none())
        .map(|a| (a.id, a))
        .collect();
    Ok(ids
        .iter()
        .filter_map(|id| found.get(id))
        .map(|a| {
            let domain = a.domain.as_deref().unwrap_or(&config.domain);
            (a.id, format!("{}@{domain}", a.username))
        })
        .collect())
}

/// Comma-separated rows, quoted where a value holds a comma, a quote or a line break.
fn csv(header: Option<&[&str]>, rows: impl Iterator<Item = Vec<String>>) -> String {
    let quote = |value: &str| match value.contains([',', '"', '\n', '\r']) {
        true => format!("\"{}\"", value.replace('"', "\"\"")),
        false => value.to_string(),
    };
    let mut out = String::new();
    if let Some(header) = header {
        out.push_str(&header.join(","));
        out.push('\n');
    }
    for row in rows {
        let fields: Vec<String> = row.iter().map(|v| quote(v)).collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// Every post of the account, newest first, each whole as other servers received it.
fn outbox(conn: &mut DbConn, config: &Config, account: &Account) -> Result<Value, Error> {
    let mut own = statuses::live_of_author(conn, account.id)?;
    own.sort_by_key(|s| std::cmp::Reverse(s.id));
    let boosted_ids: Vec<i64> = own.iter().filter_map(|s| s.reblog_of_id).collect();
    let boosted: HashMap<i64, String> = statuses::ap_ids_of_statuses(conn, &boosted_ids)?
        .into_iter()
        .collect();
    let mut items = Vec::with_capacity(own.len());
    for status in &own {
        let published = crate::time::rfc3339(status.created_at);
        let item = match status.reblog_of_id {
            Some(of) => {
                let Some(object) = boosted.get(&of) else {
                    continue;
                };
                crate::protocol::collection::outbox_item(
                    &status.ap_id,
                    "Announce",
                    &account.ap_id,
                    object,
                    &published,
                )
            }
            None => {
                let note = super::statuses::document(conn, status)?;
                let mut create = crate::protocol::activity::wrap(
                    config,
                    status.id,
                    "Create",
                    &account.ap_id,
                    note,
                );
                create["id"] = json!(format!("{}#create", status.ap_id));
                create["published"] = json!(published);
                if let Some(map) = create.as_object_mut() {
                    map.remove("@context");
                }
                create
            }
        };
        items.push(item);
    }
    Ok(json!({
        "@context": crate::protocol::AS_CONTEXT,
        "id": format!("{}/outbox", account.ap_id),
        "type": "OrderedCollection",
        "totalItems": items.len(),
        "orderedItems": items,
    }))
}
