//! Topics and replies: reading, writing, editing, deleting, liking, watching,
//! moderating, and the notifications that follow a new post.

use hearth_core::access::{Action, Decision, Sight, Viewer, decide};
use hearth_core::model::{AccountId, Alias, PostId, SpaceKind, TopicId};
use hearth_core::text::{clean_text, mentioned_aliases, quote_for_reply, render_markdown};
use hearth_store::notifications::{self, Kind, Notification, Recipients};
use hearth_store::posts::{self, NewPost, Post, Revision};
use hearth_store::spaces::{self, Space};
use hearth_store::topics::{self, ActivityCursor, ListFor, NewTopic, Topic};
use hearth_store::{Batch, Conn, WriteTx, accounts};

use super::Actor;
use super::audit::Target;
use super::notification_mail::{self, Notified};
use super::safety::{self, Draft, Submission};
use crate::App;
use crate::error::{Problems, ServiceError, ServiceResult};

pub const TOPICS_PER_PAGE: i64 = 30;
pub const POSTS_PER_PAGE: i64 = 50;
pub const NOTIFICATIONS_PER_PAGE: i64 = 50;
const TITLE_CHARS: std::ops::RangeInclusive<usize> = 3..=150;
const BODY_MAX_CHARS: usize = 50_000;

pub(super) fn list_for(actor: &Actor) -> ListFor {
    ListFor {
        viewer: actor.viewer().account(),
        moderator: actor.viewer().moderates(),
    }
}

pub struct SpacePage {
    pub space: Space,
    pub topics: Vec<Topic>,
    pub next: Option<ActivityCursor>,
    /// Whether, and how, this person may start a topic here.
    pub start: Decision,
}

pub async fn space_page(
    app: &App,
    actor: &Actor,
    slug: &str,
    after: Option<ActivityCursor>,
) -> ServiceResult<SpacePage> {
    let space =
        super::spaces::readable_by_slug(app, actor, hearth_core::model::SpaceKind::Forum, slug)
            .await?;
    let mut conn = app.store().read().await?;
    let topics =
        topics::list_in_space(&mut conn, space.id, list_for(actor), after, TOPICS_PER_PAGE).await?;
    // Pinned topics come first on the first page and are not part of the keyset.
    let next = next_cursor(topics.iter().filter(|t| !t.pinned));
    let start = decide(actor.viewer(), space.tier, Action::StartTopic);
    Ok(SpacePage {
        space,
        topics,
        next,
        start,
    })
}

/// The latest topics in every space this person may read.
pub async fn latest(
    app: &App,
    actor: &Actor,
    after: Option<ActivityCursor>,
) -> ServiceResult<(Vec<Topic>, Option<ActivityCursor>)> {
    let tiers = super::readable_tiers(actor);
    let mut conn = app.store().read().await?;
    let topics = topics::latest(&mut conn, &tiers, list_for(actor), after, TOPICS_PER_PAGE).await?;
    let next = next_cursor(topics.iter());
    Ok((topics, next))
}

fn next_cursor<'a>(keyset: impl Iterator<Item = &'a Topic>) -> Option<ActivityCursor> {
    let keyset: Vec<_> = keyset.collect();
    if (keyset.len() as i64) < TOPICS_PER_PAGE {
        return None;
    }
    keyset.last().map(|t| ActivityCursor {
        last_activity_at: t.last_activity_at,
        id: t.id.0,
    })
}

