//! `guild db copy --to postgres://…`: everything in the SQLite database, copied into an empty
//! PostgreSQL database. The target is written in one transaction and every table's rows are
//! counted on both sides before it commits, so it ends complete or as empty as it began. The
//! source is read in one read transaction: a consistent snapshot, even if a server is
//! still writing (stop it first all the same, or what it writes later stays behind).
//!
//! Rows travel as JSON: SQLite's `json_object` writes each row, PostgreSQL's
//! `json_populate_recordset` reads a batch of them into the table's own column types. One
//! copy works for every table, current and future, and no table needs code of its own.
//! Generated columns (the search document) and tables kept by triggers (accounts' versions)
//! are left to PostgreSQL to compute, and SQLite's full-text index is not a table PostgreSQL
//! has, so none of them is copied.

use super::{sqlite_path, Backend, Db};
use crate::error::Error;
use diesel::{
    connection::{DefaultLoadingMode, SimpleConnection},
    pg::PgConnection,
    sql_query,
    sql_types::{BigInt, Text},
    sqlite::SqliteConnection,
    Connection, QueryableByName, RunQueryDsl,
};

/// Rows sent to PostgreSQL at once.
const BATCH: usize = 500;

/// Tables PostgreSQL's triggers fill as the rows of others arrive, so not copied: each
/// account's version row is made as the account is inserted.
const FILLED_BY_TRIGGERS: [&str; 1] = ["account_versions"];

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Reference {
    #[diesel(sql_type = Text)]
    child: String,
    #[diesel(sql_type = Text)]
    parent: String,
    #[diesel(sql_type = Text)]
    column: String,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    row: String,
}

/// A table to copy: its columns, and those that refer to rows of the same table.
struct Table {
    name: String,
    columns: Vec<String>,
    self_references: Vec<String>,
}

/// Copy the SQLite database at `source` into the empty PostgreSQL database at `target`
/// (its schema is made first). `progress` hears (table, rows copied, rows in all) as each
/// batch lands. Returns every table with its number of rows.
pub fn copy(
    source: &str,
    target: &str,
    mut progress: impl FnMut(&str, i64, i64),
) -> Result<Vec<(String, i64)>, Error> {
    if Backend::from_url(source) != Some(Backend::Sqlite) {
        return Err(Error::Unprocessable(
            "`database_url` must name the SQLite database to copy from".into(),
        ));
    }
    if Backend::from_url(target) != Some(Backend::Postgres) {
        return Err(Error::Unprocessable(
            "--to must be a postgres:// URL of an empty PostgreSQL database".into(),
        ));
    }
    Db::connect(target, 1)?.migrate()?;
    let mut sqlite = SqliteConnection::establish(sqlite_path(source))
        .map_err(|e| Error::caused_by("cannot open the SQLite database", e))?;
    let mut pg = PgConnection::establish(target)
        .map_err(|e| Error::caused_by("cannot connect to PostgreSQL", e))?;
    let tables = tables(&mut pg, &mut sqlite)?;
    for table in &tables {
        let rows = count(&mut pg, &table.name)?;
        if rows > 0 {
            return Err(Error::Conflict(format!(
                "the target database is not empty ({} has {rows} rows); copy into a new, \
                 empty database",
                table.name
            )));
        }
    }
    sqlite.batch_execute("BEGIN")?;
    let copied = pg.transaction(|pg| {
        tables
            .iter()
            .map(|table| {
                let rows = copy_table(&mut sqlite, pg, table, &mut progress)?;
                Ok((table.name.clone(), rows))
            })
            .collect::<Result<Vec<_>, Error>>()
    });
    sqlite.batch_execute("ROLLBACK")?;
    copied
}

