//! The `guild` command's arguments. A dozen commands with a few options each are read here
//! by hand: an argument-parsing library took more of a release build's time than they do.

use guild::domain::{CommunityVisibility, DomainPolicy, MembershipPolicy, PostingPolicy};
use std::{path::PathBuf, str::FromStr};

pub struct Cli {
    /// TOML configuration file (`--config`, or `GUILD_CONFIG`).
    pub config: Option<PathBuf>,
    pub command: Command,
}

pub enum Command {
    Serve,
    Migrate,
    User(UserCommand),
    Community(CommunityCommand),
    Domain(DomainCommand),
    Media(MediaCommand),
    Db(DbCommand),
}

pub enum DbCommand {
    Copy { to: String },
}

pub enum MediaCommand {
    Usage,
    Prune { older_than: u32 },
}

pub enum DomainCommand {
    Set {
        domain: String,
        policy: DomainPolicy,
        reason: String,
    },
    Clear {
        domain: String,
    },
    List,
    Unreachable,
}

pub enum UserCommand {
    Create {
        name: String,
        email: String,
        password: String,
        admin: bool,
    },
    Approve {
        name: String,
    },
}

pub enum CommunityCommand {
    Create {
        name: String,
        owner: String,
        settings: CommunitySettings,
    },
    Edit {
        name: String,
        settings: CommunitySettings,
    },
}

#[derive(Default)]
pub struct CommunitySettings {
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub rules: Vec<String>,
    pub membership: Option<MembershipPolicy>,
    pub posting: Option<PostingPolicy>,
    pub visibility: Option<CommunityVisibility>,
}

impl CommunitySettings {
    pub fn change(self) -> guild::service::communities::SettingsChange {
        guild::service::communities::SettingsChange {
            display_name: self.display_name,
            description: self.description,
            rules: (!self.rules.is_empty()).then_some(self.rules),
            membership_policy: self.membership,
            posting_policy: self.posting,
            visibility: self.visibility,
            avatar_url: None,
            header_url: None,
        }
    }
}

/// What the command line asks for: a command to run, or text to print (help, version).
pub enum Asked {
    Run(Cli),
    Print(String),
}

/// Each command's words, what follows them, and what it does: the help is made from these.
const COMMANDS: &[(&str, &str, &str)] = &[
    ("serve", "", "Run the server (what plain `guild` does)."),
    ("migrate", "", "Apply pending database migrations and exit."),
    (
        "user create",
        "NAME --email EMAIL --password PASSWORD [--admin]",
        "Create a person who can sign in at once; --admin makes an administrator.",
    ),
    (
        "user approve",
        "NAME",
        "Approve a person who registered while registrations need approval.",
    ),
    (
        "community create",
        "NAME --owner USER [SETTINGS]",
        "Create a community; the owner becomes its first moderator.",
    ),
    (
        "community edit",
        "NAME [SETTINGS]",
        "Change a community's settings (what is not given stays as it is).",
    ),
    (
        "domain set",
        "DOMAIN suspend|silence|reject_media|allow [--reason TEXT]",
        "Set a domain's federation policy (it covers subdomains).",
    ),
    ("domain clear", "DOMAIN", "Remove a domain's policy."),
    ("domain list", "", "List every policy."),
    (
        "domain unreachable",
        "",
        "List instances whose deliveries have failed for over two days.",
    ),
    ("media usage", "", "Show the storage that uploads take."),
    (
        "media prune",
        "[--older-than DAYS]",
        "Remove uploads that no post took within DAYS (1 unless given) and the files of \
         deleted posts; the server does this hourly.",
    ),
    (
        "db copy",
        "--to POSTGRES_URL",
        "Copy everything from this instance's SQLite database into an empty PostgreSQL \
         database (docs/OPERATIONS.md has the switch-over steps).",
    ),
];

const SETTINGS: &str = "SETTINGS of a community: --display-name TEXT, --description TEXT, \
    --rule TEXT (repeat for several; replaces the rules), --membership open|approval|invite, \
    --posting members|anyone|moderators, --visibility public|members";