/// Loads a topic the person may read, or `NotFound`: a blog's drafts and
/// scheduled entries are its writers' alone, whatever door asks.
pub(super) async fn readable_topic(
    conn: &mut Conn,
    viewer: Viewer,
    id: TopicId,
) -> ServiceResult<(Space, Topic)> {
    let topic = topics::by_id(conn, id, viewer.account())
        .await?
        .ok_or(ServiceError::NotFound)?;
    let space = spaces::by_id(conn, topic.space_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !may_read(viewer, &space, &topic)? && !super::blogs::writes(conn, viewer, &space).await? {
        return Err(ServiceError::NotFound);
    }
    Ok((space, topic))
}

/// Whether `viewer` may read the topic: `Ok(false)` when only its blog's
/// writers may (a draft or a scheduled entry), an error when no one else may.
pub(super) fn may_read(viewer: Viewer, space: &Space, topic: &Topic) -> ServiceResult<bool> {
    ServiceError::check(decide(viewer, space.tier, Action::Read))?;
    let own = viewer.account().is_some() && viewer.account() == topic.author_id;
    if (topic.deleted && !viewer.moderates()) || (topic.held && !own && !viewer.reviews()) {
        return Err(ServiceError::NotFound);
    }
    Ok(topic.published(crate::app::now_ms()))
}

/// Loads a post the person may read, with its topic and space.
pub(super) async fn readable_post(
    conn: &mut Conn,
    viewer: Viewer,
    id: PostId,
) -> ServiceResult<(Space, Topic, Post)> {
    let post = posts::by_id(conn, id, viewer.account())
        .await?
        .ok_or(ServiceError::NotFound)?;
    let (space, topic) = readable_topic(conn, viewer, post.topic_id).await?;
    let own = viewer.account().is_some() && viewer.account() == post.author_id;
    if post.held && !own && !viewer.reviews() {
        return Err(ServiceError::NotFound);
    }
    Ok((space, topic, post))
}

/// What someone typed to start a topic.
#[derive(Clone, Debug, Default)]
pub struct StartTopic {
    pub title: String,
    pub body: String,
    /// The name a guest signs with (open spaces only).
    pub guest_name: String,
    pub submission: Submission,
}

/// What someone typed to reply.
#[derive(Clone, Debug, Default)]
pub struct Reply {
    pub body: String,
    pub reply_to: Option<PostId>,
    pub guest_name: String,
    pub submission: Submission,
}

pub struct Posted {
    pub topic: TopicId,
    pub post: PostId,
    /// Waiting for a moderator before others see it.
    pub held: bool,
}

pub(super) fn check_body(problems: &mut Problems, body: &str) {
    let chars = body.trim().chars().count();
    if chars == 0 {
        problems.add("body", "Write a message before posting.");
    } else if chars > BODY_MAX_CHARS {
        problems.add(
            "body",
            format!(
                "A message can have at most {BODY_MAX_CHARS} characters; this one has {chars}."
            ),
        );
    }
}

pub(super) fn check_title(problems: &mut Problems, title: &str) -> String {
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if !TITLE_CHARS.contains(&title.chars().count()) {
        problems.add(
            "title",
            format!(
                "A title needs {} to {} characters.",
                TITLE_CHARS.start(),
                TITLE_CHARS.end()
            ),
        );
    }
    title
}

/// A member writes only once they have accepted the current terms (new
/// versions are put to them at sign-in; this holds for every door).
pub(super) async fn ensure_terms_accepted(conn: &mut Conn, viewer: Viewer) -> ServiceResult<()> {
    if let Some(me) = viewer.account()
        && hearth_store::legal::must_accept(conn, me).await?
    {
        return Err(ServiceError::TermsPending);
    }
    Ok(())
}

/// A guest signs with a name that follows the alias rules and is no member's alias.
async fn check_guest_name(
    conn: &mut Conn,
    problems: &mut Problems,
    actor: &Actor,
    name: &str,
) -> ServiceResult<Option<String>> {
    if actor.signed_in().is_some() {
        return Ok(None);
    }
    let Some(alias) = problems.take("guest_name", Alias::parse(name)) else {
        return Ok(None);
    };
    if accounts::alias_taken(conn, &alias).await? {
        problems.add(
            "guest_name",
            "A member uses this name. Please choose another, or sign in.",
        );
        return Ok(None);
    }
    Ok(Some(alias.as_str().to_owned()))
}

pub async fn start_topic(
    app: &App,
    actor: &Actor,
    slug: &str,
    cmd: StartTopic,
) -> ServiceResult<Posted> {
    let cmd = StartTopic {
        title: clean_text(&cmd.title),
        body: clean_text(&cmd.body),
        ..cmd
    };
    let space =
        super::spaces::readable_by_slug(app, actor, hearth_core::model::SpaceKind::Forum, slug)
            .await?;
    let decision = ServiceError::check(decide(actor.viewer(), space.tier, Action::StartTopic))?;
    let mut problems = Problems::default();
    let title = check_title(&mut problems, &cmd.title);
    check_body(&mut problems, &cmd.body);
    let mut tx = app.store().write().await?;
    ensure_terms_accepted(&mut tx, actor.viewer()).await?;
    let guest_name = check_guest_name(&mut tx, &mut problems, actor, &cmd.guest_name).await?;
    problems.into_result()?;
    let screened = safety::screen(
        app,
        &mut tx,
        actor,
        Draft {
            space: &space,
            title: Some(&title),
            body: cmd.body.trim(),
            held_by_access: decision == Decision::AllowHeld,
            edit: false,
            submission: &cmd.submission,
            pace: safety::Pace::Posts,
        },
    )
    .await?;
    let held = screened.held();
    let title = screened.title.trim();
    let body = screened.body.trim();
    let now = app.now();
    let author = actor.viewer().account();
    let topic = topics::insert(
        &mut tx,
        NewTopic {
            space: space.id,
            author,
            guest_name: guest_name.as_deref(),
            title,
            held,
            publish_at: Some(now),
        },
        now,
    )
    .await?;
    let body_html = render_markdown(body);
    let post = posts::insert(
        &mut tx,
        NewPost {
            topic,
            author,
            guest_name: guest_name.as_deref(),
            reply_to: None,
            body_md: body,
            body_html: &body_html,
            held,
        },
        now,
    )
    .await?;
    screened.queue(&mut tx, post, now).await?;
    let mut batch = Batch::new();
    let terms = super::search::post_terms(app, Some(title), body);
    super::search::post_terms_in(app, &mut batch, post, &terms);
    author_follows(&mut batch, author, topic, post);
    batch.run(&mut tx).await?;
    if !held {
        publish_post(&mut tx, &space, topic, post, now).await?;
    }
    hearth_store::commit(tx).await?;
    Ok(Posted { topic, post, held })
}

pub async fn reply(
    app: &App,
    actor: &Actor,
    topic_id: TopicId,
    cmd: Reply,
) -> ServiceResult<Posted> {
    let cmd = Reply {
        body: clean_text(&cmd.body),
        ..cmd
    };
    // SQLite writes one transaction at a time, so the checks, the spam
    // filter, Markdown and the search stems are done first on a reader,
    // beside other writers, and the write turn holds the writes alone.
    let ready = {
        let mut conn = app.store().read().await?;
        ready_reply(app, &mut conn, actor, topic_id, &cmd).await?
    };
    let tx = app.store().write().await?;
    if let Some(posted) = write_reply(app, tx, actor, &cmd, ready).await? {
        return Ok(posted);
    }
    // A moderator locked, moved, hid or removed the topic since the checks,
    // and the reply was undone: the checks run again, in the transaction.
    let mut tx = app.store().write().await?;
    let ready = ready_reply(app, &mut tx, actor, topic_id, &cmd).await?;
    write_reply(app, tx, actor, &cmd, ready)
        .await?
        .ok_or(ServiceError::Busy {
            retry_after_secs: 1,
        })
}

/// Writes a reply that passed its checks: the post, then the rest in one
/// batch (one trip to SQLite's write connection), which also re-reads the
/// topic and counts the post against its author's limit. None, with the
/// writes undone, when the topic no longer stands as it did for the checks.
async fn write_reply(
    app: &App,
    mut tx: WriteTx,
    actor: &Actor,
    cmd: &Reply,
    ready: ReadyReply,
) -> ServiceResult<Option<Posted>> {
    let ReadyReply {
        space,
        topic,
        guest_name,
        parent_author,
        screened,
        body_html,
        terms,
    } = ready;
    let mut batch = Batch::new();
    let standing = topics::by_id_in(&mut batch, topic.id);
    let (screened, paced) = screened.pace_in(app, &mut batch);
    let held = screened.held();
    let body = screened.body.trim();
    let now = app.now();
    let author = actor.viewer().account();
    let post = posts::insert(
        &mut tx,
        NewPost {
            topic: topic.id,
            author,
            guest_name: guest_name.as_deref(),
            reply_to: cmd.reply_to,
            body_md: body,
            body_html: &body_html,
            held,
        },
        now,
    )
    .await?;
    screened.queue(&mut tx, post, now).await?;
    super::search::post_terms_in(app, &mut batch, post, &terms);
    author_follows(&mut batch, author, topic.id, post);
    let notified = if held {
        Notified::default()
    } else {
        let visible = Visible {
            topic: &topic,
            post,
            author,
            body_md: body,
            is_reply: true,
            parent_author,
        };
        publish_in(&mut tx, &space, visible, now, &mut batch).await?
    };
    let returned = batch.run_returning(&mut tx).await?;
    match topics::from_returned(standing.rows(&returned))? {
        Some(now) if same_standing(&now, &topic) => {}
        // Dropping the transaction undoes the reply.
        _ => return Ok(None),
    }
    paced.check(&returned)?;
    notified.mail(&mut tx, &returned, now).await?;
    hearth_store::commit(tx).await?;
    Ok(Some(Posted {
        topic: topic.id,
        post,
        held,
    }))
}

/// An author watches the topic they wrote in, and has read it up to their post.
fn author_follows(batch: &mut Batch, author: Option<AccountId>, topic: TopicId, post: PostId) {
    if let Some(me) = author {
        topics::watch_in(batch, me, topic);
        topics::mark_read_in(batch, me, topic, post.0);
    }
}

/// A reply that passed its checks, with what writing it needs.
struct ReadyReply {
    space: Space,
    topic: Topic,
    guest_name: Option<String>,
    /// The author of the post it answers.
    parent_author: Option<AccountId>,
    screened: safety::Unpaced,
    body_html: String,
    terms: String,
}

/// Everything a reply needs that only reads: who may reply, the form's
/// problems, the safety checks, the rendered text and its search stems.
async fn ready_reply(
    app: &App,
    conn: &mut Conn,
    actor: &Actor,
    topic_id: TopicId,
    cmd: &Reply,
) -> ServiceResult<ReadyReply> {
    let viewer = actor.viewer();
    ensure_terms_accepted(conn, viewer).await?;
    let (space, topic) = readable_topic(conn, viewer, topic_id).await?;
    let closed = super::blogs::replies_closed(conn, &space, &topic).await?;
    let decision = ServiceError::check(super::blogs::reply_decision(viewer, &space, closed))?;
    let mut problems = Problems::default();
    check_body(&mut problems, &cmd.body);
    let guest_name = check_guest_name(conn, &mut problems, actor, &cmd.guest_name).await?;
    let mut parent_author = None;
    if let Some(to) = cmd.reply_to {
        // Only a post this person can see, in this topic, can be replied to.
        let parent = match readable_post(conn, viewer, to).await {
            Ok((_, _, p)) => Some(p),
            Err(ServiceError::NotFound) => None,
            Err(e) => return Err(e),
        };
        match parent {
            Some(p) if p.topic_id == topic.id && p.deleted_at.is_none() => {
                parent_author = p.author_id;
            }
            _ => problems.add(
                "body",
                "The post you are replying to is not in this topic any more.",
            ),
        }
    }
    problems.into_result()?;
    let screened = safety::screen_ahead(
        app,
        conn,
        actor,
        Draft {
            space: &space,
            title: None,
            body: cmd.body.trim(),
            held_by_access: decision == Decision::AllowHeld,
            edit: false,
            submission: &cmd.submission,
            pace: safety::Pace::Posts,
        },
    )
    .await?;
    let body = screened.screened().body.trim();
    let body_html = render_markdown(body);
    let terms = super::search::post_terms(app, None, body);
    Ok(ReadyReply {
        space,
        topic,
        guest_name,
        parent_author,
        screened,
        body_html,
        terms,
    })
}

/// Whether a topic stands as it did for a reply's checks: in the same
/// space, as open and as visible.
fn same_standing(now: &Topic, checked: &Topic) -> bool {
    (
        now.space_id,
        now.locked,
        now.held,
        now.deleted,
        now.publish_at,
    ) == (
        checked.space_id,
        checked.locked,
        checked.held,
        checked.deleted,
        checked.publish_at,
    )
}

/// What happens when a post becomes visible: counters move, and watchers,
/// the person replied to and everyone mentioned are notified.
pub(super) async fn publish_post(
    conn: &mut Conn,
    space: &Space,
    topic_id: TopicId,
    post_id: PostId,
    now: i64,
) -> ServiceResult<()> {
    let post = posts::by_id(conn, post_id, None)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let opening = posts::opening(conn, topic_id, None).await?.map(|p| p.id);
    let topic = topics::by_id(conn, topic_id, None)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let parent_author = match post.reply_to_id {
        Some(parent) => posts::by_id(conn, parent, None)
            .await?
            .and_then(|p| p.author_id),
        None => None,
    };
    let visible = Visible {
        topic: &topic,
        post: post_id,
        author: post.author_id,
        body_md: &post.body_md,
        is_reply: opening != Some(post_id),
        parent_author,
    };
    publish(conn, space, visible, now, Batch::new()).await
}

/// A post that has just become visible, as `publish` needs it: a reply
/// knows all this already, without reading it back.
pub(super) struct Visible<'a> {
    /// As it stands in the writing transaction (counters aside).
    pub topic: &'a Topic,
    pub post: PostId,
    pub author: Option<AccountId>,
    pub body_md: &'a str,
    /// Not the topic's opening post.
    pub is_reply: bool,
    /// The author of the post this one answers.
    pub parent_author: Option<AccountId>,
}

