//! Database access: one connection type over SQLite and PostgreSQL, a pool, embedded
//! migrations, and [`Db::run`], which keeps synchronous diesel calls off the async reactor.

pub mod copy;
pub mod kept;
pub mod listener;
pub mod schema;
pub mod stamp;

use crate::error::Error;
use diesel::{
    connection::SimpleConnection,
    pg::PgConnection,
    r2d2::{self, ManageConnection, R2D2Connection},
    sqlite::SqliteConnection,
    Connection,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::{path::Path, time::Duration};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever backend `database_url` names.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs the same code on the concrete connection inside a [`DbConn`], for the few statements
/// (upserts, batch inserts) that diesel cannot express through `MultiConnection`.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Pg($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend is chosen from the URL scheme, never by trial connection, so a connection
    /// failure reports the real cause.
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite://") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// r2d2 manager that opens the right backend and applies SQLite's per-connection settings.
pub struct Manager {
    url: String,
    backend: Backend,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = Error;

    fn connect(&self) -> Result<DbConn, Error> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url)
                .map(DbConn::Pg)
                .map_err(|e| Error::caused_by("cannot connect to PostgreSQL", e)),
            Backend::Sqlite => {
                let path = sqlite_path(&self.url);
                let mut conn = SqliteConnection::establish(path).map_err(|e| {
                    Error::internal(format!("cannot open SQLite database {path}: {e}"))
                })?;
                // WAL lets readers run beside the writer; busy_timeout makes writers queue
                // instead of failing at once; foreign keys are off in SQLite unless asked.
                // Each connection keeps its own page cache, filled as the database grows:
                // SQLite's 2 MB each let a busy server's memory climb for many minutes, so
                // it is 1 MiB, and the operating system's file cache serves the rest.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                     PRAGMA cache_size = -1024;",
                )
                .map_err(|e| Error::caused_by("cannot configure SQLite", e))?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Error> {
        conn.ping().map_err(Error::from)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.is_broken()
    }
}

/// A PostgreSQL URL on this machine's loopback with no `sslmode` gets `sslmode=disable`
/// (the caller leaves it alone when `PGSSLMODE` is set). libpq's own default, `prefer`,
/// encrypts whenever the server offers TLS, as Debian's does, yet checks no certificate: on
/// loopback it protects nothing and costs every query its encryption at both ends (a
/// sixteenth of a long thread's time). Any `sslmode` the operator writes is kept.
fn without_tls_on_loopback(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_string();
    };
    // The URL crate leaves a `postgres://` host unparsed but for IPv6 in brackets.
    let loopback = match parsed.host() {
        Some(url::Host::Domain(name)) => {
            name == "localhost"
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if !loopback || parsed.query_pairs().any(|(key, _)| key == "sslmode") {
        return url.to_string();
    }
    parsed.query_pairs_mut().append_pair("sslmode", "disable");
    parsed.to_string()
}

fn sqlite_path(url: &str) -> &str {
    url.trim_start_matches("sqlite://")
}

/// Handle to the connection pool; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    backend: Backend,
    url: String,
    /// Where committed [`crate::events`] reach this node's streams.
    pub events: crate::events::Bus,
    /// Held while any handle lives, so that the PostgreSQL listener knows when to stop.
    alive: std::sync::Arc<()>,
}

