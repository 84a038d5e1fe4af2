//! Configuration in two steps: a [`RawConfig`] from each source (flags,
//! `VIGIE_*` environment, `vigie.toml`), then one validated [`Config`] that
//! the rest of the binary trusts.
//!
//! Precedence: flags, then environment, then file, then defaults. Reading the
//! environment and the file happens at the edge ([`Config::load`]); merging
//! and validation ([`Config::resolve`]) are pure, so tests pass maps and
//! strings instead of touching the process environment.

use anyhow::{Context, bail};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The file read from the current directory when none is named.
pub const DEFAULT_FILE: &str = "vigie.toml";
/// Days raw events are kept by default once their alert cleared.
pub const DEFAULT_EVENT_RETENTION_DAYS: u32 = 30;
/// Default address to listen on.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default folder for the SQLite database and other data.
pub const DEFAULT_DATA_DIR: &str = "./vigie-data";
/// Default log filter. sqlx reports PostgreSQL notices such as "relation
/// already exists, skipping" at `info` on every start; they are noise here.
pub const DEFAULT_LOG: &str = "info,sqlx=warn";

/// Settings as given by one source, before validation; `None` means "not
/// set here".
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Address to listen on, `IP:port`.
    pub listen: Option<String>,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: Option<String>,
    /// Folder for data files.
    pub data_dir: Option<PathBuf>,
    /// Whether cookies carry the `Secure` attribute.
    pub cookie_secure: Option<bool>,
    /// A `tracing` filter such as `info` or `vigie_server=debug,info`.
    pub log: Option<String>,
    /// Days the raw events of cleared or informational alerts are kept.
    pub event_retention_days: Option<u32>,
    /// Where notification mails are sent: `smtp://host:port`,
    /// `smtps://user:password@host` or `smtp://host?tls=required`.
    pub smtp_url: Option<String>,
    /// The address users reach Vigie at, for the links in mails
    /// (`https://vigie.example.org`); defaults to `http://` + `listen`.
    pub public_url: Option<String>,
    /// The `From` of notifications in tenants without an active mailbox.
    pub mail_from: Option<String>,
    /// A PEM file of certificate authorities trusted for IMAP and SMTP
    /// servers besides the web's (an organisation's own CA).
    pub mail_ca_file: Option<PathBuf>,
}

impl RawConfig {
    /// Settings from `VIGIE_*` variables (and `RUST_LOG` when `VIGIE_LOG` is
    /// not set), read from `env`.
    pub fn from_env(env: &HashMap<String, String>) -> anyhow::Result<RawConfig> {
        let get = |key: &str| env.get(key).filter(|v| !v.is_empty()).cloned();
        let cookie_secure = get("VIGIE_COOKIE_SECURE")
            .map(|v| parse_bool(&v).context("VIGIE_COOKIE_SECURE"))
            .transpose()?;
        let event_retention_days = get("VIGIE_EVENT_RETENTION_DAYS")
            .map(|v| {
                v.trim().parse::<u32>().with_context(|| {
                    format!("VIGIE_EVENT_RETENTION_DAYS: {v:?} is not a number of days")
                })
            })
            .transpose()?;
        Ok(RawConfig {
            listen: get("VIGIE_LISTEN"),
            database_url: get("VIGIE_DATABASE_URL"),
            data_dir: get("VIGIE_DATA_DIR").map(PathBuf::from),
            cookie_secure,
            log: get("VIGIE_LOG").or_else(|| get("RUST_LOG")),
            event_retention_days,
            smtp_url: get("VIGIE_SMTP_URL"),
            public_url: get("VIGIE_PUBLIC_URL"),
            mail_from: get("VIGIE_MAIL_FROM"),
            mail_ca_file: get("VIGIE_MAIL_CA_FILE").map(PathBuf::from),
        })
    }

    /// Settings from the text of a `vigie.toml`; an unknown key is an error
    /// that names it.
    pub fn from_toml(text: &str) -> anyhow::Result<RawConfig> {
        toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.message()))
    }

    /// Each setting from `self` if set there, else from `lower`.
    pub fn or(self, lower: RawConfig) -> RawConfig {
        RawConfig {
            listen: self.listen.or(lower.listen),
            database_url: self.database_url.or(lower.database_url),
            data_dir: self.data_dir.or(lower.data_dir),
            cookie_secure: self.cookie_secure.or(lower.cookie_secure),
            log: self.log.or(lower.log),
            event_retention_days: self.event_retention_days.or(lower.event_retention_days),
            smtp_url: self.smtp_url.or(lower.smtp_url),
            public_url: self.public_url.or(lower.public_url),
            mail_from: self.mail_from.or(lower.mail_from),
            mail_ca_file: self.mail_ca_file.or(lower.mail_ca_file),
        }
    }
}

