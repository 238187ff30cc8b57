//! Spaces, topics and posts as pages.

use std::borrow::Cow;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::routing::post;
use hearth_core::access::Decision;
use hearth_core::model::{PostId, TopicId};
use hearth_core::text::render_markdown;
use hearth_store::spaces::Space;
use hearth_store::topics::Topic;
use serde::Deserialize;

use super::compose::{Composed, ReviewView, SafetyFields, composed};
use super::csrf::{CsrfForm, Empty};
use super::home::{AfterQuery, format_cursor, parse_cursor};
use super::page::{Chrome, Errors, redirect, render, render_with};
use super::session::ClientAddr;
use super::views::{Author, Moment, PostView, TopicItem};
use super::{Visitor, WebError};
use crate::App;
use crate::error::ServiceError;
use crate::feeds::FeedOf;
use crate::services::forum::{self, Reply, StartTopic, TopicSwitch};
use crate::services::{feeds, moderation, reading, safety};

pub fn router() -> Router<App> {
    Router::new()
        .route("/s/{slug}", get(space_page))
        .route("/s/{slug}/new", get(new_topic_page).post(new_topic))
        .route("/t/{id}", get(topic_page))
        .route("/t/{id}/reply", get(reply_page).post(reply))
        .route("/t/{id}/watch", post(watch))
        .route("/t/{id}/{switch}", post(switch_topic))
        .route("/p/{id}", get(permalink))
        .route("/p/{id}/edit", get(edit_page).post(edit))
        .route("/p/{id}/delete", get(delete_page).post(delete))
        .route("/p/{id}/history", get(history))
        .route("/p/{id}/like", post(like))
        .route("/p/{id}/approve", post(approve))
}

fn topic_id(text: &str) -> Result<TopicId, WebError> {
    text.parse()
        .map(TopicId)
        .map_err(|_| ServiceError::NotFound.into())
}

fn post_id(text: &str) -> Result<PostId, WebError> {
    text.parse()
        .map(PostId)
        .map_err(|_| ServiceError::NotFound.into())
}

#[derive(Deserialize)]
struct OnQuery {
    on: Option<String>,
}

impl OnQuery {
    fn on(&self) -> bool {
        self.on.as_deref() != Some("0")
    }
}

// ---- a space and its topics

#[derive(Template)]
#[template(path = "space.html")]
struct SpacePage {
    chrome: Chrome,
    space: Space,
    topics: Vec<TopicItem>,
    show_space: bool,
    start: Decision,
    next: Option<String>,
}

async fn space_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(slug): Path<String>,
    Query(q): Query<AfterQuery>,
) -> Result<Response, WebError> {
    let page = forum::space_page(
        &app,
        &visitor.actor,
        &slug,
        parse_cursor(q.after.as_deref()),
    )
    .await?;
    let signed_in = visitor.actor.signed_in().is_some();
    let chrome = Chrome::new(&app, &visitor, page.space.name.clone())
        .await?
        .with_feed(
            feeds::public(page.space.tier).then(|| FeedOf::Space(page.space.slug.to_string())),
            &page.space.name,
        );
    Ok(render(&SpacePage {
        chrome,
        topics: page
            .topics
            .iter()
            .map(|t| TopicItem::new(t, signed_in))
            .collect(),
        show_space: false,
        start: page.start,
        next: page.next.as_ref().map(format_cursor),
        space: page.space,
    }))
}

// ---- starting a topic

#[derive(Deserialize, Default)]
#[serde(default)]
struct TopicForm {
    title: String,
    body: String,
    guest_name: String,
    #[serde(flatten)]
    safety: SafetyFields,
}

#[derive(Template)]
#[template(path = "topic_new.html")]
struct NewTopicPage {
    chrome: Chrome,
    space: Space,
    form: TopicForm,
    errors: Errors,
    guest: bool,
    safety: SafetyFields,
    review: Option<ReviewView>,
}

async fn new_topic_view(
    app: &App,
    visitor: &Visitor,
    slug: &str,
    form: TopicForm,
    errors: Errors,
    review: Option<ReviewView>,
) -> Result<NewTopicPage, WebError> {
    let page = forum::space_page(app, &visitor.actor, slug, None).await?;
    ServiceError::check(page.start)?;
    Ok(NewTopicPage {
        chrome: Chrome::new(app, visitor, format!("New topic in {}", page.space.name)).await?,
        space: page.space,
        safety: form.safety.again(app),
        form,
        errors,
        guest: visitor.actor.signed_in().is_none(),
        review,
    })
}