/// `publish_post` for a post whose details the caller holds. `batch` holds
/// the caller's statements still to run: they go with the counters'.
pub(super) async fn publish(
    conn: &mut Conn,
    space: &Space,
    visible: Visible<'_>,
    now: i64,
    mut batch: Batch,
) -> ServiceResult<()> {
    let notified = publish_in(conn, space, visible, now, &mut batch).await?;
    let returned = batch.run_returning(conn).await?;
    notified.mail(conn, &returned, now).await
}

/// `publish` as statements added to the caller's `batch`, which the caller
/// runs; then `Notified::mail` with its rows.
async fn publish_in(
    conn: &mut Conn,
    space: &Space,
    visible: Visible<'_>,
    now: i64,
    batch: &mut Batch,
) -> ServiceResult<Notified> {
    let Visible {
        topic,
        post: post_id,
        author,
        body_md,
        is_reply,
        parent_author,
    } = visible;
    let topic_id = topic.id;
    if topic.held || topic.deleted {
        // A moderator's reply in a topic others cannot see yet tells no one;
        // approving the topic publishes it with its counters.
        return Ok(Notified::default());
    }
    topics::note_post(batch, topic_id, post_id.0, is_reply, now);
    spaces::bump(batch, space.id, i64::from(!is_reply), 1, now);
    if let Some(author) = author {
        accounts::count_approved_post(batch, author);
    }
    // Those it mentions who may read it, the one it answers, and the
    // topic's watchers hear of it, in the batch's one trip.
    let mut told: Vec<AccountId> = author.into_iter().collect();
    let mut named = Vec::new();
    for mentioned in accounts::find_aliases(conn, &mentioned_aliases(body_md)).await? {
        let viewer = Viewer::Member {
            id: mentioned.id,
            role: mentioned.role,
        };
        if !told.contains(&mentioned.id) && decide(viewer, space.tier, Action::Read).allowed() {
            named.push((mentioned.id, Kind::Mention));
            told.push(mentioned.id);
        }
    }
    if is_reply
        && let Some(parent) = parent_author
        && !told.contains(&parent)
    {
        named.push((parent, Kind::Reply));
    }
    let readers = Recipients {
        named: &named,
        watchers_of: is_reply.then_some(topic_id),
        except: author.as_slice(),
    };
    let notified = notification_mail::notify_in(batch, &readers, topic_id, post_id, author, now)?;
    if !is_reply && space.kind == SpaceKind::Blog {
        // The pages a published entry links to hear of it.
        super::webmentions::announce(conn, topic_id, now).await?;
    }
    Ok(notified)
}

