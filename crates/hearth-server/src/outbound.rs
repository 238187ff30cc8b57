//! Requests Hearth makes to other sites (webmentions and pingbacks now,
//! federation later). A link in a post or a mention from outside must not
//! become a way into the server's own network, so every request is bounded
//! in time and size and goes only to public addresses, unless an admin
//! allows private ones (a closed network, or tests on loopback).
//!
//! The address check sits in the resolver, so the address checked is the
//! address connected to (no second lookup an attacker's DNS could answer
//! differently); literal IP addresses, which skip the resolver, are checked
//! before each request and each redirect.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::HeaderMap;
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use tokio::sync::Semaphore;
use url::{Host, Url};

/// A page larger than this is not read.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_REDIRECTS: usize = 5;
/// Requests in flight at once from this node: anyone may ask for a mention
/// to be checked, and each check is a request to someone else's site.
const MAX_IN_FLIGHT: usize = 16;

/// Which addresses requests may go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The public internet only (the default).
    Public,
    /// Also loopback, private and link-local networks: an admin's choice.
    AlsoPrivate,
}

impl Reach {
    pub fn allows(self, ip: IpAddr) -> bool {
        match self {
            Reach::Public => is_public(ip),
            Reach::AlsoPrivate => !ip.is_unspecified() && !ip.is_multicast(),
        }
    }
}

/// Whether an address belongs to the public internet: not this machine, not
/// a private, shared, link-local (cloud metadata lives there), documentation
/// or reserved range.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || a >= 240) // reserved
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let [first, second, ..] = v6.segments();
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (first == 0x2001 && second == 0x0db8) // documentation
                || (first == 0x2001 && second == 0) // Teredo: carries an IPv4 address
                || first == 0x2002 // 6to4: carries an IPv4 address
                || (first == 0x64 && second == 0xff9b) // NAT64 to anything
                || v6.segments()[..6] == [0; 6] // IPv4-compatible (deprecated)
                || (first == 0x100 && v6.segments()[1..4] == [0; 3])) // discard-only
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum OutboundError {
    #[error("{0} is not a web address (it must start with http:// or https://)")]
    NotWeb(String),
    #[error(
        "{0} is on a private or local network, and this site only makes requests to public addresses"
    )]
    Private(String),
    /// Also for a name that points only at private addresses: an outsider
    /// must not learn which internal names exist.
    #[error("{0} could not be found on the public internet")]
    UnknownHost(String),
    #[error("there was no answer within {} seconds", TIMEOUT.as_secs())]
    Timeout,
    #[error("the page is larger than {} KiB", MAX_BODY_BYTES / 1024)]
    TooLarge,
    #[error("it redirects more than {MAX_REDIRECTS} times")]
    TooManyRedirects,
    #[error("the connection failed: {0}")]
    Network(String),
}

/// An answer, read whole (up to `MAX_BODY_BYTES`).
#[derive(Debug)]
pub struct Fetched {
    /// Where the answer came from, after redirects.
    pub url: Url,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Fetched {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The two clients, one for each reach (each keeps its own connections).
#[derive(Clone)]
pub struct Outbound {
    public: Client,
    also_private: Client,
    in_flight: Arc<Semaphore>,
}

impl Outbound {
    pub fn new(user_agent: &str) -> Result<Self, reqwest::Error> {
        Ok(Self {
            public: client(Reach::Public, user_agent)?,
            also_private: client(Reach::AlsoPrivate, user_agent)?,
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
        })
    }

    pub async fn get(&self, url: &Url, reach: Reach) -> Result<Fetched, OutboundError> {
        check_url(url, reach)?;
        let request = self
            .client(reach)
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "text/html, */*;q=0.5");
        self.read(request).await
    }

    pub async fn post(
        &self,
        url: &Url,
        reach: Reach,
        content_type: &'static str,
        body: String,
    ) -> Result<Fetched, OutboundError> {
        check_url(url, reach)?;
        let request = self
            .client(reach)
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        self.read(request).await
    }

    /// Sends, and reads the answer whole, waiting for a free slot first.
    async fn read(&self, request: reqwest::RequestBuilder) -> Result<Fetched, OutboundError> {
        let _slot = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| OutboundError::Network("shutting down".into()))?;
        tokio::time::timeout(TIMEOUT, read(request))
            .await
            .map_err(|_| OutboundError::Timeout)?
    }

