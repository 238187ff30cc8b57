//! Mentions of entries by other sites, both ways (protocol rules live in
//! `crate::webmention`):
//!
//! - **Received** (webmention or pingback): the target must be a public,
//!   published entry here with comments open; the source is fetched through
//!   the guarded client and must link to the target. A mention waits for a
//!   moderator, like a guest's comment, and then shows below the entry. A
//!   source sent again refreshes its mention (keeping the decision); one that
//!   no longer links, or is gone, takes its mention away.
//! - **Sent**: when a public entry is published or edited, a job tells each
//!   page it links to (and each page it no longer links to) through the
//!   endpoint that page names.

use hearth_core::access::Viewer;
use hearth_core::model::{ReactionStatus, TopicId};
use hearth_store::webmentions::{self, Mention, NewMention, Sent};
use hearth_store::{Conn, throttle};
use url::Url;

use super::Actor;
use super::audit::{self, Target};
use crate::App;
use crate::error::{ServiceError, ServiceResult};
use crate::jobs::{Handler, JobError};
use crate::outbound::{OutboundError, Reach};
use crate::webmention::discover::{self, Endpoint};
use crate::webmention::{self as protocol, pingback};

/// Mentions one address may send a minute (each costs a fetch).
const PER_MINUTE: i64 = 20;
const MAX_URL_CHARS: usize = 2000;
/// Mentions a moderator's list shows at once.
const LISTED: i64 = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Webmention,
    Pingback,
}

impl Protocol {
    fn as_str(self) -> &'static str {
        match self {
            Protocol::Webmention => "webmention",
            Protocol::Pingback => "pingback",
        }
    }
}

/// Why a mention was not taken; each says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The request is malformed.
    #[error("{0}")]
    Request(String),
    /// The target is not an entry here that takes mentions.
    #[error("{0}")]
    Target(String),
    /// The source is not there (404, 410, an address that cannot be used).
    #[error("{0}")]
    Source(String),
    /// The source's site could not be reached or failed (try again later).
    #[error("{0}")]
    Upstream(String),
    /// The source does not link to the target.
    #[error("{0}")]
    NoLink(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<hearth_store::StoreError> for Refused {
    fn from(e: hearth_store::StoreError) -> Self {
        Refused::Service(e.into())
    }
}

/// A mention taken.
#[derive(Clone, Copy, Debug)]
pub struct Received {
    pub status: ReactionStatus,
    /// First time from this source (else: refreshed).
    pub new: bool,
}

/// How far requests to other sites may reach: the admins' setting.
pub async fn reach(app: &App) -> ServiceResult<Reach> {
    let rules = super::safety::rules(app).await?;
    Ok(if rules.limits.private_addresses {
        Reach::AlsoPrivate
    } else {
        Reach::Public
    })
}

fn web_address(field: &str, text: &str) -> Result<Url, Refused> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Refused::Request(format!(
            "Give the {field}: the address of a web page."
        )));
    }
    if text.chars().count() > MAX_URL_CHARS {
        return Err(Refused::Request(format!(
            "The {field} address is longer than {MAX_URL_CHARS} characters."
        )));
    }
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err(Refused::Request(format!(
            "The {field} must be a web address starting with http:// or https://, not “{text}”."
        ))),
    }
}

/// Whom the rate limit counts: an IPv4 address, or an IPv6 address's /64
/// (one subscriber usually has a whole /64 to pick addresses from).
fn network_of(client: &str) -> String {
    match client.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => client.to_owned(),
    }
}

/// The entry a target address names, if it is one that takes mentions: on
/// this site, public, published, comments open.
async fn target_entry(app: &App, target: &Url) -> Result<hearth_store::blogs::Entry, Refused> {
    let not_here = || {
        Refused::Target(format!(
            "{target} is not an entry of this site that takes mentions: give the address of a published public blog entry here."
        ))
    };
    let base = Url::parse(&app.config().base_url).map_err(|_| not_here())?;
    if target.origin() != base.origin() {
        return Err(not_here());
    }
    let segments: Vec<&str> = target
        .path_segments()
        .map(|s| s.collect())
        .unwrap_or_default();
    let [b, blog_slug, entry_slug] = segments.as_slice() else {
        return Err(not_here());
    };
    if *b != "b" {
        return Err(not_here());
    }
    let mut conn = app.store().read().await?;
    let Some(space) = hearth_store::spaces::by_slug(&mut conn, blog_slug).await? else {
        return Err(not_here());
    };
    let Some(entry) = hearth_store::blogs::by_slug(&mut conn, space.id, entry_slug).await? else {
        return Err(not_here());
    };
    let Some(topic) = hearth_store::topics::by_id(&mut conn, entry.topic_id, None).await? else {
        return Err(not_here());
    };
    let opening = hearth_store::posts::opening(&mut conn, topic.id, None).await?;
    if !super::feeds::public_topic(app, space.tier, &topic) || opening.is_none_or(|p| p.hidden) {
        return Err(not_here());
    }
    if super::blogs::replies_closed(&mut conn, &space, &topic).await? {
        return Err(Refused::Target(
            "Comments on this entry are closed, and so are mentions.".into(),
        ));
    }
    Ok(entry)
}

