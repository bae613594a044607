//! Full-text search of posts, with the engine each backend has: SQLite's FTS5 table
//! `status_search` (kept by triggers) and PostgreSQL's generated `search_document` with its
//! GIN index. Both stem English and weigh thread titles above text.

use crate::db::{schema::statuses, DbConn};
use crate::error::Error;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// One part of a query; every part must match.
#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    Word(String),
    /// Words starting with this.
    Prefix(String),
    /// These words, one after another.
    Phrase(Vec<String>),
}

/// Narrowing a search: by author, by community, within ids.
#[derive(Clone, Copy, Debug, Default)]
pub struct Within {
    pub account_id: Option<i64>,
    pub community_id: Option<i64>,
    pub max_id: Option<i64>,
    pub min_id: Option<i64>,
}

/// Write the words of a post as they are searched.
pub fn set_text(conn: &mut DbConn, id: i64, text: &str) -> Result<(), Error> {
    diesel::update(statuses::table.find(id))
        .set(statuses::search_text.eq(text))
        .execute(conn)?;
    Ok(())
}

/// The instance setting that says [`index_remote_text`] has run.
const REMOTE_TEXT_INDEXED: &str = "remote_text_indexed";

/// Posts from elsewhere stored before Guild kept their words as plain text hold their HTML
/// as their words (SQLite cannot strip tags in a migration): write the text of that HTML,
/// once for the database (it reads every post; the server runs it at start), a batch at a
/// time along the ids. Returns how many posts it wrote.
pub fn index_remote_text(conn: &mut DbConn) -> Result<usize, Error> {
    if super::settings::get(conn, REMOTE_TEXT_INDEXED)?.is_some() {
        return Ok(0);
    }
    let mut after = 0;
    let mut written = 0;
    loop {
        let batch: Vec<(i64, String)> = statuses::table
            .filter(statuses::id.gt(after))
            .filter(statuses::source.eq(""))
            .filter(statuses::search_text.eq(statuses::content))
            .filter(statuses::content.like("%<%"))
            .order(statuses::id.asc())
            .limit(500)
            .select((statuses::id, statuses::content))
            .load(conn)?;
        let Some(&(last, _)) = batch.last() else {
            super::settings::set(conn, REMOTE_TEXT_INDEXED, "1")?;
            return Ok(written);
        };
        crate::db::transaction(conn, |conn| {
            batch
                .iter()
                .try_for_each(|(id, html)| set_text(conn, *id, &crate::service::text::plain(html)))
        })?;
        written += batch.len();
        after = last;
    }
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// FTS5's query language: each word quoted, so nothing in it is an operator.
fn fts5_query(terms: &[Term]) -> String {
    let parts: Vec<String> = terms
        .iter()
        .map(|term| match term {
            Term::Word(w) => format!("\"{w}\""),
            Term::Prefix(w) => format!("\"{w}\"*"),
            Term::Phrase(words) => format!("\"{}\"", words.join(" ")),
        })
        .collect();
    parts.join(" AND ")
}

/// PostgreSQL's `to_tsquery` language; terms hold only letters and digits.
fn tsquery(terms: &[Term]) -> String {
    let parts: Vec<String> = terms
        .iter()
        .map(|term| match term {
            Term::Word(w) => w.clone(),
            Term::Prefix(w) => format!("{w}:*"),
            Term::Phrase(words) => format!("({})", words.join(" <-> ")),
        })
        .collect();
    parts.join(" & ")
}

/// Matches ranked for relevance: the newest this many. Ranking every match of a word in
/// most posts would cost a scan of them all; `max_id` reaches older matches.
const RANKED: i64 = 500;

/// On PostgreSQL, up to this many expected matches are gathered through the GIN index and
/// sorted; with more, walking the newest posts finds the newest matches sooner. Gathering
/// costs about 2 µs a match, walking about 1 µs a post read, and a walk reads
/// `RANKED / share of posts matching` posts: the two meet near 15,000 matches in a million
/// posts, at about 30 ms.
const GATHER_BELOW: f64 = 15_000.0;

/// Filters every search applies. Parameters appear in the order they are bound: SQLite
/// numbers `$N` by first sight.
const LIVE: &str = "s.id < $2 AND s.id > $3 AND ($4 = 0 OR s.account_id = $4) \
     AND ($5 = 0 OR s.community_id = $5) AND s.deleted_at IS NULL \
     AND s.removed_at IS NULL AND s.reblog_of_id IS NULL";

/// Ids of posts matching every term that `viewer` might see, best first (relevance among
/// the newest [`RANKED`] matches, then the newest): not deleted, removed or a boost, and not
/// by people who asked not to be indexed (but for the viewer's own). Visibility is the
/// caller's to apply to what comes back.
pub fn matching(
    conn: &mut DbConn,
    terms: &[Term],
    viewer: i64,
    within: Within,
    (limit, offset): (i64, i64),
) -> Result<Vec<i64>, Error> {
    let (ranked, query, best) = match conn {
        DbConn::Sqlite(_) => (
            format!(
                "SELECT s.id AS id, s.account_id AS account_id, \
                 bm25(status_search, 4.0, 1.0) AS score FROM status_search \
                 JOIN statuses s ON s.id = status_search.rowid \
                 WHERE status_search MATCH $1 AND {LIVE} \
                 ORDER BY status_search.rowid DESC LIMIT {RANKED}"
            ),
            fts5_query(terms),
            "m.score",
        ),
        DbConn::Pg(_) => {
            let query = tsquery(terms);
            // `s.id + 0` keeps the primary key from serving the order, which leaves the
            // planner the GIN index; the rank is computed for the newest matches alone.
            let order = match expected_matches(conn, &query, within)? < GATHER_BELOW {
                true => "s.id + 0",
                false => "s.id",
            };
            (
                format!(
                    "SELECT s.id AS id, s.account_id AS account_id, \
                     s.search_document AS doc FROM statuses s \
                     WHERE s.search_document @@ to_tsquery('english', $1) AND {LIVE} \
                     ORDER BY {order} DESC LIMIT {RANKED}"
                ),
                query,
                "ts_rank(m.doc, to_tsquery('english', $1)) DESC",
            )
        }
    };
    let sql = format!(
        "SELECT m.id AS id FROM ({ranked}) m JOIN accounts a ON a.id = m.account_id \
         WHERE a.discoverable OR a.id = $6 ORDER BY {best}, m.id DESC LIMIT $7 OFFSET $8"
    );
    let search = diesel::sql_query(sql)
        .bind::<Text, _>(query)
        .bind::<BigInt, _>(within.max_id.unwrap_or(i64::MAX))
        .bind::<BigInt, _>(within.min_id.unwrap_or(0))
        .bind::<BigInt, _>(within.account_id.unwrap_or(0))
        .bind::<BigInt, _>(within.community_id.unwrap_or(0))
        .bind::<BigInt, _>(viewer)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset);
    let hits: Vec<Hit> = crate::on_backend!(&mut *conn, |c| search.load(c))?;
    Ok(hits.into_iter().map(|h| h.id).collect())
}

