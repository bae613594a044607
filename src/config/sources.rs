//! Where settings come from: every key with its default and a line of help, read from the
//! TOML file and `GUILD_*` variables with a note of which one set it, so that an error names
//! the key, its origin and what is accepted (and never shows a secret).

use std::{collections::BTreeMap, fmt, path::PathBuf};

/// One key: its name in the file, a default, and one line of help for error messages.
struct Key {
    name: &'static str,
    default: fn() -> String,
    accepts: &'static str,
}

const KEYS: &[Key] = &[
    Key { name: "domain", default: || "localhost:8080".into(), accepts: "a host name with an optional port, such as guild.example.org or localhost:8080 (no scheme, no path)" },
    Key { name: "bind", default: || "127.0.0.1:8080".into(), accepts: "an address and port to listen on, such as 0.0.0.0:8080" },
    Key { name: "data_dir", default: || "./data".into(), accepts: "a directory path that Guild may create and write to" },
    Key { name: "database_url", default: String::new, accepts: "sqlite://PATH or postgres://USER@HOST/DB (default: sqlite://DATA_DIR/guild.sqlite)" },
    Key { name: "db_pool_size", default: || "8".into(), accepts: "a number of database connections from 1 to 200" },
    Key { name: "registrations", default: || "approval".into(), accepts: "one of open, approval, closed" },
    Key { name: "insecure_federation", default: || "false".into(), accepts: "true or false" },
    Key { name: "instance_name", default: || "Guild".into(), accepts: "any text" },
    Key { name: "instance_description", default: || "A community of practice on Guild.".into(), accepts: "any text" },
    Key { name: "contact_email", default: String::new, accepts: "an email address, or empty" },
    Key { name: "authorized_fetch", default: || "false".into(), accepts: "true or false" },
    Key { name: "oauth_password_grant", default: || "false".into(), accepts: "true or false" },
    Key { name: "trusted_proxies", default: || "127.0.0.1, ::1".into(), accepts: "a comma-separated list of IP addresses or ranges (such as 10.0.0.0/8) of reverse proxies whose X-Forwarded-For header names the client, or empty for none" },
    Key { name: "federation_mode", default: || "open".into(), accepts: "one of open, blocklist, allowlist" },
    Key { name: "federation_domains", default: String::new, accepts: "a comma-separated list of domains, such as hr.example.org, eng.example.org (the blocklist or allowlist)" },
    Key { name: "community_creation", default: || "any".into(), accepts: "any (every user may create communities) or admins" },
    Key { name: "delivery_first_retry_seconds", default: || "30".into(), accepts: "a number of seconds from 1 to 3600" },
    Key { name: "media_max_image_bytes", default: || (16 * MIB).to_string(), accepts: "a number of bytes from 1024 to 1073741824 (16 MiB by default)" },
    Key { name: "media_max_file_bytes", default: || (40 * MIB).to_string(), accepts: "a number of bytes from 1024 to 1073741824, for videos, audio and documents (40 MiB by default)" },
    Key { name: "media_max_pixels", default: || "33177600".into(), accepts: "a number of pixels (width times height) from 1 to 1000000000" },
    Key { name: "streaming_connections_per_token", default: || "16".into(), accepts: "a number of streaming connections one access token may hold open, from 1 to 1000" },
    Key { name: "streaming_connections_per_account", default: || "64".into(), accepts: "a number of streaming connections one person may hold open through all their tokens, from 1 to 10000" },
    Key { name: "streaming_max_connections", default: || "10000".into(), accepts: "a number of streaming connections this node holds open in all, from 1 to 1000000" },
    Key { name: "media_storage", default: || "local".into(), accepts: "local (files in DATA_DIR/media) or s3 (an S3-compatible bucket, set by the s3_* keys)" },
    Key { name: "s3_endpoint", default: String::new, accepts: "the http(s) URL of an S3-compatible service, such as http://minio.internal:9000, or empty for Amazon S3" },
    Key { name: "s3_region", default: || "us-east-1".into(), accepts: "a region name, such as eu-west-1" },
    Key { name: "s3_bucket", default: String::new, accepts: "the name of an existing bucket" },
    Key { name: "s3_access_key_id", default: String::new, accepts: "the access key id of a key that may read, write, list and delete in the bucket" },
    Key { name: "s3_secret_access_key", default: String::new, accepts: "that key's secret" },
    Key { name: "api_rate_limit", default: || "300".into(), accepts: "a number of client API requests one access token (or one address without a token) may make in five minutes, from 1 to 1000000 (300 by default, as Mastodon)" },
    Key { name: "metrics_bind", default: String::new, accepts: "an address and port where Prometheus reads /metrics without a token, such as 127.0.0.1:9464, or empty for none" },
    Key { name: "metrics_token", default: String::new, accepts: "a secret of at least 16 characters that Prometheus sends as `Authorization: Bearer` to read /metrics on the public port, or empty for none" },
    Key { name: "sso_issuer", default: String::new, accepts: "the issuer URL of an OpenID Connect provider, such as https://id.example.org/realms/staff (its discovery document is ISSUER/.well-known/openid-configuration), or empty for no single sign-on" },
    Key { name: "sso_client_id", default: String::new, accepts: "the client id registered for Guild at the provider, whose redirect URI is https://DOMAIN/sign-in/sso/callback" },
    Key { name: "sso_client_secret", default: String::new, accepts: "that client's secret" },
    Key { name: "sso_name", default: || "single sign-on".into(), accepts: "what the sign-in button calls the provider, such as Acme ID" },
    Key { name: "sso_email_domains", default: String::new, accepts: "a comma-separated list of email domains whose people may sign in through the provider, such as acme.example, or empty for any" },
    Key { name: "sso_admin_claim", default: String::new, accepts: "CLAIM=VALUE, such as groups=guild-admins: people whose claim is VALUE or lists it are administrators, and others are not; or empty to leave roles to Guild" },
    Key { name: "password_sign_in", default: || "true".into(), accepts: "true or false; false lets people sign in only through the provider set by sso_issuer" },
    Key { name: "media_workers", default: || "2".into(), accepts: "a number of uploads processed at once, from 1 to 64" },
];