/// Takes a mention of `target` by `source`, after checking that the source
/// really links there. `client` is the sender's address, for the rate limit.
pub async fn receive(
    app: &App,
    protocol: Protocol,
    source: &str,
    target: &str,
    client: &str,
) -> Result<Received, Refused> {
    let source = web_address("source", source)?;
    let target = web_address("target", target)?;
    if source == target {
        return Err(Refused::Request(
            "The source and the target are the same page.".into(),
        ));
    }
    {
        let mut tx = app.store().write().await?;
        let key = app
            .store()
            .sealer()
            .blind_index(&format!("webmention:{}", network_of(client)));
        let hits = throttle::hit(&mut tx, &key, app.now(), 60_000).await?;
        hearth_store::commit(tx).await?;
        if hits > PER_MINUTE {
            return Err(ServiceError::Throttled {
                retry_after_secs: 60,
            }
            .into());
        }
    }
    let entry = target_entry(app, &target).await?;
    // Outside any transaction: the other site may take seconds to answer.
    let fetched = app.outbound().get(&source, reach(app).await?).await;
    let fetched = match fetched {
        Ok(f) if f.status.is_success() => f,
        Ok(f) if matches!(f.status.as_u16(), 404 | 410) => {
            let why = format!("The source {source} is gone (it answered {}).", f.status);
            return Err(Refused::Source(
                take_away(app, entry.topic_id, &source, why).await?,
            ));
        }
        Ok(f) if f.status.is_server_error() => {
            return Err(Refused::Upstream(format!(
                "The source {source} could not be read: it answered {}.",
                f.status
            )));
        }
        Ok(f) => {
            return Err(Refused::Source(format!(
                "The source {source} could not be read: it answered {}.",
                f.status
            )));
        }
        Err(e @ (OutboundError::Timeout | OutboundError::Network(_))) => {
            return Err(Refused::Upstream(format!(
                "The source {source} could not be read: {e}."
            )));
        }
        Err(e) => {
            return Err(Refused::Source(format!(
                "The source {source} could not be read: {e}."
            )));
        }
    };
    let Some(found) = protocol::find_link(&fetched, &target) else {
        let why = format!("The source {source} does not link to {target}.");
        return Err(Refused::NoLink(
            take_away(app, entry.topic_id, &source, why).await?,
        ));
    };
    let mut tx = app.store().write().await?;
    let recorded = webmentions::record(
        &mut tx,
        NewMention {
            topic: entry.topic_id,
            source: source.as_str(),
            protocol: protocol.as_str(),
            kind: found.kind,
            title: &found.title,
            author: &found.author,
            excerpt: &found.excerpt,
        },
        app.now(),
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(Received {
        status: recorded.status,
        new: recorded.new,
    })
}

/// Removes an earlier mention from a source that no longer makes it, and
/// says so after `why`.
async fn take_away(
    app: &App,
    topic: TopicId,
    source: &Url,
    why: String,
) -> Result<String, Refused> {
    let mut tx = app.store().write().await?;
    let removed = webmentions::remove(&mut tx, topic, source.as_str()).await?;
    hearth_store::commit(tx).await?;
    Ok(if removed {
        format!("{why} The mention it made before was taken away.")
    } else {
        why
    })
}

/// A pingback (XML-RPC) call: the same as a webmention, answered with the
/// protocol's message or fault.
pub async fn receive_pingback(
    app: &App,
    xml: &str,
    client: &str,
) -> Result<String, pingback::Fault> {
    use pingback::{Fault, fault};
    let ping = pingback::parse_call(xml)?;
    match receive(app, Protocol::Pingback, &ping.source, &ping.target, client).await {
        Ok(r) if r.new => Ok(format!(
            "Thank you: the pingback from {} waits for a moderator.",
            ping.source
        )),
        Ok(_) => Err(Fault::new(
            fault::ALREADY_REGISTERED,
            "This pingback is already registered.",
        )),
        Err(e) => Err(match e {
            Refused::Request(m) => Fault::new(fault::GENERIC, m),
            Refused::Target(m) => Fault::new(fault::TARGET_REFUSED, m),
            Refused::Source(m) => Fault::new(fault::SOURCE_MISSING, m),
            Refused::Upstream(m) => Fault::new(fault::UPSTREAM, m),
            Refused::NoLink(m) => Fault::new(fault::NO_LINK, m),
            Refused::Service(ServiceError::Throttled { .. }) => Fault::new(
                fault::ACCESS_DENIED,
                "Too many pingbacks from your address; try again in a minute.",
            ),
            Refused::Service(other) => Fault::new(fault::GENERIC, other.to_string()),
        }),
    }
}

// ---- moderation

fn require_moderator(actor: &Actor) -> ServiceResult<()> {
    actor.require(
        Viewer::moderates,
        "Only moderators can see and decide on mentions from other sites.",
    )
}

/// Mentions waiting for a moderator.
pub async fn held(app: &App, actor: &Actor) -> ServiceResult<Vec<Mention>> {
    require_moderator(actor)?;
    Ok(webmentions::held(&mut *app.store().read().await?, LISTED).await?)
}

/// How many mentions wait (for the queue page's link); 0 for non-moderators.
pub async fn held_count(app: &App, actor: &Actor) -> ServiceResult<i64> {
    if !actor.viewer().moderates() {
        return Ok(0);
    }
    Ok(webmentions::held_count(&mut *app.store().read().await?).await?)
}

/// Shows a mention below its entry, or keeps it away for good.
pub async fn decide(app: &App, actor: &Actor, id: i64, approve: bool) -> ServiceResult<Mention> {
    require_moderator(actor)?;
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let now = app.now();
    let status = if approve {
        ReactionStatus::Approved
    } else {
        ReactionStatus::Rejected
    };
    let mut tx = app.store().write().await?;
    let mention = webmentions::by_id(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    webmentions::decide(&mut tx, id, status, me.id, now).await?;
    audit::record(
        &mut tx,
        actor,
        if approve {
            "mention.approve"
        } else {
            "mention.reject"
        },
        Target::Topic(mention.topic_id),
        "",
        &mention.source,
        now,
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(Mention { status, ..mention })
}

/// An entry's approved mentions, for its page (the caller has checked that
/// this person may read the entry).
pub(super) async fn shown(conn: &mut Conn, topic: TopicId) -> ServiceResult<Vec<Mention>> {
    Ok(webmentions::for_topic(conn, topic, ReactionStatus::Approved).await?)
}

// ---- sending

/// Tells the pages an entry links to about it (queued when a public entry
/// is published or edited; repeats merge while they wait).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct SendMentions {
    pub topic: i64,
}

impl super::jobs::JobPayload for SendMentions {
    const KIND: &'static str = "webmention.send";

    fn dedupe_key(&self) -> Option<String> {
        Some(format!("webmention.send:{}", self.topic))
    }
}

/// Queues the job, in the caller's transaction.
pub(super) async fn announce(conn: &mut Conn, topic: TopicId, now: i64) -> ServiceResult<()> {
    super::jobs::enqueue_quietly(conn, &SendMentions { topic: topic.0 }, now).await?;
    Ok(())
}

pub const SEND: Handler = Handler {
    kind: <SendMentions as super::jobs::JobPayload>::KIND,
    run: |app, job| {
        Box::pin(async move {
            let payload: SendMentions = serde_json::from_str(&job.payload)
                .map_err(|e| JobError::GiveUp(format!("not a mention job: {e}")))?;
            send_for(&app, TopicId(payload.topic)).await
        })
    },
};

/// The outcome of telling one page.
enum Told {
    /// Recorded, done for this revision.
    Done(Sent),
    /// Worth another try (a server down, a timeout).
    Later(String),
}

/// Safe to run again: a page already told of this revision is skipped.
async fn send_for(app: &App, topic: TopicId) -> Result<(), JobError> {
    let now = app.now();
    let (links, revision, source, before) = {
        let mut conn = app.store().read().await?;
        // A deleted entry still tells the pages it told before.
        let Some(entry) = hearth_store::blogs::by_topic_even_deleted(&mut conn, topic).await?
        else {
            return Ok(());
        };
        let Some(t) = hearth_store::topics::by_id(&mut conn, topic, None).await? else {
            return Ok(());
        };
        let Some(opening) = hearth_store::posts::opening(&mut conn, topic, None).await? else {
            return Ok(());
        };
        let source = Url::parse(&app.link(&format!("/b/{}/{}", entry.blog_slug, entry.slug)))
            .map_err(|e| JobError::GiveUp(format!("the entry's address: {e}")))?;
        // Only a public entry names its links; one no longer public still
        // tells the pages it told before, which then find it gone.
        let public = super::feeds::public_topic(app, entry.blog_tier, &t);
        let links = if public && opening.deleted_at.is_none() && !opening.hidden {
            protocol::outbound_links(&opening.body_html, &source)
        } else {
            Vec::new()
        };
        let before = webmentions::sent(&mut conn, topic).await?;
        (links, opening.revision, source, before)
    };
    let reach = reach(app).await?;
    let mut later = Vec::new();
    for target in &links {
        let told_already = before
            .iter()
            .any(|s| s.target == target.as_str() && s.revision == revision);
        if told_already {
            continue;
        }
        match tell(app, reach, &source, target, revision, now).await {
            Told::Done(sent) => {
                let mut tx = app.store().write().await?;
                webmentions::record_sent(&mut tx, topic, &sent).await?;
                hearth_store::commit(tx).await?;
            }
            Told::Later(why) => later.push(format!("{target}: {why}")),
        }
    }
    // Pages the entry no longer links to hear once more, to take the mention away.
    for gone in before
        .iter()
        .filter(|s| !links.iter().any(|l| l.as_str() == s.target))
    {
        if gone.delivered {
            let Ok(target) = Url::parse(&gone.target) else {
                continue;
            };
            if let Told::Later(why) = tell(app, reach, &source, &target, revision, now).await {
                later.push(format!("{target}: {why}"));
                continue;
            }
        }
        let mut tx = app.store().write().await?;
        webmentions::forget_sent(&mut tx, topic, &gone.target).await?;
        hearth_store::commit(tx).await?;
    }
    if later.is_empty() {
        Ok(())
    } else {
        Err(JobError::Retry(format!(
            "{} of the entry's links could not be told yet: {}",
            later.len(),
            later.join("; ")
        )))
    }
}

/// Finds the page's endpoint and sends the mention there.
async fn tell(
    app: &App,
    reach: Reach,
    source: &Url,
    target: &Url,
    revision: i64,
    now: i64,
) -> Told {
    let done = |endpoint: Option<&Url>, delivered: bool, outcome: String| {
        Told::Done(Sent {
            target: target.to_string(),
            revision,
            endpoint: endpoint.map(|e| e.to_string()),
            outcome,
            delivered,
            sent_at: now,
        })
    };
    let page = match app.outbound().get(target, reach).await {
        Ok(page) if page.status.is_server_error() || page.status.as_u16() == 429 => {
            return Told::Later(format!("the page answered {}", page.status));
        }
        Ok(page) => page,
        Err(e) if transient(&e) => return Told::Later(e.to_string()),
        Err(e) => return done(None, false, format!("Not sent: {e}.")),
    };
    let Some(endpoint) = discover::endpoint(&page) else {
        return done(
            None,
            false,
            "The page takes no webmentions or pingbacks.".into(),
        );
    };
    let (url, answer) = match &endpoint {
        Endpoint::Webmention(url) => {
            let form = serde_urlencoded::to_string([
                ("source", source.as_str()),
                ("target", target.as_str()),
            ])
            .unwrap_or_default();
            let answer = app
                .outbound()
                .post(url, reach, "application/x-www-form-urlencoded", form)
                .await;
            (url, answer)
        }
        Endpoint::Pingback(url) => {
            let call = pingback::call(source.as_str(), target.as_str());
            (url, app.outbound().post(url, reach, "text/xml", call).await)
        }
    };
    let answer = match answer {
        Ok(a) if a.status.is_server_error() || a.status.as_u16() == 429 => {
            return Told::Later(format!("the endpoint answered {}", a.status));
        }
        Ok(a) => a,
        Err(e) if transient(&e) => return Told::Later(e.to_string()),
        Err(e) => return done(Some(url), false, format!("Not sent: {e}.")),
    };
    match endpoint {
        Endpoint::Webmention(_) if answer.status.is_success() => done(
            Some(url),
            true,
            format!("Webmention taken ({}).", answer.status),
        ),
        Endpoint::Webmention(_) => {
            let why: String = answer.text().chars().take(300).collect();
            done(
                Some(url),
                false,
                format!("Webmention refused ({}): {}", answer.status, why.trim()),
            )
        }
        Endpoint::Pingback(_) => match pingback::parse_response(&answer.text()) {
            Ok(_) => done(Some(url), true, "Pingback taken.".into()),
            // Already registered: the page knows of the entry.
            Err(f) if f.code == pingback::fault::ALREADY_REGISTERED => {
                done(Some(url), true, "Pingback already registered.".into())
            }
            Err(f) => done(
                Some(url),
                false,
                format!("Pingback refused (fault {}): {}", f.code, f.message),
            ),
        },
    }
}

/// Failures that may pass: the other site slow or unreachable now.
fn transient(e: &OutboundError) -> bool {
    matches!(e, OutboundError::Timeout | OutboundError::Network(_))
}
