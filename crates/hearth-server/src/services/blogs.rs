//! Blogs: entries written by named staff and volunteers, with threaded
//! comments. An entry is a topic whose opening post is its text, and a
//! comment is a reply, so both pass the forum's guards, queue, flags, search
//! and edit history; this module adds what only blogs have: drafts and
//! publication times, addresses, excerpts, covers, tags, and closing comments.

use std::collections::HashMap;

use hearth_core::access::{
    Action, Decision, Viewer, decide, replies_closed as closed_rule, writes_blog,
};
use hearth_core::model::{PostId, Slug, SpaceKind, TopicId};
use hearth_core::text::{clean_text, render_markdown, to_plain_excerpt};
use hearth_store::blogs::{self, Entry, EntryFields, Listing, PublishedCursor, Tag};
use hearth_store::posts::{self, NewPost, Post};
use hearth_store::spaces::Space;
use hearth_store::topics::{self, NewTopic, Topic};
use hearth_store::{Conn, settings};

use super::Actor;
use super::forum::{self, Posted, Reply};
use super::safety::{self, Draft, Submission};
use crate::App;
use crate::error::{Problems, ServiceError, ServiceResult};

pub const ENTRIES_PER_PAGE: i64 = 20;
/// Comments nest this deep; deeper replies are shown at this depth, saying
/// whom they answer.
pub const MAX_DEPTH: usize = 4;
const EXCERPT_CHARS: usize = 300;
const MAX_TAGS: usize = 10;
/// The site's setting: comments close this many days after publication
/// (a blog's own setting wins; none: they stay open).
pub const COMMENTS_CLOSE_DAYS: &str = "blog.comments_close_days";

/// Whether this person writes in `space` (a blog): see `access::writes_blog`.
pub(super) async fn writes(conn: &mut Conn, viewer: Viewer, space: &Space) -> ServiceResult<bool> {
    if space.kind != SpaceKind::Blog {
        return Ok(false);
    }
    let named = match viewer.account() {
        Some(me) if viewer.role().is_some_and(|r| !r.administers()) => {
            blogs::is_writer(conn, space.id, me).await?
        }
        _ => false,
    };
    Ok(writes_blog(viewer, named))
}

/// The days after which a blog's comments close: its own setting, else the site's.
async fn close_after_days(conn: &mut Conn, space: &Space) -> ServiceResult<Option<i64>> {
    if space.kind != SpaceKind::Blog {
        return Ok(None);
    }
    if space.comments_close_days.is_some() {
        return Ok(space.comments_close_days);
    }
    Ok(settings::get(conn, COMMENTS_CLOSE_DAYS)
        .await?
        .and_then(|d| d.parse().ok()))
}

/// Whether replies (comments) to `topic` are closed, by hand or by time.
pub(super) async fn replies_closed(
    conn: &mut Conn,
    space: &Space,
    topic: &Topic,
) -> ServiceResult<bool> {
    let days = close_after_days(conn, space).await?;
    Ok(closed_rule(
        topic.locked,
        topic.publish_at,
        days,
        crate::app::now_ms(),
    ))
}

/// May this person reply here? Closed comments say so in a blog's words.
pub(super) fn reply_decision(viewer: Viewer, space: &Space, closed: bool) -> Decision {
    match decide(viewer, space.tier, Action::Reply { locked: closed }) {
        Decision::Forbidden(_) if closed && space.kind == SpaceKind::Blog => {
            Decision::Forbidden("Comments on this entry are closed.")
        }
        other => other,
    }
}

