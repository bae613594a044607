//! The `guild` command: serve (the default), migrate, and admin commands.

mod cli;

use cli::{Asked, Command, CommunityCommand, DbCommand, DomainCommand, MediaCommand, UserCommand};
use guild::{config::Config, db::Db, files::FileStore, service};
use std::process::ExitCode;

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        // One line per request when its span closes: method, route, status and duration.
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .init();
}

fn main() -> ExitCode {
    tune_allocator();
    // Tasks of the main runtime (deliveries, timers, streaming) run database work on its
    // blocking pool; a few threads are enough, as they queue for the same few connections.
    actix_web::rt::System::with_tokio_rt(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .max_blocking_threads(16)
            .build()
            .expect("an async runtime")
    })
    .block_on(run())
}

/// glibc gives each thread that allocates a heap of its own (up to eight per core), and
/// memory freed in one is not returned to the others: under load, resident memory grows with
/// the number of threads that ever ran. Two heaps hold it flat at a small cost in contention.
///
/// Blocks up to 1 MiB come from those heaps, and each keeps up to 1 MiB free at its end.
/// With blocks mapped from 256 KiB and heaps trimmed past 128 KiB, a long answer's buffers
/// (a thread's thousand rows, libpq's results) were mapped, faulted in page by page and
/// unmapped on every request, and the heap grown and trimmed a few dozen times: a sixth of
/// a thread's context went to page faults. At 4 MiB each, memory under sustained load ended
/// nearly half as high again; 1 MiB costs a few MB at most. Larger blocks (a password hash's
/// 19 MiB, a decoded photo) are mapped on their own and go back to the system when freed:
/// left to itself, glibc raises that threshold after the first such block is freed and then
/// keeps the next ones in a heap that never shrinks.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator settings; called before any other thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 20);
    }
}

