//! Settings: built-in defaults, then an optional TOML file, then `GUILD_*` environment
//! variables. Everything is validated once at start-up; a bad value stops the server with a
//! message naming the key, where it came from and what is accepted. `sources` gathers the
//! raw values; this module turns them into typed settings.

mod sources;

use sources::{Raw, MIB};
use std::{fmt, net::SocketAddr, path::PathBuf};

pub use sources::ConfigError;

/// Who may register an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Registrations {
    Open,
    Approval,
    Closed,
}

impl Registrations {
    pub fn as_str(self) -> &'static str {
        match self {
            Registrations::Open => "open",
            Registrations::Approval => "approval",
            Registrations::Closed => "closed",
        }
    }
}

/// Which other instances this one federates with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FederationMode {
    /// Everyone, except domains suspended by policy.
    Open,
    /// Everyone except the listed domains (and suspended ones).
    Blocklist(Vec<String>),
    /// Only the listed domains (and those allowed by policy): a private network.
    Allowlist(Vec<String>),
}

/// Validated settings. Built by [`Config::load`].
#[derive(Clone, Debug)]
pub struct Config {
    /// `host[:port]` that peers use to reach this instance; part of every actor id.
    pub domain: String,
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub db_pool_size: u32,
    pub registrations: Registrations,
    /// Plain http and loopback/private addresses allowed: development and tests only.
    pub insecure_federation: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<crate::client_address::Network>,
    pub instance_name: String,
    pub instance_description: String,
    pub contact_email: String,
    pub federation: FederationMode,
    /// Require signed GETs for ActivityPub documents (Mastodon's secure mode).
    pub authorized_fetch: bool,
    /// OAuth password grant, for scripts and tests; off by default.
    pub oauth_password_grant: bool,
    /// Delay before the first retry of a failed delivery; later retries double it.
    pub delivery_first_retry: std::time::Duration,
    /// Whether any user may create communities, or administrators only.
    pub communities_by_admins_only: bool,
    pub media: MediaLimits,
    pub media_storage: MediaStorage,
    pub streaming: StreamingLimits,
    /// Client API requests per caller in a five-minute window.
    pub api_rate_limit: u32,
    pub metrics: MetricsAccess,
    /// The organisation's identity provider, where people may sign in through it.
    pub sso: Option<SingleSignOn>,
    /// Whether people may sign in with a password here; off, they sign in through `sso`.
    pub password_sign_in: bool,
}

/// Sign-in through an OpenID Connect provider.
#[derive(Clone, Debug)]
pub struct SingleSignOn {
    /// As written: the provider's documents must name exactly this issuer, trailing slash or
    /// not.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// What the sign-in button calls the provider.
    pub name: String,
    /// Email domains whose people may sign in; empty for any.
    pub email_domains: Vec<String>,
    /// A claim and the value in it that makes a person an administrator.
    pub admin_claim: Option<(String, String)>,
}

/// Where Prometheus reads `/metrics`: on an address of its own, on the public port with a
/// token, both, or (neither set) nowhere.
#[derive(Clone, Debug)]
pub struct MetricsAccess {
    pub bind: Option<SocketAddr>,
    pub token: Option<Secret>,
}

/// How many streaming connections are taken.
#[derive(Clone, Debug)]
pub struct StreamingLimits {
    pub per_token: usize,
    pub per_account: usize,
    pub max: usize,
}

/// Where uploaded files are kept (`files::FileStore`).
#[derive(Clone, Debug)]
pub enum MediaStorage {
    /// `data_dir/media`: one node.
    Local,
    /// An S3-compatible bucket that every node shares.
    S3(S3Settings),
}

#[derive(Clone, Debug)]
pub struct S3Settings {
    /// The service's URL, for stores other than Amazon's (MinIO, Garage, Ceph, …).
    pub endpoint: Option<url::Url>,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

/// A value that must not reach logs or error messages.
#[derive(Clone)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(secret)")
    }
}

/// What uploads may be, and how much processing runs at once.
#[derive(Clone, Debug)]
pub struct MediaLimits {
    pub max_image_bytes: usize,
    pub max_file_bytes: usize,
    /// Width times height; larger images are refused before they are decoded.
    pub max_pixels: u64,
    /// Uploads processed at once; more wait their turn.
    pub workers: usize,
}

