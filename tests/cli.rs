//! The `guild` binary as an operator meets it: empty directory, bad settings, busy port,
//! unreachable database, admin commands and graceful shutdown.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::mpsc,
    time::Duration,
};

mod common;

use common::{backends, Backend, PgDatabase};

const GUILD: &str = env!("CARGO_BIN_EXE_guild");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `guild` command in `dir` with only the given environment (plus PATH).
fn guild(dir: &std::path::Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(GUILD);
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command.envs(env.iter().copied());
    command
}

fn run(command: &mut Command) -> (i32, String) {
    let output = command.output().expect("run guild");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn starts_in_an_empty_directory_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let domain = format!("localhost:{port}");
    let mut child = guild(
        dir.path(),
        &[("GUILD_BIND", &bind), ("GUILD_DOMAIN", &domain)],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let (lines_tx, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut log = Vec::new();
    while !log.iter().any(|l: &String| l.contains("listening on")) {
        match lines.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => log.push(line),
            Err(_) => panic!("server did not start: {log:#?}"),
        }
    }
    assert!(
        log.iter()
            .any(|l| l.contains(&format!("http://{domain}/setup?token="))),
        "setup link in the log: {log:#?}"
    );
    assert!(dir.path().join("data/guild.sqlite").exists());

    let health = std::net::TcpStream::connect(&bind).and_then(|mut stream| {
        use std::io::{Read, Write};
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok(response)
    });
    assert!(health.unwrap().starts_with("HTTP/1.1 200"));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful exit after SIGTERM: {exit:?}");
    // Read to the end of its output: the last lines may still be on their way from the pipe.
    let rest: Vec<String> = lines.iter().collect();
    assert!(
        rest.iter().any(|l| l.contains("Guild stopped")),
        "{rest:#?}"
    );
}

#[test]
fn bad_settings_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value) in [
        ("GUILD_REGISTRATIONS", "sometimes"),
        ("GUILD_DOMAIN", "https://guild.example"),
        ("GUILD_BIND", "everywhere"),
        ("GUILD_INSECURE_FEDERATION", "maybe"),
        ("GUILD_DATABASE_URL", "mysql://db/guild"),
    ] {
        let (code, text) = run(&mut guild(dir.path(), &[(key, value)]));
        assert_eq!(code, 2, "{key}={value}: {text}");
        assert!(text.contains(key), "{key}={value}: {text}");
    }
    let file = dir.path().join("guild.toml");
    std::fs::write(
        &file,
        "domain = \"guild.example\"\nregistration = \"open\"\n",
    )
    .unwrap();
    let (code, text) = run(&mut guild(
        dir.path(),
        &[("GUILD_CONFIG", file.to_str().unwrap())],
    ));
    assert_eq!(code, 2);
    assert!(text.contains("unknown key `registration`"), "{text}");
    let (code, text) = run(guild(dir.path(), &[]).args(["--config", "missing.toml", "migrate"]));
    assert_eq!(code, 2);
    assert!(text.contains("missing.toml"), "{text}");
}

#[test]
fn busy_port_and_unreachable_database_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = taken.local_addr().unwrap().to_string();
    let (code, text) = run(&mut guild(dir.path(), &[("GUILD_BIND", &bind)]));
    assert_ne!(code, 0);
    assert!(text.contains(&format!("cannot listen on {bind}")), "{text}");
    assert!(text.contains("GUILD_BIND"), "{text}");

    let (code, text) = run(&mut guild(
        dir.path(),
        &[(
            "GUILD_DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/guild",
        )],
    ));
    assert_ne!(code, 0);
    assert!(text.contains("cannot connect to PostgreSQL"), "{text}");
}

#[test]
fn admin_commands() {
    for backend in backends() {
        eprintln!("admin_commands on {}", backend.name());
        let pg = match &backend {
            Backend::Postgres(admin) => Some(PgDatabase::create(admin)),
            Backend::Sqlite => None,
        };
        let dir = tempfile::tempdir().unwrap();
        let sqlite = format!("sqlite://{}/guild.sqlite", dir.path().display());
        let url = pg.as_ref().map_or(sqlite, |pg| pg.url.clone());
        admin_commands_on(dir.path(), &url);
    }
}

