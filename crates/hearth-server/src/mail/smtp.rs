//! The mail server: its settings (one URL) and the SMTP transport.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

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
/// are pooled and reused across jobs.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// How long one SMTP command may take before the attempt counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

impl Mailer {
    /// `base_url` names this server in its greeting (EHLO).
    pub fn new(config: &SmtpConfig, base_url: &str) -> Result<Self, String> {
        let tls = match config.tls {
            TlsMode::None => Tls::None,
            TlsMode::StartTls => Tls::Required(tls_parameters(&config.host)?),
            TlsMode::Tls => Tls::Wrapper(tls_parameters(&config.host)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT))
            .hello_name(client_id(base_url));
        if let Some(user) = &config.username {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                config.password.clone().unwrap_or_default(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from: config.from.clone(),
        })
    }

    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Hands a message to the mail server. A rejection of the recipient or
    /// the message (5.5.x) is final; anything else is worth another try.
    pub async fn send(&self, message: Message) -> Result<(), JobError> {
        let recipients: Vec<String> = message
            .envelope()
            .to()
            .iter()
            .map(|a| a.to_string())
            .collect();
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let code = e.status().map(|c| c.to_string());
                // Servers echo the address they refuse; the error is kept
                // on the job and shown to admins, so the address goes.
                let text = recipients.iter().fold(
                    format!("the mail server did not take the message: {e}"),
                    |text, address| redact(&text, address),
                );
                if code.is_some_and(|c| c.starts_with("55")) {
                    Err(JobError::GiveUp(text))
                } else {
                    Err(JobError::Retry(text))
                }
            }
        }
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

fn tls_parameters(host: &str) -> Result<TlsParameters, String> {
    TlsParameters::new(host.to_owned()).map_err(|e| format!("TLS for the mail server: {e}"))
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