/// Read the arguments after the program's name.
pub fn parse(args: Vec<String>) -> Result<Asked, String> {
    let mut config = std::env::var_os("GUILD_CONFIG").map(PathBuf::from);
    let (mut help, mut rest) = (false, Vec::new());
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => help = true,
            "-V" | "--version" => {
                return Ok(Asked::Print(format!("guild {}", env!("CARGO_PKG_VERSION"))))
            }
            "--config" => {
                let path = args.next().ok_or("error: --config needs a file")?;
                config = Some(path.into());
            }
            _ => match arg.strip_prefix("--config=") {
                Some(path) => config = Some(path.into()),
                None => rest.push(arg),
            },
        }
    }
    // The command's words are the arguments before the first option.
    let words: Vec<&str> = rest.iter().take(2).map(String::as_str).collect();
    let words: Vec<&str> = words
        .into_iter()
        .take_while(|w| !w.starts_with('-'))
        .collect();
    if help {
        return Ok(Asked::Print(usage(&words.join(" "))));
    }
    let command = match words.as_slice() {
        [] => given(&rest, 0, &[])?.done(Command::Serve)?,
        ["serve", ..] => given(&rest, 1, &[])?.done(Command::Serve)?,
        ["migrate", ..] => given(&rest, 1, &[])?.done(Command::Migrate)?,
        ["user", "create", ..] => {
            let mut given = given(&rest, 2, &["admin"])?;
            let create = UserCommand::Create {
                name: given.positional("NAME")?,
                email: given.required("email")?,
                password: given.required("password")?,
                admin: given.flag("admin"),
            };
            given.done(Command::User(create))?
        }
        ["user", "approve", ..] => {
            let mut given = given(&rest, 2, &[])?;
            let name = given.positional("NAME")?;
            given.done(Command::User(UserCommand::Approve { name }))?
        }
        ["community", "create", ..] => {
            let mut given = given(&rest, 2, &[])?;
            let create = CommunityCommand::Create {
                name: given.positional("NAME")?,
                owner: given.required("owner")?,
                settings: given.settings()?,
            };
            given.done(Command::Community(create))?
        }
        ["community", "edit", ..] => {
            let mut given = given(&rest, 2, &[])?;
            let edit = CommunityCommand::Edit {
                name: given.positional("NAME")?,
                settings: given.settings()?,
            };
            given.done(Command::Community(edit))?
        }
        ["domain", "set", ..] => {
            let mut given = given(&rest, 2, &[])?;
            let set = DomainCommand::Set {
                domain: given.positional("DOMAIN")?,
                policy: parsed(&given.positional("POLICY")?)?,
                reason: given.option("reason").unwrap_or_default(),
            };
            given.done(Command::Domain(set))?
        }
        ["domain", "clear", ..] => {
            let mut given = given(&rest, 2, &[])?;
            let domain = given.positional("DOMAIN")?;
            given.done(Command::Domain(DomainCommand::Clear { domain }))?
        }
        ["domain", "list", ..] => {
            given(&rest, 2, &[])?.done(Command::Domain(DomainCommand::List))?
        }
        ["domain", "unreachable", ..] => {
            given(&rest, 2, &[])?.done(Command::Domain(DomainCommand::Unreachable))?
        }
        ["media", "usage", ..] => {
            given(&rest, 2, &[])?.done(Command::Media(MediaCommand::Usage))?
        }
        ["media", "prune", ..] => {
            let mut given = given(&rest, 2, &[])?;
            let older_than = given.parsed("older-than")?.unwrap_or(1);
            given.done(Command::Media(MediaCommand::Prune { older_than }))?
        }
        ["db", "copy", ..] => {
            let mut given = given(&rest, 2, &[])?;
            let to = given.required("to")?;
            given.done(Command::Db(DbCommand::Copy { to }))?
        }
        [group @ ("user" | "community" | "domain" | "media" | "db")] => {
            return Err(misused(&format!("'guild {group}' needs a command"), group))
        }
        words => {
            let unknown = format!("there is no command 'guild {}'", words.join(" "));
            return Err(misused(&unknown, ""));
        }
    };
    Ok(Asked::Run(Cli { config, command }))
}