fn admin_commands_on(dir: &std::path::Path, database_url: &str) {
    let env = [
        ("GUILD_DOMAIN", "guild.example"),
        ("GUILD_DATABASE_URL", database_url),
    ];
    // Forgetting the domain before anyone exists costs nothing: the database takes the next.
    let (code, text) = run(guild(dir, &[("GUILD_DATABASE_URL", database_url)]).arg("migrate"));
    assert_eq!(code, 0, "{text}");
    let (code, text) = run(guild(dir, &env).arg("migrate"));
    assert_eq!(code, 0, "{text}");
    let create = |args: &[&str]| run(guild(dir, &env).args(args));
    let (code, text) = create(&[
        "user",
        "create",
        "alice",
        "--email",
        "a@example.org",
        "--password",
        "password123",
        "--admin",
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("https://guild.example/users/alice"), "{text}");
    let (code, text) = create(&[
        "community",
        "create",
        "rust",
        "--owner",
        "alice",
        "--display-name",
        "Rust at work",
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("https://guild.example/c/rust"), "{text}");
    let (code, text) = create(&[
        "community",
        "edit",
        "rust",
        "--membership",
        "invite",
        "--rule",
        "Be kind",
    ]);
    assert_eq!(code, 0, "{text}");
    let (code, text) = create(&["community", "edit", "rust", "--posting", "everyone"]);
    assert_ne!(code, 0);
    assert!(
        text.contains("posting_policy must be one of members, anyone, moderators"),
        "{text}"
    );
    // One namespace for people and communities; clear refusals.
    let (code, text) = create(&[
        "user",
        "create",
        "RUST",
        "--email",
        "r@example.org",
        "--password",
        "password123",
    ]);
    assert_ne!(code, 0);
    assert!(text.contains("already taken"), "{text}");
    let (code, text) = create(&["community", "create", "go", "--owner", "nobody"]);
    assert_ne!(code, 0);
    assert!(text.contains("no local user named \"nobody\""), "{text}");
    let (code, text) = create(&[
        "user",
        "create",
        "bob",
        "--email",
        "bob",
        "--password",
        "password123",
    ]);
    assert_ne!(code, 0);
    assert!(text.contains("email"), "{text}");
    let (code, text) = create(&["user", "approve", "alice"]);
    assert_eq!(code, 0, "{text}");
    // Storage in use, and pruning what no post keeps (nothing yet).
    std::fs::create_dir_all(dir.join("data/media")).unwrap();
    std::fs::write(dir.join("data/media/1.png"), [0u8; 2000]).unwrap();
    let (code, text) = create(&["media", "usage"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("1 files, 0.0 MB"), "{text}");
    assert!(text.contains("0 waiting for a post"), "{text}");
    let (code, text) = create(&["media", "prune", "--older-than", "2"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("removed 0 attachments"), "{text}");
    refuses_another_domain(dir, database_url);
}

/// Once the database has people, every command run with another domain stops and says how
/// to fix the setting, before it makes anyone under the wrong name.
fn refuses_another_domain(dir: &std::path::Path, database_url: &str) {
    let wrong = [
        ("GUILD_DATABASE_URL", database_url),
        ("GUILD_BIND", "127.0.0.1:0"),
    ];
    let refused = |args: &[&str]| {
        let (code, text) = run(guild(dir, &wrong).args(args));
        assert_ne!(code, 0, "guild {args:?} ran with the wrong domain: {text}");
        assert!(
            text.contains("belongs to the domain guild.example")
                && text.contains("GUILD_DOMAIN=guild.example"),
            "{text}"
        );
    };
    let carol = [
        "user",
        "create",
        "carol",
        "--email",
        "c@example.org",
        "--password",
        "password123",
    ];
    refused(&carol);
    refused(&["serve"]);
    refused(&["media", "usage"]);
    // A database from before the domain was recorded is known by its people's ids.
    let db = guild::db::Db::connect(database_url, 1).unwrap();
    let forgot = guild::store::settings::remove(&mut db.conn().unwrap(), "domain").unwrap();
    assert!(forgot);
    refused(&carol);
    let env = [
        ("GUILD_DOMAIN", "guild.example"),
        ("GUILD_DATABASE_URL", database_url),
    ];
    let (code, text) = run(guild(dir, &env).args(carol));
    assert_eq!(code, 0, "carol was made before: {text}");
}
