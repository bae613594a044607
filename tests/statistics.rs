//! On PostgreSQL with autovacuum off, Guild keeps its tables' statistics itself: a table
//! that changed as much as makes autoanalyze act is analysed (`db::analyse_changed`, run
//! every minute), the others are left alone. With autovacuum on, that is PostgreSQL's work
//! and Guild analyses nothing. SQLite keeps no such statistics between `ANALYZE`s it is asked
//! for, so there is nothing to check there.

mod common;

use common::{backends, Backend, PgDatabase};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use guild::db::{Db, DbConn};
use std::time::{Duration, Instant};

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = diesel::sql_types::Text)]
    autovacuum: String,
}

#[derive(QueryableByName)]
struct Analyses {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    analyze_count: i64,
}

/// How many times `instances` was analysed by hand (not by autovacuum).
fn analyses_of_instances(db: &Db) -> i64 {
    let DbConn::Pg(conn) = &mut *db.conn().unwrap() else {
        panic!("a PostgreSQL connection")
    };
    let row: Analyses = diesel::sql_query(
        "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'instances'",
    )
    .get_result(conn)
    .unwrap();
    row.analyze_count
}

fn analyse_changed(db: &Db) -> Vec<String> {
    guild::db::analyse_changed(&mut db.conn().unwrap()).unwrap()
}

#[test]
fn tables_that_changed_are_analysed_when_autovacuum_is_off() {
    for backend in backends() {
        if let Backend::Postgres(admin) = backend {
            on_postgres(&admin);
        }
    }
}

fn on_postgres(admin: &str) {
    let database = PgDatabase::create(admin);
    // One connection: the session that writes is the one whose statistics are read.
    let db = Db::connect(&database.url, 1).unwrap();
    db.migrate().unwrap();
    let off = {
        let DbConn::Pg(conn) = &mut *db.conn().unwrap() else {
            panic!("a PostgreSQL connection")
        };
        let setting: Setting = diesel::sql_query("SHOW autovacuum")
            .get_result(conn)
            .unwrap();
        setting.autovacuum == "off"
    };
    assert_eq!(db.analyse_if_autovacuum_off().unwrap(), off);
    let before = analyses_of_instances(&db);
    {
        let DbConn::Pg(conn) = &mut *db.conn().unwrap() else {
            unreachable!()
        };
        conn.batch_execute(
            "INSERT INTO instances (domain)
             SELECT 'host' || n || '.example' FROM generate_series(1, 200) AS n",
        )
        .unwrap();
        // Statistics reach the shared counters when the session is next idle.
        conn.batch_execute("SELECT pg_stat_force_next_flush()")
            .unwrap();
    }
    if !off {
        assert!(analyse_changed(&db).is_empty());
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let analysed = loop {
        let tables = analyse_changed(&db);
        if !tables.is_empty() || Instant::now() > deadline {
            break tables;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(analysed, ["instances"], "only the table that changed");
    assert_eq!(analyses_of_instances(&db), before + 1);
    // Analysed now, so unchanged since: nothing more to do.
    assert!(analyse_changed(&db).is_empty());
}