/// The help: what Guild is, its option, and the commands whose words begin with `words`
/// (all of them for none).
fn usage(words: &str) -> String {
    format!(
        "guild: a federated community server for communities of practice\n\n\
         Usage: guild [--config FILE] [COMMAND]\n\n\
         --config FILE  TOML configuration file (or GUILD_CONFIG); GUILD_* environment \
         variables override it\n\nCommands:\n{}",
        commands(words)
    )
}

/// The commands whose words begin with `words`, each with what it takes and does.
fn commands(words: &str) -> String {
    let mut text = String::new();
    let shown = COMMANDS
        .iter()
        .filter(|(w, _, _)| w.starts_with(words) || words.starts_with(w));
    for (command, follows, does) in shown {
        let line = format!("guild {command} {follows}");
        text.push_str(&format!("  {}\n      {does}\n", line.trim_end()));
    }
    if "community".starts_with(words) || words.starts_with("community") {
        text.push_str(&format!("\n{SETTINGS}\n"));
    }
    text
}

fn misused(problem: &str, words: &str) -> String {
    format!("error: {problem}\n\nUsage:\n{}", commands(words))
}

fn parsed<T: FromStr>(text: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| format!("error: {text:?}: {e}"))
}

/// The arguments after a command's words: positional ones in order, and options by name.
struct Given {
    command: String,
    positional: std::collections::VecDeque<String>,
    /// `--name value` (or `--name=value`), and flags with an empty value.
    options: Vec<(String, String)>,
}

/// Read `args` after their first `words` words; `flags` are the options that take no value.
fn given(args: &[String], words: usize, flags: &[&str]) -> Result<Given, String> {
    let command = args
        .iter()
        .take(words)
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    let mut given = Given {
        command,
        positional: Default::default(),
        options: Vec::new(),
    };
    let mut args = args.iter().skip(words);
    while let Some(arg) = args.next() {
        let Some(name) = arg.strip_prefix("--") else {
            given.positional.push_back(arg.clone());
            continue;
        };
        let (name, value) = match name.split_once('=') {
            Some((name, value)) => (name, value.to_string()),
            None if flags.contains(&name) => (name, String::new()),
            None => match args.next() {
                Some(value) => (name, value.clone()),
                None => return Err(given.misused(&format!("--{name} needs a value"))),
            },
        };
        given.options.push((name.to_string(), value));
    }
    Ok(given)
}

impl Given {
    fn misused(&self, problem: &str) -> String {
        let command = format!("guild {}", self.command);
        misused(
            &format!("{problem} ({})", command.trim_end()),
            &self.command,
        )
    }

    fn positional(&mut self, what: &str) -> Result<String, String> {
        match self.positional.pop_front() {
            Some(value) => Ok(value),
            None => Err(self.misused(&format!("{what} is missing"))),
        }
    }

    /// The values of every `--name`, taken.
    fn options(&mut self, name: &str) -> Vec<String> {
        let (taken, kept) = std::mem::take(&mut self.options)
            .into_iter()
            .partition(|(n, _)| n == name);
        self.options = kept;
        taken.into_iter().map(|(_, value)| value).collect()
    }

    /// The last value of `--name`, taken.
    fn option(&mut self, name: &str) -> Option<String> {
        self.options(name).pop()
    }

    fn required(&mut self, name: &str) -> Result<String, String> {
        let missing = self.misused(&format!("--{name} is required"));
        self.option(name).ok_or(missing)
    }

    fn flag(&mut self, name: &str) -> bool {
        self.option(name).is_some()
    }

    fn settings(&mut self) -> Result<CommunitySettings, String> {
        Ok(CommunitySettings {
            display_name: self.option("display-name"),
            description: self.option("description"),
            rules: self.options("rule"),
            membership: self.parsed("membership")?,
            posting: self.parsed("posting")?,
            visibility: self.parsed("visibility")?,
        })
    }

    /// The last value of `--name`, taken and read as a `T`.
    fn parsed<T: FromStr>(&mut self, name: &str) -> Result<Option<T>, String>
    where
        T::Err: std::fmt::Display,
    {
        self.option(name).map(|value| parsed(&value)).transpose()
    }

