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
pub mod author_deletion;
pub mod blocks;
pub mod bookmarks;
pub mod boosts;
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
pub mod threads;
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

/// `column IN values` as one bind parameter on both backends, kept prepared: the values go
/// as one JSON array. diesel's `eq_any` writes one `?` per value on SQLite (a statement
/// prepared afresh on every call; rendering a thread's context asks eight lists of a
/// thousand ids) and `= ANY($1)` on PostgreSQL, whose reusable plan cannot know the list's
/// length: on a small table it reads every row and compares it with each value in turn (a
/// thousand ids against a table of a thousand tags took 8 ms). As a list the values are
/// joined instead: hashed against a small table, looked up one by one in a large one's
/// index. On SQLite the list is `json_each`'s, and each value is found through the index.
pub fn one_of<QS, C, V>(
    conn: &crate::db::DbConn,
    column: C,
    values: &[V],
) -> OneOf<QS, <C::SqlType as ListType>::Condition>
where
    C: diesel::Column + diesel::expression::ValidGrouping<()>,
    C: diesel::BoxableExpression<QS, Multi> + 'static,
    C::SqlType: ListType,
    V: serde::Serialize,
{
    Box::new(InList {
        column,
        json: serde_json::to_string(values).unwrap_or_else(|_| "[]".into()),
        cast: match conn {
            crate::db::DbConn::Sqlite(_) => None,
            crate::db::DbConn::Pg(_) => Some(<C::SqlType as ListType>::POSTGRES),
        },
        sql_type: std::marker::PhantomData,
    })
}

/// [`one_of`] for the primary key of statuses or accounts, tables that grow with the
/// instance: PostgreSQL reads `= ANY($1)` along the key's index in one pass, twice as fast
/// as joining a list of a thousand ids. Also for both columns of a pair a large table keys
/// on (a person's bookmarks, a home's rows, blocks): `= ANY` on both is one index condition
/// whatever the lists' lengths, where two joined lists, each guessed at a hundred values,
/// made PostgreSQL hash-join a whole table of a million bookmarks (70 ms instead of 0.1).
pub fn one_of_keys<QS, C>(conn: &crate::db::DbConn, column: C, ids: &[i64]) -> OneOf<QS, Bool>
where
    C: diesel::Column<SqlType = diesel::sql_types::BigInt>,
    C: diesel::ExpressionMethods + diesel::expression::ValidGrouping<()>,
    C: diesel::BoxableExpression<QS, Multi> + 'static,
    diesel::dsl::EqAny<C, Vec<i64>>: diesel::BoxableExpression<QS, Multi, SqlType = Bool>,
    diesel::dsl::EqAny<C, Vec<i64>>: 'static,
{
    match conn {
        crate::db::DbConn::Sqlite(_) => one_of(conn, column, ids),
        crate::db::DbConn::Pg(_) => Box::new(column.eq_any(ids.to_vec())),
    }
}

/// The backend of [`crate::db::DbConn`].
type Multi = <crate::db::DbConn as diesel::Connection>::Backend;

/// The condition [`one_of`] makes.
pub type OneOf<QS, B> = Box<dyn diesel::BoxableExpression<QS, Multi, SqlType = B>>;

type Bool = diesel::sql_types::Bool;

/// The column types [`one_of`] compares: the type PostgreSQL reads a JSON array's text
/// values as, and the condition's type (nullable for a nullable column).
pub trait ListType {
    const POSTGRES: &'static str;
    type Condition: diesel::sql_types::SqlType
        + diesel::expression::TypedExpressionType
        + Send
        + 'static;
}

impl ListType for diesel::sql_types::BigInt {
    const POSTGRES: &'static str = "bigint";
    type Condition = Bool;
}

impl ListType for diesel::sql_types::Text {
    const POSTGRES: &'static str = "text";
    type Condition = Bool;
}

impl<T: ListType + diesel::sql_types::SqlType> ListType for diesel::sql_types::Nullable<T> {
    const POSTGRES: &'static str = T::POSTGRES;
    type Condition = diesel::sql_types::Nullable<Bool>;
}

/// `column IN (the values of a JSON array)`, the array bound as one text. Written here
/// rather than as an SQL fragment, which diesel never keeps prepared.
#[derive(Debug, Clone)]
pub struct InList<C, B> {
    column: C,
    json: String,
    /// The type PostgreSQL casts each value to; None on SQLite, whose `json_each` gives
    /// values that compare as they are.
    cast: Option<&'static str>,
    sql_type: std::marker::PhantomData<B>,
}

impl<C, B> diesel::Expression for InList<C, B>
where
    B: diesel::sql_types::SqlType + diesel::expression::TypedExpressionType,
{
    type SqlType = B;
}

impl<C, B, QS> diesel::AppearsOnTable<QS> for InList<C, B>
where
    C: diesel::AppearsOnTable<QS>,
    Self: diesel::Expression,
{
}

impl<C, B, QS> diesel::SelectableExpression<QS> for InList<C, B>
where
    C: diesel::SelectableExpression<QS>,
    Self: diesel::AppearsOnTable<QS>,
{
}

// A condition on a row's own column.
impl<C, B> diesel::expression::ValidGrouping<()> for InList<C, B> {
    type IsAggregate = diesel::expression::is_aggregate::No;
}

