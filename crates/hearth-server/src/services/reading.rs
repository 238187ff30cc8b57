//! A topic's page. Most of it is the same for every reader (the topic, its
//! space, its posts), so that part is kept in memory while no shared write
//! has been committed; each reader's own part (where they stopped reading,
//! whether they watch it, which posts they liked) is added per request and
//! kept per reader while no write at all has been committed.

use std::sync::Arc;

use hearth_core::access::{Decision, Viewer};
use hearth_core::model::{AccountId, PostId, TopicId};
use hearth_store::posts::{self, Post};
use hearth_store::spaces::{self, Space};
use hearth_store::topics::{self, ReaderState, Topic};

use super::forum::{POSTS_PER_PAGE, may_read};
use super::{Actor, Moment};
use crate::App;
use crate::error::{ServiceError, ServiceResult};

pub struct TopicPage {
    pub space: Space,
    pub topic: Topic,
    /// The posts are shared with every other reader's page, not copied.
    shared: Arc<SharedPage>,
    /// Which of the shared posts this reader sees (by index), and whether
    /// they liked each.
    shown: Vec<(usize, bool)>,
    pub next: Option<PostId>,
    /// The first post of the topic is on this page.
    pub first_page: bool,
    pub watching: bool,
    pub reply: Decision,
    pub moderator: bool,
}

/// A post on a reader's page.
pub struct Shown<'a> {
    pub post: &'a Post,
    pub liked: bool,
    /// When it was written and last edited, formatted once for every reader.
    pub created: &'a Moment,
    pub edited: Option<&'a Moment>,
}

impl TopicPage {
    /// The posts on the page, each with whether this reader liked it.
    pub fn posts(&self) -> impl Iterator<Item = Shown<'_>> {
        self.shown.iter().map(|&(i, liked)| {
            let (created, edited) = &self.shared.moments[i];
            Shown {
                post: &self.shared.posts[i],
                liked,
                created,
                edited: edited.as_ref(),
            }
        })
    }
}

/// The part of a topic's page every reader shares.
pub struct SharedPage {
    space: Space,
    /// As for no one in particular: without a reading position.
    topic: Topic,
    /// The address of the blog entry this topic is, if it is one.
    entry_path: Option<String>,
    /// Up to a page and one more of posts after the page's start, held ones
    /// included: each reader is shown those they may see.
    posts: Vec<Post>,
    /// Each post's moments of writing and editing.
    moments: Vec<(Moment, Option<Moment>)>,
    replies_closed: bool,
}

impl SharedPage {
    fn bytes(&self) -> usize {
        self.posts
            .iter()
            .map(|p| 512 + p.body_md.len() + p.body_html.len())
            .sum::<usize>()
            + 1024
    }
}