/// The reply page: the topic and, when replying to a post, a quote of it.
pub async fn reply_form(
    app: &App,
    actor: &Actor,
    topic_id: TopicId,
    to: Option<PostId>,
) -> ServiceResult<(Space, Topic, Option<Post>, String)> {
    let viewer = actor.viewer();
    let mut conn = app.store().read().await?;
    let (space, topic) = readable_topic(&mut conn, viewer, topic_id).await?;
    let closed = super::blogs::replies_closed(&mut conn, &space, &topic).await?;
    ServiceError::check(super::blogs::reply_decision(viewer, &space, closed))?;
    let (parent, quote) = match to {
        Some(id) => {
            let (_, _, post) = readable_post(&mut conn, viewer, id).await?;
            if post.topic_id != topic.id {
                return Err(ServiceError::NotFound);
            }
            let author = post
                .author_alias
                .as_ref()
                .map(|a| a.as_str().to_owned())
                .or_else(|| post.guest_name.clone())
                .unwrap_or_default();
            // Only text this person may see is quoted (not hidden or deleted text).
            let quote = if hearth_core::access::sight(viewer, post.state()) == Sight::Text
                && post.deleted_at.is_none()
            {
                quote_for_reply(&author, &post.body_md)
            } else {
                String::new()
            };
            (Some(post), quote)
        }
        None => (None, String::new()),
    };
    Ok((space, topic, parent, quote))
}

