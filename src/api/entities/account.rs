use super::time;
use crate::db::DbConn;
use crate::error::Error;
use crate::store::accounts::{self, Account as AccountRow, Profile};
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
    /// The account this one moved to; left out where it did not move.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved: Option<Box<Account>>,
}

/// An account entity serialised once and written as it stands into each status of a list
/// that shows it: a thread's thousand replies come from a few hundred people, and the
/// account is about half of each status's JSON.
#[derive(Clone)]
pub struct Serialised(std::sync::Arc<serde_json::value::RawValue>);

impl Serialised {
    pub fn of(account: &Account) -> Result<Serialised, Error> {
        let raw = serde_json::value::to_raw_value(account)
            .map_err(|e| Error::caused_by("cannot serialise an account", e))?;
        Ok(Serialised(raw.into()))
    }
}

impl Serialize for Serialised {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl Account {
    /// The accounts `ids`, in that order, loaded with one query (and one more for the
    /// accounts moved to); missing ones are left out.
    pub fn list(conn: &mut DbConn, base_url: &str, ids: &[i64]) -> Result<Vec<Account>, Error> {
        let found: std::collections::HashMap<i64, Profile> = accounts::profiles_by_ids(conn, ids)?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let moved_to: Vec<i64> = found.values().filter_map(|a| a.moved_to_id).collect();
        let targets = match moved_to.is_empty() {
            true => Vec::new(),
            false => accounts::profiles_by_ids(conn, &moved_to)?,
        };
        Ok(ids
            .iter()
            .filter_map(|id| found.get(id))
            .map(|a| Account::from_row(a, base_url).moved_to(&targets, a, base_url))
            .collect())
    }

    /// One account with the account it moved to, as its own page in the API shows it.
    pub fn one(conn: &mut DbConn, base_url: &str, row: &AccountRow) -> Result<Account, Error> {
        let targets = match row.moved_to_id {
            Some(id) => accounts::profiles_by_ids(conn, &[id])?,
            None => Vec::new(),
        };
        Ok(Account::from_row(row, base_url).moved_to(&targets, row, base_url))
    }

    fn moved_to(mut self, targets: &[Profile], row: &Profile, base_url: &str) -> Account {
        self.moved = row
            .moved_to_id
            .and_then(|id| targets.iter().find(|t| t.id == id))
            .map(|target| Box::new(Account::from_row(target, base_url)));
        self
    }

    pub fn from_row(row: &Profile, base_url: &str) -> Account {
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
            last_status_at: row.last_status_at.map(crate::time::day),
            hide_collections: false,
            noindex: !row.discoverable,
            emojis: Vec::new(),
            roles: Vec::new(),
            fields: serde_json::from_str(&row.fields).unwrap_or_default(),
            moved: None,
        }
    }
}