async fn new_topic_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let page = forum::space_page(&app, &visitor.actor, &slug, None).await?;
    if page.start == Decision::SignIn {
        // The slug comes from the store, so it is safe in a location.
        return Ok(redirect(&format!("/login?next=/s/{}/new", page.space.slug)));
    }
    let form = TopicForm {
        safety: SafetyFields::fresh(&app),
        ..Default::default()
    };
    Ok(render(
        &new_topic_view(&app, &visitor, &slug, form, Errors::default(), None).await?,
    ))
}

async fn new_topic(
    State(app): State<App>,
    visitor: Visitor,
    ClientAddr(client): ClientAddr,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<TopicForm>,
) -> Result<Response, WebError> {
    let cmd = StartTopic {
        title: form.title.clone(),
        body: form.body.clone(),
        guest_name: form.guest_name.clone(),
        submission: form.safety.submission(&app, &client),
    };
    let (errors, review) =
        match composed(forum::start_topic(&app, &visitor.actor, &slug, cmd).await)? {
            Composed::Done(posted) if posted.held => {
                return held_message(&app, &visitor, &format!("/s/{slug}"), posted.post).await;
            }
            Composed::Done(posted) => return Ok(redirect(&format!("/t/{}", posted.topic))),
            Composed::Fix(errors) => (errors, None),
            Composed::Review(review) => (Errors::default(), Some(review)),
        };
    Ok(render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &new_topic_view(&app, &visitor, &slug, form, errors, review).await?,
    ))
}

/// A held post: the author is told what happens. A guest cannot see their
/// own post until it is approved, so they are not sent to a page they may
/// not open; a member is shown where their post will appear.
async fn held_message(
    app: &App,
    visitor: &Visitor,
    back: &str,
    post: PostId,
) -> Result<Response, WebError> {
    let (back, label) = if visitor.actor.signed_in().is_some() {
        (format!("/p/{post}"), "See your post")
    } else {
        (back.to_owned(), "Back to the space")
    };
    super::account::message(
        app,
        visitor,
        "Thank you: your post is waiting for a moderator",
        &["A moderator checks this post before others can see it. This usually happens within a day, and you will be told when it is done. Until then, only you and the moderators can see it."],
        Some((&back, label)),
    )
    .await
}

// ---- a topic

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReplyForm {
    body: String,
    reply_to: Option<String>,
    guest_name: String,
    #[serde(flatten)]
    safety: SafetyFields,
}

#[derive(Template)]
#[template(path = "topic.html")]
struct TopicPage<'a> {
    chrome: Chrome,
    topic_path: String,
    space: Space,
    topic: Topic,
    posts: Vec<PostView<'a>>,
    next: Option<i64>,
    first_page: bool,
    watching: bool,
    signed_in: bool,
    moderator: bool,
    reply: Decision,
    reply_to: Option<i64>,
    guest: bool,
    form: ReplyForm,
    errors: Errors,
    safety: SafetyFields,
    review: Option<ReviewView>,
    disclaimer_html: Option<String>,
    share: super::share::Share,
}

async fn topic_view<'a>(
    app: &App,
    visitor: &Visitor,
    page: &'a reading::TopicPage,
) -> Result<TopicPage<'a>, WebError> {
    let viewer = visitor.actor.viewer();
    let last_read = page.topic.last_read_post_id;
    let posts = page
        .posts()
        .map(|s| {
            let moments = (Cow::Borrowed(s.created), s.edited.map(Cow::Borrowed));
            PostView {
                liked: s.liked,
                ..PostView::at(
                    s.post,
                    moments,
                    viewer,
                    page.space.tier,
                    page.reply,
                    last_read,
                )
            }
        })
        .collect();
    let disclaimer_html = if page.space.medical {
        Some(safety::rules(app).await?.disclaimer_html().to_owned())
    } else {
        None
    };
    let topic_path = format!("/t/{}", page.topic.id);
    Ok(TopicPage {
        share: super::share::Share::new(
            app,
            &topic_path,
            &page.topic.title,
            page.space.tier == hearth_core::model::Tier::MembersOnly,
        ),
        disclaimer_html,
        chrome: Chrome::new(app, visitor, page.topic.title.clone())
            .await?
            .with_feed(
                feeds::public_topic(app, page.space.tier, &page.topic)
                    .then_some(FeedOf::Topic(page.topic.id)),
                &page.topic.title,
            ),
        topic_path,
        posts,
        next: page.next.map(|p| p.0),
        first_page: page.first_page,
        watching: page.watching,
        signed_in: viewer.account().is_some(),
        moderator: page.moderator,
        reply: page.reply,
        reply_to: None,
        guest: viewer.account().is_none(),
        space: page.space.clone(),
        topic: page.topic.clone(),
        safety: SafetyFields::fresh(app),
        review: None,
        form: ReplyForm::default(),
        errors: Errors::default(),
    })
}