async fn run() -> ExitCode {
    let args: Result<Vec<String>, _> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect();
    let Ok(args) = args else {
        eprintln!("error: the arguments are not valid UTF-8");
        return ExitCode::from(2);
    };
    let cli = match cli::parse(args) {
        Ok(Asked::Run(cli)) => cli,
        Ok(Asked::Print(text)) => {
            println!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    init_logging();
    let config = match Config::load(cli.config) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Serve => serve(config).await,
        Command::Media(command) => media(config, command).await,
        other => tokio::task::spawn_blocking(move || admin(config, other))
            .await
            .unwrap_or_else(|e| Err(e.to_string())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), String> {
    if config.insecure_federation {
        tracing::warn!(
            "insecure_federation is on: plain http and loopback/private addresses are allowed. \
             Use this only for development and tests."
        );
    }
    let state = guild::server::prepare(config)
        .await
        .map_err(|e| e.to_string())?;
    let running = guild::server::start(state.clone(), None)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(
        "Guild {} listening on http://{} as {} ({:?} database)",
        env!("CARGO_PKG_VERSION"),
        running.addr,
        state.config.base_url(),
        state.db.backend()
    );
    running.server.await.map_err(|e| e.to_string())?;
    tracing::info!("Guild stopped");
    Ok(())
}

/// The media commands: they read and remove files, so they run on the async runtime.
async fn media(config: Config, command: MediaCommand) -> Result<(), String> {
    let db = Db::connect(&config.database_url, 1).map_err(|e| e.to_string())?;
    db.migrate().map_err(|e| e.to_string())?;
    service::setup::claim_domain(&mut *db.conn().map_err(|e| e.to_string())?, &config)
        .map_err(|e| e.to_string())?;
    let files = FileStore::open(&config).map_err(|e| e.to_string())?;
    match command {
        MediaCommand::Usage => {
            let usage = service::media::usage(&db, &files)
                .await
                .map_err(|e| e.to_string())?;
            let counts = usage.attachments;
            println!(
                "{} files, {:.1} MB in {}",
                usage.files,
                usage.bytes as f64 / 1e6,
                files.location
            );
            println!(
                "attachments: {} uploaded and in posts, {} waiting for a post, {} linked from other servers",
                counts.local, counts.unattached, counts.remote
            );
        }
        MediaCommand::Prune { older_than } => {
            let age = chrono::Duration::days(i64::from(older_than));
            let report = |n: usize| eprint!("\rremoved {n} attachments…");
            let removed = service::media::sweep((&db, &files), age, report)
                .await
                .map_err(|e| e.to_string())?;
            eprintln!();
            println!("removed {removed} attachments that no post keeps");
        }
    }
    Ok(())
}

/// One-shot admin commands; synchronous, on their own connection.
fn admin(config: Config, command: Command) -> Result<(), String> {
    let db = Db::connect(&config.database_url, 1).map_err(|e| e.to_string())?;
    db.migrate().map_err(|e| e.to_string())?;
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let conn = &mut *conn;
    service::setup::claim_domain(conn, &config).map_err(|e| e.to_string())?;
    match command {
        Command::Serve | Command::Media(_) => unreachable!("handled by main"),
        Command::Migrate => println!("database is up to date"),
        Command::Db(DbCommand::Copy { to }) => copy_database(&config, &to)?,
        Command::User(UserCommand::Create {
            name,
            email,
            password,
            admin,
        }) => {
            let new = service::accounts::NewUser {
                username: &name,
                display_name: None,
                email: &email,
                password: &password,
                admin,
                approved: true,
            };
            let (account, _) =
                service::accounts::create_user(conn, &config, &new).map_err(|e| e.to_string())?;
            println!(
                "created {} {}",
                if admin { "admin" } else { "user" },
                account.ap_id
            );
        }
        Command::User(UserCommand::Approve { name }) => {
            service::accounts::approve_user(conn, &name).map_err(|e| match e {
                guild::error::Error::NotFound => format!("no local user named {name:?}"),
                e => e.to_string(),
            })?;
            println!("approved {name}");
        }
        Command::Community(CommunityCommand::Create {
            name,
            owner,
            settings,
        }) => {
            let owner = guild::store::accounts::local_by_username(conn, &owner)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no local user named {owner:?}"))?;
            let account =
                service::communities::create(conn, &config, &owner, true, &name, settings.change())
                    .map_err(|e| e.to_string())?;
            println!("created community {}", account.ap_id);
        }
        Command::Community(CommunityCommand::Edit { name, settings }) => {
            let community = guild::store::accounts::local_by_username(conn, &name)
                .map_err(|e| e.to_string())?
                .filter(|a| a.is_group())
                .ok_or_else(|| format!("no local community named {name:?}"))?;
            service::communities::update(conn, &config, None, &community, settings.change())
                .map_err(|e| e.to_string())?;
            println!("updated community {}", community.ap_id);
        }
        Command::Domain(DomainCommand::Set {
            domain,
            policy,
            reason,
        }) => {
            service::policy::set(conn, &domain, policy, &reason).map_err(|e| e.to_string())?;
            println!("{domain}: {policy}");
        }
        Command::Domain(DomainCommand::Clear { domain }) => {
            let removed = service::policy::clear(conn, &domain).map_err(|e| e.to_string())?;
            println!(
                "{domain}: {}",
                if removed {
                    "policy removed"
                } else {
                    "had no policy"
                }
            );
        }
        Command::Domain(DomainCommand::Unreachable) => {
            let since = guild::time::now() - guild::delivery::UNREACHABLE_AFTER;
            let rows =
                guild::store::instances::unreachable(conn, since).map_err(|e| e.to_string())?;
            for (domain, failing_since) in rows {
                println!("{domain}\tfailing since {failing_since}");
            }
        }
        Command::Domain(DomainCommand::List) => {
            let policies = guild::store::policies::list(conn).map_err(|e| e.to_string())?;
            for (domain, policy, reason) in policies {
                println!("{domain}\t{policy}\t{reason}");
            }
        }
    }
    // What changed reaches the streams of servers on the same PostgreSQL database.
    db.publish_ready(conn);
    Ok(())
}

/// `guild db copy --to`: a line per table as it is copied, and the totals at the end.
fn copy_database(config: &Config, target: &str) -> Result<(), String> {
    use std::io::Write;
    let started = std::time::Instant::now();
    let show = |table: &str, copied: i64, total: i64| {
        eprint!("\r{table:<24} {copied:>10} / {total}");
        if copied == total {
            eprintln!();
        }
        let _ = std::io::stderr().flush();
    };
    let tables =
        guild::db::copy::copy(&config.database_url, target, show).map_err(|e| e.to_string())?;
    let rows: i64 = tables.iter().map(|(_, n)| n).sum();
    println!(
        "copied {rows} rows in {} tables in {:.1} s; every table's count matches. Set \
         database_url to the new database and start Guild.",
        tables.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
