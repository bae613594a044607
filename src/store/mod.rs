//! All SQL lives here, one file per aggregate. Functions take a connection so that callers
//! can group several of them in one transaction.

/// Apply a [`statuses::Page`]'s keyset bounds on `column` to a boxed `query`: older than
/// `max_id`, newer than `since_id`; `min_id` pages forward (oldest first, callers re-sort).
macro_rules! keyset {
    ($query:expr, $column:expr, $page:expr) => {{
        let (mut query, page) = ($query, $page);
        if let Some(max) = page.max_id {
            query = query.filter($column.lt(max));
        }
        if let Some(since) = page.since_id {
            query = query.filter($column.gt(since));
        }
        match page.min_id {
            Some(min) => query.filter($column.gt(min)).order($column.asc()),
            None => query.order($column.desc()),
        }
        .limit(page.limit)
    }};
}

/// Whether the status in the query (`statuses`) has attachments, asked of that one status
/// through the attachments' index: a list of every status with media is never built.
macro_rules! has_media {
    () => {{
        use $crate::db::schema::{media_attachments as media, statuses};
        diesel::dsl::exists(
            media::table
                .filter(media::status_id.eq(statuses::id.nullable()))
                .filter(media::position.ge(0)),
        )
    }};
}

/// Load a keyset page of `query` (see [`keyset!`]), newest first.
macro_rules! load_page {
    ($conn:expr, $query:expr, $column:expr, $page:expr) => {
        $crate::store::newest_first(keyset!($query, $column, $page).load($conn)?)
    };
}

/// Rows of a keyset-paged list: the id the page is cut at.
pub trait Keyed {
    fn cursor(&self) -> i64;
}

/// Bare ids, as pages of the home feed load them.
impl Keyed for i64 {
    fn cursor(&self) -> i64 {
        *self
    }
}

/// (cursor id, value) rows, as the lists of marks and follows load them.
impl<T> Keyed for (i64, T) {
    fn cursor(&self) -> i64 {
        self.0
    }
}

/// A page newest first, whichever way it was read (`min_id` reads the oldest first).
pub fn newest_first<T: Keyed>(mut rows: Vec<T>) -> Vec<T> {
    rows.sort_by_key(|row| std::cmp::Reverse(row.cursor()));
    rows
}

pub mod accounts;
pub mod aliases;
pub mod blocks;
pub mod bookmarks;
pub mod cards;
pub mod communities;
pub mod deliveries;
pub mod favourites;
pub mod filters;
pub mod follows;
pub mod home_feed;
pub mod instances;
pub mod lists;
pub mod markers;
pub mod media;
pub mod mentions;
pub mod moderation;
pub mod notifications;
pub mod oauth;
pub mod policies;
pub mod polls;
pub mod questions;
pub mod search;
pub mod settings;
pub mod sign_in_failures;
pub mod sso;
pub mod stats;
pub mod status_counts;
pub mod statuses;
pub mod tags;
pub mod thread_activity;
pub mod users;
pub mod versions;
pub mod web_sessions;

diesel::define_sql_function! {
    /// SQL `lower()`, the same on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A `LIKE` pattern for values starting with `prefix`, its wildcards escaped with `\`
/// (used with `.escape('\\')`, the same on both backends).
pub fn starts_with(prefix: &str) -> String {
    let escaped = prefix
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("{escaped}%")
}

/// `column IN ids` as one bind parameter on both backends. diesel's `eq_any` writes one `?`
/// per id on SQLite, and such a statement is prepared afresh on every call: rendering a
/// thread's context asks eight lists of a thousand ids. On SQLite the ids go as one JSON
/// array read back by `json_each` (a statement prepared once, and each id still found
/// through `column`'s index); PostgreSQL already binds one array, `= ANY($1)`. `column` is
/// written unqualified, so this is for queries of one table.
pub fn id_in<QS, C, B>(conn: &crate::db::DbConn, column: C, ids: &[i64]) -> IdIn<QS, B>
where
    C: diesel::Column + diesel::ExpressionMethods + diesel::expression::ValidGrouping<()>,
    C::SqlType: diesel::sql_types::SqlType,
    i64: diesel::expression::AsExpression<C::SqlType>,
    diesel::dsl::EqAny<C, Vec<i64>>: diesel::BoxableExpression<QS, Multi, SqlType = B> + 'static,
    // Bool, or Nullable<Bool> for a nullable column.
    B: diesel::sql_types::SqlType + diesel::expression::TypedExpressionType + Send + 'static,
{
    match conn {
        crate::db::DbConn::Sqlite(_) => {
            let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
            let sql = format!("{} IN (SELECT value FROM json_each(", C::NAME);
            Box::new(
                diesel::dsl::sql::<B>(&sql)
                    .bind::<diesel::sql_types::Text, _>(ids)
                    .sql("))"),
            )
        }
        crate::db::DbConn::Pg(_) => Box::new(column.eq_any(ids.to_vec())),
    }
}

/// The backend of [`crate::db::DbConn`].
type Multi = <crate::db::DbConn as diesel::Connection>::Backend;

/// The condition [`id_in`] makes.
pub type IdIn<QS, B> = Box<dyn diesel::BoxableExpression<QS, Multi, SqlType = B>>;