/// Validated settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Database URL.
    pub database_url: String,
    /// Folder for data files.
    pub data_dir: PathBuf,
    /// Whether cookies carry the `Secure` attribute.
    pub cookie_secure: bool,
    /// Log filter.
    pub log: String,
    /// Days raw events of cleared or informational alerts are kept.
    pub event_retention_days: u32,
    /// Where notification mails are sent (none: they wait in the outbox).
    pub smtp_url: Option<String>,
    /// The address users reach Vigie at, without a trailing `/`.
    pub public_url: String,
    /// The `From` of notifications in tenants without an active mailbox.
    pub mail_from: Option<String>,
    /// Extra certificate authorities for IMAP and SMTP servers (read at
    /// start).
    pub mail_ca_file: Option<PathBuf>,
}

impl Config {
    /// Reads the environment and the configuration file, then resolves.
    /// The file is `config_file` (the `--config` flag), else `VIGIE_CONFIG`,
    /// else `vigie.toml` in the current directory if it exists.
    pub fn load(flags: RawConfig, config_file: Option<PathBuf>) -> anyhow::Result<Config> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let named = config_file.or_else(|| {
            env.get("VIGIE_CONFIG")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        let file = match named {
            Some(path) => Some(read_file(&path)?),
            None if Path::new(DEFAULT_FILE).is_file() => Some(read_file(Path::new(DEFAULT_FILE))?),
            None => None,
        };
        Config::resolve(flags, &env, file)
    }

    /// Merges the sources by precedence and validates the result.
    pub fn resolve(
        flags: RawConfig,
        env: &HashMap<String, String>,
        file: Option<RawConfig>,
    ) -> anyhow::Result<Config> {
        let raw = flags
            .or(RawConfig::from_env(env)?)
            .or(file.unwrap_or_default());
        let listen_text = raw.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
        let listen = listen_text.parse().with_context(|| {
            format!("invalid listen address {listen_text:?} (expected IP:port, e.g. 0.0.0.0:8080)")
        })?;
        let data_dir = raw
            .data_dir
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let database_url = match raw.database_url {
            Some(url) => {
                if !["sqlite:", "postgres:", "postgresql:"]
                    .iter()
                    .any(|s| url.starts_with(s))
                {
                    bail!("invalid database_url: expected sqlite://… or postgres://…");
                }
                url
            }
            None => format!("sqlite://{}?mode=rwc", data_dir.join("vigie.db").display()),
        };
        let log = raw.log.unwrap_or_else(|| DEFAULT_LOG.to_owned());
        tracing_subscriber::EnvFilter::try_new(&log)
            .with_context(|| format!("invalid log filter {log:?}"))?;
        let event_retention_days = raw
            .event_retention_days
            .unwrap_or(DEFAULT_EVENT_RETENTION_DAYS);
        if !(1..=3650).contains(&event_retention_days) {
            bail!("invalid event_retention_days {event_retention_days}: expected 1 to 3650 days");
        }
        let public_url = raw
            .public_url
            .filter(|u| !u.trim().is_empty())
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{listen}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("invalid public_url {public_url:?}: expected http://… or https://…");
        }
        let mail_from = raw
            .mail_from
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty());
        if let Some(m) = mail_from.as_deref()
            && !matches!(vigie_core::validate::email(m), Ok(Some(_)))
        {
            bail!("invalid mail_from {m:?}: expected an address such as vigie@example.org");
        }
        Ok(Config {
            public_url,
            mail_from,
            mail_ca_file: raw.mail_ca_file,
            listen,
            database_url,
            data_dir,
            cookie_secure: raw.cookie_secure.unwrap_or(true),
            log,
            event_retention_days,
            smtp_url: raw.smtp_url.filter(|u| !u.trim().is_empty()),
        })
    }

    /// Whether the database is an embedded SQLite file.
    pub fn uses_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

fn read_file(path: &Path) -> anyhow::Result<RawConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read configuration file {}", path.display()))?;
    RawConfig::from_toml(&text).with_context(|| format!("in {}", path.display()))
}