impl Config {
    /// Load from an optional TOML file and the process environment.
    pub fn load(file: Option<PathBuf>) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Config::from_sources(file, &env)
    }

    /// Load from an optional file and explicit environment pairs (tests use this directly).
    pub fn from_sources(
        file: Option<PathBuf>,
        env: &[(String, String)],
    ) -> Result<Config, ConfigError> {
        Config::validate(&Raw::gather(file, env)?)
    }

    fn validate(raw: &Raw) -> Result<Config, ConfigError> {
        let domain = raw.get("domain").trim().to_ascii_lowercase();
        check_domain(&domain).map_err(|why| raw.invalid("domain", why))?;
        let bind = raw
            .get("bind")
            .parse::<SocketAddr>()
            .map_err(|_| raw.invalid("bind", "not an address:port"))?;
        let data_dir = PathBuf::from(raw.get("data_dir"));
        if data_dir.as_os_str().is_empty() {
            return Err(raw.invalid("data_dir", "it is empty"));
        }
        let database_url = match raw.get("database_url") {
            "" => format!("sqlite://{}", data_dir.join("guild.sqlite").display()),
            url => url.to_string(),
        };
        if crate::db::Backend::from_url(&database_url).is_none() {
            return Err(raw.invalid("database_url", "unknown scheme"));
        }
        let db_pool_size = match raw.get("db_pool_size").parse::<u32>() {
            Ok(n @ 1..=200) => n,
            _ => return Err(raw.invalid("db_pool_size", "not a number from 1 to 200")),
        };
        let registrations = match raw.get("registrations") {
            "open" => Registrations::Open,
            "approval" => Registrations::Approval,
            "closed" => Registrations::Closed,
            _ => return Err(raw.invalid("registrations", "unknown mode")),
        };
        let insecure_federation = boolean(raw, "insecure_federation")?;
        let oauth_password_grant = boolean(raw, "oauth_password_grant")?;
        let authorized_fetch = boolean(raw, "authorized_fetch")?;
        let contact_email = raw.get("contact_email").to_string();
        if !contact_email.is_empty() && !contact_email.contains('@') {
            return Err(raw.invalid("contact_email", "it has no @"));
        }
        let delivery_first_retry = match raw.get("delivery_first_retry_seconds").parse::<u64>() {
            Ok(n @ 1..=3600) => std::time::Duration::from_secs(n),
            _ => {
                return Err(raw.invalid(
                    "delivery_first_retry_seconds",
                    "not a number from 1 to 3600",
                ))
            }
        };
        let communities_by_admins_only = match raw.get("community_creation") {
            "any" => false,
            "admins" => true,
            _ => return Err(raw.invalid("community_creation", "unknown choice")),
        };
        let federation = federation_mode(raw)?;
        let media = MediaLimits {
            max_image_bytes: number(raw, "media_max_image_bytes", 1024, 1024 * MIB)? as usize,
            max_file_bytes: number(raw, "media_max_file_bytes", 1024, 1024 * MIB)? as usize,
            max_pixels: number(raw, "media_max_pixels", 1, 1_000_000_000)?,
            workers: number(raw, "media_workers", 1, 64)? as usize,
        };
        let media_storage = media_storage(raw)?;
        let streaming = StreamingLimits {
            per_token: number(raw, "streaming_connections_per_token", 1, 1000)? as usize,
            per_account: number(raw, "streaming_connections_per_account", 1, 10_000)? as usize,
            max: number(raw, "streaming_max_connections", 1, 1_000_000)? as usize,
        };
        let api_rate_limit = number(raw, "api_rate_limit", 1, 1_000_000)? as u32;
        let trusted_proxies = raw
            .get("trusted_proxies")
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| {
                a.parse::<crate::client_address::Network>()
                    .map_err(|why| raw.invalid("trusted_proxies", &why))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let metrics = metrics_access(raw)?;
        let sso = single_sign_on(raw)?;
        let password_sign_in = boolean(raw, "password_sign_in")?;
        if !password_sign_in && sso.is_none() {
            return Err(raw.invalid(
                "password_sign_in",
                "nobody could sign in: set sso_issuer (and its client) or leave passwords on",
            ));
        }
        Ok(Config {
            sso,
            password_sign_in,
            metrics,
            trusted_proxies,
            api_rate_limit,
            streaming,
            media,
            media_storage,
            communities_by_admins_only,
            domain,
            bind,
            data_dir,
            database_url,
            db_pool_size,
            registrations,
            insecure_federation,
            instance_name: raw.get("instance_name").to_string(),
            instance_description: raw.get("instance_description").to_string(),
            contact_email,
            delivery_first_retry,
            federation,
            oauth_password_grant,
            authorized_fetch,
        })
    }

    /// Scheme of this instance's public URLs. Plain http only where TLS cannot be expected:
    /// a `localhost` domain or insecure federation (development and tests).
    pub fn scheme(&self) -> &'static str {
        let host = self.domain.split(':').next().unwrap_or_default();
        if self.insecure_federation || host == "localhost" {
            "http"
        } else {
            "https"
        }
    }

    /// `scheme://domain`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.domain)
    }
}

