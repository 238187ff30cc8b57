//! The checks every post passes before it is stored, whatever door it came in
//! by: rate limits, silences, watched words, the personal-detail guard, the
//! spam filter and crisis phrases. `screen` turns their findings into one
//! outcome: refuse, ask the author first, hold for a moderator, or publish.

use hearth_core::access::Viewer;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use hearth_core::guard::crisis::CrisisPhrases;
use hearth_core::guard::personal::{self, Finding};
use hearth_core::guard::spam::{self, Signals, SpamModel, Verdict};
use hearth_core::guard::words::{WatchedWords, WordLists};
use hearth_core::model::{DetailPolicy, HoldReason, Moderation};
use hearth_store::spaces::Space;
use hearth_store::{Batch, Conn, Returned, Returns, member_actions, posts, settings, throttle};
use serde::Serialize;

use super::Actor;
use crate::App;
use crate::error::{ServiceError, ServiceResult};

/// Site-wide safety settings, kept in the settings table.
pub mod keys {
    pub const VERSION: &str = "safety.version";
    pub const SPAM_VERSION: &str = "spam.version";
    pub const WATCHED_WORDS: &str = "safety.watched_words";
    pub const CRISIS_PHRASES: &str = "safety.crisis_phrases";
    pub const HELPLINES: &str = "safety.helplines";
    pub const DISCLAIMER: &str = "safety.medical_disclaimer";
    pub const NEW_MEMBER_POSTS: &str = "safety.new_member_posts";
    pub const FLAGS_TO_HIDE: &str = "safety.flags_to_hide";
    pub const POSTS_PER_MINUTE: &str = "safety.posts_per_minute";
    pub const NEW_MEMBER_POSTS_PER_MINUTE: &str = "safety.new_member_posts_per_minute";
    pub const ERASE_UNUSED_AFTER_DAYS: &str = "safety.erase_unused_after_days";
    pub const PRIVATE_ADDRESSES: &str = "safety.private_addresses";
}

pub const DEFAULT_HELPLINES: &str = "If you are in danger now, call **999** (UK) or **112** (anywhere in Europe).\n\n\
- **Samaritans** (UK and Ireland): call **116 123**, free, day or night.\n\
- **TelefonSeelsorge** (Deutschland): **0800 111 0 111** oder **0800 111 0 222**, kostenlos, rund um die Uhr.\n\
- **3114** (France) : numéro national de prévention du suicide, gratuit, 24 h/24.";

pub const DEFAULT_DISCLAIMER: &str = "Posts here share experiences and general information. They are not medical advice: please talk to your own doctor or nurse about your care.";

/// The numbers an admin sets, with their defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Approved posts after which a member's posts skip `new_members_pre`.
    pub new_member_posts: i64,
    /// Flags from different members that hide a post until a moderator decides.
    pub flags_to_hide: i64,
    pub posts_per_minute: i64,
    pub new_member_posts_per_minute: i64,
    /// Personal data of accounts unused this long is erased; 0: never.
    pub erase_unused_after_days: i64,
    /// Requests to other sites (webmentions) may go to loopback and private
    /// networks: for a closed network or tests, never a public site.
    pub private_addresses: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            new_member_posts: 3,
            flags_to_hide: 3,
            posts_per_minute: 6,
            new_member_posts_per_minute: 2,
            erase_unused_after_days: 3 * 365,
            private_addresses: false,
        }
    }
}

/// Everything admins configure.
pub struct Rules {
    pub word_lists: WordLists,
    pub crisis_text: String,
    pub helplines_md: String,
    pub disclaimer_md: String,
    pub limits: Limits,
    /// The stored watched words did not parse.
    words_unreadable: bool,
    /// Compiled when a post is first checked, not for the pages that show
    /// the disclaimer or the helplines: the default crisis phrases alone take
    /// 76 ms and 6 MiB to compile (2.3 MiB kept), which stayed resident in
    /// every server that had shown one topic page.
    checks: OnceLock<Checks>,
    /// The disclaimer as HTML, rendered when a page first shows it.
    disclaimer_html: OnceLock<String>,
}

/// The watched words and crisis phrases, compiled.
pub struct Checks {
    pub words: WatchedWords,
    pub crisis: CrisisPhrases,
    /// A stored list would not parse or compile (it was checked when saved,
    /// so this means a damaged database): posts are held rather than let
    /// through.
    pub damaged: bool,
}

impl Rules {
    pub fn disclaimer_html(&self) -> &str {
        self.disclaimer_html
            .get_or_init(|| hearth_core::text::render_markdown(&self.disclaimer_md))
    }