/// Whether an entry is visible to this person: published (and approved), or
/// they write in its blog.
pub(super) async fn visible_to(
    conn: &mut Conn,
    viewer: Viewer,
    entry: &Entry,
    now: i64,
) -> ServiceResult<bool> {
    let published = entry.publish_at.is_some_and(|at| at <= now) && !entry.held;
    if published {
        return Ok(true);
    }
    let space = hearth_store::spaces::by_id(conn, entry.space_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    writes(conn, viewer, &space).await
}

/// The blogs this person may read.
pub async fn blogs(app: &App, actor: &Actor) -> ServiceResult<Vec<Space>> {
    super::spaces::readable(app, actor, SpaceKind::Blog).await
}

pub struct BlogPage {
    pub blog: Space,
    pub entries: Vec<Entry>,
    pub next: Option<PublishedCursor>,
    /// Drafts and scheduled entries (writers only).
    pub unpublished: Vec<Entry>,
    pub writer: bool,
}

pub async fn blog_page(
    app: &App,
    actor: &Actor,
    slug: &str,
    after: Option<PublishedCursor>,
) -> ServiceResult<BlogPage> {
    let blog = super::spaces::readable_by_slug(app, actor, SpaceKind::Blog, slug).await?;
    let mut conn = app.store().read().await?;
    let now = app.now();
    let mut entries = blogs::published(
        &mut conn,
        Listing::Blog(blog.id),
        now,
        after,
        ENTRIES_PER_PAGE + 1,
    )
    .await?;
    let next = page_end(&mut entries);
    let writer = writes(&mut conn, actor.viewer(), &blog).await?;
    let unpublished = if writer && after.is_none() {
        blogs::unpublished(&mut conn, blog.id, now).await?
    } else {
        Vec::new()
    };
    Ok(BlogPage {
        blog,
        entries,
        next,
        unpublished,
        writer,
    })
}

fn page_end(entries: &mut Vec<Entry>) -> Option<PublishedCursor> {
    if entries.len() as i64 > ENTRIES_PER_PAGE {
        entries.truncate(ENTRIES_PER_PAGE as usize);
        entries.last().map(|e| PublishedCursor {
            publish_at: e.publish_at.unwrap_or(0),
            id: e.topic_id.0,
        })
    } else {
        None
    }
}

pub struct TagPage {
    pub tag: Tag,
    pub entries: Vec<Entry>,
    pub next: Option<PublishedCursor>,
}

/// Published entries with a tag, across the blogs this person may read.
pub async fn tag_page(
    app: &App,
    actor: &Actor,
    slug: &str,
    after: Option<PublishedCursor>,
) -> ServiceResult<TagPage> {
    let mut conn = app.store().read().await?;
    let tag = blogs::tag(&mut conn, slug)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let tiers = super::readable_tiers(actor);
    let mut entries = blogs::published(
        &mut conn,
        Listing::Tag {
            slug,
            tiers: &tiers,
        },
        app.now(),
        after,
        ENTRIES_PER_PAGE + 1,
    )
    .await?;
    let next = page_end(&mut entries);
    Ok(TagPage { tag, entries, next })
}

/// A comment in its place in the thread.
pub struct Comment {
    pub post: Post,
    /// 0 for a comment on the entry; capped at `MAX_DEPTH`.
    pub depth: usize,
}

pub struct EntryPage {
    pub blog: Space,
    pub entry: Entry,
    /// The entry's text (the topic's opening post).
    pub body: Post,
    pub comments: Vec<Comment>,
    /// Other sites' pages that mention the entry, approved by a moderator.
    pub reactions: Vec<hearth_store::webmentions::Mention>,
    /// Whether this person may comment, or why not.
    pub comment: Decision,
    pub closed: bool,
    pub writer: bool,
    pub moderator: bool,
}

/// Loads an entry this person may see, with its blog.
async fn visible_entry(
    conn: &mut Conn,
    app: &App,
    actor: &Actor,
    blog_slug: &str,
    entry_slug: &str,
) -> ServiceResult<(Space, Entry)> {
    let blog = super::spaces::readable_by_slug(app, actor, SpaceKind::Blog, blog_slug).await?;
    let entry = blogs::by_slug(conn, blog.id, entry_slug)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let viewer = actor.viewer();
    let own = viewer.account().is_some() && viewer.account() == entry.author_id;
    if !visible_to(conn, viewer, &entry, app.now()).await?
        && !(entry.held && (own || viewer.reviews()))
    {
        return Err(ServiceError::NotFound);
    }
    Ok((blog, entry))
}

pub async fn entry_page(
    app: &App,
    actor: &Actor,
    blog_slug: &str,
    entry_slug: &str,
) -> ServiceResult<EntryPage> {
    let viewer = actor.viewer();
    let mut conn = app.store().read().await?;
    let (blog, entry) = visible_entry(&mut conn, app, actor, blog_slug, entry_slug).await?;
    // Comments on one entry are few enough to thread whole.
    let mut all = posts::in_topic(
        &mut conn,
        entry.topic_id,
        viewer.account(),
        viewer.reviews(),
        None,
        2000,
    )
    .await?;
    if all.is_empty() {
        return Err(ServiceError::NotFound);
    }
    let body = all.remove(0);
    let comments = thread(all, body.id);
    let topic = topics::by_id(&mut conn, entry.topic_id, None)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let closed = replies_closed(&mut conn, &blog, &topic).await?;
    let writer = writes(&mut conn, viewer, &blog).await?;
    let reactions = super::webmentions::shown(&mut conn, entry.topic_id).await?;
    Ok(EntryPage {
        reactions,
        comment: reply_decision(viewer, &blog, closed),
        closed,
        writer,
        moderator: viewer.moderates(),
        blog,
        entry,
        body,
        comments,
    })
}

/// Puts comments in thread order: each followed by its replies, depth-first,
/// oldest first at each level. A reply whose parent is not shown (held,
/// say) joins the top level.
fn thread(comments: Vec<Post>, entry_post: PostId) -> Vec<Comment> {
    let shown: std::collections::HashSet<PostId> = comments.iter().map(|c| c.id).collect();
    let mut children: HashMap<Option<PostId>, Vec<Post>> = HashMap::new();
    for c in comments {
        let parent = c
            .reply_to_id
            .filter(|p| *p != entry_post && shown.contains(p));
        children.entry(parent).or_default().push(c);
    }
    let mut out = Vec::new();
    // An explicit stack: a long chain of replies must not overflow the real one.
    let mut stack: Vec<(Post, usize)> = children
        .remove(&None)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|c| (c, 0))
        .collect();
    while let Some((post, depth)) = stack.pop() {
        if let Some(replies) = children.remove(&Some(post.id)) {
            stack.extend(replies.into_iter().rev().map(|r| (r, depth + 1)));
        }
        out.push(Comment {
            post,
            depth: depth.min(MAX_DEPTH),
        });
    }
    out
}