fn number(raw: &Raw, key: &'static str, min: u64, max: u64) -> Result<u64, ConfigError> {
    match raw.get(key).trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(raw.invalid(key, &format!("not a number from {min} to {max}"))),
    }
}

fn media_storage(raw: &Raw) -> Result<MediaStorage, ConfigError> {
    match raw.get("media_storage") {
        "local" => return Ok(MediaStorage::Local),
        "s3" => {}
        _ => return Err(raw.invalid("media_storage", "unknown storage")),
    }
    let required = |key: &'static str| match raw.get(key).trim() {
        "" => Err(raw.invalid(key, "S3 storage needs it")),
        value => Ok(value.to_string()),
    };
    let endpoint = match raw.get("s3_endpoint").trim() {
        "" => None,
        text => match url::Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Some(url),
            _ => return Err(raw.invalid("s3_endpoint", "not an http(s) URL")),
        },
    };
    Ok(MediaStorage::S3(S3Settings {
        endpoint,
        region: required("s3_region")?,
        bucket: required("s3_bucket")?,
        access_key_id: required("s3_access_key_id")?,
        secret_access_key: Secret(required("s3_secret_access_key")?),
    }))
}

fn boolean(raw: &Raw, key: &'static str) -> Result<bool, ConfigError> {
    match raw.get(key) {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" | "" => Ok(false),
        _ => Err(raw.invalid(key, "not a boolean")),
    }
}

fn federation_mode(raw: &Raw) -> Result<FederationMode, ConfigError> {
    let domains: Vec<String> = raw
        .get("federation_domains")
        .split(',')
        .map(|d| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    for domain in &domains {
        check_domain(domain)
            .map_err(|why| raw.invalid("federation_domains", &format!("{domain:?}: {why}")))?;
    }
    match raw.get("federation_mode") {
        "open" if domains.is_empty() => Ok(FederationMode::Open),
        "open" => Err(raw.invalid(
            "federation_mode",
            "federation_domains is set, but open mode ignores it; choose blocklist or allowlist",
        )),
        "blocklist" => Ok(FederationMode::Blocklist(domains)),
        "allowlist" => Ok(FederationMode::Allowlist(domains)),
        _ => Err(raw.invalid("federation_mode", "unknown mode")),
    }
}

fn metrics_access(raw: &Raw) -> Result<MetricsAccess, ConfigError> {
    let bind = match raw.get("metrics_bind").trim() {
        "" => None,
        address => Some(
            address
                .parse::<SocketAddr>()
                .map_err(|_| raw.invalid("metrics_bind", "not an address:port"))?,
        ),
    };
    let token = match raw.get("metrics_token").trim() {
        "" => None,
        short if short.chars().count() < 16 => {
            return Err(raw.invalid("metrics_token", "shorter than 16 characters"))
        }
        token => Some(Secret(token.to_string())),
    };
    Ok(MetricsAccess { bind, token })
}

fn single_sign_on(raw: &Raw) -> Result<Option<SingleSignOn>, ConfigError> {
    let issuer = match raw.get("sso_issuer").trim() {
        "" => return Ok(None),
        text => match url::Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
                text.to_string()
            }
            _ => return Err(raw.invalid("sso_issuer", "not an http(s) URL")),
        },
    };
    let required = |key: &'static str| match raw.get(key).trim() {
        "" => Err(raw.invalid(key, "single sign-on needs it")),
        value => Ok(value.to_string()),
    };
    let email_domains = raw
        .get("sso_email_domains")
        .split(',')
        .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    let admin_claim = match raw.get("sso_admin_claim").trim() {
        "" => None,
        text => match text.split_once('=') {
            Some((claim, value)) if !claim.trim().is_empty() && !value.trim().is_empty() => {
                Some((claim.trim().to_string(), value.trim().to_string()))
            }
            _ => return Err(raw.invalid("sso_admin_claim", "not CLAIM=VALUE")),
        },
    };
    Ok(Some(SingleSignOn {
        issuer,
        client_id: required("sso_client_id")?,
        client_secret: Secret(required("sso_client_secret")?),
        name: raw.get("sso_name").trim().to_string(),
        email_domains,
        admin_claim,
    }))
}