    pub fn checks(&self) -> &Checks {
        self.checks.get_or_init(|| {
            let mut damaged = self.words_unreadable;
            let words = WatchedWords::compile(&self.word_lists).unwrap_or_else(|e| {
                tracing::error!(error = %e, "stored watched words do not compile");
                damaged = true;
                WatchedWords::default()
            });
            let crisis = CrisisPhrases::compile(&self.crisis_text).unwrap_or_else(|e| {
                tracing::error!(error = %e, "stored crisis phrases do not compile");
                damaged = true;
                CrisisPhrases::defaults()
            });
            Checks {
                words,
                crisis,
                damaged,
            }
        })
    }
}

/// The rules and the spam model, reloaded when another node (or an admin
/// here) changes them.
#[derive(Default)]
pub struct Safety {
    rules: Loaded<Rules>,
    spam: Loaded<SpamModel>,
}

/// A value loaded from the database and kept while its version number in
/// the settings stays the same. Versions move only in shared writes, so
/// while no shared write has been committed (`App::changes`) the number
/// need not even be read again.
struct Loaded<T>(RwLock<Option<Version<T>>>);

struct Version<T> {
    value: Arc<T>,
    number: String,
    /// The count of shared writes when `number` was last read.
    confirmed_at: Option<u64>,
}

impl<T> Default for Loaded<T> {
    fn default() -> Self {
        Self(RwLock::new(None))
    }
}

impl<T> Loaded<T> {
    fn kept(&self, pick: impl FnOnce(&Version<T>) -> bool) -> Option<Arc<T>> {
        let slot = self.0.read().ok()?;
        let kept = slot.as_ref()?;
        pick(kept).then(|| kept.value.clone())
    }

    /// The value, if its version was confirmed at this count of shared writes.
    fn unchanged_since(&self, changes: Option<u64>) -> Option<Arc<T>> {
        self.kept(|k| changes.is_some() && k.confirmed_at == changes)
    }

    /// The value, unchanged since `changes` or still at the stored version
    /// `key`; otherwise loaded anew.
    async fn get(
        &self,
        conn: &mut Conn,
        key: &str,
        changes: Option<u64>,
        load: impl AsyncFnOnce(&mut Conn) -> ServiceResult<T>,
    ) -> ServiceResult<Arc<T>> {
        if let Some(value) = self.unchanged_since(changes) {
            return Ok(value);
        }
        let number = version(conn, key).await?;
        let value = match self.kept(|k| k.number == number) {
            Some(value) => value,
            None => Arc::new(load(conn).await?),
        };
        if let Ok(mut slot) = self.0.write() {
            *slot = Some(Version {
                value: value.clone(),
                number,
                confirmed_at: changes,
            });
        }
        Ok(value)
    }
}

async fn version(conn: &mut Conn, key: &str) -> ServiceResult<String> {
    Ok(settings::get(conn, key).await?.unwrap_or_default())
}

