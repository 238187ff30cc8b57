//! The mail server: its settings (one URL) and the connections to it.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::Message;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{self, pki_types::ServerName};

use crate::jobs::JobError;

/// How the connection to the mail server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text: only for a relay on the same machine or a trusted network.
    None,
    /// Plain text upgraded with STARTTLS, which is required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl TlsMode {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "none" => Some(TlsMode::None),
            "starttls" => Some(TlsMode::StartTls),
            "tls" => Some(TlsMode::Tls),
            _ => None,
        }
    }

    fn default_port(self) -> u16 {
        match self {
            TlsMode::None => 25,
            TlsMode::StartTls => 587,
            TlsMode::Tls => 465,
        }
    }
}

/// Where mail goes and whom it comes from (`HEARTH_SMTP_URL`, `HEARTH_MAIL_FROM`).
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: Mailbox,
}

/// The password stays out of logs and error messages.
impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

const URL_SHAPE: &str = "HEARTH_SMTP_URL must look like smtp://user:password@mail.example.org:587?tls=starttls \
     (tls=none, starttls or tls; smtps:// means tls)";

impl SmtpConfig {
    /// Reads `smtp://[user[:password]@]host[:port][?tls=none|starttls|tls]`
    /// (`smtps://` for TLS from the start) and the sender's address.
    /// Without `tls`, STARTTLS is required: credentials never go out in
    /// plain text unless the operator says so.
    pub fn parse(url: &str, from: &str) -> Result<Self, String> {
        let parsed = url::Url::parse(url.trim()).map_err(|e| format!("{URL_SHAPE}: {e}"))?;
        let implicit_tls = match parsed.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => return Err(format!("{URL_SHAPE}, not {other}://")),
        };
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("{URL_SHAPE}: the host is missing"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let mut tls = if implicit_tls {
            TlsMode::Tls
        } else {
            TlsMode::StartTls
        };
        for (key, value) in parsed.query_pairs() {
            match (key.as_ref(), TlsMode::parse(&value)) {
                ("tls", Some(mode)) if !implicit_tls || mode == TlsMode::Tls => tls = mode,
                ("tls", Some(_)) => return Err(format!("{URL_SHAPE}: smtps:// always uses tls")),
                ("tls", None) => return Err(format!("{URL_SHAPE}, not tls={value}")),
                _ => return Err(format!("{URL_SHAPE}: unknown setting {key:?}")),
            }
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|d| d.into_owned())
                .map_err(|_| format!("{URL_SHAPE}: the user name or password is not valid UTF-8"))
        };
        let username = Some(decode(parsed.username())?).filter(|u| !u.is_empty());
        let password = parsed.password().map(decode).transpose()?;
        let from = from.trim().parse::<Mailbox>().map_err(|e| {
            format!(
                "HEARTH_MAIL_FROM must be an address like \"Our community <community@example.org>\": {e}"
            )
        })?;
        Ok(Self {
            host,
            port: parsed.port().unwrap_or(tls.default_port()),
            tls,
            username,
            password,
            from,
        })
    }
}

/// Sends letters through the configured server. Cheap to clone; connections
/// are kept open between mails (pooled) and shared by the workers.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<Connector>,
}

/// How to reach the mail server, and the connections not in use.
struct Connector {
    host: String,
    port: u16,
    security: Security,
    hello: ClientId,
    credentials: Option<Credentials>,
    from: Mailbox,
    idle: Mutex<Vec<Idle>>,
}

enum Security {
    None,
    StartTls(TlsParameters),
    Tls {
        config: Arc<rustls::ClientConfig>,
        server: ServerName<'static>,
    },
}