pub struct EditContext {
    pub space: Space,
    pub topic: Topic,
    pub post: Post,
    /// Editing the opening post also edits the topic's title.
    pub is_opening: bool,
}

#[derive(Clone, Copy)]
enum Change {
    Edit,
    Delete,
}

/// Loads a post the person may change in this way, on `conn` (inside the
/// writing transaction, so that nothing changes between check and write).
async fn changeable(
    conn: &mut Conn,
    viewer: Viewer,
    post_id: PostId,
    change: Change,
) -> ServiceResult<EditContext> {
    let (space, topic, post) = readable_post(conn, viewer, post_id).await?;
    let author = post.author_id;
    let action = match change {
        Change::Edit => Action::Edit { author },
        Change::Delete => Action::Delete { author },
    };
    ServiceError::check(decide(viewer, space.tier, action))?;
    if post.deleted_at.is_some() {
        return Err(ServiceError::Forbidden("This post was deleted.".into()));
    }
    let is_opening = posts::opening(conn, topic.id, None).await?.map(|p| p.id) == Some(post.id);
    Ok(EditContext {
        space,
        topic,
        post,
        is_opening,
    })
}

pub async fn edit_form(app: &App, actor: &Actor, post_id: PostId) -> ServiceResult<EditContext> {
    changeable(
        &mut *app.store().read().await?,
        actor.viewer(),
        post_id,
        Change::Edit,
    )
    .await
}