#[derive(QueryableByName)]
struct Plan {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    plan: String,
}

/// How many posts PostgreSQL's statistics say match `query` within `within`: its planner's
/// estimate, which the statistics of the words in `search_document` make close.
fn expected_matches(conn: &mut DbConn, query: &str, within: Within) -> Result<f64, Error> {
    let sql = format!(
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM statuses s \
         WHERE s.search_document @@ to_tsquery('english', $1) AND {LIVE}"
    );
    let explain = diesel::sql_query(sql)
        .bind::<Text, _>(query)
        .bind::<BigInt, _>(within.max_id.unwrap_or(i64::MAX))
        .bind::<BigInt, _>(within.min_id.unwrap_or(0))
        .bind::<BigInt, _>(within.account_id.unwrap_or(0))
        .bind::<BigInt, _>(within.community_id.unwrap_or(0));
    let plans: Vec<Plan> = crate::on_backend!(&mut *conn, |c| explain.load(c))?;
    let rows = plans
        .first()
        .and_then(|p| serde_json::from_str::<serde_json::Value>(&p.plan).ok())
        .and_then(|plan| plan[0]["Plan"]["Plan Rows"].as_f64());
    Ok(rows.unwrap_or(f64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_html_is_indexed_as_text_once() {
        let fixture = crate::testing::Fixture::new();
        let mut conn = fixture.conn();
        let ada = fixture.person(&mut conn, "ada");
        let post = fixture.post(&mut conn, &ada, "placeholder", None, None);
        // A post from elsewhere as it was kept before its words were plain text.
        let html = "<p>Caching &amp; <strong>builds</strong></p>";
        diesel::update(statuses::table.find(post.id))
            .set((
                statuses::source.eq(""),
                statuses::content.eq(html),
                statuses::search_text.eq(html),
            ))
            .execute(&mut *conn)
            .unwrap();
        let find = |conn: &mut DbConn, word: &str| {
            let terms = [Term::Word(word.into())];
            matching(conn, &terms, ada.id, Within::default(), (10, 0)).unwrap()
        };
        assert_eq!(
            find(&mut conn, "strong"),
            vec![post.id],
            "tags were indexed"
        );

        assert_eq!(index_remote_text(&mut conn).unwrap(), 1);
        let words: String = statuses::table
            .find(post.id)
            .select(statuses::search_text)
            .first(&mut *conn)
            .unwrap();
        assert_eq!(words, "Caching & builds");
        assert_eq!(find(&mut conn, "strong"), Vec::<i64>::new());
        assert_eq!(find(&mut conn, "builds"), vec![post.id]);
        assert_eq!(index_remote_text(&mut conn).unwrap(), 0, "once");
        super::super::settings::remove(&mut conn, REMOTE_TEXT_INDEXED).unwrap();
        assert_eq!(index_remote_text(&mut conn).unwrap(), 0, "nothing left");
    }

    #[test]
    fn queries_quote_words_and_keep_phrases() {
        let terms = [
            Term::Word("build".into()),
            Term::Prefix("cach".into()),
            Term::Phrase(vec!["shared".into(), "runners".into()]),
        ];
        assert_eq!(
            fts5_query(&terms),
            "\"build\" AND \"cach\"* AND \"shared runners\""
        );
        assert_eq!(tsquery(&terms), "build & cach:* & (shared <-> runners)");
    }
}
