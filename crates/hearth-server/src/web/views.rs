//! Small view models: data shaped for templates, with times and names
//! already formatted.

use std::borrow::Cow;

use hearth_core::access::{Action, Decision, Sight, Viewer, decide, sight};
use hearth_core::model::{Role, Tier};
use hearth_store::posts::Post;
use hearth_store::topics::Topic;

pub use crate::services::Moment;

/// How an author is named: by alias (linked), or a guest's chosen name.
pub struct Author {
    pub name: String,
    pub href: Option<String>,
    pub badge: Option<&'static str>,
    /// A member's alias (None for guests).
    pub alias: Option<String>,
}

impl Author {
    pub fn new(
        alias: Option<&hearth_core::model::Alias>,
        role: Option<Role>,
        guest_name: Option<&str>,
    ) -> Self {
        match alias {
            // An erased account has no profile to link to.
            Some(alias) if alias.as_str() == hearth_store::personal_data::FORMER_MEMBER => Self {
                name: alias.to_string(),
                href: None,
                badge: None,
                alias: None,
            },
            Some(alias) => Self {
                name: alias.to_string(),
                href: Some(format!("/u/{alias}")),
                badge: role.and_then(Role::label),
                alias: Some(alias.to_string()),
            },
            None => Self {
                name: guest_name.unwrap_or("Guest").to_owned(),
                href: None,
                badge: Some("Guest"),
                alias: None,
            },
        }
    }
}

pub struct TopicItem {
    pub href: String,
    pub title: String,
    pub author: Author,
    pub replies: i64,
    pub last_activity: Moment,
    pub pinned: bool,
    pub locked: bool,
    pub held: bool,
    pub deleted: bool,
    pub unread: bool,
    pub space_name: String,
    pub space_href: String,
}

impl TopicItem {
    pub fn new(t: &Topic, signed_in: bool) -> Self {
        Self {
            href: format!("/t/{}", t.id),
            title: t.title.clone(),
            author: Author::new(
                t.author_alias.as_ref(),
                t.author_role,
                t.guest_name.as_deref(),
            ),
            replies: t.reply_count,
            last_activity: Moment::from_ms(t.last_activity_at),
            pinned: t.pinned,
            locked: t.locked,
            held: t.held,
            deleted: t.deleted,
            unread: signed_in && (t.last_read_post_id.is_none() || t.has_unread()),
            space_name: t.space_name.clone(),
            space_href: format!("/s/{}", t.space_slug),
        }
    }
}

pub struct PostView<'a> {
    pub id: i64,
    pub href: String,
    pub author: Author,
    pub body_html: &'a str,
    /// Borrowed from the kept topic page, where they are formatted once.
    pub created: Cow<'a, Moment>,
    pub edited: Option<Cow<'a, Moment>>,
    pub can_see_history: bool,
    pub held: bool,
    pub hidden: bool,
    pub deleted: bool,
    pub like_count: i64,
    pub liked: bool,
    pub reply_to: Option<(i64, &'a str)>,
    pub unread: bool,
    pub can_edit: bool,
    pub can_delete: bool,
    pub can_like: bool,
    pub can_reply: bool,
    pub can_approve: bool,
    /// Hidden while staff decide: a link to where they do.
    pub can_review: bool,
    pub can_flag: bool,
}

impl<'a> PostView<'a> {
    pub fn new(
        p: &'a Post,
        viewer: Viewer,
        tier: Tier,
        reply: Decision,
        last_read: Option<i64>,
    ) -> Self {
        let created = Cow::Owned(Moment::from_ms(p.created_at));
        let edited = p.edited_at.map(|at| Cow::Owned(Moment::from_ms(at)));
        Self::at(p, (created, edited), viewer, tier, reply, last_read)
    }

    /// `new` with the post's moments of writing and editing already formatted.
    pub fn at(
        p: &'a Post,
        (created, edited): (Cow<'a, Moment>, Option<Cow<'a, Moment>>),
        viewer: Viewer,
        tier: Tier,
        reply: Decision,
        last_read: Option<i64>,
    ) -> Self {
        let mine = viewer.account().is_some() && viewer.account() == p.author_id;
        let deleted = p.deleted_at.is_some();
        let live = !deleted && !p.held && !p.hidden;
        Self {
            id: p.id.0,
            href: format!("/p/{}", p.id),
            author: Author::new(
                p.author_alias.as_ref(),
                p.author_role,
                p.guest_name.as_deref(),
            ),
            body_html: if sight(viewer, p.state()) == Sight::Text {
                &p.body_html
            } else {
                ""
            },
            hidden: p.hidden,
            created,
            edited,
            can_see_history: p.edited_at.is_some()
                && (!deleted || viewer.moderates())
                && crate::services::forum::may_see_history(viewer, p),
            held: p.held,
            deleted,
            like_count: p.like_count,
            liked: p.liked_by_viewer,
            reply_to: p
                .reply_to_id
                .map(|id| (id.0, p.reply_to_alias.as_deref().unwrap_or("a post"))),
            unread: viewer.account().is_some() && !mine && last_read.is_some_and(|r| p.id.0 > r),
            can_edit: !deleted
                && decide(
                    viewer,
                    tier,
                    Action::Edit {
                        author: p.author_id,
                    },
                )
                .allowed(),
            can_delete: !deleted
                && decide(
                    viewer,
                    tier,
                    Action::Delete {
                        author: p.author_id,
                    },
                )
                .allowed(),
            can_like: live && !mine && decide(viewer, tier, Action::Like).allowed(),
            can_reply: live && reply.allowed(),
            // A hidden post is decided on the queue or flags page, where its reasons are.
            can_approve: p.held && viewer.reviews(),
            can_review: p.hidden && !p.held && viewer.reviews(),
            can_flag: live && !mine && viewer.account().is_some(),
        }
    }
}

/// One kind of reaction on a chat message, as the room page and the live
/// socket show it: the emoji and count for the eye, the words for a screen
/// reader, and whether this person is among those who chose it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ReactionView {
    pub reaction: &'static str,
    pub emoji: &'static str,
    pub count: usize,
    pub mine: bool,
    pub label: String,
}

impl ReactionView {
    /// Every kind, in order (`all`: those no one chose too, as buttons for
    /// someone who may react).
    pub fn of(
        message: &hearth_store::chat::Message,
        me: Option<hearth_core::model::AccountId>,
        all: bool,
    ) -> Vec<Self> {
        Self::with(message, all, |kind| message.chose(kind, me))
    }

    /// The same, with `mine` saying which kinds this person chose.
    pub fn with(
        message: &hearth_store::chat::Message,
        all: bool,
        mine: impl Fn(hearth_core::model::ChatReaction) -> bool,
    ) -> Vec<Self> {
        hearth_core::model::ChatReaction::ALL
            .into_iter()
            .filter_map(|kind| {
                let count = message
                    .reactions
                    .iter()
                    .find(|r| r.reaction == kind)
                    .map_or(0, |r| r.accounts.len());
                let mine = count > 0 && mine(kind);
                (all || count > 0).then(|| Self {
                    reaction: kind.as_str(),
                    emoji: kind.emoji(),
                    count,
                    mine,
                    label: kind.summary(count, mine),
                })
            })
            .collect()
    }
}