pub async fn delete_form(app: &App, actor: &Actor, post_id: PostId) -> ServiceResult<EditContext> {
    changeable(
        &mut *app.store().read().await?,
        actor.viewer(),
        post_id,
        Change::Delete,
    )
    .await
}

pub async fn edit(
    app: &App,
    actor: &Actor,
    post_id: PostId,
    body: &str,
    title: Option<&str>,
    submission: &Submission,
) -> ServiceResult<TopicId> {
    let mut tx = app.store().write().await?;
    let topic = edit_on(app, &mut tx, actor, post_id, body, title, submission).await?;
    hearth_store::commit(tx).await?;
    Ok(topic)
}

/// Edits a post inside the caller's transaction (a blog entry's text is
/// edited together with its other fields).
pub(super) async fn edit_on(
    app: &App,
    tx: &mut hearth_store::WriteTx,
    actor: &Actor,
    post_id: PostId,
    body: &str,
    title: Option<&str>,
    submission: &Submission,
) -> ServiceResult<TopicId> {
    let viewer = actor.viewer();
    let editor = viewer.account().ok_or(ServiceError::SignInRequired)?;
    let body = clean_text(body);
    let mut problems = Problems::default();
    check_body(&mut problems, &body);
    ensure_terms_accepted(&mut *tx, viewer).await?;
    let ctx = changeable(&mut *tx, viewer, post_id, Change::Edit).await?;
    let title = match (ctx.is_opening, title) {
        (true, Some(t)) => Some(check_title(&mut problems, &clean_text(t))),
        _ => None,
    };
    problems.into_result()?;
    let title = title.filter(|t| *t != ctx.topic.title);
    if body.trim() == ctx.post.body_md && title.is_none() {
        return Ok(ctx.topic.id);
    }
    let screened = safety::screen(
        app,
        &mut *tx,
        actor,
        Draft {
            space: &ctx.space,
            title: title.as_deref(),
            body: body.trim(),
            held_by_access: false,
            edit: true,
            submission,
            pace: safety::Pace::Posts,
        },
    )
    .await?;
    let now = app.now();
    let body = screened.body.trim();
    if body != ctx.post.body_md {
        posts::edit(
            &mut *tx,
            &ctx.post,
            editor,
            body,
            &render_markdown(body),
            now,
        )
        .await?;
    }
    if title.is_some() {
        topics::set_title(&mut *tx, ctx.topic.id, screened.title.trim()).await?;
    }
    let indexed_title = match (ctx.is_opening, title.is_some()) {
        (false, _) => None,
        (true, true) => Some(screened.title.trim()),
        (true, false) => Some(ctx.topic.title.as_str()),
    };
    super::search::index_post(app, &mut *tx, ctx.post.id, indexed_title, body).await?;
    if screened.held() && !ctx.post.held {
        // A published post whose new text must be checked is hidden meanwhile.
        posts::set_hidden(&mut *tx, ctx.post.id, Some(now)).await?;
    }
    screened.queue(&mut *tx, ctx.post.id, now).await?;
    audit_unless_own(&mut *tx, actor, "post.edit", &ctx.post, now).await?;
    Ok(ctx.topic.id)
}

/// Soft-deletes a post (deleting the opening post deletes the topic). The
/// text stays for moderators; others see that a post was deleted. The kept
/// counters forget what is no longer visible.
pub async fn delete(app: &App, actor: &Actor, post_id: PostId) -> ServiceResult<(TopicId, bool)> {
    let viewer = actor.viewer();
    let mut tx = app.store().write().await?;
    let ctx = changeable(&mut tx, viewer, post_id, Change::Delete).await?;
    let now = app.now();
    take_down(&mut tx, &ctx, viewer.account(), now).await?;
    audit_unless_own(&mut tx, actor, "post.delete", &ctx.post, now).await?;
    hearth_store::commit(tx).await?;
    Ok((ctx.topic.id, ctx.is_opening))
}

