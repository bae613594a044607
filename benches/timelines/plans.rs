//! The query plans behind the lists: each list's store and render calls are run once
//! in-process on a connection that records the SQL it sends, and each distinct statement is
//! explained by the database (`EXPLAIN QUERY PLAN` on SQLite; on PostgreSQL the generic plan
//! of the prepared statement, which is the plan a pooled connection settles on). Lines that
//! read a large table whole or sort it are marked, so a plan that depends on the statistics
//! shows up here rather than as a slow page.

use super::{World, QUIET_AUTHORS, TAG};
use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use diesel::sql_types::Text;
use guild::db::DbConn;
use guild::domain::FollowState;
use guild::error::Error;
use guild::service::timelines::{self, Feed};
use guild::store::{self, statuses::Page, statuses::Whose};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Tables that grow with the instance: reading one whole is what a page must never do.
const LARGE: [&str; 8] = [
    "statuses",
    "home_feed",
    "status_tags",
    "notifications",
    "mentions",
    "media_attachments",
    "favourites",
    "bookmarks",
];

/// Records the SQL of every statement its connection sends.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Instrumentation for Recorder {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let text = query.to_string();
            let sql = text
                .rsplit_once(" -- binds: ")
                .map_or(&*text, |(sql, _)| sql);
            self.0.lock().unwrap().push(sql.to_string());
        }
    }
}