pub(super) const MIB: u64 = 1024 * 1024;

/// Keys whose values never appear in error messages.
const SECRET_KEYS: &[&str] = &["metrics_token", "s3_secret_access_key", "sso_client_secret"];

/// A configuration problem, phrased for the operator.
#[derive(Debug)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration error: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Where a raw value came from, so errors can point at it.
#[derive(Clone)]
enum Source {
    Default,
    File(PathBuf),
    Env,
}

pub(super) struct Raw {
    values: BTreeMap<&'static str, (String, Source)>,
}

impl Raw {
    pub(super) fn get(&self, key: &'static str) -> &str {
        &self.values[key].0
    }

    pub(super) fn invalid(&self, key: &'static str, why: &str) -> ConfigError {
        let (value, source) = &self.values[key];
        let accepts = KEYS
            .iter()
            .find(|k| k.name == key)
            .map_or("", |k| k.accepts);
        let env = env_name(key);
        let origin = match source {
            Source::Default => "built-in default".to_string(),
            Source::File(path) => format!("set in {}", path.display()),
            Source::Env => format!("set by environment variable {env}"),
        };
        // A secret, even a refused one, is not written where logs may keep it.
        let shown = match SECRET_KEYS.contains(&key) {
            true => "(hidden)".to_string(),
            false => format!("{value:?}"),
        };
        ConfigError(format!(
            "`{key}` = {shown} ({origin}) is not valid: {why}. Expected {accepts}. \
             Fix it in the config file or with {env}."
        ))
    }
}

fn env_name(key: &str) -> String {
    format!("GUILD_{}", key.to_ascii_uppercase())
}

impl Raw {
    /// Every key's value: the default, then the file's, then the environment's.
    pub(super) fn gather(
        file: Option<PathBuf>,
        env: &[(String, String)],
    ) -> Result<Raw, ConfigError> {
        let mut raw = Raw {
            values: KEYS
                .iter()
                .map(|k| (k.name, ((k.default)(), Source::Default)))
                .collect(),
        };
        if let Some(path) = file {
            read_file(&path, &mut raw)?;
        }
        for key in KEYS {
            let name = env_name(key.name);
            if let Some((_, value)) = env.iter().find(|(k, _)| *k == name) {
                raw.values.insert(key.name, (value.clone(), Source::Env));
            }
        }
        Ok(raw)
    }
}

fn read_file(path: &PathBuf, raw: &mut Raw) -> Result<(), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError(format!(
            "cannot read config file {}: {e}. Check the --config option or GUILD_CONFIG.",
            path.display()
        ))
    })?;
    let table: toml::Table = text.parse().map_err(|e| {
        ConfigError(format!(
            "config file {} is not valid TOML: {e}",
            path.display()
        ))
    })?;
    for (name, value) in table {
        let Some(key) = KEYS.iter().find(|k| k.name == name) else {
            let known: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
            return Err(ConfigError(format!(
                "unknown key `{name}` in {}. Known keys: {}.",
                path.display(),
                known.join(", ")
            )));
        };
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(ConfigError(format!(
                    "`{name}` in {} must be a string, number or boolean, not {}. Expected {}.",
                    path.display(),
                    other.type_str(),
                    key.accepts
                )))
            }
        };
        raw.values
            .insert(key.name, (text, Source::File(path.clone())));
    }
    Ok(())
}