impl Db {
    /// Open the pool, failing fast with the real error if the database cannot be reached.
    pub fn connect(url: &str, pool_size: u32) -> Result<Db, Error> {
        let backend = Backend::from_url(url)
            .ok_or_else(|| Error::internal(format!("unsupported database URL {url}")))?;
        if backend == Backend::Sqlite {
            let path = Path::new(sqlite_path(url));
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Error::internal(format!("cannot create directory {}: {e}", dir.display()))
                })?;
            }
        }
        let url = match backend {
            Backend::Postgres if std::env::var_os("PGSSLMODE").is_none() => {
                without_tls_on_loopback(url)
            }
            _ => url.to_string(),
        };
        let manager = Manager {
            url: url.clone(),
            backend,
        };
        // Open one connection first: r2d2 would otherwise retry quietly until its timeout
        // and then report only "timed out".
        manager.connect()?;
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(30))
            .build(manager)
            .map_err(|e| Error::caused_by("cannot open database pool", e))?;
        Ok(Db {
            pool,
            backend,
            url,
            events: crate::events::Bus::default(),
            alive: std::sync::Arc::new(()),
        })
    }

    /// Start hearing the events of every node (PostgreSQL); on SQLite this node makes them
    /// all, and they reach its bus directly.
    pub fn listen_for_events(&self) {
        if self.backend == Backend::Postgres {
            let alive = std::sync::Arc::downgrade(&self.alive);
            crate::events::listen_postgres(self.url.clone(), self.events.clone(), alive);
        }
    }

    /// Publish the events committed on this thread: to this node's bus on SQLite, to every
    /// node's through `NOTIFY` on PostgreSQL. [`Db::run`] does this after each piece of work;
    /// other callers of [`Db::conn`] that write (the admin commands) call it themselves. A
    /// failure loses only live updates, so it is logged.
    pub fn publish_ready(&self, conn: &mut DbConn) {
        use diesel::{sql_types::Text, RunQueryDsl};
        let events = crate::events::take_ready();
        if events.is_empty() {
            return;
        }
        if self.backend == Backend::Sqlite {
            return self.events.send(events);
        }
        for chunk in events.chunks(crate::events::EVENTS_PER_NOTIFY) {
            let payload = serde_json::to_string(chunk).unwrap_or_default();
            let sent = diesel::sql_query("SELECT pg_notify($1, $2)")
                .bind::<Text, _>(crate::events::CHANNEL)
                .bind::<Text, _>(payload)
                .execute(conn);
            if let Err(e) = sent {
                tracing::warn!("could not publish stream events: {e}");
            }
        }
    }

    /// Connections open and, of those, idle; and the most the pool opens.
    pub fn pool_use(&self) -> (u32, u32, u32) {
        let state = self.pool.state();
        (
            state.connections,
            state.idle_connections,
            self.pool.max_size(),
        )
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Apply pending migrations of this backend.
    pub fn migrate(&self) -> Result<(), Error> {
        let mut conn = self.conn()?;
        let result = on_backend!(&mut *conn, |c| c
            .run_pending_migrations(match self.backend {
                Backend::Sqlite => SQLITE_MIGRATIONS,
                Backend::Postgres => POSTGRES_MIGRATIONS,
            })
            .map(|_| ()));
        result.map_err(|e| Error::internal(format!("database migration failed: {e}")))
    }

    /// On PostgreSQL, whether autovacuum is off, which leaves Guild's tables (created empty)
    /// without the statistics the planner needs: then the tables are analysed once now, so at
    /// least today's data is planned for, and the caller warns the operator.
    pub fn analyse_if_autovacuum_off(&self) -> Result<bool, Error> {
        let DbConn::Pg(conn) = &mut *self.conn()? else {
            return Ok(false);
        };
        if !autovacuum_off(conn)? {
            return Ok(false);
        }
        conn.batch_execute("ANALYZE")?;
        Ok(true)
    }

    /// A pooled connection, for synchronous callers (CLI, blocking tasks).
    pub fn conn(&self) -> Result<r2d2::PooledConnection<Manager>, Error> {
        self.pool
            .get()
            .map_err(|e| Error::caused_by("no database connection available", e))
    }

    /// A second connection for work that can share itself out, if one is idle: never
    /// waited for, so under load the work runs on one connection as before. Only on
    /// PostgreSQL, where a request's queries leave Guild waiting on another process: on
    /// SQLite the database's work is Guild's own, and two threads of it only contend for
    /// the cores (a thread's context answered 1 ms sooner at p50 but 1–5 ms later at p99).
    pub fn spare(&self) -> Option<r2d2::PooledConnection<Manager>> {
        match self.backend {
            Backend::Postgres => self.pool.try_get(),
            Backend::Sqlite => None,
        }
    }

    /// Run `f` with a connection on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConn) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.conn()?;
            crate::events::discard();
            let result = f(&mut conn);
            // Only committed events are ready: they are published even if later work failed.
            db.publish_ready(&mut conn);
            result
        })
        .await
        .map_err(|e| Error::caused_by("database task failed", e))?
    }
}