fn number(value: Option<String>, default: i64) -> i64 {
    value.and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn load_rules(conn: &mut Conn) -> ServiceResult<Rules> {
    let mut words_unreadable = false;
    let word_lists: WordLists = match settings::get(conn, keys::WATCHED_WORDS).await? {
        Some(json) => serde_json::from_str(&json).unwrap_or_else(|e| {
            tracing::error!(error = %e, "stored watched words do not parse");
            words_unreadable = true;
            WordLists::default()
        }),
        None => WordLists::default(),
    };
    let crisis_text = settings::get(conn, keys::CRISIS_PHRASES)
        .await?
        .unwrap_or_else(|| hearth_core::guard::crisis::DEFAULT_PHRASES.to_owned());
    let d = Limits::default();
    let limits = Limits {
        new_member_posts: number(
            settings::get(conn, keys::NEW_MEMBER_POSTS).await?,
            d.new_member_posts,
        ),
        flags_to_hide: number(
            settings::get(conn, keys::FLAGS_TO_HIDE).await?,
            d.flags_to_hide,
        ),
        posts_per_minute: number(
            settings::get(conn, keys::POSTS_PER_MINUTE).await?,
            d.posts_per_minute,
        ),
        new_member_posts_per_minute: number(
            settings::get(conn, keys::NEW_MEMBER_POSTS_PER_MINUTE).await?,
            d.new_member_posts_per_minute,
        ),
        erase_unused_after_days: number(
            settings::get(conn, keys::ERASE_UNUSED_AFTER_DAYS).await?,
            d.erase_unused_after_days,
        ),
        private_addresses: settings::get(conn, keys::PRIVATE_ADDRESSES)
            .await?
            .map_or(d.private_addresses, |v| v == "1"),
    };
    Ok(Rules {
        word_lists,
        crisis_text,
        helplines_md: settings::get(conn, keys::HELPLINES)
            .await?
            .unwrap_or_else(|| DEFAULT_HELPLINES.to_owned()),
        disclaimer_md: settings::get(conn, keys::DISCLAIMER)
            .await?
            .unwrap_or_else(|| DEFAULT_DISCLAIMER.to_owned()),
        limits,
        words_unreadable,
        checks: OnceLock::new(),
        disclaimer_html: OnceLock::new(),
    })
}

async fn load_spam(conn: &mut Conn) -> ServiceResult<SpamModel> {
    let mut model = SpamModel::starter();
    for (feature, ham, spam) in hearth_store::spam::counts(conn).await? {
        let (ham, spam) = (clamp(ham), clamp(spam));
        if hearth_store::spam::is_totals(&feature) {
            model.add_documents(ham, spam);
        } else {
            model.add_counts(&feature, ham, spam);
        }
    }
    Ok(model)
}

fn clamp(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

impl Safety {
    /// The current rules, reloaded if they changed.
    async fn rules(&self, app: &App, conn: &mut Conn) -> ServiceResult<Arc<Rules>> {
        let changes = changes_in_memory(app).await;
        self.rules
            .get(conn, keys::VERSION, changes, load_rules)
            .await
    }

    /// The current spam model, reloaded if it changed.
    async fn spam(&self, app: &App, conn: &mut Conn) -> ServiceResult<Arc<SpamModel>> {
        let changes = changes_in_memory(app).await;
        self.spam
            .get(conn, keys::SPAM_VERSION, changes, load_spam)
            .await
    }
}

/// The count of shared writes where it is kept in this process (SQLite). On
/// PostgreSQL reading it is a query too, no cheaper than reading a version,
/// so there the versions are read every time.
async fn changes_in_memory(app: &App) -> Option<u64> {
    match app.store().backend() {
        hearth_store::Backend::Sqlite => app.changes().await,
        hearth_store::Backend::Postgres => None,
    }
}

/// The current rules (for pages that show helplines or the disclaimer).
pub async fn rules(app: &App) -> ServiceResult<Arc<Rules>> {
    let changes = changes_in_memory(app).await;
    if let Some(rules) = app.safety().rules.unchanged_since(changes) {
        return Ok(rules);
    }
    let mut conn = app.store().read().await?;
    app.safety().rules(app, &mut conn).await
}

/// The current rules, read on a connection the caller holds.
pub async fn rules_on(app: &App, conn: &mut Conn) -> ServiceResult<Arc<Rules>> {
    app.safety().rules(app, conn).await
}

/// Marks the rules changed, on every node. Only in a shared write
/// (`Store::write`): those are what tell the kept rules to look again.
pub async fn bump_version(conn: &mut Conn, key: &str, now: i64) -> ServiceResult<()> {
    settings::set(conn, key, &now.to_string()).await?;
    Ok(())
}

/// How the post was sent, beyond its text.
#[derive(Clone, Debug, Default)]
pub struct Submission {
    /// From the form's first showing to sending it (None: not a form).
    pub typing_time: Option<Duration>,
    /// The hidden field people never see was filled in.
    pub honeypot_filled: bool,
    /// The author saw the warnings and chose to post anyway.
    pub acknowledged: bool,
    /// Who sent it, for limits on guests (a key derived from the address).
    pub client: String,
    /// Written by an operator's tool (the demo, an import): no rate limit,
    /// no spam check, no questions.
    pub imported: bool,
}

impl Submission {
    pub fn imported() -> Self {
        Self {
            acknowledged: true,
            imported: true,
            ..Default::default()
        }
    }
}

/// What a post needs before it goes out: the author should see this first.
#[derive(Clone, Debug, Serialize)]
pub struct Review {
    /// Personal details found in the text, with byte spans into `body`.
    pub findings: Vec<Finding>,
    /// In the title.
    pub title_findings: Vec<Finding>,
    pub policy: DetailPolicy,
    /// Words suggesting the author may be in danger: show the helplines.
    pub crisis: bool,
    pub helplines_md: String,
    pub body: String,
}

/// The outcome for a post that may go ahead.
#[derive(Debug, Default)]
pub struct Screened {
    pub title: String,
    pub body: String,
    /// Why it waits for a moderator (empty: it goes out now).
    pub hold: Vec<HoldReason>,
    /// Staff should look now (crisis phrases, a `flag` watched word).
    pub attention: Vec<HoldReason>,
    pub urgent: bool,
    /// What the checks found, for the moderator (JSON).
    pub detail: serde_json::Value,
}

impl Screened {
    pub fn held(&self) -> bool {
        !self.hold.is_empty()
    }

    /// Queues the post if it waits or needs a look.
    pub async fn queue(
        &self,
        conn: &mut Conn,
        post: hearth_core::model::PostId,
        now: i64,
    ) -> ServiceResult<()> {
        if self.hold.is_empty() && self.attention.is_empty() {
            return Ok(());
        }
        let mut reasons = self.hold.clone();
        reasons.extend(self.attention.iter().copied());
        // An edit of a post still waiting adds to why it waits.
        let earlier = hearth_store::queue::open_item(conn, post).await?;
        if let Some(item) = &earlier {
            for r in &item.reasons {
                if !reasons.contains(r) {
                    reasons.push(*r);
                }
            }
        }
        let detail = self.detail.to_string();
        hearth_store::queue::add(
            conn,
            hearth_store::queue::NewItem {
                post,
                held: self.held() || earlier.as_ref().is_some_and(|i| i.held),
                urgent: self.urgent || earlier.as_ref().is_some_and(|i| i.urgent),
                reasons: &reasons,
                detail: &detail,
            },
            now,
        )
        .await?;
        Ok(())
    }
}

/// A new post or an edit, as the checks see it.
pub struct Draft<'a> {
    pub space: &'a Space,
    pub title: Option<&'a str>,
    pub body: &'a str,
    /// The access decision already said the post waits (a guest in an open space).
    pub held_by_access: bool,
    /// An edit of an existing post: no rate limit.
    pub edit: bool,
    pub submission: &'a Submission,
    pub pace: Pace,
}

/// Which rate limit a text counts against: people write chat messages
/// faster than posts, so each has its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pace {
    /// The admins' posts per minute (fewer for new members).
    Posts,
    /// `CHAT_PER_MINUTE` (fewer for new members).
    Chat,
}