async fn topic_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(q): Query<AfterQuery>,
) -> Result<Response, WebError> {
    let after = q.after.as_deref().and_then(|a| a.parse().ok()).map(PostId);
    let id = topic_id(&id)?;
    // A blog entry's topic is shown as the entry.
    if let Some(path) = reading::entry_path(&app, &visitor.actor, id).await? {
        return Ok(redirect(&path));
    }
    let page = reading::topic_page(&app, &visitor.actor, id, after).await?;
    Ok(render(&topic_view(&app, &visitor, &page).await?))
}

#[derive(Template)]
#[template(path = "reply.html")]
struct ReplyPage {
    chrome: Chrome,
    space: Space,
    topic: Topic,
    reply_to: Option<i64>,
    guest: bool,
    form: ReplyForm,
    errors: Errors,
    safety: SafetyFields,
    review: Option<ReviewView>,
}

#[derive(Deserialize)]
struct ToQuery {
    to: Option<String>,
}

async fn reply_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(q): Query<ToQuery>,
) -> Result<Response, WebError> {
    let to = q.to.as_deref().map(post_id).transpose()?;
    let (space, topic, parent, quote) =
        forum::reply_form(&app, &visitor.actor, topic_id(&id)?, to).await?;
    let chrome = Chrome::new(&app, &visitor, format!("Reply to {}", topic.title)).await?;
    Ok(render(&ReplyPage {
        chrome,
        space,
        topic,
        reply_to: parent.map(|p| p.id.0),
        guest: visitor.actor.signed_in().is_none(),
        form: ReplyForm {
            body: quote,
            ..Default::default()
        },
        errors: Errors::default(),
        safety: SafetyFields::fresh(&app),
        review: None,
    }))
}

async fn reply(
    State(app): State<App>,
    visitor: Visitor,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ReplyForm>,
) -> Result<Response, WebError> {
    let id = topic_id(&id)?;
    let reply_to = form
        .reply_to
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(post_id)
        .transpose()?;
    let cmd = Reply {
        body: form.body.clone(),
        reply_to,
        guest_name: form.guest_name.clone(),
        submission: form.safety.submission(&app, &client),
    };
    let (errors, review) = match composed(forum::reply(&app, &visitor.actor, id, cmd).await)? {
        Composed::Done(posted) if posted.held => {
            let (space, _, _, _) = forum::reply_form(&app, &visitor.actor, id, None).await?;
            let back = format!("/s/{}", space.slug);
            return held_message(&app, &visitor, &back, posted.post).await;
        }
        Composed::Done(posted) => return Ok(redirect(&format!("/p/{}", posted.post))),
        Composed::Fix(errors) => (errors, None),
        Composed::Review(review) => (Errors::default(), Some(review)),
    };
    // Show the reply form again, with the text, on the reply page.
    let (space, topic, _, _) = forum::reply_form(&app, &visitor.actor, id, None).await?;
    let chrome = Chrome::new(&app, &visitor, format!("Reply to {}", topic.title)).await?;
    let guest = visitor.actor.signed_in().is_none();
    Ok(render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &ReplyPage {
            chrome,
            space,
            topic,
            reply_to: reply_to.map(|p| p.0),
            guest,
            safety: form.safety.again(&app),
            form,
            errors,
            review,
        },
    ))
}

/// A post's permanent address: the page of its topic where it is.
async fn permalink(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let location = forum::post_location(&app, &visitor.actor, post_id(&id)?).await?;
    Ok(redirect(&location))
}

async fn watch(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(q): Query<OnQuery>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let id = topic_id(&id)?;
    forum::set_watching(&app, &visitor.actor, id, q.on()).await?;
    Ok(redirect(&format!("/t/{id}")))
}

/// Pin or close a topic: `/t/{id}/{pin|lock}?on=0|1` (moderators).
async fn switch_topic(
    State(app): State<App>,
    visitor: Visitor,
    Path((id, switch)): Path<(String, String)>,
    Query(q): Query<OnQuery>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let id = topic_id(&id)?;
    let switch = match switch.as_str() {
        "pin" => TopicSwitch::Pinned(q.on()),
        "lock" => TopicSwitch::Locked(q.on()),
        _ => return Err(ServiceError::NotFound.into()),
    };
    forum::moderate_topic(&app, &visitor.actor, id, switch).await?;
    Ok(redirect(&format!("/t/{id}")))
}

// ---- one post

#[derive(Deserialize, Default)]
#[serde(default)]
struct EditForm {
    title: String,
    body: String,
    #[serde(flatten)]
    safety: SafetyFields,
}