/// When an entry goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publish {
    Now,
    Draft,
    /// At this time (Unix ms); in the past it means now.
    At(i64),
}

/// What a writer typed.
#[derive(Clone, Debug, Default)]
pub struct EntryInput {
    pub title: String,
    pub body: String,
    /// Blank: made from the text.
    pub excerpt: String,
    /// Blank: made from the title.
    pub slug: String,
    /// Comma-separated.
    pub tags: String,
    pub publish: Option<Publish>,
    pub cover_id: Option<i64>,
    pub cover_alt: String,
    pub submission: Submission,
}

pub struct Saved {
    pub topic: TopicId,
    pub blog_slug: String,
    pub slug: String,
    /// Waiting for a moderator before readers see it.
    pub held: bool,
    pub published: bool,
}

impl Saved {
    pub fn path(&self) -> String {
        format!("/b/{}/{}", self.blog_slug, self.slug)
    }
}

/// Tags from "Treatment, side effects" → slugs and names, at most `MAX_TAGS`.
fn parse_tags(problems: &mut Problems, input: &str) -> Vec<Tag> {
    let mut tags: Vec<Tag> = Vec::new();
    for name in input
        .split(',')
        .map(|t| clean_text(t.trim()))
        .filter(|t| !t.is_empty())
    {
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        match Slug::suggest(&name) {
            Some(slug) if name.chars().count() <= 40 => {
                if !tags.iter().any(|t| t.slug == slug.as_str()) {
                    tags.push(Tag {
                        slug: slug.as_str().to_owned(),
                        name,
                    });
                }
            }
            _ => problems.add(
                "tags",
                format!("The tag \"{name}\" needs letters or digits, and at most 40 characters."),
            ),
        }
    }
    if tags.len() > MAX_TAGS {
        problems.add(
            "tags",
            format!("An entry can have at most {MAX_TAGS} tags."),
        );
    }
    tags
}