impl Recorder {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

type Run = Box<dyn Fn(&mut DbConn) -> Result<(), Error>>;

fn page(max_id: Option<i64>) -> Page {
    Page {
        max_id,
        since_id: None,
        min_id: None,
        limit: 20,
    }
}

/// Each list as the API reads it, by name.
fn lists(world: &World) -> Vec<(String, Run)> {
    let mut lists: Vec<(String, Run)> = Vec::new();
    let viewer = |name: &'static str| world.viewers[name];
    for (name, max_id) in [("", None), (", deep", Some(world.middle_id))] {
        let feeds = [
            ("home (quiet)", viewer("quiet"), Feed::Home),
            ("home (tagfan)", viewer("tagfan"), Feed::Home),
            (
                "public",
                viewer("reader"),
                Feed::Public {
                    local: None,
                    only_media: false,
                },
            ),
            (
                "public local=true",
                viewer("reader"),
                Feed::Public {
                    local: Some(true),
                    only_media: false,
                },
            ),
            (
                "tag",
                viewer("reader"),
                Feed::Tag {
                    tag: TAG.into(),
                    local: None,
                    only_media: false,
                },
            ),
        ];
        for (label, viewer_id, feed) in feeds {
            lists.push((
                format!("{label}{name}"),
                Box::new(move |conn| {
                    let viewer = store::accounts::by_id(conn, viewer_id)?.ok_or(Error::NotFound)?;
                    let rows = timelines::rows(conn, Some(&viewer), &feed, page(max_id))?;
                    let shown = timelines::shown(conn, Some(&viewer), feed.context(), rows)?;
                    let base = "http://localhost";
                    guild::api::entities::status::render(conn, base, Some(&viewer), &shown)?;
                    Ok(())
                }),
            ));
        }
        let author = world.authors[QUIET_AUTHORS].id;
        let accounts = [
            (
                "busy author",
                Whose::By(author),
                (false, false, false),
                None,
            ),
            (
                "exclude_replies",
                Whose::By(author),
                (true, false, false),
                None,
            ),
            ("only_media", Whose::By(author), (false, false, true), None),
            (
                "tagged",
                Whose::By(author),
                (false, false, false),
                Some(TAG),
            ),
            (
                "community",
                Whose::InCommunity(world.big_community),
                (false, false, false),
                None,
            ),
        ];
        for (label, whose, only, tagged) in accounts {
            lists.push((
                format!("{label}{name}"),
                Box::new(move |conn| {
                    store::statuses::by_account(conn, whose, only, tagged, page(max_id))?;
                    Ok(())
                }),
            ));
        }
    }
    let (busy, root) = (viewer("busy"), world.thread_root);
    let busy_author = world.authors[QUIET_AUTHORS].id;
    let more: [(&str, Run); 8] = [
        (
            "pinned",
            Box::new(move |conn| store::statuses::profile_pinned(conn, busy_author).map(drop)),
        ),
        (
            "context",
            Box::new(move |conn| {
                let status = store::statuses::by_id(conn, root)?.ok_or(Error::NotFound)?;
                guild::service::threads::context(conn, &status).map(drop)
            }),
        ),
        (
            "notifications",
            Box::new(move |conn| {
                store::notifications::page(conn, busy, &[], &[], page(None)).map(drop)
            }),
        ),
        (
            "bookmarks",
            Box::new(move |conn| store::bookmarks::page(conn, busy, page(None)).map(drop)),
        ),
        (
            "favourites",
            Box::new(move |conn| store::favourites::page(conn, busy, page(None)).map(drop)),
        ),
        (
            "followers",
            Box::new(move |conn| {
                let accepted = FollowState::Accepted;
                store::follows::page_account_ids(conn, busy, true, accepted, page(None)).map(drop)
            }),
        ),
        (
            "directory",
            Box::new(|conn| store::accounts::directory(conn, false, false, 0, 40).map(drop)),
        ),
        (
            "conversations",
            Box::new(move |conn| store::statuses::direct_of(conn, busy, page(None)).map(drop)),
        ),
    ];
    lists.extend(more.into_iter().map(|(name, run)| (name.to_string(), run)));
    lists
}

#[derive(QueryableByName)]
struct SqlitePlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PgPlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The plan of `sql` as the database would run it, one line per step.
fn explain(conn: &mut DbConn, sql: &str) -> Result<Vec<String>, diesel::result::Error> {
    match conn {
        // Parameters left unbound: SQLite's plan does not depend on their values.
        DbConn::Sqlite(c) => Ok(diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load::<SqlitePlanLine>(c)?
            .into_iter()
            .map(|l| l.detail)
            .collect()),
        DbConn::Pg(c) => {
            let parameters = (1..)
                .take_while(|n| sql.contains(&format!("${n}")))
                .map(|_| "NULL")
                .collect::<Vec<_>>();
            let prepare = format!("PREPARE bench_plan AS {sql}");
            c.batch_execute(&format!(
                "{prepare}; SET plan_cache_mode = force_generic_plan"
            ))?;
            let explain = format!("EXPLAIN EXECUTE bench_plan({})", parameters.join(", "));
            let lines = diesel::sql_query(explain).load::<PgPlanLine>(c);
            c.batch_execute("DEALLOCATE bench_plan; RESET plan_cache_mode")?;
            Ok(lines?.into_iter().map(|l| l.line).collect())
        }
    }
}

/// Whether a plan line of `sql` reads a large table whole or sorts what it read from one.
fn suspicious(sql: &str, line: &str) -> bool {
    let from_large = LARGE.iter().any(|t| {
        let (quoted, plain) = (format!("FROM `{t}`"), format!("FROM {t} "));
        sql.contains(&quoted) || sql.contains(&plain) || sql.contains(&format!("FROM \"{t}\""))
    });
    let sorted = line.contains("TEMP B-TREE FOR ORDER BY") || {
        // PostgreSQL: `->  Sort  (cost=…)`, not its `Sort Key:` line.
        let step = line.trim_start().trim_start_matches("->").trim_start();
        step.starts_with("Sort  (") || step.starts_with("Incremental Sort")
    };
    let scanned = |table: &str| {
        // SQLite: `SCAN statuses` (no index); PostgreSQL: `Seq Scan on statuses`.
        line.trim_start()
            .strip_prefix("SCAN ")
            .is_some_and(|rest| rest.split(' ').next() == Some(table) && !rest.contains("INDEX"))
            || line.contains(&format!("Seq Scan on {table} "))
            || line.ends_with(&format!("Seq Scan on {table}"))
    };
    LARGE.iter().any(|t| scanned(t)) || (sorted && from_large)
}

/// The SQL as printed: long `IN (?, ?, …)` lists shortened.
fn shortened(sql: &str) -> String {
    let mut out = sql.replace("?, ", "?,");
    while out.contains("?,?,?,") {
        out = out.replace("?,?,?,", "?,?,");
    }
    out
}

/// Print each list's statements with their plans; returns how many plan lines were marked.
pub fn print(conn: &mut DbConn, world: &World) -> usize {
    let recorder = Recorder::default();
    let mut explained = HashSet::new();
    let mut marked = 0;
    println!("\nquery plans (each distinct statement once; ! marks a whole-table read or a sort)");
    for (name, run) in lists(world) {
        conn.set_instrumentation(recorder.clone());
        let ran = run(conn);
        conn.set_instrumentation(Recorder::default());
        let statements = recorder.take();
        println!("\n## {name}");
        if let Err(e) = ran {
            println!("   failed: {e}");
        }
        for sql in statements {
            // `WHERE (1=0)`: an empty id list, which reads nothing whatever the plan says.
            let query = ["SELECT", "WITH"].iter().any(|w| sql.starts_with(w));
            if !query || sql.contains("WHERE (1=0)") || !explained.insert(sql.clone()) {
                continue;
            }
            println!("   {}", shortened(&sql));
            match explain(conn, &sql) {
                Ok(lines) => {
                    for line in lines {
                        let mark = if suspicious(&sql, &line) { "!" } else { " " };
                        marked += usize::from(mark == "!");
                        println!("   {mark}  {line}");
                    }
                }
                Err(e) => println!("      (not explained: {e})"),
            }
        }
    }
    println!("\nplan lines marked: {marked}");
    marked
}
