//! Configuration: defaults, then an optional `hearth.toml`, then the
//! environment (which wins), as operators expect of a twelve-factor service.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use hearth_core::text::search::Language;
use hearth_store::SecretKey;
use serde::Deserialize;

use crate::jobs::Tuning;
use crate::mail::SmtpConfig;

#[derive(Clone, Debug)]
pub struct Config {
    /// Where the server listens (`HEARTH_BIND`).
    pub bind: SocketAddr,
    /// Where the SQLite database, the key file and uploads live (`HEARTH_DATA_DIR`).
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…` (`DATABASE_URL`).
    pub database_url: String,
    /// The address people use to reach the site, for links (`HEARTH_BASE_URL`).
    pub base_url: String,
    /// The language whose word endings search folds (`HEARTH_SEARCH_LANGUAGE`).
    pub search_language: Language,
    /// The mail server and sender (`HEARTH_SMTP_URL`, `HEARTH_MAIL_FROM`);
    /// without one, mail jobs wait in the queue.
    pub smtp: Option<SmtpConfig>,
    /// The job runner's timings (not read from the environment).
    pub jobs: Tuning,
    /// The live chat's timings (not read from the environment).
    pub live: crate::realtime::Tuning,
    /// How many requests are served at once before excess load is shed
    /// (`HEARTH_CONCURRENT_READS`, `HEARTH_CONCURRENT_WRITES`,
    /// `HEARTH_QUEUE_TIMEOUT_MS`).
    pub overload: crate::overload::Limits,
    /// Pages and their parts are kept in memory between writes
    /// (`HEARTH_MEMORY_CACHE=off` turns that off, to measure what a page
    /// costs when it is read from the database, as after every write).
    pub memory_cache: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("HEARTH_BIND must be an address and port like 127.0.0.1:8080, not {0:?}")]
    Bind(String),
    #[error("HEARTH_SEARCH_LANGUAGE must be english, german or french, not {0:?}")]
    SearchLanguage(String),
    #[error("HEARTH_BASE_URL must start with http:// or https://, not {0:?}")]
    BaseUrl(String),
    #[error("{0}")]
    Mail(String),
    #[error(
        "HEARTH_MAIL_FROM is needed with HEARTH_SMTP_URL: the address mail comes from, like \"Our community <community@example.org>\""
    )]
    MailFromMissing,
    #[error("{name} must be a whole number from 1 to {max}, not {value:?}")]
    Number {
        name: &'static str,
        max: u64,
        value: String,
    },
    #[error("HEARTH_MEMORY_CACHE must be on or off, not {0:?}")]
    MemoryCache(String),
    #[error("HEARTH_SECRET_KEY must be 32 bytes written as base64 or 64 hex digits")]
    SecretKey,
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read or write the key file {path}: {source}")]
    KeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The keys `hearth.toml` may hold; each matches an environment variable.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    base_url: Option<String>,
    search_language: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    concurrent_reads: Option<u64>,
    concurrent_writes: Option<u64>,
    queue_timeout_ms: Option<u64>,
}

impl Config {
    /// Reads `file` (default `./hearth.toml`, if present) and the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let default_file = Path::new("hearth.toml");
        let path = file.unwrap_or(default_file);
        let from_file = if file.is_some() || path.exists() {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.into(),
                source,
            })?;
            toml::from_str(&text).map_err(|source| ConfigError::Parse {
                path: path.into(),
                source: Box::new(source),
            })?
        } else {
            FileConfig::default()
        };
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let bind_text = env("HEARTH_BIND")
            .or(from_file.bind)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind: SocketAddr = bind_text
            .parse()
            .map_err(|_| ConfigError::Bind(bind_text.clone()))?;
        let data_dir = env("HEARTH_DATA_DIR")
            .map(PathBuf::from)
            .or(from_file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./hearth-data"));
        let database_url = env("DATABASE_URL")
            .or(from_file.database_url)
            .unwrap_or_else(|| {
                format!("sqlite://{}?mode=rwc", data_dir.join("hearth.db").display())
            });
        let base_url = env("HEARTH_BASE_URL")
            .or(from_file.base_url)
            .unwrap_or_else(|| format!("http://{bind}"));
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(ConfigError::BaseUrl(base_url));
        }
        let language_text = env("HEARTH_SEARCH_LANGUAGE")
            .or(from_file.search_language)
            .unwrap_or_else(|| "english".into());
        let search_language =
            Language::parse(&language_text).ok_or(ConfigError::SearchLanguage(language_text))?;
        let smtp = match env("HEARTH_SMTP_URL").or(from_file.smtp_url) {
            Some(url) => {
                let from = env("HEARTH_MAIL_FROM")
                    .or(from_file.mail_from)
                    .ok_or(ConfigError::MailFromMissing)?;
                Some(SmtpConfig::parse(&url, &from).map_err(ConfigError::Mail)?)
            }
            None => None,
        };
        // A count from the environment or the file: at least 1, at most `max`.
        let number = |name: &'static str, from_file: Option<u64>, default: u64, max: u64| {
            let (n, value) = match env(name) {
                Some(text) => (text.trim().parse::<u64>().ok(), text),
                None => {
                    let n = from_file.unwrap_or(default);
                    (Some(n), n.to_string())
                }
            };
            n.filter(|n| (1..=max).contains(n))
                .ok_or(ConfigError::Number { name, max, value })
        };
        let d = crate::overload::Limits::default();
        let overload = crate::overload::Limits {
            reads: number(
                "HEARTH_CONCURRENT_READS",
                from_file.concurrent_reads,
                d.reads as u64,
                100_000,
            )? as usize,
            writes: number(
                "HEARTH_CONCURRENT_WRITES",
                from_file.concurrent_writes,
                d.writes as u64,
                100_000,
            )? as usize,
            queue_timeout: std::time::Duration::from_millis(number(
                "HEARTH_QUEUE_TIMEOUT_MS",
                from_file.queue_timeout_ms,
                d.queue_timeout.as_millis() as u64,
                600_000,
            )?),
        };
        let memory_cache = match env("HEARTH_MEMORY_CACHE").as_deref().map(str::trim) {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(ConfigError::MemoryCache(other.to_owned())),
        };
        Ok(Self {
            bind,
            data_dir,
            database_url,
            base_url: base_url.trim_end_matches('/').to_owned(),
            search_language,
            smtp,
            jobs: Tuning::default(),
            live: Default::default(),
            overload,
            memory_cache,
        })
    }

    /// Cookies are marked `Secure` when the site is served over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// The master key: `HEARTH_SECRET_KEY`, else `secret.key` in the data
    /// directory, created (readable by the owner only) on first run.
    pub fn secret_key(&self) -> Result<SecretKey, ConfigError> {
        if let Ok(text) = std::env::var("HEARTH_SECRET_KEY") {
            return SecretKey::parse(&text).ok_or(ConfigError::SecretKey);
        }
        self.ensure_data_dir()?;
        let path = self.data_dir.join("secret.key");
        let key_error = |source| ConfigError::KeyFile {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => SecretKey::parse(&text).ok_or(ConfigError::SecretKey),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SecretKey::generate();
                write_private(&path, &key.to_base64()).map_err(key_error)?;
                tracing::info!(path = %path.display(), "created a new secret key: back it up with the database");
                Ok(key)
            }
            Err(e) => Err(key_error(e)),
        }
    }

    pub fn ensure_data_dir(&self) -> Result<(), ConfigError> {
        std::fs::create_dir_all(&self.data_dir).map_err(|source| ConfigError::DataDir {
            path: self.data_dir.clone(),
            source,
        })
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}
