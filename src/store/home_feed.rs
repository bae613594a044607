//! Each local person's home timeline as rows, written where posts, follows and followed tags
//! change (`store::statuses`, `store::follows`, `store::tags`), so that a page of home reads only the rows it shows:
//! one index range, whether the person follows busy or quiet sources and however large the
//! instance grows. Who belongs in whose home is one rule, [`QUALIFIES`]; posts arriving are
//! handed out by the same rule in its forward form ([`fan_out`], [`fan_out_tags`]).

use super::{statuses::Page, Sql};
use crate::db::{schema::home_feed, DbConn};
use crate::error::Error;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// Posts of a source a person starts following that are added to their home at once: the
/// newest, as Mastodon does; older ones stay on the source's own page.
const BACKFILL: i64 = 400;

/// Whether post `s` belongs in the home of person `$1`: their own; people's they follow and
/// those in communities they joined (not direct ones); public posts with tags they follow.
const QUALIFIES: &str = "(s.account_id = $1
    OR (s.visibility <> 'direct' AND (
        s.account_id IN (SELECT target_account_id FROM follows WHERE account_id = $1 AND state = 'accepted')
        OR s.community_id IN (SELECT target_account_id FROM follows WHERE account_id = $1 AND state = 'accepted')))
    OR (s.visibility = 'public' AND s.id IN (
        SELECT st.status_id FROM status_tags st JOIN followed_tags ft ON ft.tag = st.tag
        WHERE ft.account_id = $1)))";

/// Status ids of `viewer`'s home in `page`, newest first.
pub fn page(conn: &mut DbConn, viewer: i64, page: Page) -> Result<Vec<i64>, Error> {
    let query = home_feed::table
        .filter(home_feed::account_id.eq(viewer))
        .select(home_feed::status_id)
        .into_boxed();
    Ok(load_page!(conn, query, home_feed::status_id, page))
}

/// Which of `viewers` hold post `id` in their home, and which hold a boost of it: (viewer,
/// status id) pairs, for a stream to ask of many people at once what [`page`] would show.
pub fn holding(conn: &mut DbConn, viewers: &[i64], id: i64) -> Result<Vec<(i64, i64)>, Error> {
    use crate::db::schema::statuses;
    let mut ids: Vec<i64> = statuses::table
        .filter(statuses::reblog_of_id.eq(id))
        .select(statuses::id)
        .load(conn)?;
    ids.push(id);
    Ok(home_feed::table
        .filter(super::one_of_keys(conn, home_feed::account_id, viewers))
        .filter(super::one_of_keys(conn, home_feed::status_id, &ids))
        .select((home_feed::account_id, home_feed::status_id))
        .load(conn)?)
}

/// Put the new posts with ids from `first` to `last` in the homes they belong in: their
/// authors', if local people, and, unless direct, those of local people following their
/// authors or their communities. One post is the range of its own id; a bulk load hands out
/// a whole batch with the same three statements.
pub fn fan_out(conn: &mut DbConn, first: i64, last: i64) -> Result<(), Error> {
    let own = "INSERT INTO home_feed (account_id, status_id)
         SELECT u.account_id, s.id FROM statuses s JOIN users u ON u.account_id = s.account_id
         WHERE s.id BETWEEN $1 AND $2
         ON CONFLICT DO NOTHING";
    execute(conn, own, first, last)?;
    for source in ["account_id", "community_id"] {
        let followers = format!(
            "INSERT INTO home_feed (account_id, status_id)
             SELECT f.account_id, s.id FROM statuses s
             JOIN follows f ON f.target_account_id = s.{source}
             JOIN users u ON u.account_id = f.account_id
             WHERE s.id BETWEEN $1 AND $2 AND s.visibility <> 'direct' AND f.state = 'accepted'
             ON CONFLICT DO NOTHING"
        );
        execute(conn, &followers, first, last)?;
    }
    Ok(())
}

