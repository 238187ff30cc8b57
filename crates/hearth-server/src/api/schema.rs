//! The shapes the API speaks, documented for the OpenAPI document.

use hearth_core::access::Viewer;
use hearth_core::model::{Alias, Role};
use hearth_store::accounts::Account;
use hearth_store::posts::{Post, Revision};
use hearth_store::spaces::Space;
use hearth_store::topics::Topic;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub(super) use crate::services::rfc3339;

/// Who wrote something: a member by alias, or a guest by the name they gave.
#[derive(Serialize, ToSchema)]
pub struct AuthorOut {
    #[schema(example = "rose")]
    pub name: String,
    /// `member` or `guest`.
    #[schema(example = "member")]
    pub kind: &'static str,
    /// `volunteer`, `staff`, `moderator` or `admin`; absent for members and guests.
    pub role: Option<&'static str>,
}

impl AuthorOut {
    pub(super) fn new(alias: Option<&Alias>, role: Option<Role>, guest: Option<&str>) -> Self {
        match alias {
            Some(a) => Self {
                name: a.to_string(),
                kind: "member",
                role: role.filter(|r| *r != Role::Member).map(Role::as_str),
            },
            None => Self {
                name: guest.unwrap_or("Guest").into(),
                kind: "guest",
                role: None,
            },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SpaceOut {
    #[schema(example = "living-with-cancer")]
    pub slug: String,
    pub name: String,
    pub description: String,
    pub position: i64,
    /// `forum` or `blog`.
    pub kind: &'static str,
    /// `members_only`, `public_read` or `open`.
    #[schema(example = "public_read")]
    pub tier: &'static str,
    /// Who can see posts here, in plain words.
    pub audience: &'static str,
    /// `post`, `pre` or `new_members_pre`.
    pub moderation: &'static str,
    /// `warn`, `hold` or `redact`.
    pub detail_policy: &'static str,
    pub medical: bool,
    pub topic_count: i64,
    pub post_count: i64,
    pub last_activity_at: Option<String>,
}

impl From<&Space> for SpaceOut {
    fn from(s: &Space) -> Self {
        Self {
            slug: s.slug.to_string(),
            name: s.name.clone(),
            description: s.description.clone(),
            position: s.position,
            kind: s.kind.as_str(),
            tier: s.tier.as_str(),
            audience: s.tier.audience(),
            moderation: s.moderation.as_str(),
            detail_policy: s.detail_policy.as_str(),
            medical: s.medical,
            topic_count: s.topic_count,
            post_count: s.post_count,
            last_activity_at: s.last_activity_at.map(rfc3339),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TopicOut {
    pub id: i64,
    /// The slug of its space.
    pub space: String,
    pub title: String,
    pub author: AuthorOut,
    pub created_at: String,
    pub last_activity_at: String,
    pub reply_count: i64,
    pub pinned: bool,
    pub locked: bool,
    /// Waiting for a moderator (visible only to its author and moderators).
    pub held: bool,
    pub deleted: bool,
    /// For a signed-in caller: whether there is something they have not read.
    pub unread: Option<bool>,
}

impl TopicOut {
    pub fn new(t: &Topic, signed_in: bool) -> Self {
        Self {
            id: t.id.0,
            space: t.space_slug.clone(),
            title: t.title.clone(),
            author: AuthorOut::new(
                t.author_alias.as_ref(),
                t.author_role,
                t.guest_name.as_deref(),
            ),
            created_at: rfc3339(t.created_at),
            last_activity_at: rfc3339(t.last_activity_at),
            reply_count: t.reply_count,
            pinned: t.pinned,
            locked: t.locked,
            held: t.held,
            deleted: t.deleted,
            unread: signed_in.then(|| t.last_read_post_id.is_none() || t.has_unread()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PostOut {
    pub id: i64,
    pub topic_id: i64,
    pub author: AuthorOut,
    /// The post this one replies to, if any.
    pub reply_to: Option<i64>,
    /// The text as written (Markdown); absent when deleted (for all but
    /// moderators) or hidden (for all but its author and staff).
    pub body_markdown: Option<String>,
    /// The text as safe HTML.
    pub body_html: Option<String>,
    pub created_at: String,
    pub edited_at: Option<String>,
    /// 1 for a post never edited; each edit adds one.
    pub revision: i64,
    pub held: bool,
    /// Hidden while moderators look at it (flags, or an edit under review).
    pub hidden: bool,
    pub deleted: bool,
    pub like_count: i64,
    /// Whether the caller likes it.
    pub liked: bool,
}

impl PostOut {
    pub fn new(p: &Post, viewer: Viewer) -> Self {
        let shown =
            hearth_core::access::sight(viewer, p.state()) == hearth_core::access::Sight::Text;
        Self {
            id: p.id.0,
            topic_id: p.topic_id.0,
            author: AuthorOut::new(
                p.author_alias.as_ref(),
                p.author_role,
                p.guest_name.as_deref(),
            ),
            reply_to: p.reply_to_id.map(|r| r.0),
            body_markdown: shown.then(|| p.body_md.clone()),
            body_html: shown.then(|| p.body_html.clone()),
            created_at: rfc3339(p.created_at),
            edited_at: p.edited_at.map(rfc3339),
            revision: p.revision,
            held: p.held,
            hidden: p.hidden,
            deleted: p.deleted_at.is_some(),
            like_count: p.like_count,
            liked: p.liked_by_viewer,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RevisionOut {
    /// The text of version `revision`, replaced by the next edit.
    pub revision: i64,
    pub body_markdown: String,
    pub editor: Option<String>,
    pub replaced_at: String,
}

impl From<&Revision> for RevisionOut {
    fn from(r: &Revision) -> Self {
        Self {
            revision: r.revision,
            body_markdown: r.body_md.clone(),
            editor: r.editor_alias.clone(),
            replaced_at: rfc3339(r.replaced_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AccountOut {
    pub alias: String,
    #[schema(example = "member")]
    pub role: &'static str,
    pub email_verified: bool,
    pub created_at: String,
}

impl From<&Account> for AccountOut {
    fn from(a: &Account) -> Self {
        Self {
            alias: a.alias.to_string(),
            role: a.role.as_str(),
            email_verified: a.email_verified,
            created_at: rfc3339(a.created_at),
        }
    }
}

/// The caller's own account; the email address is shown only to its owner.
#[derive(Serialize, ToSchema)]
pub struct MeOut {
    #[serde(flatten)]
    pub account: AccountOut,
    pub email: String,
    pub unread_notifications: i64,
}

#[derive(Serialize, ToSchema)]
pub struct TopicPageOut {
    pub space: SpaceOut,
    pub topic: TopicOut,
    pub posts: Vec<PostOut>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<i64>,
    pub watching: bool,
    /// Whether the caller may reply (`allowed`, `held`: accepted for moderation, `sign_in`, or `closed`).
    #[schema(example = "allowed")]
    pub reply: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct TopicListOut {
    pub topics: Vec<TopicOut>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PostedOut {
    pub topic_id: i64,
    pub post_id: i64,
    /// True when the post waits for a moderator before others see it.
    pub held: bool,
}

/// The reply decision as a word for clients.
pub fn reply_label(d: hearth_core::access::Decision) -> &'static str {
    use hearth_core::access::Decision::*;
    match d {
        Allow => "allowed",
        AllowHeld => "held",
        SignIn => "sign_in",
        Forbidden(_) | Hidden => "closed",
    }
}

// ---- inputs

#[derive(Deserialize, ToSchema)]
pub struct RegisterIn {
    pub alias: String,
    pub email: String,
    pub password: String,
    /// Must be true when terms are published.
    #[serde(default)]
    pub accept_terms: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct SignInIn {
    pub email: String,
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct NewTopicIn {
    pub title: String,
    /// Markdown.
    pub body: String,
    /// Guests only (open spaces): the name to sign with.
    #[serde(default)]
    pub guest_name: Option<String>,
    /// Post even though the checks found personal details or words of crisis
    /// (a first attempt without it answers 422 `check-first` with what was found).
    #[serde(default)]
    pub acknowledge_warnings: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct NewPostIn {
    /// Markdown.
    pub body: String,
    /// The post this replies to (in the same topic).
    #[serde(default)]
    pub reply_to: Option<i64>,
    #[serde(default)]
    pub guest_name: Option<String>,
    /// Post even though the checks found personal details or words of crisis
    /// (a first attempt without it answers 422 `check-first` with what was found).
    #[serde(default)]
    pub acknowledge_warnings: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct EditPostIn {
    pub body: String,
    /// Only for a topic's opening post: the topic's new title.
    #[serde(default)]
    pub title: Option<String>,
    /// Post even though the checks found personal details or words of crisis
    /// (a first attempt without it answers 422 `check-first` with what was found).
    #[serde(default)]
    pub acknowledge_warnings: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct TopicStateIn {
    pub pinned: Option<bool>,
    pub locked: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChangeIn {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct EmailIn {
    pub email: String,
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordIn {
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct TokenIn {
    pub token: String,
}

#[derive(Deserialize, ToSchema)]
pub struct NewApiTokenIn {
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ApiTokenOut {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// Only when created: the secret, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// A private feed token.
#[derive(Serialize, ToSchema)]
pub struct FeedTokenOut {
    pub created_at: String,
    /// Only when made: the token, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Only when made: the site's RSS feed read with the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss: Option<String>,
    /// Only when made: the site's Atom feed read with the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub atom: Option<String>,
}

impl From<&hearth_store::tokens::ApiToken> for ApiTokenOut {
    fn from(t: &hearth_store::tokens::ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            created_at: rfc3339(t.created_at),
            last_used_at: t.last_used_at.map(rfc3339),
            token: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NotificationOut {
    pub id: i64,
    /// `reply`, `mention` or `approved`.
    pub kind: &'static str,
    pub topic_id: i64,
    pub topic_title: String,
    pub post_id: i64,
    pub actor: Option<String>,
    pub created_at: String,
    pub read: bool,
}

impl From<&hearth_store::notifications::Notification> for NotificationOut {
    fn from(n: &hearth_store::notifications::Notification) -> Self {
        Self {
            id: n.id,
            kind: n.kind.as_str(),
            topic_id: n.topic_id.0,
            topic_title: n.topic_title.clone(),
            post_id: n.post_id.0,
            actor: n.actor_alias.clone(),
            created_at: rfc3339(n.created_at),
            read: n.read,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DocumentOut {
    pub id: i64,
    /// `privacy` or `terms`.
    pub kind: &'static str,
    pub version: i64,
    pub body_markdown: String,
    pub published_at: String,
}

impl From<&hearth_store::legal::Document> for DocumentOut {
    fn from(d: &hearth_store::legal::Document) -> Self {
        Self {
            id: d.id,
            kind: d.kind.as_str(),
            version: d.version,
            body_markdown: d.body_md.clone(),
            published_at: rfc3339(d.published_at),
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct AcceptIn {
    /// The ids of the documents the member read and accepts.
    pub documents: Vec<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct BodyIn {
    pub body: String,
}

#[derive(Deserialize, ToSchema)]
pub struct SpaceIn {
    pub name: String,
    /// Made from the name when absent.
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub position: Option<i64>,
    /// `members_only`, `public_read` or `open`.
    pub tier: String,
    /// `post` (default), `pre` or `new_members_pre`.
    #[serde(default)]
    pub moderation: Option<String>,
    /// What happens to posts with personal details: `warn` (default), `hold` or `redact`.
    #[serde(default)]
    pub detail_policy: Option<String>,
    /// Topics show the medical disclaimer.
    #[serde(default)]
    pub medical: bool,
    /// `forum` (default) or `blog`; fixed once the space exists.
    #[serde(default)]
    pub kind: Option<String>,
    /// Blogs: comments close this many days after publication (absent: the site's setting).
    #[serde(default)]
    pub comments_close_days: Option<i64>,
    /// Blogs: aliases of the staff and volunteers who write entries.
    #[serde(default)]
    pub writers: Vec<String>,
}

/// Site settings (admins).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SiteSettingsIo {
    /// The organization's IANA time zone, such as `Europe/London` (chat
    /// rooms' opening hours are in it).
    pub time_zone: String,
}

#[derive(Deserialize, ToSchema)]
pub struct RoleIn {
    /// `member`, `volunteer`, `staff`, `moderator` or `admin`.
    pub role: String,
}

/// A page on another site that mentions an entry (webmention or pingback).
#[derive(Serialize, ToSchema)]
pub struct MentionOut {
    pub id: i64,
    /// The page that mentions the entry.
    pub source: String,
    /// `mention`, `reply`, `like`, `repost` or `bookmark`.
    pub kind: &'static str,
    pub title: String,
    /// Empty when the page names none.
    pub author: String,
    pub excerpt: String,
    /// `webmention` or `pingback`.
    pub protocol: String,
    /// `held`, `approved` or `rejected`.
    pub status: &'static str,
    pub received_at: String,
    /// The entry mentioned.
    pub entry_title: String,
    pub entry_url: String,
}

impl MentionOut {
    pub fn new(m: &hearth_store::webmentions::Mention) -> Self {
        Self {
            id: m.id,
            source: m.source.clone(),
            kind: m.kind.as_str(),
            title: m.title.clone(),
            author: m.author.clone(),
            excerpt: m.excerpt.clone(),
            protocol: m.protocol.clone(),
            status: m.status.as_str(),
            received_at: rfc3339(m.received_at),
            entry_title: m.entry_title.clone(),
            entry_url: m.entry_path.clone(),
        }
    }
}