/// A moderator's change to someone else's post is audited; an author's own is not.
async fn audit_unless_own(
    conn: &mut Conn,
    actor: &Actor,
    action: &str,
    post: &Post,
    now: i64,
) -> ServiceResult<()> {
    let me = actor.viewer().account();
    if post.author_id.is_none() || post.author_id != me {
        super::audit::record(conn, actor, action, Target::Post(post.id), "", "", now).await?;
    }
    Ok(())
}

/// Soft-deletes a post (and its topic, for an opening post) and corrects the
/// kept counters: an author's delete, a moderator's, a rejection.
pub(super) async fn take_down(
    conn: &mut Conn,
    ctx: &EditContext,
    by: Option<AccountId>,
    now: i64,
) -> ServiceResult<()> {
    let EditContext {
        space,
        topic,
        post,
        is_opening,
    } = ctx;
    let counted = !post.held && !topic.held && !topic.deleted;
    if *is_opening {
        let visible = posts::visible_ids(conn, topic.id).await?.len() as i64;
        topics::set_deleted(conn, topic.id, Some(now)).await?;
        if space.kind == SpaceKind::Blog {
            // The pages a deleted entry told of it hear that it is gone.
            super::webmentions::announce(conn, topic.id, now).await?;
        }
        if counted {
            spaces::uncount(conn, space.id, 1, visible).await?;
        }
    } else if counted {
        topics::uncount_reply(conn, topic.id).await?;
        spaces::uncount(conn, space.id, 0, 1).await?;
    }
    posts::set_deleted(conn, post.id, by, Some(now)).await?;
    Ok(())
}

/// Deletes an opening post but keeps its topic, for the replies of others
/// (when its author's account is erased).
pub(super) async fn take_down_opening_only(
    conn: &mut Conn,
    ctx: &EditContext,
    now: i64,
) -> ServiceResult<()> {
    let counted = !ctx.post.held && !ctx.topic.held && !ctx.topic.deleted;
    if counted {
        spaces::uncount(conn, ctx.space.id, 0, 1).await?;
    }
    posts::set_deleted(conn, ctx.post.id, None, Some(now)).await?;
    Ok(())
}

/// A post with its topic and space, for a reviewer's decision on it.
pub(super) async fn reviewable(
    conn: &mut Conn,
    viewer: Viewer,
    post_id: PostId,
) -> ServiceResult<EditContext> {
    let (space, topic, post) = readable_post(conn, viewer, post_id).await?;
    ServiceError::check(decide(viewer, space.tier, Action::Review))?;
    let is_opening = posts::opening(conn, topic.id, None).await?.map(|p| p.id) == Some(post.id);
    Ok(EditContext {
        space,
        topic,
        post,
        is_opening,
    })
}

/// One post the person may read (a deleted one too: callers show it as deleted).
pub async fn post(app: &App, actor: &Actor, post_id: PostId) -> ServiceResult<(Topic, Post)> {
    let mut conn = app.store().read().await?;
    let (_, topic, post) = readable_post(&mut conn, actor.viewer(), post_id).await?;
    Ok((topic, post))
}

/// Where a post is read: its topic's first page, or the page that starts with it.
pub async fn post_location(app: &App, actor: &Actor, post_id: PostId) -> ServiceResult<String> {
    let mut conn = app.store().read().await?;
    let (space, topic, post) = readable_post(&mut conn, actor.viewer(), post_id).await?;
    if space.kind == hearth_core::model::SpaceKind::Blog
        && let Some(entry) = hearth_store::blogs::by_topic(&mut conn, topic.id).await?
    {
        // An entry's page shows all its comments.
        return Ok(format!(
            "/b/{}/{}#post-{}",
            entry.blog_slug, entry.slug, post.id
        ));
    }
    let before = posts::count_before(&mut conn, topic.id, post.id).await?;
    Ok(if before < POSTS_PER_PAGE {
        format!("/t/{}#post-{}", topic.id, post.id)
    } else {
        format!("/t/{}?after={}#post-{}", topic.id, post.id.0 - 1, post.id)
    })
}

/// Earlier versions may hold what an author removed on purpose (a phone
/// number, a name), so only the author and the moderators see them.
pub fn may_see_history(viewer: Viewer, post: &Post) -> bool {
    viewer.moderates() || (viewer.account().is_some() && viewer.account() == post.author_id)
}

