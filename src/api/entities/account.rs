use super::time;
use crate::db::{kept::Kept, DbConn};
use crate::error::Error;
use crate::store::accounts::{self, Account as AccountRow, Profile};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

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
pub struct Serialised(Arc<serde_json::value::RawValue>);

impl Serialised {
    pub fn of(account: &Account) -> Result<Serialised, Error> {
        let raw = serde_json::value::to_raw_value(account)
            .map_err(|e| Error::caused_by("cannot serialise an account", e))?;
        Ok(Serialised(raw.into()))
    }
}

/// An account as a list of statuses shows it: its row, and its entity serialised.
#[derive(Clone)]
pub struct ShownAccount {
    pub profile: Arc<Profile>,
    pub serialised: Serialised,
}

impl ShownAccount {
    /// The accounts `ids` that exist, as a list shows them. What was read and serialised of
    /// an account is kept while its version stands (`db::kept`), so a thread's few hundred
    /// authors cost a query of their versions, and only rows that moved are read and
    /// serialised again.
    pub fn of_ids(
        conn: &mut DbConn,
        base_url: &str,
        ids: &[i64],
    ) -> Result<HashMap<i64, ShownAccount>, Error> {
        let versions: HashMap<i64, i64> = accounts::versions_of(conn, ids)?.into_iter().collect();
        let serialised_here = |(url, _): &(String, ShownAccount)| url == base_url;
        let (found, moved) =
            KEPT.standing(versions.iter().map(|(&id, &v)| (id, v)), serialised_here);
        let mut found: HashMap<i64, ShownAccount> = found
            .into_iter()
            .map(|(id, (_, shown))| (id, shown))
            .collect();
        if moved.is_empty() {
            return Ok(found);
        }
        let mut read = Vec::with_capacity(moved.len());
        for row in accounts::profiles_by_ids(conn, &moved)? {
            let serialised = Serialised::of(&Account::from_row(&row, base_url))?;
            let profile = Arc::new(row);
            read.push(ShownAccount {
                profile,
                serialised,
            });
        }
        let keep = read
            .iter()
            .map(|s| (s.profile.id, (base_url.to_string(), s.clone())));
        KEPT.keep(conn, &versions, keep)?;
        found.extend(read.into_iter().map(|s| (s.profile.id, s)));
        Ok(found)
    }
}

/// Accounts kept at most (a few MB), each with the base URL it was serialised for (a server
/// has one; tests run several in one process).
static KEPT: Kept<(String, ShownAccount)> = Kept::new(2048);

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

    fn json(serialised: &Serialised) -> serde_json::Value {
        serde_json::from_str(serialised.0.get()).unwrap()
    }

    /// An account is read and serialised again exactly when its row changed, by whatever
    /// statement, and what is kept reads as a fresh serialisation would.
    #[test]
    fn accounts_are_read_again_only_when_they_change() {
        let fixture = crate::testing::Fixture::new();
        let conn = &mut *fixture.conn();
        let ann = fixture.person(conn, "ann");
        let base = fixture.config.base_url();
        let shown = |conn: &mut DbConn| {
            let mut shown = ShownAccount::of_ids(conn, &base, &[ann.id, i64::MAX - 17]).unwrap();
            assert_eq!(shown.len(), 1, "a missing account is left out");
            shown.remove(&ann.id).unwrap()
        };
        let first = shown(conn);
        let again = shown(conn);
        assert!(Arc::ptr_eq(&first.serialised.0, &again.serialised.0));
        assert!(Arc::ptr_eq(&first.profile, &again.profile));
        let fresh = Account::from_row(&first.profile, &base);
        assert_eq!(
            json(&again.serialised),
            serde_json::to_value(fresh).unwrap()
        );

        crate::store::status_counts::count_in_account(conn, ann.id, true).unwrap();
        let counted = shown(conn);
        assert!(!Arc::ptr_eq(&first.serialised.0, &counted.serialised.0));
        assert_eq!(json(&counted.serialised)["statuses_count"], 1);

        let edit = accounts::ProfileEdit {
            display_name: Some("Ann B.".into()),
            ..Default::default()
        };
        accounts::edit_profile(conn, ann.id, &edit).unwrap();
        assert_eq!(json(&shown(conn).serialised)["display_name"], "Ann B.");
        // Kept for the base URL it was serialised with.
        let elsewhere = ShownAccount::of_ids(conn, "https://two.test", &[ann.id]).unwrap();
        let avatar = &json(&elsewhere[&ann.id].serialised)["avatar"];
        assert_eq!(avatar, "https://two.test/static/avatar.png");
        assert_eq!(json(&shown(conn).serialised)["display_name"], "Ann B.");

        // Read inside a transaction that is then rolled back: not kept, so the next change,
        // which takes the same version, is not mistaken for it.
        let _ = crate::db::transaction(conn, |conn| {
            let edit = accounts::ProfileEdit {
                display_name: Some("Never".into()),
                ..Default::default()
            };
            accounts::edit_profile(conn, ann.id, &edit)?;
            assert_eq!(json(&shown(conn).serialised)["display_name"], "Never");
            Err::<(), _>(Error::NotFound)
        });
        let edit = accounts::ProfileEdit {
            display_name: Some("Ann C.".into()),
            ..Default::default()
        };
        accounts::edit_profile(conn, ann.id, &edit).unwrap();
        assert_eq!(json(&shown(conn).serialised)["display_name"], "Ann C.");
    }
}
