//! Lists: a person groups accounts they follow and reads their posts apart.

use crate::db::DbConn;
use crate::domain::FollowState;
use crate::error::Error;
use crate::ids::next_id;
use crate::store::{
    follows,
    lists::{self as list_store, List},
};

const REPLIES_POLICIES: &[&str] = &["followed", "list", "none"];
const MAX_TITLE: usize = 100;

/// What a person sets on a list; `None` keeps a value.
#[derive(Default)]
pub struct ListChange {
    pub title: Option<String>,
    pub replies_policy: Option<String>,
    pub exclusive: Option<bool>,
}

fn apply(list: &mut List, change: ListChange) -> Result<(), Error> {
    if let Some(title) = change.title {
        let title = title.trim().to_string();
        if title.is_empty() || title.chars().count() > MAX_TITLE {
            return Err(Error::Unprocessable(format!(
                "title must be 1 to {MAX_TITLE} characters"
            )));
        }
        list.title = title;
    }
    if let Some(policy) = change.replies_policy {
        if !REPLIES_POLICIES.contains(&policy.as_str()) {
            return Err(Error::Unprocessable(format!(
                "replies_policy must be one of {}",
                REPLIES_POLICIES.join(", ")
            )));
        }
        list.replies_policy = policy;
    }
    list.exclusive = change.exclusive.unwrap_or(list.exclusive);
    Ok(())
}

pub fn create(conn: &mut DbConn, owner: i64, change: ListChange) -> Result<List, Error> {
    if change.title.is_none() {
        return Err(Error::Unprocessable("title is required".into()));
    }
    let mut list = List {
        id: next_id(),
        account_id: owner,
        title: String::new(),
        replies_policy: "list".to_string(),
        exclusive: false,
        created_at: crate::time::now(),
    };
    apply(&mut list, change)?;
    list_store::insert(conn, &list)?;
    Ok(list)
}

/// The owner's list `id`, or 404.
pub fn owned(conn: &mut DbConn, owner: i64, id: i64) -> Result<List, Error> {
    list_store::owned(conn, owner, id)?.ok_or(Error::NotFound)
}

pub fn update(conn: &mut DbConn, owner: i64, id: i64, change: ListChange) -> Result<List, Error> {
    let mut list = owned(conn, owner, id)?;
    apply(&mut list, change)?;
    list_store::update(conn, &list)?;
    Ok(list)
}

pub fn delete(conn: &mut DbConn, owner: i64, id: i64) -> Result<(), Error> {
    let list = owned(conn, owner, id)?;
    list_store::delete(conn, list.id)
}

/// Add accounts the owner follows; anyone else is refused, as Mastodon does.
pub fn add_accounts(conn: &mut DbConn, owner: i64, id: i64, accounts: &[i64]) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        let list = owned(conn, owner, id)?;
        let states = follows::states_among(conn, owner, accounts, true)?;
        if let Some(stranger) = accounts
            .iter()
            .find(|a| states.get(a) != Some(&FollowState::Accepted))
        {
            return Err(Error::Unprocessable(format!(
                "you must follow account {stranger} to add it to a list"
            )));
        }
        list_store::add_members(conn, list.id, accounts)
    })
}

pub fn remove_accounts(
    conn: &mut DbConn,
    owner: i64,
    id: i64,
    accounts: &[i64],
) -> Result<(), Error> {
    let list = owned(conn, owner, id)?;
    list_store::remove_members(conn, list.id, accounts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn lists_hold_only_followed_accounts_and_only_their_owner_changes_them() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let (ann, bob, cy) = (
            f.person(conn, "ann"),
            f.person(conn, "bob"),
            f.person(conn, "cy"),
        );
        let change = ListChange {
            title: Some("Colleagues".into()),
            ..Default::default()
        };
        let list = create(conn, ann.id, change).unwrap();
        let stranger = add_accounts(conn, ann.id, list.id, &[bob.id]);
        assert!(
            matches!(stranger, Err(Error::Unprocessable(_))),
            "{stranger:?}"
        );
        f.follow(conn, &ann, &bob);
        add_accounts(conn, ann.id, list.id, &[bob.id]).unwrap();
        assert_eq!(list_store::member_ids(conn, list.id).unwrap(), [bob.id]);
        let not_theirs = remove_accounts(conn, cy.id, list.id, &[bob.id]);
        assert!(matches!(not_theirs, Err(Error::NotFound)), "{not_theirs:?}");
        remove_accounts(conn, ann.id, list.id, &[bob.id]).unwrap();
        assert!(list_store::member_ids(conn, list.id).unwrap().is_empty());
        assert!(delete(conn, cy.id, list.id).is_err());
        delete(conn, ann.id, list.id).unwrap();
        assert!(matches!(owned(conn, ann.id, list.id), Err(Error::NotFound)));
    }
}