impl<C, B> diesel::query_builder::QueryId for InList<C, B> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C, B, DB> diesel::query_builder::QueryFragment<DB> for InList<C, B>
where
    DB: diesel::backend::Backend + diesel::sql_types::HasSqlType<diesel::sql_types::Text>,
    C: diesel::query_builder::QueryFragment<DB>,
    String: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> diesel::QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        match self.cast {
            None => {
                out.push_sql(" IN (SELECT value FROM json_each(");
                out.push_bind_param::<diesel::sql_types::Text, _>(&self.json)?;
                out.push_sql("))");
            }
            Some(cast) => {
                out.push_sql(" IN (SELECT CAST(value AS ");
                out.push_sql(cast);
                out.push_sql(") FROM json_array_elements_text(CAST(");
                out.push_bind_param::<diesel::sql_types::Text, _>(&self.json)?;
                out.push_sql(" AS json)))");
            }
        }
        Ok(())
    }
}

/// A statement written in SQL, with `$1`, `$2`… for its values, kept prepared on each
/// connection (diesel's `sql_query` is prepared afresh on every call, since its text may be
/// built at run time). For texts of a few fixed forms: each stays prepared for the life of
/// the connection. The same text serves both backends: the values are bound by position.
pub struct Sql<'a> {
    text: &'a str,
    values: Vec<Value<'a>>,
}

enum Value<'a> {
    Int(i64),
    Text(&'a str),
    Time(chrono::NaiveDateTime),
}

impl<'a> Sql<'a> {
    pub fn new(text: &'a str) -> Sql<'a> {
        Sql {
            text,
            values: Vec::new(),
        }
    }

    /// Bind the next number, `$N` for the Nth value bound.
    pub fn int(mut self, value: i64) -> Self {
        self.values.push(Value::Int(value));
        self
    }

    pub fn text(mut self, value: &'a str) -> Self {
        self.values.push(Value::Text(value));
        self
    }

    pub fn time(mut self, value: chrono::NaiveDateTime) -> Self {
        self.values.push(Value::Time(value));
        self
    }

    /// Run it; the number of rows it changed.
    pub fn execute(self, conn: &mut crate::db::DbConn) -> Result<usize, crate::error::Error> {
        Ok(crate::on_backend!(&mut *conn, |c| {
            diesel::RunQueryDsl::execute(self, c)
        })?)
    }
}

impl<DB> diesel::query_builder::QueryFragment<DB> for Sql<'_>
where
    DB: diesel::backend::Backend
        + diesel::sql_types::HasSqlType<diesel::sql_types::BigInt>
        + diesel::sql_types::HasSqlType<diesel::sql_types::Text>
        + diesel::sql_types::HasSqlType<diesel::sql_types::Timestamp>,
    i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
    str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
    chrono::NaiveDateTime: diesel::serialize::ToSql<diesel::sql_types::Timestamp, DB>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> diesel::QueryResult<()> {
        // Each `$N` becomes a bound value of its own: SQLite's `?` cannot be named twice.
        let mut rest = self.text;
        while let Some(at) = rest.find('$') {
            out.push_sql(&rest[..at]);
            let digits = rest[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - at - 1);
            let n: usize = rest[at + 1..at + 1 + digits].parse().map_err(|_| {
                diesel::result::Error::QueryBuilderError("`$` without a number in SQL".into())
            })?;
            match self.values.get(n.wrapping_sub(1)) {
                Some(Value::Int(v)) => out.push_bind_param::<diesel::sql_types::BigInt, _>(v)?,
                Some(Value::Text(v)) => out.push_bind_param::<diesel::sql_types::Text, _>(*v)?,
                Some(Value::Time(v)) => {
                    out.push_bind_param::<diesel::sql_types::Timestamp, _>(v)?
                }
                None => {
                    return Err(diesel::result::Error::QueryBuilderError(
                        format!("no value for ${n}").into(),
                    ))
                }
            }
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

impl diesel::query_builder::QueryId for Sql<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Conn> diesel::RunQueryDsl<Conn> for Sql<'_> {}

#[cfg(test)]
mod tests {
    use super::{accounts, one_of, Sql};
    use crate::db::schema::accounts as table;
    use diesel::prelude::*;

    #[test]
    fn sql_binds_each_number_where_it_is_written() {
        let fixture = crate::testing::Fixture::new();
        let mut conn = fixture.conn();
        let ada = fixture.person(&mut conn, "ada");
        let raise = "UPDATE accounts SET statuses_count = $2 WHERE id = $1 AND statuses_count < $2";
        let changed = |conn: &mut crate::db::DbConn, to| {
            Sql::new(raise).int(ada.id).int(to).execute(conn).unwrap()
        };
        assert_eq!(changed(&mut conn, 7), 1);
        assert_eq!(changed(&mut conn, 7), 0, "`$2` is 7 in both places");
        assert_eq!(changed(&mut conn, 3), 0);
        let ada = accounts::by_id(&mut conn, ada.id).unwrap().unwrap();
        assert_eq!(ada.statuses_count, 7);
        let missing = Sql::new("UPDATE accounts SET note = $2")
            .text("x")
            .execute(&mut conn);
        assert!(missing.is_err(), "a number without a value is an error");
    }

    #[test]
    fn one_of_finds_each_value_given() {
        let fixture = crate::testing::Fixture::new();
        let mut conn = fixture.conn();
        let ada = fixture.person(&mut conn, "ada");
        let bob = fixture.person(&mut conn, "bob");
        fixture.person(&mut conn, "cy");
        let names = [
            ada.ap_id.clone(),
            bob.ap_id.clone(),
            "https://elsewhere/x".into(),
        ];
        let mut found: Vec<i64> = table::table
            .filter(one_of(&conn, table::ap_id, &names))
            .select(table::id)
            .load(&mut *conn)
            .unwrap();
        found.sort();
        assert_eq!(found, [ada.id, bob.id]);
        let none: Vec<i64> = table::table
            .filter(one_of(&conn, table::id, &[] as &[i64]))
            .select(table::id)
            .load(&mut *conn)
            .unwrap();
        assert!(none.is_empty());
    }
}