/// The shared part of a topic's page starting after `after`, from memory
/// when nothing shared has changed since it was made.
async fn shared_page(
    app: &App,
    id: TopicId,
    after: Option<PostId>,
) -> ServiceResult<Arc<SharedPage>> {
    let key = format!("{}/{}", id.0, after.map_or(0, |p| p.0));
    let changes = app.changes().await;
    let make = async || -> ServiceResult<Arc<SharedPage>> {
        let mut conn = app.store().read().await?;
        let topic = topics::by_id(&mut conn, id, None)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let space = spaces::by_id(&mut conn, topic.space_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let posts = posts::in_topic(&mut conn, id, None, true, after, POSTS_PER_PAGE + 1).await?;
        let entry_path = hearth_store::blogs::by_topic(&mut conn, id)
            .await?
            .map(|e| format!("/b/{}/{}", e.blog_slug, e.slug));
        let replies_closed = super::blogs::replies_closed(&mut conn, &space, &topic).await?;
        let moments = posts
            .iter()
            .map(|p| {
                (
                    Moment::from_ms(p.created_at),
                    p.edited_at.map(Moment::from_ms),
                )
            })
            .collect();
        Ok(Arc::new(SharedPage {
            space,
            topic,
            entry_path,
            posts,
            moments,
            replies_closed,
        }))
    };
    app.kept()
        .topics
        .get_or_make(key, changes, |page| page.bytes(), make)
        .await
}

/// One reader's own part of the page of posts `from..=to`, from memory when
/// nothing at all has changed since it was made.
async fn reader_state(
    app: &App,
    me: AccountId,
    id: TopicId,
    posts: &[Post],
) -> ServiceResult<Arc<ReaderState>> {
    let (from, to) = match (posts.first(), posts.last()) {
        (Some(first), Some(last)) => (first.id.0, last.id.0),
        _ => (0, 0),
    };
    let key = format!("{}/{}/{}/{}", me.0, id.0, from, to);
    let changes = app.all_changes().await;
    let make = async || -> ServiceResult<Arc<ReaderState>> {
        let mut conn = app.store().read().await?;
        let ids: Vec<PostId> = posts.iter().map(|p| p.id).collect();
        Ok(Arc::new(
            topics::reader_state(&mut conn, me, id, &ids).await?,
        ))
    };
    let bytes = |state: &Arc<ReaderState>| 128 + 8 * state.liked.len();
    app.kept()
        .readers
        .get_or_make(key, changes, bytes, make)
        .await
}

/// The address of the blog entry topic `id` is, if it is one and this
/// person may read it.
pub async fn entry_path(app: &App, actor: &Actor, id: TopicId) -> ServiceResult<Option<String>> {
    let shared = shared_page(app, id, None).await?;
    check_readable(app, actor.viewer(), &shared).await?;
    Ok(shared.entry_path.clone())
}

async fn check_readable(app: &App, viewer: Viewer, shared: &SharedPage) -> ServiceResult<()> {
    if !may_read(viewer, &shared.space, &shared.topic)?
        && !super::blogs::writes(&mut *app.store().read().await?, viewer, &shared.space).await?
    {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}

/// A page of a topic's posts after `after` (from the start when None), as
/// this person may see it. Reading it moves their position forward.
pub async fn topic_page(
    app: &App,
    actor: &Actor,
    id: TopicId,
    after: Option<PostId>,
) -> ServiceResult<TopicPage> {
    let viewer = actor.viewer();
    let shared = shared_page(app, id, after).await?;
    check_readable(app, viewer, &shared).await?;
    let page_len = POSTS_PER_PAGE as usize;
    let next = (shared.posts.len() > page_len).then(|| shared.posts[page_len - 1].id);
    let on_page = &shared.posts[..shared.posts.len().min(page_len)];
    let mut topic = shared.topic.clone();
    let state = match viewer.account() {
        Some(me) if !on_page.is_empty() => Some(reader_state(app, me, id, on_page).await?),
        _ => None,
    };
    topic.last_read_post_id = state.as_ref().and_then(|s| s.last_read_post_id);
    // Held posts: moderators see them all, others only their own.
    let shown: Vec<(usize, bool)> = on_page
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            !p.held
                || viewer.reviews()
                || (p.author_id.is_some() && p.author_id == viewer.account())
        })
        .map(|(i, p)| (i, state.as_ref().is_some_and(|s| s.liked.contains(&p.id))))
        .collect();
    // Reading moves the member's position forward; re-reading writes nothing.
    let read_before = topic.last_read_post_id.unwrap_or(0);
    let last_shown = shown.last().map(|&(i, _)| &on_page[i]);
    if let (Some(me), Some(last)) = (
        viewer.account(),
        last_shown.filter(|p| p.id.0 > read_before),
    ) {
        let mut tx = app.store().write_private().await?;
        topics::mark_read(&mut tx, me, topic.id, last.id.0).await?;
        if next.is_none() {
            hearth_store::notifications::mark_topic_read(&mut tx, me, topic.id, app.now()).await?;
        }
        hearth_store::commit(tx).await?;
    }
    let reply = super::blogs::reply_decision(viewer, &shared.space, shared.replies_closed);
    Ok(TopicPage {
        space: shared.space.clone(),
        topic,
        shared: shared.clone(),
        shown,
        next,
        first_page: after.is_none(),
        watching: state.is_some_and(|s| s.watching),
        reply,
        moderator: viewer.moderates(),
    })
}
