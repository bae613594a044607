use super::time;
use crate::db::DbConn;
use crate::error::Error;
use crate::store::accounts::{self, Account as AccountRow, Profile};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, MutexGuard};

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

    /// The entity of `row`, serialised; a row equal to one serialised before is not
    /// serialised again. The entity depends on nothing but the row and the base URL, so a
    /// kept one is right for as long as the row reads the same: nothing needs telling when
    /// an account changes, on this node or another.
    pub fn of_row(row: &Profile, base_url: &str) -> Result<Serialised, Error> {
        let kept = |shown: &HashMap<i64, Shown>| {
            let shown = shown.get(&row.id)?;
            (shown.base_url == base_url && shown.row == *row).then(|| shown.serialised.clone())
        };
        if let Some(serialised) = kept(&shown()) {
            return Ok(serialised);
        }
        let serialised = Serialised::of(&Account::from_row(row, base_url))?;
        let mut shown = shown();
        if shown.len() >= KEPT {
            // Emptied when full: the accounts shown again soon come back with the next lists.
            shown.clear();
        }
        let entry = Shown {
            base_url: base_url.to_string(),
            row: row.clone(),
            serialised: serialised.clone(),
        };
        shown.insert(row.id, entry);
        Ok(serialised)
    }
}

/// Accounts kept serialised at most: a few MB.
const KEPT: usize = 2048;

/// An account as last serialised, for the base URL it was serialised with (a server has one;
/// tests run several in one process).
struct Shown {
    base_url: String,
    row: Profile,
    serialised: Serialised,
}

static SHOWN: LazyLock<Mutex<HashMap<i64, Shown>>> = LazyLock::new(Mutex::default);

fn shown() -> MutexGuard<'static, HashMap<i64, Shown>> {
    // Nothing is left half-changed by a panic while it is held.
    SHOWN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AccountKind;

    fn profile(id: i64) -> Profile {
        Profile {
            id,
            kind: AccountKind::Person,
            username: "ann".into(),
            domain: Some("elsewhere.example".into()),
            display_name: "Ann".into(),
            note: "<p>hi</p>".into(),
            ap_id: "https://elsewhere.example/users/ann".into(),
            url: None,
            locked: false,
            discoverable: true,
            bot: false,
            fields: "[]".into(),
            avatar_url: None,
            header_url: None,
            followers_count: 1,
            following_count: 2,
            statuses_count: 3,
            last_status_at: None,
            created_at: chrono::DateTime::from_timestamp(1_800_000_000, 0)
                .unwrap()
                .naive_utc(),
            moved_to_id: None,
        }
    }

    fn json(serialised: &Serialised) -> serde_json::Value {
        serde_json::from_str(serialised.0.get()).unwrap()
    }

    /// An account is serialised again exactly when its row or the base URL differs, and what
    /// is kept reads as a fresh serialisation would.
    #[test]
    fn accounts_are_serialised_again_only_when_they_change() {
        // Ids no other test shows, since the kept accounts are the process's.
        let mut row = profile(i64::MAX - 17);
        let first = Serialised::of_row(&row, "https://one.test").unwrap();
        let again = Serialised::of_row(&row, "https://one.test").unwrap();
        assert!(std::sync::Arc::ptr_eq(&first.0, &again.0));
        let fresh = Serialised::of(&Account::from_row(&row, "https://one.test")).unwrap();
        assert_eq!(json(&again), json(&fresh));

        row.statuses_count += 1;
        let counted = Serialised::of_row(&row, "https://one.test").unwrap();
        assert!(!std::sync::Arc::ptr_eq(&first.0, &counted.0));
        assert_eq!(json(&counted)["statuses_count"], 4);

        row.display_name = "Ann B.".into();
        let renamed = Serialised::of_row(&row, "https://one.test").unwrap();
        assert_eq!(json(&renamed)["display_name"], "Ann B.");

        let elsewhere = Serialised::of_row(&row, "https://two.test").unwrap();
        assert_eq!(
            json(&elsewhere)["avatar"],
            "https://two.test/static/avatar.png"
        );
        let other = Serialised::of_row(&profile(i64::MAX - 18), "https://one.test").unwrap();
        assert_eq!(json(&other)["id"], (i64::MAX - 18).to_string());
    }
}