fn parse_bool(v: &str) -> anyhow::Result<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => bail!("expected true or false, got {v:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn file(text: &str) -> Option<RawConfig> {
        Some(RawConfig::from_toml(text).expect("valid toml"))
    }

    #[test]
    fn defaults_use_sqlite_in_the_data_dir() {
        let c = Config::resolve(RawConfig::default(), &env(&[]), None).expect("config");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("./vigie-data"));
        assert_eq!(c.database_url, "sqlite://./vigie-data/vigie.db?mode=rwc");
        assert!(c.cookie_secure);
        assert_eq!(c.log, "info,sqlx=warn");
        assert!(c.uses_sqlite());
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.mail_from, None);
    }

    #[test]
    fn mail_settings_are_read_and_checked() {
        let vars = env(&[
            ("VIGIE_PUBLIC_URL", "https://vigie.example.org/"),
            ("VIGIE_MAIL_FROM", "support@vigie.example.org"),
        ]);
        let c = Config::resolve(RawConfig::default(), &vars, None).expect("config");
        assert_eq!(c.public_url, "https://vigie.example.org");
        assert_eq!(c.mail_from.as_deref(), Some("support@vigie.example.org"));
        for (key, value) in [
            ("VIGIE_PUBLIC_URL", "vigie.example.org"),
            ("VIGIE_MAIL_FROM", "support"),
            ("VIGIE_MAIL_FROM", "@example.org"),
            ("VIGIE_MAIL_FROM", "a b@example.org"),
        ] {
            let err = Config::resolve(RawConfig::default(), &env(&[(key, value)]), None)
                .expect_err(value);
            assert!(err.to_string().contains("invalid"), "{err}");
        }
    }

    #[test]
    fn flags_beat_environment_beat_file() {
        let flags = RawConfig {
            listen: Some("0.0.0.0:1111".into()),
            ..RawConfig::default()
        };
        let vars = env(&[
            ("VIGIE_LISTEN", "0.0.0.0:2222"),
            ("VIGIE_DATA_DIR", "/env/data"),
        ]);
        let toml = file(
            "listen = \"0.0.0.0:3333\"\ndata_dir = \"/file/data\"\n\
             cookie_secure = false\nlog = \"debug\"\n",
        );
        let c = Config::resolve(flags, &vars, toml).expect("config");
        assert_eq!(c.listen.to_string(), "0.0.0.0:1111");
        assert_eq!(c.data_dir, PathBuf::from("/env/data"));
        assert_eq!(c.database_url, "sqlite:///env/data/vigie.db?mode=rwc");
        assert!(!c.cookie_secure);
        assert_eq!(c.log, "debug");
    }

    #[test]
    fn environment_selects_postgres_and_log_filter() {
        let vars = env(&[
            ("VIGIE_DATABASE_URL", "postgres://vigie@db/vigie"),
            ("VIGIE_COOKIE_SECURE", "false"),
            ("RUST_LOG", "warn"),
        ]);
        let c = Config::resolve(RawConfig::default(), &vars, None).expect("config");
        assert_eq!(c.database_url, "postgres://vigie@db/vigie");
        assert!(!c.uses_sqlite());
        assert!(!c.cookie_secure);
        assert_eq!(c.log, "warn");
        let both = env(&[("RUST_LOG", "warn"), ("VIGIE_LOG", "trace")]);
        let c = Config::resolve(RawConfig::default(), &both, None).expect("config");
        assert_eq!(c.log, "trace");
    }

    #[test]
    fn insecure_cookies_flag_beats_environment() {
        let flags = RawConfig {
            cookie_secure: Some(false),
            ..RawConfig::default()
        };
        let vars = env(&[("VIGIE_COOKIE_SECURE", "true")]);
        let c = Config::resolve(flags, &vars, None).expect("config");
        assert!(!c.cookie_secure);
    }

    #[test]
    fn unknown_file_key_is_named() {
        let err = RawConfig::from_toml("listen = \"127.0.0.1:1\"\nlisten_port = 8080\n")
            .expect_err("unknown key");
        assert!(err.to_string().contains("listen_port"), "{err}");
    }

    #[test]
    fn invalid_values_are_refused() {
        let bad = |pairs: &[(&str, &str)]| Config::resolve(RawConfig::default(), &env(pairs), None);
        assert!(bad(&[("VIGIE_LISTEN", "localhost")]).is_err());
        assert!(bad(&[("VIGIE_DATABASE_URL", "mysql://x")]).is_err());
        assert!(bad(&[("VIGIE_COOKIE_SECURE", "maybe")]).is_err());
        assert!(bad(&[("VIGIE_LOG", "info,=,[")]).is_err());
    }
}
