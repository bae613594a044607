use super::time;
use crate::db::DbConn;
use crate::error::Error;
use crate::store::accounts::{self, Account as AccountRow};
use serde::Serialize;

/// Mastodon's Account entity. Communities are accounts with `group: true`.
#[derive(Serialize)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub acct: String,
    pub display_name: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub group: bool,
    pub created_at: String,
    pub note: String,
    pub url: String,
    pub uri: String,
    pub avatar: String,
    pub avatar_static: String,
    pub header: String,
    pub header_static: String,
    pub followers_count: i32,
    pub following_count: i32,
    pub statuses_count: i32,
    pub last_status_at: Option<String>,
    pub hide_collections: bool,
    pub noindex: bool,
    pub emojis: Vec<serde_json::Value>,
    pub roles: Vec<serde_json::Value>,
    pub fields: Vec<serde_json::Value>,
}

impl Account {
    /// The accounts `ids`, in that order, loaded with one query; missing ones are left out.
    pub fn list(conn: &mut DbConn, base_url: &str, ids: &[i64]) -> Result<Vec<Account>, Error> {
        let found = accounts::by_ids(conn, ids)?;
        Ok(ids
            .iter()
            .filter_map(|id| found.iter().find(|a| a.id == *id))
            .map(|a| Account::from_row(a, base_url))
            .collect())
    }

    pub fn from_row(row: &AccountRow, base_url: &str) -> Account {
        let avatar = row.avatar(base_url);
        let header = row.header(base_url);
        Account {
            id: row.id.to_string(),
            username: row.username.clone(),
            acct: row.acct(),
            display_name: row.display_name.clone(),
            locked: row.locked,
            bot: row.bot,
            discoverable: row.discoverable,
            indexable: row.discoverable,
            group: row.is_group(),
            created_at: time(row.created_at),
            note: row.note.clone(),
            url: row.url.clone().unwrap_or_else(|| row.ap_id.clone()),
            uri: row.ap_id.clone(),
            avatar_static: avatar.clone(),
            avatar,
            header_static: header.clone(),
            header,
            followers_count: row.followers_count,
            following_count: row.following_count,
            statuses_count: row.statuses_count,
            // Mastodon gives the day only.
            last_status_at: row.last_status_at.map(|t| t.format("%Y-%m-%d").to_string()),
            hide_collections: false,
            noindex: !row.discoverable,
            emojis: Vec::new(),
            roles: Vec::new(),
            fields: serde_json::from_str(&row.fields).unwrap_or_default(),
        }
    }
}
