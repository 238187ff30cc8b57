//! What a feed shows, and the member's private feed token.
//!
//! Feeds read through the very readers the pages use (the topic lists, the
//! readable topic, a topic's posts) and the one access decision, so that
//! whatever those hide (members-only spaces from guests, held or deleted
//! topics, unpublished entries) no feed shows either. Each feed is one
//! small function that returns its items.

use std::collections::HashMap;

use hearth_core::access::{Action, Sight, Viewer, decide, sight};
use hearth_core::model::{Role, SpaceKind, Tier, TopicId};
use hearth_store::posts::{self, Post};
use hearth_store::topics::{self, Topic};
use hearth_store::{Conn, accounts, tokens};

use super::{Actor, forum};
use crate::App;
use crate::error::{ServiceError, ServiceResult};
use crate::feeds::{Feed, FeedOf, ITEMS, Item};

/// Whether a space of this tier has public feeds (guests may read it); a
/// page links only to those, never to a feed with a private token.
pub fn public(tier: Tier) -> bool {
    decide(Viewer::Guest, tier, Action::Read).allowed()
}

/// Whether a topic has a public feed: guests may read its space, and it is
/// published (not held, deleted, a draft or still scheduled).
pub fn public_topic(app: &App, tier: Tier, topic: &Topic) -> bool {
    public(tier) && !topic.held && !topic.deleted && topic.published(app.now())
}

/// The feed of `of` as `reader` may read it.
pub async fn build(app: &App, reader: &Actor, of: &FeedOf) -> ServiceResult<Feed> {
    match of {
        FeedOf::Site => site(app, reader).await,
        FeedOf::Space(slug) => space(app, reader, slug).await,
        FeedOf::Topic(id) => topic(app, reader, *id).await,
        FeedOf::Blog(slug) => blog(app, reader, slug).await,
        FeedOf::Tag(slug) => tag(app, reader, slug).await,
    }
}

/// A blog's newest published entries, with their text.
async fn blog(app: &App, reader: &Actor, slug: &str) -> ServiceResult<Feed> {
    let page = super::blogs::blog_page(app, reader, slug, None).await?;
    let items = entry_items(app, reader, &page.entries).await?;
    let subtitle = if page.blog.description.is_empty() {
        format!("The newest entries in {}.", page.blog.name)
    } else {
        page.blog.description.clone()
    };
    Ok(Feed::new(
        format!("{} · {}", page.blog.name, app.site_name()),
        subtitle,
        app.link(&format!("/b/{}", page.blog.slug)),
        0,
        items,
    ))
}

/// The newest published entries with a tag, in the blogs the reader may read.
async fn tag(app: &App, reader: &Actor, slug: &str) -> ServiceResult<Feed> {
    let page = super::blogs::tag_page(app, reader, slug, None).await?;
    let items = entry_items(app, reader, &page.entries).await?;
    Ok(Feed::new(
        format!("Tagged “{}” · {}", page.tag.name, app.site_name()),
        format!("Entries tagged “{}”.", page.tag.name),
        app.link(&format!("/tags/{}", page.tag.slug)),
        0,
        items,
    ))
}

/// Entries as items: the entry's address, its publication time, its text.
async fn entry_items(
    app: &App,
    reader: &Actor,
    entries: &[hearth_store::blogs::Entry],
) -> ServiceResult<Vec<Item>> {
    let ids: Vec<TopicId> = entries.iter().map(|e| e.topic_id).collect();
    let mut conn = app.store().read().await?;
    let openings: HashMap<TopicId, Post> =
        posts::openings(&mut conn, &ids, reader.viewer().account())
            .await?
            .into_iter()
            .map(|p| (p.topic_id, p))
            .collect();
    Ok(entries
        .iter()
        .filter_map(|e| {
            let text = openings.get(&e.topic_id).filter(|p| published(p))?;
            let mut item = item(
                app,
                e.title.clone(),
                format!("/b/{}/{}", e.blog_slug, e.slug),
                text,
            );
            item.published = e.publish_at.unwrap_or(text.created_at);
            item.updated = item.updated.max(e.updated_at);
            Some(item)
        })
        .take(ITEMS as usize)
        .collect())
}

/// The latest topics in every space the reader may read.
async fn site(app: &App, reader: &Actor) -> ServiceResult<Feed> {
    let tiers = super::readable_tiers(reader);
    let mut conn = app.store().read().await?;
    let topics = topics::latest(&mut conn, &tiers, forum::list_for(reader), None, ITEMS).await?;
    let items = topic_items(app, &mut conn, reader, &topics).await?;
    let name = app.site_name();
    Ok(Feed::new(
        format!("{name}: latest topics"),
        format!("The latest topics in {name}."),
        app.link("/"),
        0,
        items,
    ))
}