/// PostgreSQL's tables (its migrations made them), parents before the tables that refer to
/// them, each checked to exist in SQLite too.
fn tables(pg: &mut PgConnection, sqlite: &mut SqliteConnection) -> Result<Vec<Table>, Error> {
    let names: Vec<Name> = sql_query(
        "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = current_schema() \
         AND tablename NOT LIKE '\\_\\_diesel%' ORDER BY tablename",
    )
    .load(pg)?;
    let in_sqlite: Vec<String> = sql_query("SELECT name FROM sqlite_master WHERE type = 'table'")
        .load::<Name>(sqlite)?
        .into_iter()
        .map(|n| n.name)
        .collect();
    let references: Vec<Reference> = sql_query(
        "SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent, \
         a.attname::text AS column FROM pg_constraint c JOIN pg_attribute a \
         ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] WHERE c.contype = 'f'",
    )
    .load(pg)?;
    let mut unordered = Vec::new();
    for Name { name } in names {
        if FILLED_BY_TRIGGERS.contains(&name.as_str()) {
            continue;
        }
        if !in_sqlite.contains(&name) {
            return Err(Error::internal(format!(
                "table {name} is missing from the SQLite database"
            )));
        }
        // Generated columns (the search document) PostgreSQL computes itself.
        let columns = sql_query(
            "SELECT column_name::text AS name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 \
             AND is_generated = 'NEVER' ORDER BY ordinal_position",
        )
        .bind::<Text, _>(&name)
        .load::<Name>(pg)?
        .into_iter()
        .map(|c| c.name)
        .collect();
        let self_references = references
            .iter()
            .filter(|r| r.child == name && r.parent == name)
            .map(|r| r.column.clone())
            .collect();
        unordered.push(Table {
            name,
            columns,
            self_references,
        });
    }
    Ok(parents_first(unordered, &references))
}

/// Tables in an order that inserts every referenced row before the rows that refer to it.
fn parents_first(mut waiting: Vec<Table>, references: &[Reference]) -> Vec<Table> {
    let mut ordered: Vec<Table> = Vec::new();
    while !waiting.is_empty() {
        let ready = waiting.iter().position(|t| {
            references.iter().all(|r| {
                r.child != t.name
                    || r.parent == t.name
                    || ordered.iter().any(|o| o.name == r.parent)
            })
        });
        // A cycle between tables (there is none in Guild's schema) is copied as it comes;
        // the foreign keys then refuse it and nothing is kept.
        ordered.push(waiting.remove(ready.unwrap_or(0)));
    }
    ordered
}

/// The rows in `table`.
fn count<C>(conn: &mut C, table: &str) -> Result<i64, Error>
where
    C: Connection,
    for<'a> diesel::query_builder::SqlQuery: diesel::query_dsl::LoadQuery<'a, C, Count>,
{
    let query = sql_query(format!("SELECT count(*) AS n FROM \"{table}\""));
    Ok(query.get_result::<Count>(conn)?.n)
}

/// Stream one table's rows from SQLite into PostgreSQL in batches, then check that both
/// sides hold as many. Rows that refer to others of the same table (a boost to what it
/// boosts) come after the rows that refer to none.
fn copy_table(
    sqlite: &mut SqliteConnection,
    pg: &mut PgConnection,
    table: &Table,
    progress: &mut impl FnMut(&str, i64, i64),
) -> Result<i64, Error> {
    let name = &table.name;
    let total = count(sqlite, name)?;
    if total > 0 {
        progress(name, 0, total);
    }
    let fields: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("'{c}', \"{c}\""))
        .collect();
    let order: Vec<String> = table
        .self_references
        .iter()
        .map(|c| format!("\"{c}\" IS NOT NULL"))
        .collect();
    let mut read = format!(
        "SELECT json_object({}) AS row FROM \"{name}\"",
        fields.join(", ")
    );
    if !order.is_empty() {
        read.push_str(&format!(" ORDER BY {}", order.join(", ")));
    }
    let columns = table
        .columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let write = format!(
        "INSERT INTO \"{name}\" ({columns}) SELECT {columns} \
         FROM json_populate_recordset(NULL::\"{name}\", $1::json)"
    );
    let (mut batch, mut copied) = (Vec::with_capacity(BATCH), 0);
    for row in sql_query(read).load_iter::<Row, DefaultLoadingMode>(sqlite)? {
        batch.push(row?.row);
        if batch.len() == BATCH {
            copied += insert(pg, &write, &mut batch)?;
            progress(name, copied, total);
        }
    }
    let last = insert(pg, &write, &mut batch)?;
    copied += last;
    if last > 0 || total == 0 {
        progress(name, copied, total);
    }
    let landed = count(pg, name)?;
    if landed != total {
        return Err(Error::internal(format!(
            "{name}: {total} rows in SQLite but {landed} in PostgreSQL; nothing was kept"
        )));
    }
    Ok(landed)
}

/// Insert the batch (JSON objects) as one statement and empty it; the rows inserted.
fn insert(pg: &mut PgConnection, write: &str, batch: &mut Vec<String>) -> Result<i64, Error> {
    if batch.is_empty() {
        return Ok(0);
    }
    let rows = format!("[{}]", batch.join(","));
    batch.clear();
    let inserted = sql_query(write).bind::<Text, _>(rows).execute(pg)?;
    Ok(inserted as i64)
}
