//! What the unit tests of services share: a fresh migrated SQLite database in a temporary
//! directory, the settings of an instance at `guild.test`, and local people and communities.

use crate::config::Config;
use crate::db::{Db, DbConn};
use crate::domain::{LogAction, Visibility};
use crate::service::accounts::{self, NewUser};
use crate::service::statuses::{self, NewPost};
use crate::store::{accounts::Account, moderation, statuses::Page, statuses::Status};

/// A database of its own, removed with the value.
pub struct Fixture {
    pub config: Config,
    pub db: Db,
    _dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}/guild.db", dir.path().display());
        let env = [
            ("GUILD_DOMAIN", "guild.test"),
            ("GUILD_DATABASE_URL", url.as_str()),
            ("GUILD_DATA_DIR", &dir.path().display().to_string()),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let config = Config::from_sources(None, &env).expect("test settings");
        let db = Db::connect(&config.database_url, 2).expect("database");
        db.migrate().expect("migrations");
        Fixture {
            config,
            db,
            _dir: dir,
        }
    }

    pub fn conn(&self) -> diesel::r2d2::PooledConnection<crate::db::Manager> {
        self.db.conn().expect("connection")
    }

    /// A local person named `name`.
    pub fn person(&self, conn: &mut DbConn, name: &str) -> Account {
        let new = NewUser {
            username: name,
            display_name: None,
            email: &format!("{name}@guild.test"),
            password: "password123",
            admin: false,
            approved: true,
        };
        accounts::create_user(conn, &self.config, &new)
            .expect("person")
            .0
    }

    /// A local community named `name`, first moderated by `owner`.
    pub fn community(&self, conn: &mut DbConn, name: &str, owner: &Account) -> Account {
        accounts::create_community(conn, &self.config, name, &owner.username, None)
            .expect("community")
    }

    /// A person on another server, `name@domain`, as we would keep them after a fetch.
    pub fn remote_person(&self, conn: &mut DbConn, name: &str, domain: &str) -> Account {
        let now = crate::time::now();
        let ap_id = format!("https://{domain}/users/{name}");
        let actor = crate::store::accounts::RemoteActor {
            kind: crate::domain::AccountKind::Person,
            username: name.into(),
            domain: Some(domain.into()),
            display_name: name.into(),
            note: String::new(),
            inbox_url: format!("{ap_id}/inbox"),
            ap_id,
            url: None,
            shared_inbox_url: Some(format!("https://{domain}/inbox")),
            outbox_url: None,
            followers_url: None,
            following_url: None,
            featured_url: None,
            public_key_pem: String::new(),
            locked: false,
            discoverable: false,
            bot: false,
            avatar_url: None,
            header_url: None,
            updated_at: now,
            fetched_at: Some(now),
        };
        accounts::store_remote(conn, actor, None, false).expect("remote person")
    }

    /// `person` follows `target`, or joins it when it is an open community.
    pub fn follow(&self, conn: &mut DbConn, person: &Account, target: &Account) {
        crate::service::follows::follow(conn, &self.config, person, target).expect("follow");
    }

    /// A public post by `author`, in `community` when given, a thread when it has a `title`.
    pub fn post(
        &self,
        conn: &mut DbConn,
        author: &Account,
        text: &str,
        community: Option<&Account>,
        title: Option<&str>,
    ) -> Status {
        let post = NewPost {
            text: text.to_string(),
            title: title.map(str::to_string),
            community: community.cloned(),
            ..NewPost::new(Visibility::Public)
        };
        statuses::create(conn, &self.config, author, post).expect("post")
    }
}

/// What a community's moderation log says, newest first.
pub fn logged(conn: &mut DbConn, community: &Account) -> Vec<LogAction> {
    let page = Page {
        limit: 40,
        ..Page::default()
    };
    moderation::log(conn, community.id, page)
        .expect("log")
        .into_iter()
        .map(|e| e.action)
        .collect()
}