/// On PostgreSQL with autovacuum off, analyse the tables that changed by as much as makes
/// autovacuum analyse one (50 rows and a tenth of the table, its defaults), so that plans
/// follow tables as they grow: a timeline planned from an empty table's statistics reads
/// every row it matches and sorts them. Returns the tables analysed.
pub fn analyse_changed(conn: &mut DbConn) -> Result<Vec<String>, Error> {
    #[derive(diesel::QueryableByName)]
    struct Table {
        #[diesel(sql_type = diesel::sql_types::Text)]
        relname: String,
    }
    let DbConn::Pg(conn) = conn else {
        return Ok(Vec::new());
    };
    if !autovacuum_off(conn)? {
        return Ok(Vec::new());
    }
    use diesel::RunQueryDsl;
    let changed: Vec<Table> = diesel::sql_query(
        "SELECT relname::text AS relname FROM pg_stat_user_tables
         WHERE schemaname = current_schema() AND n_mod_since_analyze > 50 + 0.1 * n_live_tup",
    )
    .load(conn)?;
    let names: Vec<String> = changed.into_iter().map(|t| t.relname).collect();
    for name in &names {
        conn.batch_execute(&format!("ANALYZE \"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(names)
}

/// Whether PostgreSQL's autovacuum is off on the server `conn` is connected to.
fn autovacuum_off(conn: &mut diesel::PgConnection) -> Result<bool, Error> {
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        autovacuum: String,
    }
    use diesel::RunQueryDsl;
    let setting: Setting = diesel::sql_query("SHOW autovacuum").get_result(conn)?;
    Ok(setting.autovacuum == "off")
}

thread_local! {
    /// What to do once the outermost transaction running on this thread commits.
    static AFTER_COMMIT: std::cell::RefCell<Vec<fn()>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Run `hook` once the transaction this thread is in commits (not at all if it rolls back),
/// so that whoever is told of new rows can see them. Must be called inside [`transaction`].
pub fn after_commit(hook: fn()) {
    AFTER_COMMIT.with(|hooks| {
        let mut hooks = hooks.borrow_mut();
        if !hooks.contains(&hook) {
            hooks.push(hook);
        }
    });
}

/// SQLite has one writer at a time. Writers of this process queue here for their turn and
/// are woken when it comes, rather than in SQLite's busy handler, which sleeps and polls
/// (1, 2, 5 … 100 ms): under a burst of writes that left the lock idle between writers and
/// let unlucky ones wait a second, and inbound activities ran at 390 a second.
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Whether `conn` is inside a transaction: what it reads there may yet be rolled back.
pub fn in_transaction(conn: &mut DbConn) -> Result<bool, Error> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let status = match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::transaction_manager_status_mut(c),
        DbConn::Pg(c) => AnsiTransactionManager::transaction_manager_status_mut(c),
    };
    Ok(status.transaction_depth()?.is_some())
}

/// Run `f` in a transaction. On SQLite the outermost one starts with `BEGIN IMMEDIATE`, taking
/// the write lock at once: a deferred transaction that reads and then writes fails with
/// "database is locked" when another writer got in between, whatever the busy timeout.
/// Nested calls become savepoints. When the outermost commits, the [`after_commit`] hooks
/// registered during it run.
pub fn transaction<T, F>(conn: &mut DbConn, f: F) -> Result<T, Error>
where
    F: FnOnce(&mut DbConn) -> Result<T, Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if in_transaction(conn)? {
        let mark = crate::events::savepoint();
        let result = conn.transaction(f);
        if result.is_err() {
            crate::events::savepoint_rolled_back(mark);
        }
        return result;
    }
    AFTER_COMMIT.with(|hooks| hooks.borrow_mut().clear());
    crate::events::transaction_began();
    let run = |conn: &mut DbConn| match conn {
        DbConn::Sqlite(c) => {
            let _writer = SQLITE_WRITER.lock().unwrap_or_else(|e| e.into_inner());
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            match f(conn) {
                Ok(value) => {
                    <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
                    Ok(value)
                }
                Err(e) => {
                    <DbConn as Connection>::TransactionManager::rollback_transaction(conn)?;
                    Err(e)
                }
            }
        }
        DbConn::Pg(_) => conn.transaction(f),
    };
    // Whatever fails, the transaction has ended here.
    let result = run(conn);
    crate::events::transaction_ended(result.is_ok());
    let hooks = AFTER_COMMIT.with(|hooks| std::mem::take(&mut *hooks.borrow_mut()));
    if result.is_ok() {
        hooks.iter().for_each(|hook| hook());
    }
    result
}