/// Chat messages a member may send a minute, and a new member.
pub const CHAT_PER_MINUTE: i64 = 30;
pub const CHAT_PER_MINUTE_NEW_MEMBER: i64 = 10;

/// Runs a check that must never lose a post: if it panics, the post is held.
fn guarded<T>(what: &str, check: impl FnOnce() -> T) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(check)) {
        Ok(v) => Some(v),
        Err(_) => {
            tracing::error!(check = what, "a safety check failed; the post is held");
            None
        }
    }
}

const MINUTE_MS: i64 = 60_000;

/// Every rule a post passes, in one place, for every door.
pub async fn screen(
    app: &App,
    conn: &mut Conn,
    actor: &Actor,
    draft: Draft<'_>,
) -> ServiceResult<Screened> {
    screen_ahead(app, conn, actor, draft)
        .await?
        .pace(app, conn)
        .await
}

/// A post that passed every check that only reads, still to be counted
/// against its author's rate limit: `pace` does that in the writing
/// transaction. (SQLite writes one transaction at a time, so a writer
/// checks first on a reader and holds its turn for the writes alone.)
#[must_use = "a screened post is counted against the rate limit before it is written"]
pub struct Unpaced {
    screened: Screened,
    /// The limit it counts against: none for staff, imports and edits.
    limit: Option<RateLimit>,
}

struct RateLimit {
    /// The blind index of who posts, and at which pace.
    key: Vec<u8>,
    per_minute: i64,
}

impl Unpaced {
    /// Counts the post against its author's limit, in the transaction that
    /// writes it (a refused post counts nothing).
    pub async fn pace(self, app: &App, conn: &mut Conn) -> ServiceResult<Screened> {
        if let Some(limit) = &self.limit {
            let hits = throttle::hit(conn, &limit.key, app.now(), MINUTE_MS).await?;
            within_limit(hits, limit.per_minute)?;
        }
        Ok(self.screened)
    }

    /// `pace` as a statement in the writer's batch, for a writer who sends
    /// its writes together: `Paced::check`, once the batch has run, refuses
    /// a post over the limit (and the writer's transaction must then be
    /// rolled back, as for any refusal).
    pub fn pace_in(self, app: &App, batch: &mut Batch) -> (Screened, Paced) {
        let paced = self.limit.map(|limit| {
            let hit = throttle::hit_in(batch, &limit.key, app.now(), MINUTE_MS);
            (hit, limit.per_minute)
        });
        (self.screened, Paced(paced))
    }

    /// The post as it will be written (the checks may have changed its text).
    pub fn screened(&self) -> &Screened {
        &self.screened
    }
}