/// A space's latest topics.
async fn space(app: &App, reader: &Actor, slug: &str) -> ServiceResult<Feed> {
    let space = super::spaces::readable_by_slug(app, reader, SpaceKind::Forum, slug).await?;
    let mut conn = app.store().read().await?;
    let mut topics =
        topics::list_in_space(&mut conn, space.id, forum::list_for(reader), None, ITEMS).await?;
    // The page puts pinned topics first; a feed is in order of time.
    topics.sort_by_key(|t| std::cmp::Reverse((t.last_activity_at, t.id)));
    topics.truncate(ITEMS as usize);
    let items = topic_items(app, &mut conn, reader, &topics).await?;
    let subtitle = if space.description.is_empty() {
        format!("The latest topics in {}.", space.name)
    } else {
        space.description.clone()
    };
    Ok(Feed::new(
        format!("{} · {}", space.name, app.site_name()),
        subtitle,
        app.link(&format!("/s/{}", space.slug)),
        space.last_activity_at.unwrap_or(0),
        items,
    ))
}

/// A topic's newest posts.
async fn topic(app: &App, reader: &Actor, id: TopicId) -> ServiceResult<Feed> {
    let viewer = reader.viewer();
    let mut conn = app.store().read().await?;
    let (space, topic) = forum::readable_topic(&mut conn, viewer, id).await?;
    let posts = posts::newest_in_topic(
        &mut conn,
        topic.id,
        viewer.account(),
        viewer.reviews(),
        ITEMS,
    )
    .await?;
    let opening = posts::opening(&mut conn, topic.id, None)
        .await?
        .map(|p| p.id);
    let items = posts
        .iter()
        .filter(|p| published(p))
        .map(|p| {
            let title = if Some(p.id) == opening {
                topic.title.clone()
            } else {
                format!("Re: {}", topic.title)
            };
            item(app, title, format!("/p/{}", p.id), p)
        })
        .collect();
    Ok(Feed::new(
        format!("{} · {}", topic.title, space.name),
        format!("The posts in “{}”.", topic.title),
        app.link(&format!("/t/{}", topic.id)),
        topic.created_at,
        items,
    ))
}

/// Feeds carry published text only: what a guest would see of a post in a
/// space they may read. Held, hidden and deleted posts stay out of every
/// feed, a member's own held post and a moderator's private feed included:
/// a feed URL lives on in feed readers and their cloud services.
fn published(post: &Post) -> bool {
    sight(Viewer::Guest, post.state()) == Sight::Text
}

/// Topics as items, with their opening posts as content. A topic whose
/// opening post is not published (hidden while moderators look) is left out.
async fn topic_items(
    app: &App,
    conn: &mut Conn,
    reader: &Actor,
    topics: &[Topic],
) -> ServiceResult<Vec<Item>> {
    let ids: Vec<TopicId> = topics.iter().map(|t| t.id).collect();
    let openings: HashMap<TopicId, Post> = posts::openings(conn, &ids, reader.viewer().account())
        .await?
        .into_iter()
        .map(|p| (p.topic_id, p))
        .collect();
    Ok(topics
        .iter()
        .filter_map(|t| {
            let opening = openings.get(&t.id).filter(|p| published(p))?;
            Some(item(app, t.title.clone(), format!("/t/{}", t.id), opening))
        })
        .collect())
}

fn item(app: &App, title: String, path: String, post: &Post) -> Item {
    Item {
        title,
        link: app.link(&path),
        author: post
            .author_alias
            .as_ref()
            .map(|a| a.as_str().to_owned())
            .or_else(|| post.guest_name.clone())
            .unwrap_or_else(|| "Guest".into()),
        published: post.created_at,
        updated: post.edited_at.unwrap_or(post.created_at),
        html: Item::absolute_links(&post.body_html, &app.config().base_url),
    }
}

// ---- the private feed token

/// The member whose feed token this is, as a reader of feeds; `NotFound`
/// for an unknown or revoked token and for a suspended account (erasure
/// deletes the token). The member reads with an ordinary member's eyes,
/// whatever their role: a feed is for reading, not for moderating or
/// writing (no queue, no deleted text, no blog drafts).
pub async fn reader(app: &App, token: &str) -> ServiceResult<Actor> {
    let mut conn = app.store().read().await?;
    let account = tokens::account_for_feed_token(&mut conn, token)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let account = accounts::by_id(&mut conn, account)
        .await?
        .filter(|a| !a.suspended(app.now()))
        .ok_or(ServiceError::NotFound)?;
    Ok(Actor::member(accounts::Account {
        role: Role::Member,
        ..account
    }))
}

/// When the member's feed token was made, if they have one.
pub async fn token_created(app: &App, actor: &Actor) -> ServiceResult<Option<i64>> {
    let account = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    Ok(tokens::feed_token_created(&mut *app.store().read().await?, account.id).await?)
}

/// Makes the member a new feed token (the old one stops working) and
/// returns it: it is shown this once, since only its hash is kept.
pub async fn create_token(app: &App, actor: &Actor) -> ServiceResult<String> {
    let account = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let mut tx = app.store().write_private().await?;
    let token = tokens::replace_feed_token(&mut tx, account.id, app.now()).await?;
    hearth_store::commit(tx).await?;
    Ok(token)
}

/// Revokes the member's feed token; `NotFound` when there was none.
pub async fn revoke_token(app: &App, actor: &Actor) -> ServiceResult<()> {
    let account = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let mut tx = app.store().write_private().await?;
    let revoked = tokens::revoke_feed_token(&mut tx, account.id).await?;
    hearth_store::commit(tx).await?;
    if revoked {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}