#[derive(Template)]
#[template(path = "post_edit.html")]
struct EditPage {
    chrome: Chrome,
    post_id: i64,
    topic_id: i64,
    topic_title: String,
    is_opening: bool,
    form: EditForm,
    errors: Errors,
    safety: SafetyFields,
    review: Option<ReviewView>,
}

async fn edit_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let ctx = forum::edit_form(&app, &visitor.actor, post_id(&id)?).await?;
    let chrome = Chrome::new(&app, &visitor, "Edit post").await?;
    Ok(render(&EditPage {
        chrome,
        post_id: ctx.post.id.0,
        topic_id: ctx.topic.id.0,
        topic_title: ctx.topic.title.clone(),
        is_opening: ctx.is_opening,
        form: EditForm {
            title: ctx.topic.title,
            body: ctx.post.body_md,
            safety: SafetyFields::default(),
        },
        errors: Errors::default(),
        safety: SafetyFields::fresh(&app),
        review: None,
    }))
}

async fn edit(
    State(app): State<App>,
    visitor: Visitor,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<EditForm>,
) -> Result<Response, WebError> {
    let id = post_id(&id)?;
    let submission = form.safety.submission(&app, &client);
    let result = forum::edit(
        &app,
        &visitor.actor,
        id,
        &form.body,
        Some(&form.title),
        &submission,
    );
    let (errors, review) = match composed(result.await)? {
        Composed::Done(_) => return Ok(redirect(&format!("/p/{id}"))),
        Composed::Fix(errors) => (errors, None),
        Composed::Review(review) => (Errors::default(), Some(review)),
    };
    {
        {
            let ctx = forum::edit_form(&app, &visitor.actor, id).await?;
            let chrome = Chrome::new(&app, &visitor, "Edit post").await?;
            Ok(render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &EditPage {
                    chrome,
                    post_id: id.0,
                    topic_id: ctx.topic.id.0,
                    topic_title: ctx.topic.title,
                    is_opening: ctx.is_opening,
                    safety: form.safety.again(&app),
                    form,
                    errors,
                    review,
                },
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "post_delete.html")]
struct DeletePage {
    chrome: Chrome,
    post_id: i64,
    topic_id: i64,
    topic_title: String,
    is_opening: bool,
    body_html: String,
}

async fn delete_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let ctx = forum::delete_form(&app, &visitor.actor, post_id(&id)?).await?;
    let chrome = Chrome::new(&app, &visitor, "Delete post").await?;
    Ok(render(&DeletePage {
        chrome,
        post_id: ctx.post.id.0,
        topic_id: ctx.topic.id.0,
        topic_title: ctx.topic.title,
        is_opening: ctx.is_opening,
        body_html: ctx.post.body_html,
    }))
}

async fn delete(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let (topic, whole_topic) = forum::delete(&app, &visitor.actor, post_id(&id)?).await?;
    let to = if whole_topic {
        "/".to_owned()
    } else {
        format!("/t/{topic}")
    };
    Ok(redirect(&to))
}

struct RevisionView {
    number: i64,
    html: String,
    editor: Option<String>,
    replaced: Moment,
}

#[derive(Template)]
#[template(path = "post_history.html")]
struct HistoryPage {
    chrome: Chrome,
    topic_id: i64,
    topic_title: String,
    author: String,
    created: Moment,
    current_revision: i64,
    current_html: String,
    revisions: Vec<RevisionView>,
}

async fn history(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (topic, post, revisions) = forum::history(&app, &visitor.actor, post_id(&id)?).await?;
    let chrome = Chrome::new(&app, &visitor, "Edit history").await?;
    let author = Author::new(
        post.author_alias.as_ref(),
        post.author_role,
        post.guest_name.as_deref(),
    )
    .name;
    Ok(render(&HistoryPage {
        chrome,
        topic_id: topic.id.0,
        topic_title: topic.title,
        author,
        created: Moment::from_ms(post.created_at),
        current_revision: post.revision,
        current_html: post.body_html,
        revisions: revisions
            .into_iter()
            .rev()
            .map(|r| RevisionView {
                number: r.revision,
                html: render_markdown(&r.body_md),
                editor: r.editor_alias,
                replaced: Moment::from_ms(r.replaced_at),
            })
            .collect(),
    }))
}

async fn like(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(q): Query<OnQuery>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let id = post_id(&id)?;
    forum::set_like(&app, &visitor.actor, id, q.on()).await?;
    Ok(redirect(&format!("/p/{id}")))
}

async fn approve(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let id = post_id(&id)?;
    let approve = moderation::Decision::Approve { edited: None };
    moderation::decide_one(&app, &visitor.actor, id, &approve).await?;
    Ok(redirect(&format!("/p/{id}")))
}