    fn client(&self, reach: Reach) -> &Client {
        match reach {
            Reach::Public => &self.public,
            Reach::AlsoPrivate => &self.also_private,
        }
    }
}

fn client(reach: Reach, user_agent: &str) -> Result<Client, reqwest::Error> {
    Client::builder()
        .user_agent(user_agent)
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        // A proxy would connect to addresses the resolver never saw.
        .no_proxy()
        .dns_resolver(Arc::new(Guarded(reach)))
        .redirect(Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error(OutboundError::TooManyRedirects)
            } else if let Err(e) = check_url(attempt.url(), reach) {
                attempt.error(e)
            } else {
                attempt.follow()
            }
        }))
        .build()
}

/// Web addresses only, and a literal IP address only within reach (names
/// are checked by the resolver).
fn check_url(url: &Url, reach: Reach) -> Result<(), OutboundError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(OutboundError::NotWeb(url.to_string()));
    }
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(Host::Domain(_)) => return Ok(()),
        None => return Err(OutboundError::NotWeb(url.to_string())),
    };
    if reach.allows(ip) {
        Ok(())
    } else {
        Err(OutboundError::Private(ip.to_string()))
    }
}

/// Looks names up and keeps only the addresses within reach.
struct Guarded(Reach);

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let reach = self.0;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| OutboundError::UnknownHost(host.clone()))?
                .collect();
            let allowed: Vec<SocketAddr> =
                found.into_iter().filter(|a| reach.allows(a.ip())).collect();
            if allowed.is_empty() {
                return Err(OutboundError::UnknownHost(host).into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

async fn read(request: reqwest::RequestBuilder) -> Result<Fetched, OutboundError> {
    let mut response = request.send().await.map_err(explain)?;
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(OutboundError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(explain)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(OutboundError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        url: response.url().clone(),
        status: response.status(),
        headers: response.headers().clone(),
        body,
    })
}

/// reqwest's error, as the reason it carries: ours (from the resolver or
/// the redirect policy) where there is one.
fn explain(e: reqwest::Error) -> OutboundError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(c) = cause {
        if let Some(ours) = c.downcast_ref::<OutboundError>() {
            return ours.clone();
        }
        cause = c.source();
    }
    if e.is_timeout() {
        OutboundError::Timeout
    } else {
        let innermost = std::iter::successors(Some(&e as &dyn std::error::Error), |c| c.source())
            .last()
            .map(|c| c.to_string())
            .unwrap_or_default();
        OutboundError::Network(innermost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
            "::7f00:1",
            "2002:7f00:1::1",
            "2001:0:4136:e378::1",
        ] {
            assert!(!is_public(ip(private)), "{private} counted as public");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(public)), "{public} counted as private");
        }
    }

    #[test]
    fn an_admin_may_allow_private_networks_but_not_nowhere() {
        assert!(Reach::AlsoPrivate.allows(ip("127.0.0.1")));
        assert!(Reach::AlsoPrivate.allows(ip("10.0.0.1")));
        assert!(!Reach::AlsoPrivate.allows(ip("0.0.0.0")));
        assert!(!Reach::Public.allows(ip("127.0.0.1")));
    }

    #[test]
    fn literal_addresses_are_checked_before_any_request() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(matches!(
            check_url(&url("http://127.0.0.1:8080/"), Reach::Public),
            Err(OutboundError::Private(_))
        ));
        assert!(matches!(
            check_url(&url("http://[::1]/"), Reach::Public),
            Err(OutboundError::Private(_))
        ));
        assert!(matches!(
            check_url(&url("ftp://example.org/"), Reach::Public),
            Err(OutboundError::NotWeb(_))
        ));
        assert!(check_url(&url("https://example.org/"), Reach::Public).is_ok());
        assert!(check_url(&url("http://127.0.0.1/"), Reach::AlsoPrivate).is_ok());
    }
}