pub async fn history(
    app: &App,
    actor: &Actor,
    post_id: PostId,
) -> ServiceResult<(Topic, Post, Vec<Revision>)> {
    let mut conn = app.store().read().await?;
    let viewer = actor.viewer();
    let (_, topic, post) = readable_post(&mut conn, viewer, post_id).await?;
    if post.deleted_at.is_some() && !viewer.moderates() {
        return Err(ServiceError::NotFound);
    }
    if !may_see_history(viewer, &post) {
        return Err(ServiceError::Forbidden(
            "Only the author and the moderators can see the earlier versions of a post.".into(),
        ));
    }
    let revisions = posts::revisions(&mut conn, post.id).await?;
    Ok((topic, post, revisions))
}

pub async fn set_like(
    app: &App,
    actor: &Actor,
    post_id: PostId,
    liked: bool,
) -> ServiceResult<TopicId> {
    let viewer = actor.viewer();
    let mut tx = app.store().write().await?;
    let (space, topic, post) = readable_post(&mut tx, viewer, post_id).await?;
    ServiceError::check(decide(viewer, space.tier, Action::Like))?;
    let me = viewer.account().ok_or(ServiceError::SignInRequired)?;
    if post.author_id == Some(me) {
        return Err(ServiceError::Forbidden(
            "You cannot like your own post.".into(),
        ));
    }
    if liked {
        posts::like(&mut tx, post.id, me, app.now()).await?;
    } else {
        posts::unlike(&mut tx, post.id, me).await?;
    }
    hearth_store::commit(tx).await?;
    Ok(topic.id)
}

pub async fn set_watching(
    app: &App,
    actor: &Actor,
    topic_id: TopicId,
    watching: bool,
) -> ServiceResult<()> {
    let viewer = actor.viewer();
    let mut tx = app.store().write_private().await?;
    let (space, topic) = readable_topic(&mut tx, viewer, topic_id).await?;
    ServiceError::check(decide(viewer, space.tier, Action::Watch))?;
    let me = viewer.account().ok_or(ServiceError::SignInRequired)?;
    if watching {
        topics::watch(&mut tx, me, topic.id).await?;
    } else {
        topics::unwatch(&mut tx, me, topic.id).await?;
    }
    hearth_store::commit(tx).await?;
    Ok(())
}

/// A moderator's switch on a topic.
#[derive(Clone, Copy, Debug)]
pub enum TopicSwitch {
    Pinned(bool),
    Locked(bool),
}

pub async fn moderate_topic(
    app: &App,
    actor: &Actor,
    topic_id: TopicId,
    switch: TopicSwitch,
) -> ServiceResult<()> {
    let viewer = actor.viewer();
    let mut tx = app.store().write().await?;
    let (space, topic) = readable_topic(&mut tx, viewer, topic_id).await?;
    ServiceError::check(decide(viewer, space.tier, Action::Moderate))?;
    let action = match switch {
        TopicSwitch::Pinned(on) => {
            topics::set_pinned(&mut tx, topic.id, on).await?;
            if on { "topic.pin" } else { "topic.unpin" }
        }
        TopicSwitch::Locked(on) => {
            topics::set_locked(&mut tx, topic.id, on).await?;
            if on { "topic.close" } else { "topic.reopen" }
        }
    };
    super::audit::record(
        &mut tx,
        actor,
        action,
        Target::Topic(topic.id),
        "",
        "",
        app.now(),
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

pub async fn notifications(
    app: &App,
    actor: &Actor,
    before: Option<i64>,
) -> ServiceResult<Vec<Notification>> {
    let me = actor
        .viewer()
        .account()
        .ok_or(ServiceError::SignInRequired)?;
    Ok(notifications::list(
        &mut *app.store().read().await?,
        me,
        before,
        NOTIFICATIONS_PER_PAGE,
    )
    .await?)
}

pub async fn unread_notifications(app: &App, actor: &Actor) -> ServiceResult<i64> {
    match actor.viewer().account() {
        Some(me) => Ok(notifications::unread_count(&mut *app.store().read().await?, me).await?),
        None => Ok(0),
    }
}

pub async fn mark_notifications_read(app: &App, actor: &Actor) -> ServiceResult<()> {
    let me = actor
        .viewer()
        .account()
        .ok_or(ServiceError::SignInRequired)?;
    let mut tx = app.store().write_private().await?;
    notifications::mark_all_read(&mut tx, me, app.now()).await?;
    hearth_store::commit(tx).await?;
    Ok(())
}