    /// `command` if every argument was taken by it.
    fn done(self, command: Command) -> Result<Command, String> {
        let extra = self.positional.front().cloned();
        let extra = extra.or_else(|| self.options.first().map(|(name, _)| format!("--{name}")));
        match extra {
            Some(extra) => Err(self.misused(&format!("unexpected argument '{extra}'"))),
            None => Ok(command),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Command, String> {
        match parse(args.iter().map(|a| a.to_string()).collect())? {
            Asked::Run(cli) => Ok(cli.command),
            Asked::Print(text) => Err(text),
        }
    }

    #[test]
    fn commands_and_their_options_are_read() {
        assert!(matches!(run(&[]), Ok(Command::Serve)));
        assert!(matches!(run(&["migrate"]), Ok(Command::Migrate)));
        let Ok(Command::User(UserCommand::Create {
            name,
            email,
            password,
            admin,
        })) = run(&[
            "user",
            "create",
            "ann",
            "--email=ann@example.org",
            "--admin",
            "--password",
            "--odd but allowed",
        ])
        else {
            panic!("user create not read");
        };
        assert_eq!(
            (name.as_str(), email.as_str(), password.as_str(), admin),
            ("ann", "ann@example.org", "--odd but allowed", true)
        );
        let Ok(Command::Community(CommunityCommand::Edit { name, settings })) = run(&[
            "community",
            "edit",
            "cooks",
            "--rule",
            "be kind",
            "--membership",
            "invite",
            "--rule",
            "no spam",
        ]) else {
            panic!("community edit not read");
        };
        assert_eq!(name, "cooks");
        assert_eq!(settings.rules, ["be kind", "no spam"]);
        assert_eq!(settings.membership, Some(MembershipPolicy::Invite));
        assert_eq!(settings.posting, None);
        let Ok(Command::Domain(DomainCommand::Set { policy, reason, .. })) =
            run(&["domain", "set", "spam.example", "silence"])
        else {
            panic!("domain set not read");
        };
        assert_eq!((policy, reason.as_str()), (DomainPolicy::Silence, ""));
        assert!(matches!(
            run(&["media", "prune", "--older-than", "7"]),
            Ok(Command::Media(MediaCommand::Prune { older_than: 7 }))
        ));
        let Ok(Asked::Run(cli)) = parse(vec!["migrate".into(), "--config".into(), "g.toml".into()])
        else {
            panic!("--config not read");
        };
        assert_eq!(cli.config, Some(PathBuf::from("g.toml")));
    }

    #[test]
    fn mistakes_are_named_with_the_usage() {
        let mistakes: &[(&[&str], &str)] = &[
            (&["frobnicate"], "there is no command 'guild frobnicate'"),
            (&["user", "frob"], "there is no command 'guild user frob'"),
            (&["user"], "'guild user' needs a command"),
            (&["user", "create", "ann"], "--email is required"),
            (&["user", "approve"], "NAME is missing"),
            (&["domain", "set", "x.example", "ban"], "\"ban\""),
            (&["domain", "list", "--all"], "--all needs a value"),
            (&["domain", "list", "extra"], "unexpected argument 'extra'"),
            (&["serve", "now"], "unexpected argument 'now'"),
            (&["--verbose"], "--verbose needs a value"),
            (&["media", "prune", "--older-than", "a week"], "\"a week\""),
            (
                &["community", "edit", "c", "--posting=all"],
                "members, anyone",
            ),
        ];
        for (args, expected) in mistakes {
            let Err(error) = run(args) else {
                panic!("{args:?} was taken");
            };
            assert!(error.contains(expected), "{args:?}: {error}");
        }
        let Err(help) = run(&["domain", "--help"]) else {
            panic!("no help");
        };
        assert!(help.contains("guild domain unreachable"), "{help}");
        assert!(!help.contains("guild user create"), "{help}");
        let Err(version) = run(&["--version"]) else {
            panic!("no version");
        };
        assert!(version.starts_with("guild "), "{version}");
    }
}