/// A domain is `host[:port]`: what peers put in URLs and what signatures cover in `Host`.
fn check_domain(domain: &str) -> Result<(), &'static str> {
    if domain.is_empty() {
        return Err("it is empty");
    }
    if domain.contains("://") || domain.contains('/') {
        return Err("it must not contain a scheme or path");
    }
    let (host, port) = match domain.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (domain, None),
    };
    if let Some(port) = port {
        if port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err("the port is not a number from 1 to 65535");
        }
    }
    let valid_chars = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if host.is_empty() || !valid_chars || host.starts_with('.') || host.starts_with('-') {
        return Err("the host name has characters other than letters, digits, '-' and '.'");
    }
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("IP addresses are refused by federation peers; use a host name (localhost works for development)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_nothing() {
        let config = Config::from_sources(None, &[]).unwrap();
        assert_eq!(config.domain, "localhost:8080");
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database_url, "sqlite://./data/guild.sqlite");
        assert_eq!(config.registrations, Registrations::Approval);
        assert!(!config.insecure_federation);
        assert_eq!(config.base_url(), "http://localhost:8080");
    }

    #[test]
    fn environment_overrides_and_errors_name_the_key() {
        let config = Config::from_sources(
            None,
            &env(&[
                ("GUILD_DOMAIN", "guild.example.org"),
                ("GUILD_REGISTRATIONS", "open"),
            ]),
        )
        .unwrap();
        assert_eq!(config.base_url(), "https://guild.example.org");
        assert_eq!(config.registrations, Registrations::Open);

        let err = Config::from_sources(None, &env(&[("GUILD_REGISTRATIONS", "sometimes")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("registrations"), "{err}");
        assert!(err.contains("GUILD_REGISTRATIONS"), "{err}");
        assert!(err.contains("open, approval, closed"), "{err}");

        for (key, value) in [
            ("GUILD_DOMAIN", "https://x.org"),
            ("GUILD_DOMAIN", "127.0.0.1:8080"),
            ("GUILD_BIND", "nowhere"),
            ("GUILD_DATABASE_URL", "mysql://x"),
            ("GUILD_INSECURE_FEDERATION", "perhaps"),
            ("GUILD_TRUSTED_PROXIES", "10.0.0.0/40"),
            ("GUILD_METRICS_BIND", "everywhere"),
            ("GUILD_METRICS_TOKEN", "short"),
            ("GUILD_SSO_ISSUER", "id.example.org"),
            ("GUILD_PASSWORD_SIGN_IN", "false"),
        ] {
            let err = Config::from_sources(None, &env(&[(key, value)])).unwrap_err();
            assert!(err.to_string().contains(key), "{err}");
        }
        let err = Config::from_sources(None, &env(&[("GUILD_SSO_ISSUER", "https://id.example")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("GUILD_SSO_CLIENT_ID"), "{err}");
        let err = Config::from_sources(None, &env(&[("GUILD_METRICS_TOKEN", "hunter2")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("(hidden)") && !err.contains("hunter2"),
            "{err}"
        );
    }

    #[test]
    fn s3_storage_names_what_it_misses_and_hides_its_secret() {
        let s3 = |extra: &[(&str, &str)]| {
            let mut pairs = vec![
                ("GUILD_MEDIA_STORAGE", "s3"),
                ("GUILD_S3_BUCKET", "media"),
                ("GUILD_S3_ACCESS_KEY_ID", "key"),
                ("GUILD_S3_SECRET_ACCESS_KEY", "hunter2"),
            ];
            pairs.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
            pairs.extend_from_slice(extra);
            Config::from_sources(None, &env(&pairs))
        };
        let config = s3(&[]).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
        let err = s3(&[("GUILD_S3_BUCKET", "")]).unwrap_err().to_string();
        assert!(err.contains("GUILD_S3_BUCKET"), "{err}");
        let err = s3(&[("GUILD_S3_ENDPOINT", "minio:9000")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("GUILD_S3_ENDPOINT"), "{err}");
    }
}