struct Checked {
    title: String,
    excerpt: String,
    tags: Vec<Tag>,
    slug: Option<Slug>,
    publish_at: Option<i64>,
}

async fn check(
    conn: &mut Conn,
    app: &App,
    actor: &Actor,
    input: &EntryInput,
) -> ServiceResult<Checked> {
    let mut problems = Problems::default();
    let title = forum::check_title(&mut problems, &clean_text(&input.title));
    forum::check_body(&mut problems, &clean_text(&input.body));
    let excerpt = clean_text(input.excerpt.trim());
    if excerpt.chars().count() > 500 {
        problems.add("excerpt", "Keep the excerpt under 500 characters.");
    }
    let tags = parse_tags(&mut problems, &input.tags);
    let slug = match input.slug.trim() {
        "" => None,
        s => problems.take("slug", Slug::parse(s)),
    };
    let publish_at = match input.publish {
        None => {
            problems.add("publish", "Choose when the entry goes out.");
            None
        }
        Some(Publish::Draft) => None,
        Some(Publish::Now) => Some(app.now()),
        Some(Publish::At(at)) => Some(at.max(app.now())),
    };
    let cover_alt = clean_text(input.cover_alt.trim());
    if let Some(id) = input.cover_id {
        match hearth_store::uploads::by_id(conn, id).await? {
            None => problems.add("cover", "The cover image is gone; choose it again."),
            Some(_) if cover_alt.is_empty() => problems.add(
                "cover_alt",
                "Describe the cover image in a few words for people who cannot see it.",
            ),
            Some(_) => {}
        }
    }
    if cover_alt.chars().count() > 300 {
        problems.add("cover_alt", "Keep the description under 300 characters.");
    }
    let _ = actor;
    problems.into_result()?;
    Ok(Checked {
        title,
        excerpt,
        tags,
        slug,
        publish_at,
    })
}