/// A post's count against its author's limit, in a batch (`pace_in`).
#[must_use = "a post over its author's limit is refused by `check`"]
pub struct Paced(Option<(Returns, i64)>);

impl Paced {
    pub fn check(self, returned: &Returned) -> ServiceResult<()> {
        match self.0 {
            Some((hit, per_minute)) => {
                within_limit(throttle::hits(hit.rows(returned))?, per_minute)
            }
            None => Ok(()),
        }
    }
}

/// Refuses a post that made `hits` in the limit's minute.
fn within_limit(hits: i64, per_minute: i64) -> ServiceResult<()> {
    if hits > per_minute.max(1) {
        return Err(ServiceError::Throttled {
            retry_after_secs: 60,
        });
    }
    Ok(())
}

/// `screen` without the rate limit, which `Unpaced::pace` counts.
pub async fn screen_ahead(
    app: &App,
    conn: &mut Conn,
    actor: &Actor,
    draft: Draft<'_>,
) -> ServiceResult<Unpaced> {
    let now = app.now();
    let account = actor.signed_in();
    let reviewer = actor.viewer().reviews();
    if let Some(a) = account
        && a.silenced(now)
    {
        return Err(silenced_error(conn, a, now).await?);
    }
    let rules = app.safety().rules(app, conn).await?;
    let spam_model = app.safety().spam(app, conn).await?;
    let checks = rules.checks();
    let new_member = account.is_none_or(|a| a.approved_posts < rules.limits.new_member_posts);
    // Staff and operators' imports are not checked for spam; edits are, so
    // that spam cannot be edited into a post once it is approved.
    let automatic = reviewer || draft.submission.imported;
    let limit = (!automatic && !draft.edit).then(|| {
        rate_limit(
            app,
            actor,
            draft.pace,
            &rules.limits,
            new_member,
            &draft.submission.client,
        )
    });

    let mut out = Screened {
        title: draft.title.unwrap_or_default().to_owned(),
        body: draft.body.to_owned(),
        ..Default::default()
    };
    let mut detail = serde_json::Map::new();
    let hold = |out: &mut Screened, r: HoldReason| {
        if !out.hold.contains(&r) {
            out.hold.push(r);
        }
    };

    // Watched words: block refuses, replace rewrites, the others queue.
    let checked = guarded("watched words", || {
        (
            checks.words.check(&out.title),
            checks.words.check(&out.body),
        )
    });
    match checked {
        Some((title_words, body_words)) => {
            let blocked: Vec<_> = title_words
                .blocked
                .iter()
                .chain(&body_words.blocked)
                .map(|h| h.entry.clone())
                .collect();
            if !blocked.is_empty() {
                return Err(ServiceError::field(
                    "body",
                    format!(
                        "Your post uses words that are not allowed here: {}. Please change them and send it again.",
                        quote_list(&blocked)
                    ),
                ));
            }
            if let Some(t) = title_words.replaced.clone() {
                out.title = t;
            }
            if let Some(b) = body_words.replaced.clone() {
                out.body = b;
            }
            let approval: Vec<_> = title_words
                .require_approval
                .iter()
                .chain(&body_words.require_approval)
                .map(|h| h.entry.clone())
                .collect();
            let flagged: Vec<_> = title_words
                .flagged
                .iter()
                .chain(&body_words.flagged)
                .map(|h| h.entry.clone())
                .collect();
            if !approval.is_empty() && !reviewer {
                hold(&mut out, HoldReason::WatchedWord);
            } else if !flagged.is_empty() {
                out.attention.push(HoldReason::WatchedWord);
            }
            if !approval.is_empty() || !flagged.is_empty() {
                detail.insert(
                    "watched_words".into(),
                    serde_json::json!({ "require_approval": approval, "flag": flagged }),
                );
            }
        }
        None => hold(&mut out, HoldReason::WatchedWord),
    }
    if checks.damaged && !reviewer {
        hold(&mut out, HoldReason::WatchedWord);
    }

    // Personal details and crisis phrases: the author sees them first.
    let found = guarded("personal details", || {
        (personal::find(&out.title), personal::find(&out.body))
    });
    let (title_findings, findings) = match found {
        Some(f) => f,
        None => {
            hold(&mut out, HoldReason::PersonalDetails);
            (Vec::new(), Vec::new())
        }
    };
    let crisis = guarded("crisis phrases", || {
        !checks.crisis.find(&out.title).is_empty() || !checks.crisis.find(&out.body).is_empty()
    })
    .unwrap_or(true);
    let has_details = !findings.is_empty() || !title_findings.is_empty();
    if (has_details || crisis) && !draft.submission.acknowledged {
        return Err(ServiceError::CheckFirst(Box::new(Review {
            findings,
            title_findings,
            policy: draft.space.detail_policy,
            crisis,
            helplines_md: rules.helplines_md.clone(),
            body: out.body,
        })));
    }
    if has_details {
        let mut found =
            serde_json::to_value(findings.iter().chain(&title_findings).collect::<Vec<_>>())
                .unwrap_or_default();
        if draft.space.detail_policy == DetailPolicy::Redact {
            // Removed from the post, the details are not kept for the queue either.
            for f in found.as_array_mut().into_iter().flatten() {
                if let Some(f) = f.as_object_mut() {
                    f.remove("text");
                }
            }
        }
        detail.insert("personal_details".into(), found);
        match draft.space.detail_policy {
            DetailPolicy::Warn => {}
            DetailPolicy::Hold if reviewer => {}
            DetailPolicy::Hold => hold(&mut out, HoldReason::PersonalDetails),
            DetailPolicy::Redact => {
                out.title = personal::redact(&out.title, &title_findings);
                out.body = personal::redact(&out.body, &findings);
            }
        }
    }
    if crisis {
        out.urgent = true;
        out.attention.push(HoldReason::Crisis);
    }

    // Spam: new posts by people who are not staff.
    if !automatic {
        let repeats = posts::count_same_text(
            conn,
            posts::fingerprint(out.body.trim()),
            now - super::DAY_MS,
        )
        .await?;
        let signals = Signals {
            new_account: account
                .is_none_or(|a| a.approved_posts == 0 || now - a.created_at < super::DAY_MS),
            first_post: account.is_none_or(|a| a.approved_posts == 0),
            typing_time: draft.submission.typing_time,
            honeypot_filled: draft.submission.honeypot_filled,
            repeats: u32::try_from(repeats).unwrap_or(u32::MAX),
        };
        let text = format!("{}\n{}", out.title, out.body);
        match guarded("spam filter", || spam::judge(&spam_model, &text, &signals)) {
            // Members with a record of approved posts are trusted over the
            // text model's doubts; only a certain verdict stops them.
            Some(verdict) if verdict.action == spam::Action::Hold && !new_member => {}
            Some(verdict) => apply_spam_verdict(&mut out, &mut detail, verdict)?,
            None => hold(&mut out, HoldReason::Spam),
        }
    }

    // The space's own moderation, and guests (always checked first).
    if draft.held_by_access {
        hold(&mut out, HoldReason::Guest);
    }
    if !reviewer {
        match draft.space.moderation {
            // An edit is checked like a new post: a published one is hidden
            // until then.
            Moderation::Pre => hold(&mut out, HoldReason::PreModerated),
            Moderation::NewMembersPre if new_member => hold(&mut out, HoldReason::NewMember),
            _ => {}
        }
    }
    out.detail = serde_json::Value::Object(detail);
    Ok(Unpaced {
        screened: out,
        limit,
    })
}