/// Put post `status_id`, if public, in the homes of local people following one of `tags`.
pub fn fan_out_tags(conn: &mut DbConn, status_id: i64, tags: &[String]) -> Result<(), Error> {
    for tag in tags {
        Sql::new(
            "INSERT INTO home_feed (account_id, status_id)
             SELECT ft.account_id, s.id FROM statuses s
             JOIN followed_tags ft ON ft.tag = $1
             JOIN users u ON u.account_id = ft.account_id
             WHERE s.id = $2 AND s.visibility = 'public'
             ON CONFLICT DO NOTHING",
        )
        .text(tag)
        .int(status_id)
        .execute(conn)?;
    }
    Ok(())
}

/// A source of posts in a home: an account (its own posts and, for a community, those posted
/// in it) or a tag.
pub enum Source<'a> {
    Account(i64),
    Tag(&'a str),
}

/// `viewer` began following `source` (or it accepted them): add its newest posts.
pub fn add(conn: &mut DbConn, viewer: i64, source: Source) -> Result<(), Error> {
    refill(conn, viewer, &source)
}

/// `viewer` stopped following `source`: take its posts out, and put back the newest of them
/// that belong for another reason (a tag they follow, a community they are in).
pub fn remove(conn: &mut DbConn, viewer: i64, source: Source) -> Result<(), Error> {
    match &source {
        Source::Account(id) => {
            for column in ["account_id", "community_id"] {
                let delete = format!(
                    "DELETE FROM home_feed WHERE account_id = $1 AND status_id IN
                     (SELECT id FROM statuses WHERE {column} = $2)"
                );
                execute(conn, &delete, viewer, *id)?;
            }
        }
        Source::Tag(tag) => {
            let delete = diesel::sql_query(
                "DELETE FROM home_feed WHERE account_id = $1 AND status_id IN
                 (SELECT status_id FROM status_tags WHERE tag = $2)",
            )
            .bind::<BigInt, _>(viewer)
            .bind::<Text, _>(*tag);
            crate::on_backend!(&mut *conn, |c| delete.execute(c))?;
        }
    }
    refill(conn, viewer, &source)
}

/// Add the newest posts of `source` that belong in `viewer`'s home, if `viewer` is a local
/// person. Each statement walks one index of `source` (by author, by community, by tag).
fn refill(conn: &mut DbConn, viewer: i64, source: &Source) -> Result<(), Error> {
    let insert = |restriction: &str| {
        format!(
            "INSERT INTO home_feed (account_id, status_id)
             SELECT $1, s.id FROM statuses s
             WHERE {restriction} AND {QUALIFIES}
             AND EXISTS (SELECT 1 FROM users WHERE account_id = $1)
             ORDER BY s.id DESC LIMIT {BACKFILL}
             ON CONFLICT DO NOTHING"
        )
    };
    match source {
        Source::Account(id) => {
            for restriction in ["s.account_id = $2", "s.community_id = $2"] {
                execute(conn, &insert(restriction), viewer, *id)?;
            }
        }
        Source::Tag(tag) => {
            let restriction = "s.id IN (SELECT status_id FROM status_tags WHERE tag = $2)";
            let query = insert(restriction);
            let refill = diesel::sql_query(&query)
                .bind::<BigInt, _>(viewer)
                .bind::<Text, _>(*tag);
            crate::on_backend!(&mut *conn, |c| refill.execute(c))?;
        }
    }
    Ok(())
}

/// Take a deleted post out of every home.
pub fn forget(conn: &mut DbConn, status_id: i64) -> Result<(), Error> {
    diesel::delete(home_feed::table.filter(home_feed::status_id.eq(status_id))).execute(conn)?;
    Ok(())
}

/// Run `sql` with two id parameters, `$1` and `$2`.
fn execute(conn: &mut DbConn, sql: &str, first: i64, second: i64) -> Result<(), Error> {
    Sql::new(sql).int(first).int(second).execute(conn)?;
    Ok(())
}