struct Idle {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// How long connecting, or one mail's exchange, may take before the attempt
/// counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection idle for longer is checked (NOOP) before it is used again:
/// the server may have closed it. Within a fan-out no mail waits for that.
const CHECK_AFTER: Duration = Duration::from_secs(2);
/// A connection idle for longer is closed: servers drop idle clients after
/// a few minutes (RFC 5321, 4.5.3.2.7).
const IDLE_LIMIT: Duration = Duration::from_secs(60);
/// Connections kept open at most (each worker uses one at a time).
const MAX_IDLE: usize = 8;

impl Mailer {
    /// `base_url` names this server in its greeting (EHLO).
    pub fn new(config: &SmtpConfig, base_url: &str) -> Result<Self, String> {
        let security = match config.tls {
            TlsMode::None => Security::None,
            TlsMode::StartTls => Security::StartTls(
                TlsParameters::new(config.host.clone())
                    .map_err(|e| format!("TLS for the mail server: {e}"))?,
            ),
            TlsMode::Tls => Security::Tls {
                config: Arc::new(tls_config()?),
                server: ServerName::try_from(config.host.clone())
                    .map_err(|e| format!("TLS for the mail server: {e}"))?,
            },
        };
        let credentials = config.username.as_ref().map(|user| {
            Credentials::new(user.clone(), config.password.clone().unwrap_or_default())
        });
        Ok(Self {
            inner: Arc::new(Connector {
                host: config.host.clone(),
                port: config.port,
                security,
                hello: client_id(base_url),
                credentials,
                from: config.from.clone(),
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    pub fn from(&self) -> &Mailbox {
        &self.inner.from
    }

    /// Hands a message to the mail server. A rejection of the recipient or
    /// the message (5.5.x) is final; anything else is worth another try.
    pub async fn send(&self, message: Message) -> Result<(), JobError> {
        let mut conn = self.inner.connection().await?;
        let bytes = message.formatted();
        let exchange = conn.send(message.envelope(), &bytes);
        match tokio::time::timeout(SMTP_TIMEOUT, exchange).await {
            Ok(Ok(_)) => {
                self.inner.park(conn);
                Ok(())
            }
            Ok(Err(e)) => {
                // lettre has already closed a connection that broke.
                if !conn.has_broken() {
                    self.inner.park(conn);
                }
                Err(refused(&e, &message))
            }
            // The server's state is unknown: the connection is dropped.
            Err(_) => Err(JobError::Retry(format!(
                "the mail server did not take the message: no answer within {} s",
                SMTP_TIMEOUT.as_secs()
            ))),
        }
    }
}

impl Connector {
    /// An open connection: the most recently used idle one, else a new one.
    async fn connection(&self) -> Result<AsyncSmtpConnection, JobError> {
        loop {
            let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            let Some(Idle { mut conn, since }) = idle else {
                return match tokio::time::timeout(SMTP_TIMEOUT, self.connect()).await {
                    Ok(Ok(conn)) => Ok(conn),
                    Ok(Err(e)) => Err(JobError::Retry(format!(
                        "the mail server did not take the message: could not connect: {e}"
                    ))),
                    Err(_) => Err(JobError::Retry(format!(
                        "the mail server did not take the message: could not connect within {} s",
                        SMTP_TIMEOUT.as_secs()
                    ))),
                };
            };
            let idle_for = since.elapsed();
            if idle_for < CHECK_AFTER {
                return Ok(conn);
            }
            let check = tokio::time::timeout(SMTP_TIMEOUT, conn.test_connected());
            if idle_for < IDLE_LIMIT && matches!(check.await, Ok(true)) {
                return Ok(conn);
            }
            // Closed by the server, or too old: dropping it closes the socket.
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, String> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| e.to_string())?;
        // SMTP is a conversation of small writes, and lettre writes a
        // message and its closing "." separately: with Nagle's algorithm the
        // second waited for the server's delayed ACK, 40 ms per mail (see the
        // mail.sh section of bench/README.md).
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        let stream: Box<dyn AsyncTokioStream> = match &self.security {
            Security::Tls { config, server } => Box::new(TlsTcp(
                TlsConnector::from(config.clone())
                    .connect(server.clone(), tcp)
                    .await
                    .map_err(|e| format!("TLS: {e}"))?,
            )),
            Security::None | Security::StartTls(_) => Box::new(tcp),
        };
        let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
            .await
            .map_err(|e| e.to_string())?;
        if let Security::StartTls(tls) = &self.security {
            conn.starttls(tls.clone(), &self.hello)
                .await
                .map_err(|e| format!("STARTTLS: {e}"))?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials)
                .await
                .map_err(|e| format!("signing in: {e}"))?;
        }
        Ok(conn)
    }

    fn park(&self, conn: AsyncSmtpConnection) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.retain(|c| c.since.elapsed() < IDLE_LIMIT);
            if idle.len() < MAX_IDLE {
                idle.push(Idle {
                    conn,
                    since: Instant::now(),
                });
            }
        }
    }
}

/// Why the server did not take a message, with the recipients' addresses
/// taken out: servers echo the address they refuse, and the error is kept
/// on the job and shown to admins.
fn refused(e: &lettre::transport::smtp::Error, message: &Message) -> JobError {
    let text = message.envelope().to().iter().fold(
        format!("the mail server did not take the message: {e}"),
        |text, address| redact(&text, address.as_ref()),
    );
    if e.status().is_some_and(|c| c.to_string().starts_with("55")) {
        JobError::GiveUp(text)
    } else {
        JobError::Retry(text)
    }
}

/// Server certificates are checked against Mozilla's roots, as lettre does
/// for STARTTLS.
fn tls_config() -> Result<rustls::ClientConfig, String> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS for the mail server: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

/// TLS from the first byte (port 465), as a stream lettre can speak SMTP on.
#[derive(Debug)]
struct TlsTcp(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncTokioStream for TlsTcp {
    fn peer_addr(&self) -> std::io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for TlsTcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsTcp {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// `text` with every occurrence of `address` (in any case) replaced.
fn redact(text: &str, address: &str) -> String {
    let (haystack, needle) = (text.to_ascii_lowercase(), address.to_ascii_lowercase());
    if needle.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for (at, _) in haystack.match_indices(&needle) {
        out.push_str(&text[rest..at]);
        out.push_str("[the recipient]");
        rest = at + needle.len();
    }
    out.push_str(&text[rest..]);
    out
}

/// The name this server greets the mail server with: the site's host.
fn client_id(base_url: &str) -> ClientId {
    match url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(d)) => ClientId::Domain(d),
        Some(url::Host::Ipv4(ip)) => ClientId::Ipv4(ip),
        Some(url::Host::Ipv6(ip)) => ClientId::Ipv6(ip),
        None => ClientId::Domain("localhost".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FROM: &str = "Hearth <community@example.org>";

    #[test]
    fn a_full_url_gives_every_part() {
        let c = SmtpConfig::parse(
            "smtp://mailer%40example.org:p%40ss%3Aword@mail.example.org:2525?tls=starttls",
            FROM,
        )
        .unwrap();
        assert_eq!(c.host, "mail.example.org");
        assert_eq!(c.port, 2525);
        assert_eq!(c.tls, TlsMode::StartTls);
        assert_eq!(c.username.as_deref(), Some("mailer@example.org"));
        assert_eq!(c.password.as_deref(), Some("p@ss:word"));
        assert_eq!(c.from.email.to_string(), "community@example.org");
    }

    #[test]
    fn tls_mode_chooses_the_default_port() {
        let port = |url| SmtpConfig::parse(url, FROM).unwrap();
        assert_eq!(port("smtp://mail.example.org").port, 587);
        assert_eq!(port("smtp://mail.example.org").tls, TlsMode::StartTls);
        assert_eq!(port("smtp://mail.example.org?tls=none").port, 25);
        assert_eq!(port("smtps://mail.example.org").port, 465);
        assert_eq!(port("smtp://mail.example.org?tls=tls").tls, TlsMode::Tls);
        assert!(port("smtp://127.0.0.1:8025?tls=none").username.is_none());
    }

    #[test]
    fn refused_addresses_stay_out_of_errors() {
        assert_eq!(
            redact(
                "550 5.1.1 <Jane.Doe@Example.org>: unknown; jane.doe@example.org",
                "jane.doe@example.org"
            ),
            "550 5.1.1 <[the recipient]>: unknown; [the recipient]"
        );
        assert_eq!(
            redact("Grüße, nothing here", "a@b.c"),
            "Grüße, nothing here"
        );
    }

    #[test]
    fn mistakes_are_named() {
        for (url, words) in [
            ("http://mail.example.org", "not http://"),
            ("smtp://mail.example.org?tls=maybe", "not tls=maybe"),
            ("smtp://mail.example.org?tsl=none", "unknown setting"),
            ("smtps://mail.example.org?tls=none", "always uses tls"),
            ("mail.example.org", "HEARTH_SMTP_URL must look like"),
        ] {
            let e = SmtpConfig::parse(url, FROM).unwrap_err();
            assert!(e.contains(words), "{url}: {e}");
        }
        let e = SmtpConfig::parse("smtp://mail.example.org", "not an address").unwrap_err();
        assert!(e.contains("HEARTH_MAIL_FROM"), "{e}");
    }
}