/// A free address in the blog: the one asked for (which must be free), or
/// one made from the title, numbered if needed.
async fn free_slug(
    conn: &mut Conn,
    blog: &Space,
    asked: Option<&Slug>,
    title: &str,
    except: Option<TopicId>,
) -> ServiceResult<String> {
    if let Some(slug) = asked {
        if blogs::slug_taken(conn, blog.id, slug.as_str(), except).await? {
            return Err(ServiceError::field(
                "slug",
                "Another entry in this blog already has this web address name.",
            ));
        }
        return Ok(slug.as_str().to_owned());
    }
    let base = Slug::suggest(title)
        .map(|s| s.as_str().chars().take(50).collect::<String>())
        .map(|s| s.trim_end_matches('-').to_owned())
        .filter(|s| s.len() >= 2)
        .unwrap_or_else(|| "entry".to_owned());
    let mut candidate = base.clone();
    let mut n = 2;
    while blogs::slug_taken(conn, blog.id, &candidate, except).await? {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    Ok(candidate)
}

fn excerpt_or_from(excerpt: &str, body: &str) -> String {
    if excerpt.is_empty() {
        to_plain_excerpt(body, EXCERPT_CHARS)
    } else {
        excerpt.to_owned()
    }
}

/// Whether this person writes in the blog; otherwise the refusal to give.
async fn require_writer(conn: &mut Conn, actor: &Actor, blog: &Space) -> ServiceResult<()> {
    if writes(conn, actor.viewer(), blog).await? {
        Ok(())
    } else if actor.signed_in().is_none() {
        Err(ServiceError::SignInRequired)
    } else {
        Err(ServiceError::Forbidden(
            "Only this blog's writers can write and change its entries.".into(),
        ))
    }
}

/// Writes the form's blog the entry will go to, for the new-entry page.
pub async fn blog_for_writing(app: &App, actor: &Actor, slug: &str) -> ServiceResult<Space> {
    let blog = super::spaces::readable_by_slug(app, actor, SpaceKind::Blog, slug).await?;
    require_writer(&mut *app.store().read().await?, actor, &blog).await?;
    Ok(blog)
}

pub async fn create_entry(
    app: &App,
    actor: &Actor,
    blog_slug: &str,
    input: EntryInput,
) -> ServiceResult<Saved> {
    let blog = super::spaces::readable_by_slug(app, actor, SpaceKind::Blog, blog_slug).await?;
    let mut tx = app.store().write().await?;
    require_writer(&mut tx, actor, &blog).await?;
    forum::ensure_terms_accepted(&mut tx, actor.viewer()).await?;
    let c = check(&mut tx, app, actor, &input).await?;
    let screened = safety::screen(
        app,
        &mut tx,
        actor,
        Draft {
            space: &blog,
            title: Some(&c.title),
            body: clean_text(&input.body).trim(),
            held_by_access: false,
            edit: false,
            submission: &input.submission,
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
            space: blog.id,
            author,
            guest_name: None,
            title,
            held,
            publish_at: c.publish_at,
        },
        now,
    )
    .await?;
    let post = posts::insert(
        &mut tx,
        NewPost {
            topic,
            author,
            guest_name: None,
            reply_to: None,
            body_md: body,
            body_html: &render_markdown(body),
            held,
        },
        now,
    )
    .await?;
    let slug = free_slug(&mut tx, &blog, c.slug.as_ref(), title, None).await?;
    blogs::insert(
        &mut tx,
        topic,
        blog.id,
        EntryFields {
            slug: &slug,
            excerpt: &excerpt_or_from(&c.excerpt, body),
            cover_id: input.cover_id,
            cover_alt: clean_text(input.cover_alt.trim()).as_str(),
        },
        now,
    )
    .await?;
    blogs::set_tags(&mut tx, topic, &c.tags).await?;
    screened.queue(&mut tx, post, now).await?;
    super::search::index_post(app, &mut tx, post, Some(title), body).await?;
    if let Some(me) = author {
        topics::watch(&mut tx, me, topic).await?;
    }
    let published = c.publish_at.is_some_and(|at| at <= now);
    if !held && published {
        forum::publish_post(&mut tx, &blog, topic, post, now).await?;
    }
    schedule(app, &mut tx, topic, c.publish_at).await?;
    hearth_store::commit(tx).await?;
    Ok(Saved {
        topic,
        blog_slug: blog.slug.as_str().to_owned(),
        slug,
        held,
        published,
    })
}

/// The entry as its writer edits it: its fields and its text.
pub struct EditEntry {
    pub blog: Space,
    pub entry: Entry,
    pub body_md: String,
    /// The pages its links were told of it (webmentions), with what happened.
    pub told: Vec<hearth_store::webmentions::Sent>,
}

pub async fn entry_for_edit(
    app: &App,
    actor: &Actor,
    blog_slug: &str,
    entry_slug: &str,
) -> ServiceResult<EditEntry> {
    let mut conn = app.store().read().await?;
    let (blog, entry) = visible_entry(&mut conn, app, actor, blog_slug, entry_slug).await?;
    require_writer(&mut conn, actor, &blog).await?;
    let body = posts::opening(&mut conn, entry.topic_id, None)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let told = hearth_store::webmentions::sent(&mut conn, entry.topic_id).await?;
    Ok(EditEntry {
        blog,
        entry,
        body_md: body.body_md,
        told,
    })
}

pub async fn update_entry(
    app: &App,
    actor: &Actor,
    blog_slug: &str,
    entry_slug: &str,
    input: EntryInput,
) -> ServiceResult<Saved> {
    let mut tx = app.store().write().await?;
    let (blog, entry) = visible_entry(&mut tx, app, actor, blog_slug, entry_slug).await?;
    require_writer(&mut tx, actor, &blog).await?;
    let c = check(&mut tx, app, actor, &input).await?;
    let opening = posts::opening(&mut tx, entry.topic_id, None)
        .await?
        .ok_or(ServiceError::NotFound)?;
    forum::edit_on(
        app,
        &mut tx,
        actor,
        opening.id,
        &input.body,
        Some(&c.title),
        &input.submission,
    )
    .await?;
    let slug = match &c.slug {
        Some(s) if s.as_str() == entry.slug => entry.slug.clone(),
        Some(s) => free_slug(&mut tx, &blog, Some(s), &c.title, Some(entry.topic_id)).await?,
        None => entry.slug.clone(),
    };
    let now = app.now();
    let body = clean_text(&input.body);
    blogs::update(
        &mut tx,
        entry.topic_id,
        EntryFields {
            slug: &slug,
            excerpt: &excerpt_or_from(&c.excerpt, body.trim()),
            cover_id: input.cover_id,
            cover_alt: clean_text(input.cover_alt.trim()).as_str(),
        },
        now,
    )
    .await?;
    blogs::set_tags(&mut tx, entry.topic_id, &c.tags).await?;
    // A published entry keeps its date unless it is taken back to a draft
    // or given a new time.
    let was_published = entry.publish_at.is_some_and(|at| at <= now);
    let publish_at = match input.publish {
        Some(Publish::Now) if was_published => entry.publish_at,
        _ => c.publish_at,
    };
    blogs::set_publish_at(&mut tx, entry.topic_id, publish_at).await?;
    let published = publish_at.is_some_and(|at| at <= now);
    if published && !was_published && !entry.held {
        forum::publish_post(&mut tx, &blog, entry.topic_id, opening.id, now).await?;
    } else if was_published {
        // Edited or taken back: the pages it links to (and linked to) hear again.
        super::webmentions::announce(&mut tx, entry.topic_id, now).await?;
    }
    schedule(app, &mut tx, entry.topic_id, publish_at).await?;
    hearth_store::commit(tx).await?;
    Ok(Saved {
        topic: entry.topic_id,
        blog_slug: blog.slug.as_str().to_owned(),
        slug,
        held: entry.held,
        published,
    })
}

/// Closes or reopens comments on one entry (its writers and moderators).
pub async fn set_comments_closed(
    app: &App,
    actor: &Actor,
    blog_slug: &str,
    entry_slug: &str,
    closed: bool,
) -> ServiceResult<Saved> {
    let mut tx = app.store().write().await?;
    let (blog, entry) = visible_entry(&mut tx, app, actor, blog_slug, entry_slug).await?;
    if !actor.viewer().moderates() {
        require_writer(&mut tx, actor, &blog).await?;
    }
    topics::set_locked(&mut tx, entry.topic_id, closed).await?;
    super::audit::record(
        &mut tx,
        actor,
        if closed {
            "entry.close_comments"
        } else {
            "entry.open_comments"
        },
        super::audit::Target::Topic(entry.topic_id),
        "",
        &entry.title,
        app.now(),
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(Saved {
        topic: entry.topic_id,
        blog_slug: blog.slug.as_str().to_owned(),
        slug: entry.slug,
        held: entry.held,
        published: entry.publish_at.is_some_and(|at| at <= app.now()),
    })
}

/// A comment on an entry (or a reply to a comment): the forum's reply, so
/// the same guards, queue and notifications apply.
pub async fn comment(
    app: &App,
    actor: &Actor,
    blog_slug: &str,
    entry_slug: &str,
    cmd: Reply,
) -> ServiceResult<(Saved, Posted)> {
    let entry = {
        let mut conn = app.store().read().await?;
        visible_entry(&mut conn, app, actor, blog_slug, entry_slug)
            .await?
            .1
    };
    let posted = forum::reply(app, actor, entry.topic_id, cmd).await?;
    Ok((
        Saved {
            topic: entry.topic_id,
            blog_slug: entry.blog_slug.clone(),
            slug: entry.slug,
            held: entry.held,
            published: true,
        },
        posted,
    ))
}

/// The job that makes a scheduled entry's publication happen at its time:
/// readers see it by the clock anyway, but its counters, the notifications
/// of people it mentions and the guests' page cache wait for a write.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct PublishEntry {
    pub topic: i64,
    /// The publication time (Unix ms).
    pub at: i64,
}

impl super::jobs::JobPayload for PublishEntry {
    const KIND: &'static str = "blog.publish";

    fn dedupe_key(&self) -> Option<String> {
        Some(format!("blog.publish:{}", self.topic))
    }

    fn run_at(&self, _now: i64) -> i64 {
        self.at
    }
}

/// Queues the publication job of an entry set to go out later.
async fn schedule(
    app: &App,
    tx: &mut hearth_store::WriteTx,
    topic: TopicId,
    publish_at: Option<i64>,
) -> ServiceResult<()> {
    if let Some(at) = publish_at.filter(|at| *at > app.now()) {
        super::jobs::enqueue(app, tx, &PublishEntry { topic: topic.0, at }).await?;
    }
    Ok(())
}

pub const PUBLISH: crate::jobs::Handler = crate::jobs::Handler {
    kind: <PublishEntry as super::jobs::JobPayload>::KIND,
    run: |app, job| {
        Box::pin(async move {
            let payload: PublishEntry = serde_json::from_str(&job.payload).map_err(|e| {
                crate::jobs::JobError::GiveUp(format!("not an entry publication: {e}"))
            })?;
            Ok(publish_scheduled(&app, TopicId(payload.topic)).await?)
        })
    },
};

/// Announces a scheduled entry whose time has come. Safe to run twice: an
/// entry already announced has a last post; one moved to a later time is
/// queued again for then; a draft again, or held, waits for its writer or
/// a moderator, whose action announces it.
async fn publish_scheduled(app: &App, id: TopicId) -> ServiceResult<()> {
    let now = app.now();
    let mut tx = app.store().write().await?;
    let Some(topic) = topics::by_id(&mut tx, id, None).await? else {
        return Ok(());
    };
    match topic.publish_at {
        _ if topic.deleted || topic.held || topic.last_post_id.is_some() => return Ok(()),
        None => return Ok(()),
        Some(at) if at > now => {
            schedule(app, &mut tx, id, Some(at)).await?;
            hearth_store::commit(tx).await?;
            return Ok(());
        }
        Some(_) => {}
    }
    let space = hearth_store::spaces::by_id(&mut tx, topic.space_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let opening = posts::opening(&mut tx, id, None)
        .await?
        .ok_or(ServiceError::NotFound)?;
    forum::publish_post(&mut tx, &space, id, opening.id, now).await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(id: i64, reply_to: Option<i64>) -> Post {
        Post {
            id: PostId(id),
            topic_id: TopicId(1),
            author_id: None,
            author_alias: None,
            author_role: None,
            guest_name: Some("guest".into()),
            reply_to_id: reply_to.map(PostId),
            reply_to_alias: None,
            body_md: String::new(),
            body_html: String::new(),
            held: false,
            hidden: false,
            revision: 1,
            like_count: 0,
            liked_by_viewer: false,
            created_at: id,
            edited_at: None,
            deleted_at: None,
        }
    }

    #[test]
    fn comments_follow_their_parents_and_nest_to_a_limit() {
        // 1 is the entry. 2 and 3 comment on it; 4 answers 2; 5 answers 4; a
        // chain 6→…→10 runs deeper than the limit; 11 answers a comment not shown.
        let comments = vec![
            post(2, Some(1)),
            post(3, None),
            post(4, Some(2)),
            post(5, Some(4)),
            post(6, Some(5)),
            post(7, Some(6)),
            post(8, Some(7)),
            post(11, Some(99)),
        ];
        let threaded = thread(comments, PostId(1));
        let order: Vec<(i64, usize)> = threaded.iter().map(|c| (c.post.id.0, c.depth)).collect();
        assert_eq!(
            order,
            vec![
                (2, 0),
                (4, 1),
                (5, 2),
                (6, 3),
                (7, 4),
                (8, 4),
                (3, 0),
                (11, 0)
            ]
        );
    }

    #[test]
    fn tags_are_named_once_and_given_addresses() {
        let mut problems = Problems::default();
        let tags = parse_tags(&mut problems, "Side effects, side  effects, Chemo ,,");
        assert!(problems.into_result().is_ok());
        assert_eq!(
            tags,
            vec![
                Tag {
                    slug: "side-effects".into(),
                    name: "Side effects".into()
                },
                Tag {
                    slug: "chemo".into(),
                    name: "Chemo".into()
                }
            ]
        );
        let mut problems = Problems::default();
        parse_tags(&mut problems, "!!!");
        assert!(problems.into_result().is_err());
    }
}