/// The backend type of [`DbConn`], for boxed queries.
pub type DbBackend = <DbConn as Connection>::Backend;

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::RunQueryDsl;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static RAN: AtomicUsize = AtomicUsize::new(0);

    #[test]
    fn loopback_postgres_goes_without_tls_unless_asked() {
        let local = "postgres://guild@127.0.0.1:5432/guild";
        assert_eq!(
            without_tls_on_loopback(local),
            format!("{local}?sslmode=disable")
        );
        let named = "postgres://guild@localhost/guild?connect_timeout=5";
        assert_eq!(
            without_tls_on_loopback(named),
            format!("{named}&sslmode=disable")
        );
        for kept in [
            "postgres://guild@[::1]/guild?sslmode=require",
            "postgres://guild@db.internal/guild",
            "postgres://guild@10.0.0.5/guild",
        ] {
            assert_eq!(without_tls_on_loopback(kept), kept);
        }
        assert_eq!(
            without_tls_on_loopback("postgres://guild@[::1]/guild"),
            "postgres://guild@[::1]/guild?sslmode=disable"
        );
    }

    fn count() {
        RAN.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn hooks_run_once_after_the_outermost_commit_and_never_after_a_rollback() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}/hooks.db", dir.path().display()), 1).unwrap();
        let mut conn = db.conn().unwrap();
        let failed = transaction(&mut conn, |_| {
            after_commit(count);
            Err::<(), _>(Error::NotFound)
        });
        assert!(failed.is_err());
        assert_eq!(RAN.load(Ordering::SeqCst), 0);
        transaction(&mut conn, |conn| {
            transaction(conn, |_| {
                after_commit(count);
                after_commit(count);
                assert_eq!(RAN.load(Ordering::SeqCst), 0, "not before the commit");
                Ok(())
            })
        })
        .unwrap();
        assert_eq!(RAN.load(Ordering::SeqCst), 1);
    }

    #[derive(diesel::QueryableByName)]
    struct CompileOption {
        #[diesel(sql_type = diesel::sql_types::Text)]
        compile_options: String,
    }

    /// `.cargo/config.toml` builds SQLite with the planner stability guarantee (without it
    /// every statement with a bound `LIMIT` is parsed again on each run) and without a lock
    /// around each call on a connection.
    #[test]
    fn sqlite_keeps_one_plan_per_statement() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let options = diesel::sql_query("PRAGMA compile_options")
            .load::<CompileOption>(&mut conn)
            .unwrap();
        assert!(
            options.iter().any(|o| o.compile_options == "ENABLE_QPSG"),
            "SQLite was built without SQLITE_ENABLE_QPSG: build from the repository, whose \
             .cargo/config.toml sets LIBSQLITE3_FLAGS"
        );
        assert!(
            options.iter().any(|o| o.compile_options == "THREADSAFE=2"),
            "SQLite was built serialized, not multi-thread: build from the repository"
        );
    }

    #[derive(diesel::QueryableByName)]
    struct CacheSize {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        cache_size: i64,
    }

    /// Every pooled SQLite connection has its own page cache; its size bounds how far a busy
    /// server's memory grows (eight connections, 8 MiB).
    #[test]
    fn sqlite_page_cache_is_one_mebibyte_per_connection() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}/cache.db", dir.path().display()), 1).unwrap();
        let mut conn = db.conn().unwrap();
        let DbConn::Sqlite(conn) = &mut *conn else {
            unreachable!("a SQLite URL opens SQLite")
        };
        let size = diesel::sql_query("PRAGMA cache_size")
            .get_result::<CacheSize>(conn)
            .unwrap();
        assert_eq!(size.cache_size, -1024, "negative: KiB");
    }
}