fn apply_spam_verdict(
    out: &mut Screened,
    detail: &mut serde_json::Map<String, serde_json::Value>,
    verdict: Verdict,
) -> ServiceResult<()> {
    match verdict.action {
        spam::Action::Allow => {}
        spam::Action::Hold => {
            out.hold.push(HoldReason::Spam);
            detail.insert(
                "spam".into(),
                serde_json::to_value(&verdict).unwrap_or_default(),
            );
        }
        spam::Action::Reject => {
            tracing::info!(score = verdict.score, "post refused as spam");
            return Err(ServiceError::field(
                "body",
                "This looks like advertising or spam, so it was not posted. If we got it wrong, please take out the links and send it again, or contact the moderators.",
            ));
        }
    }
    Ok(())
}

fn quote_list(words: &[String]) -> String {
    let mut unique: Vec<&str> = words.iter().map(String::as_str).collect();
    unique.sort_unstable();
    unique.dedup();
    unique
        .iter()
        .map(|w| format!("“{w}”"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The limit a post counts against: posts (or chat messages) per minute per
/// member (fewer for new members) or per guest address, counted in the
/// database (`Unpaced::pace`) so that it holds across nodes.
fn rate_limit(
    app: &App,
    actor: &Actor,
    pace: Pace,
    limits: &Limits,
    new_member: bool,
    client: &str,
) -> RateLimit {
    let (per_minute, kind) = match (pace, new_member) {
        (Pace::Posts, true) => (limits.new_member_posts_per_minute, "post"),
        (Pace::Posts, false) => (limits.posts_per_minute, "post"),
        (Pace::Chat, true) => (CHAT_PER_MINUTE_NEW_MEMBER, "chat"),
        (Pace::Chat, false) => (CHAT_PER_MINUTE, "chat"),
    };
    let who = match actor.signed_in() {
        Some(a) => format!("{kind}:{}", a.id),
        None => format!("{kind}-guest:{client}"),
    };
    RateLimit {
        key: app.store().sealer().blind_index(&who),
        per_minute,
    }
}

async fn silenced_error(
    conn: &mut Conn,
    account: &hearth_store::accounts::Account,
    now: i64,
) -> ServiceResult<ServiceError> {
    let reason = member_actions::for_account(conn, account.id)
        .await?
        .into_iter()
        .find(|a| a.kind == hearth_core::model::MemberActionKind::Silence && a.in_force(now))
        .map(|a| a.reason)
        .unwrap_or_default();
    let until = match account.silenced_until {
        Some(hearth_store::accounts::FOR_GOOD) | None => "further notice".to_owned(),
        Some(t) => super::human_time(t),
    };
    Ok(ServiceError::Forbidden(format!(
        "A moderator has paused your posting until {until}. You can still read. Their reason: {reason}"
    )))
}

fn require_admin(actor: &Actor) -> ServiceResult<()> {
    actor.require(
        Viewer::administers,
        "Only admins can see and change the safety settings.",
    )
}

/// The settings in force, for an admin to see and change.
pub async fn settings(app: &App, actor: &Actor) -> ServiceResult<Arc<Rules>> {
    require_admin(actor)?;
    rules(app).await
}

/// What an admin typed on the safety settings page.
#[derive(Clone, Debug, Default)]
pub struct SettingsForm {
    pub new_member_posts: String,
    pub flags_to_hide: String,
    pub posts_per_minute: String,
    pub new_member_posts_per_minute: String,
    pub erase_unused_after_days: String,
    pub private_addresses: bool,
    pub helplines: String,
    pub disclaimer: String,
    pub crisis_phrases: String,
    pub words: WordLists,
}

impl SettingsForm {
    pub fn from_rules(r: &Rules) -> Self {
        Self {
            new_member_posts: r.limits.new_member_posts.to_string(),
            flags_to_hide: r.limits.flags_to_hide.to_string(),
            posts_per_minute: r.limits.posts_per_minute.to_string(),
            new_member_posts_per_minute: r.limits.new_member_posts_per_minute.to_string(),
            erase_unused_after_days: r.limits.erase_unused_after_days.to_string(),
            private_addresses: r.limits.private_addresses,
            helplines: r.helplines_md.clone(),
            disclaimer: r.disclaimer_md.clone(),
            crisis_phrases: r.crisis_text.clone(),
            words: r.word_lists.clone(),
        }
    }
}

const TEXT_MAX_CHARS: usize = 20_000;

/// Saves the safety settings. A list that does not compile is refused with
/// its line and reason, and the lists in force stay as they were.
pub async fn save_settings(app: &App, actor: &Actor, form: &SettingsForm) -> ServiceResult<()> {
    require_admin(actor)?;
    let mut problems = crate::error::Problems::default();
    let mut number =
        |field: &'static str, text: &str, range: std::ops::RangeInclusive<i64>| match text
            .trim()
            .parse::<i64>()
        {
            Ok(n) if range.contains(&n) => n,
            _ => {
                problems.add(
                    field,
                    format!(
                        "Enter a whole number from {} to {}.",
                        range.start(),
                        range.end()
                    ),
                );
                0
            }
        };
    let limits = Limits {
        new_member_posts: number("new_member_posts", &form.new_member_posts, 0..=100),
        flags_to_hide: number("flags_to_hide", &form.flags_to_hide, 1..=50),
        posts_per_minute: number("posts_per_minute", &form.posts_per_minute, 1..=120),
        new_member_posts_per_minute: number(
            "new_member_posts_per_minute",
            &form.new_member_posts_per_minute,
            1..=120,
        ),
        erase_unused_after_days: number(
            "erase_unused_after_days",
            &form.erase_unused_after_days,
            0..=36_500,
        ),
        private_addresses: form.private_addresses,
    };
    let clean = |t: &str| hearth_core::text::clean_text(t.trim());
    let helplines = clean(&form.helplines);
    let disclaimer = clean(&form.disclaimer);
    let crisis = clean(&form.crisis_phrases);
    for (field, text) in [
        ("helplines", &helplines),
        ("disclaimer", &disclaimer),
        ("crisis_phrases", &crisis),
    ] {
        if text.chars().count() > TEXT_MAX_CHARS {
            problems.add(
                field,
                format!("Keep this under {TEXT_MAX_CHARS} characters."),
            );
        }
    }
    if helplines.is_empty() {
        problems.add(
            "helplines",
            "Give at least one helpline: people in crisis are shown it.",
        );
    }
    if let Err(e) = CrisisPhrases::compile(&crisis) {
        problems.add(
            "crisis_phrases",
            format!("The crisis phrases were not saved: {e}. The previous list stays in force."),
        );
    }
    let words = WordLists {
        block: clean(&form.words.block),
        require_approval: clean(&form.words.require_approval),
        flag: clean(&form.words.flag),
        replace: clean(&form.words.replace),
    };
    if let Err(e) = WatchedWords::compile(&words) {
        problems.add(
            word_field(e.action),
            format!("The watched words were not saved: {e}. The previous lists stay in force."),
        );
    }
    problems.into_result()?;
    let now = app.now();
    let mut tx = app.store().write().await?;
    let before = rules_on(app, &mut tx).await?;
    let words_json = serde_json::to_string(&words)
        .map_err(|e| ServiceError::Internal(format!("watched words: {e}")))?;
    for (key, value) in [
        (keys::NEW_MEMBER_POSTS, limits.new_member_posts.to_string()),
        (keys::FLAGS_TO_HIDE, limits.flags_to_hide.to_string()),
        (keys::POSTS_PER_MINUTE, limits.posts_per_minute.to_string()),
        (
            keys::NEW_MEMBER_POSTS_PER_MINUTE,
            limits.new_member_posts_per_minute.to_string(),
        ),
        (
            keys::ERASE_UNUSED_AFTER_DAYS,
            limits.erase_unused_after_days.to_string(),
        ),
        (
            keys::PRIVATE_ADDRESSES,
            i64::from(limits.private_addresses).to_string(),
        ),
        (keys::HELPLINES, helplines),
        (keys::DISCLAIMER, disclaimer),
        (keys::CRISIS_PHRASES, crisis),
        (keys::WATCHED_WORDS, words_json),
    ] {
        settings::set(&mut tx, key, &value).await?;
    }
    bump_version(&mut tx, keys::VERSION, now).await?;
    let mut changed = Vec::new();
    if before.limits != limits {
        changed.push("limits");
    }
    if before.word_lists != words {
        changed.push("watched words");
    }
    if before.crisis_text != form.crisis_phrases.trim() {
        changed.push("crisis phrases");
    }
    super::audit::record(
        &mut tx,
        actor,
        "settings.safety",
        super::audit::Target::Site,
        "",
        &changed.join(", "),
        now,
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

fn word_field(action: hearth_core::guard::words::WordAction) -> &'static str {
    use hearth_core::guard::words::WordAction;
    match action {
        WordAction::Block => "words_block",
        WordAction::RequireApproval => "words_require_approval",
        WordAction::Flag => "words_flag",
        WordAction::Replace => "words_replace",
    }
}

/// The spam filter's verdict on a text as a first post of a new account
/// (for `hearth guard spam`: operators see why a post was held).
pub async fn spam_verdict(app: &App, text: &str) -> ServiceResult<Verdict> {
    let mut conn = app.store().read().await?;
    let model = app.safety().spam(app, &mut conn).await?;
    let signals = Signals {
        new_account: true,
        first_post: true,
        ..Default::default()
    };
    Ok(spam::judge(&model, text, &signals))
}

/// What `hearth admin spam-train` did.
pub struct TrainingReport {
    pub decisions: usize,
    pub spam_decisions: usize,
    pub precision: f64,
    pub recall: f64,
}

/// Rebuilds the learned counts from every moderator's decision kept, so that
/// counts stay exactly what the decisions say; every node reloads the model.
pub async fn retrain_spam(app: &App) -> ServiceResult<TrainingReport> {
    let (train, heldout) = spam::split(spam::STARTER_CORPUS);
    let evaluation = spam::evaluate(&SpamModel::train(&train), &heldout);
    let mut tx = app.store().write().await?;
    let examples = hearth_store::spam::examples(&mut tx).await?;
    hearth_store::spam::clear_counts(&mut tx).await?;
    for (is_spam, text) in &examples {
        hearth_store::spam::learn(&mut tx, &spam::features(text), *is_spam).await?;
    }
    bump_version(&mut tx, keys::SPAM_VERSION, app.now()).await?;
    hearth_store::commit(tx).await?;
    Ok(TrainingReport {
        decisions: examples.len(),
        spam_decisions: examples.iter().filter(|(s, _)| *s).count(),
        precision: evaluation.precision(),
        recall: evaluation.recall(),
    })
}
