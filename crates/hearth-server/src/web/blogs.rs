//! Blog pages: the list of blogs, a blog's entries, an entry with its
//! threaded comments, the writers' entry form (with preview and a cover
//! image), tags, and the uploaded images themselves.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hearth_core::access::{Decision, Viewer};
use hearth_core::model::{PostId, Tier};
use hearth_core::text::render_markdown;
use hearth_store::blogs::{Entry, PublishedCursor, Status};
use hearth_store::spaces::Space;
use serde::Deserialize;

use super::compose::{Composed, ReviewView, SafetyFields, composed};
use super::csrf::{CsrfForm, CsrfMultipart};
use super::page::{Chrome, Errors, redirect, render, render_with};
use super::session::ClientAddr;
use super::share::Share;
use super::views::{Author, Moment, PostView};
use super::{Visitor, WebError};
use crate::App;
use crate::error::{FieldError, ServiceError};
use crate::feeds::FeedOf;
use crate::services::blogs::{self, EntryInput, Publish};
use crate::services::forum::Reply;
use crate::services::uploads;

pub fn router() -> Router<App> {
    // Room for a 5 MB image and the form around it.
    let with_image = DefaultBodyLimit::max(uploads::MAX_IMAGE_BYTES + 256 * 1024);
    Router::new()
        .route("/blogs", get(blog_list))
        .route("/b/{blog}", get(blog_page))
        .route(
            "/b/{blog}/new",
            get(new_entry_page).post(new_entry).layer(with_image),
        )
        .route("/b/{blog}/{entry}", get(entry_page))
        .route(
            "/b/{blog}/{entry}/edit",
            get(edit_entry_page).post(edit_entry).layer(with_image),
        )
        .route("/b/{blog}/{entry}/comments", post(comment))
        .route("/b/{blog}/{entry}/comments-closed", post(close_comments))
        .route("/tags/{tag}", get(tag_page))
        .route("/uploads/{key}", get(upload))
}

/// An entry as lists show it.
struct EntryItem {
    href: String,
    title: String,
    excerpt: String,
    author: Author,
    published: Option<Moment>,
    /// "Draft", "Scheduled", "Awaiting approval" (writers' lists).
    status: Option<&'static str>,
    comments: i64,
    cover: Option<(String, String)>,
    tags: Vec<(String, String)>,
    blog_name: String,
    blog_href: String,
}

impl EntryItem {
    fn new(e: &Entry, now: i64) -> Self {
        let status = match e.status(now) {
            Status::Held => Some("Awaiting approval"),
            Status::Draft => Some("Draft"),
            Status::Scheduled => Some("Scheduled"),
            Status::Published => None,
        };
        Self {
            href: format!("/b/{}/{}", e.blog_slug, e.slug),
            title: e.title.clone(),
            excerpt: e.excerpt.clone(),
            author: Author::new(e.author_alias.as_ref(), e.author_role, None),
            published: e.publish_at.map(Moment::from_ms),
            status,
            comments: e.comment_count,
            cover: e
                .cover
                .as_ref()
                .map(|c| (format!("/uploads/{}", c.storage_key), e.cover_alt.clone())),
            tags: tag_links(e),
            blog_name: e.blog_name.clone(),
            blog_href: format!("/b/{}", e.blog_slug),
        }
    }
}

fn tag_links(e: &Entry) -> Vec<(String, String)> {
    e.tags
        .iter()
        .map(|t| (format!("/tags/{}", t.slug), t.name.clone()))
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AfterQuery {
    after: Option<String>,
}

// ---- the list of blogs

#[derive(Template)]
#[template(path = "blogs.html")]
struct BlogsPage {
    chrome: Chrome,
    blogs: Vec<Space>,
}

async fn blog_list(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    let blogs = blogs::blogs(&app, &visitor.actor).await?;
    Ok(render(&BlogsPage {
        chrome: Chrome::new(&app, &visitor, "Blogs").await?,
        blogs,
    }))
}

// ---- a blog

#[derive(Template)]
#[template(path = "blog.html")]
struct BlogPage {
    chrome: Chrome,
    blog: Space,
    entries: Vec<EntryItem>,
    unpublished: Vec<EntryItem>,
    next: Option<String>,
    writer: bool,
    first_page: bool,
}

async fn blog_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(slug): Path<String>,
    Query(q): Query<AfterQuery>,
) -> Result<Response, WebError> {
    let after = PublishedCursor::parse(q.after.as_deref());
    let page = blogs::blog_page(&app, &visitor.actor, &slug, after).await?;
    let now = app.now();
    let feed = crate::services::feeds::public(page.blog.tier)
        .then(|| FeedOf::Blog(page.blog.slug.to_string()));
    Ok(render(&BlogPage {
        chrome: Chrome::new(&app, &visitor, page.blog.name.clone())
            .await?
            .with_feed(feed, &page.blog.name),
        entries: page
            .entries
            .iter()
            .map(|e| EntryItem::new(e, now))
            .collect(),
        unpublished: page
            .unpublished
            .iter()
            .map(|e| EntryItem::new(e, now))
            .collect(),
        next: page.next.as_ref().map(|c| c.to_text()),
        writer: page.writer,
        first_page: after.is_none(),
        blog: page.blog,
    }))
}

// ---- a tag

#[derive(Template)]
#[template(path = "tag.html")]
struct TagPage {
    chrome: Chrome,
    slug: String,
    entries: Vec<EntryItem>,
    next: Option<String>,
}

async fn tag_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(slug): Path<String>,
    Query(q): Query<AfterQuery>,
) -> Result<Response, WebError> {
    let page = blogs::tag_page(
        &app,
        &visitor.actor,
        &slug,
        PublishedCursor::parse(q.after.as_deref()),
    )
    .await?;
    let now = app.now();
    Ok(render(&TagPage {
        chrome: Chrome::new(&app, &visitor, format!("Tagged “{}”", page.tag.name))
            .await?
            .with_feed(
                Some(FeedOf::Tag(page.tag.slug.clone())),
                &format!("Tagged “{}”", page.tag.name),
            ),
        slug: page.tag.slug,
        entries: page
            .entries
            .iter()
            .map(|e| EntryItem::new(e, now))
            .collect(),
        next: page.next.as_ref().map(|c| c.to_text()),
    }))
}

// ---- an entry and its comments

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct CommentForm {
    body: String,
    reply_to: Option<String>,
    guest_name: String,
    #[serde(flatten)]
    safety: SafetyFields,
}

/// Preview cards for other sites (Open Graph, Twitter Cards): public entries only.
struct Card {
    title: String,
    description: String,
    url: String,
    image: Option<String>,
    image_alt: String,
    published: String,
    site_name: String,
}

struct CommentView<'a> {
    post: PostView<'a>,
    depth: usize,
}

#[derive(Template)]
#[template(path = "entry.html")]
struct EntryPage<'a> {
    chrome: Chrome,
    blog: Space,
    item: EntryItem,
    path: String,
    body: PostView<'a>,
    comments: Vec<CommentView<'a>>,
    reactions: super::webmention::Reactions,
    comment: Decision,
    closed: bool,
    writer: bool,
    moderator: bool,
    card: Option<Card>,
    share: Share,
    form: CommentForm,
    /// The comment being answered: its id and author.
    reply_to: Option<(i64, String)>,
    guest: bool,
    errors: Errors,
    safety: SafetyFields,
    review: Option<ReviewView>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EntryQuery {
    reply_to: Option<String>,
}

async fn entry_view<'a>(
    app: &App,
    visitor: &Visitor,
    page: &'a blogs::EntryPage,
    form: CommentForm,
    errors: Errors,
    review: Option<ReviewView>,
) -> Result<EntryPage<'a>, WebError> {
    let viewer = visitor.actor.viewer();
    let tier = page.blog.tier;
    let path = format!("/b/{}/{}", page.blog.slug, page.entry.slug);
    let now = app.now();
    let item = EntryItem::new(&page.entry, now);
    let base = app.config().base_url.trim_end_matches('/').to_owned();
    let public = tier != Tier::MembersOnly && item.status.is_none();
    let card = public.then(|| Card {
        title: page.entry.title.clone(),
        description: page.entry.excerpt.clone(),
        url: format!("{base}{path}"),
        image: item.cover.as_ref().map(|(href, _)| format!("{base}{href}")),
        image_alt: page.entry.cover_alt.clone(),
        published: item
            .published
            .as_ref()
            .map(|m| m.iso.clone())
            .unwrap_or_default(),
        site_name: app.site_name(),
    });
    let reply_to = form
        .reply_to
        .as_deref()
        .and_then(|id| id.parse::<i64>().ok())
        .and_then(|id| {
            page.comments
                .iter()
                .find(|c| c.post.id.0 == id)
                .map(|c| (id, view_author(&c.post)))
        });
    let comments = page
        .comments
        .iter()
        .map(|c| CommentView {
            post: PostView::new(&c.post, viewer, tier, page.comment, None),
            depth: c.depth,
        })
        .collect();
    // The entry's own feed carries its text and comments (public entries only).
    let feed = public.then_some(FeedOf::Topic(page.entry.topic_id));
    Ok(EntryPage {
        chrome: Chrome::new(app, visitor, page.entry.title.clone())
            .await?
            .with_feed(feed, &format!("Comments on “{}”", page.entry.title)),
        share: Share::new(app, &path, &page.entry.title, tier == Tier::MembersOnly),
        body: PostView::new(&page.body, viewer, tier, Decision::Hidden, None),
        comments,
        reactions: super::webmention::Reactions::new(&page.reactions),
        comment: page.comment,
        closed: page.closed,
        writer: page.writer,
        moderator: page.moderator,
        card,
        item,
        path,
        blog: page.blog.clone(),
        reply_to,
        guest: viewer.account().is_none(),
        safety: form.safety.again(app),
        form,
        errors,
        review,
    })
}

fn view_author(p: &hearth_store::posts::Post) -> String {
    p.author_alias
        .as_ref()
        .map(|a| a.to_string())
        .or_else(|| p.guest_name.clone())
        .unwrap_or_else(|| "a comment".into())
}

async fn entry_page(
    State(app): State<App>,
    visitor: Visitor,
    Path((blog, entry)): Path<(String, String)>,
    Query(q): Query<EntryQuery>,
) -> Result<Response, WebError> {
    let form = CommentForm {
        reply_to: q.reply_to,
        safety: SafetyFields::fresh(&app),
        ..Default::default()
    };
    let page = blogs::entry_page(&app, &visitor.actor, &blog, &entry).await?;
    let view = entry_view(&app, &visitor, &page, form, Errors::default(), None).await?;
    let mut page = render(&view);
    if view.card.is_some() {
        super::webmention::advertise(page.headers_mut());
    }
    Ok(page)
}

async fn comment(
    State(app): State<App>,
    visitor: Visitor,
    ClientAddr(client): ClientAddr,
    Path((blog, entry)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<CommentForm>,
) -> Result<Response, WebError> {
    let reply_to = match form.reply_to.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => Some(PostId(id.parse().map_err(|_| ServiceError::NotFound)?)),
        None => None,
    };
    let cmd = Reply {
        body: form.body.clone(),
        reply_to,
        guest_name: form.guest_name.clone(),
        submission: form.safety.submission(&app, &client),
    };
    let (errors, review) = match composed(
        blogs::comment(&app, &visitor.actor, &blog, &entry, cmd).await,
    )? {
        Composed::Done((saved, posted)) if posted.held => {
            return super::account::message(
                    &app,
                    &visitor,
                    "Thank you: your comment is waiting for a moderator",
                    &["A moderator checks comments before others can see them. This usually happens within a day. Until then, only you and the moderators can see it."],
                    Some((&saved.path(), "Back to the entry")),
                )
                .await;
        }
        Composed::Done((saved, posted)) => {
            return Ok(redirect(&format!("{}#post-{}", saved.path(), posted.post)));
        }
        Composed::Fix(errors) => (errors, None),
        Composed::Review(review) => (Errors::default(), Some(review)),
    };
    // The entry again, with the comment as typed.
    let page = blogs::entry_page(&app, &visitor.actor, &blog, &entry).await?;
    Ok(render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &entry_view(&app, &visitor, &page, form, errors, review).await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ClosedQuery {
    on: Option<String>,
}

async fn close_comments(
    State(app): State<App>,
    visitor: Visitor,
    Path((blog, entry)): Path<(String, String)>,
    Query(q): Query<ClosedQuery>,
    CsrfForm(_): CsrfForm<super::csrf::Empty>,
) -> Result<Response, WebError> {
    let closed = q.on.as_deref() != Some("0");
    let saved = blogs::set_comments_closed(&app, &visitor.actor, &blog, &entry, closed).await?;
    Ok(redirect(&format!("{}#comments", saved.path())))
}

// ---- writing an entry

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct EntryForm {
    title: String,
    body: String,
    excerpt: String,
    slug: String,
    tags: String,
    /// `now`, `draft` or `at`.
    publish: String,
    /// `YYYY-MM-DDTHH:MM`, UTC (`publish` = `at`).
    publish_at: String,
    /// A cover uploaded earlier (kept across previews and corrections).
    cover_id: String,
    cover_alt: String,
    /// "on": take the cover away.
    remove_cover: String,
    /// `preview` or `save`.
    action: String,
    #[serde(flatten)]
    safety: SafetyFields,
}

impl EntryForm {
    fn from_entry(e: &Entry, body_md: String, now: i64) -> Self {
        let (publish, publish_at) = match e.publish_at {
            None => ("draft", String::new()),
            Some(at) if at > now => ("at", datetime_local(at)),
            Some(_) => ("now", String::new()),
        };
        Self {
            title: e.title.clone(),
            body: body_md,
            excerpt: e.excerpt.clone(),
            slug: e.slug.clone(),
            tags: e
                .tags
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            publish: publish.into(),
            publish_at,
            cover_id: e
                .cover
                .as_ref()
                .map(|c| c.id.to_string())
                .unwrap_or_default(),
            cover_alt: e.cover_alt.clone(),
            ..Default::default()
        }
    }

    fn publish(&self) -> Result<Option<Publish>, FieldError> {
        Ok(match self.publish.as_str() {
            "now" => Some(Publish::Now),
            "draft" => Some(Publish::Draft),
            "at" => Some(Publish::At(parse_datetime_local(&self.publish_at).ok_or(
                FieldError {
                    field: "publish_at",
                    message: "Enter the date and time to publish, like 2026-12-01 09:30.".into(),
                },
            )?)),
            _ => None,
        })
    }
}

/// `2026-12-01T09:30` (as a `datetime-local` field sends it), read as UTC.
fn parse_datetime_local(text: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let text = text.trim().replace(' ', "T");
    let text = text.get(..16).unwrap_or(&text);
    let at = time::PrimitiveDateTime::parse(text, format).ok()?;
    Some((at.assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
}

fn datetime_local(ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "entry_form.html")]
struct EntryFormPage {
    chrome: Chrome,
    blog: Space,
    action: String,
    form: EntryForm,
    cover: Option<hearth_store::uploads::Upload>,
    preview_html: Option<String>,
    errors: Errors,
    safety: SafetyFields,
    review: Option<ReviewView>,
    new: bool,
    /// Pages the entry's links told of it: address, outcome, when.
    told: Vec<(String, String, Moment)>,
}

/// What the entry form shows besides the fields.
#[derive(Default)]
struct Feedback {
    errors: Errors,
    review: Option<ReviewView>,
    /// Show the text as it will look.
    preview: bool,
}

async fn form_page(
    app: &App,
    visitor: &Visitor,
    blog: Space,
    action: String,
    form: EntryForm,
    feedback: Feedback,
) -> Result<EntryFormPage, WebError> {
    let Feedback {
        errors,
        review,
        preview,
    } = feedback;
    let cover = match form.cover_id.parse::<i64>() {
        Ok(id) => uploads::record(app, id).await?,
        Err(_) => None,
    };
    let new = action.ends_with("/new");
    Ok(EntryFormPage {
        chrome: Chrome::new(
            app,
            visitor,
            if new {
                format!("Write an entry in {}", blog.name)
            } else {
                format!("Edit “{}”", form.title)
            },
        )
        .await?,
        preview_html: preview.then(|| render_markdown(&form.body)),
        safety: form.safety.again(app),
        blog,
        action,
        form,
        cover,
        errors,
        review,
        new,
        told: Vec::new(),
    })
}

async fn new_entry_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let blog = blogs::blog_for_writing(&app, &visitor.actor, &slug).await?;
    let form = EntryForm {
        publish: "now".into(),
        safety: SafetyFields::fresh(&app),
        ..Default::default()
    };
    let action = format!("/b/{slug}/new");
    Ok(render(
        &form_page(&app, &visitor, blog, action, form, Feedback::default()).await?,
    ))
}

async fn edit_entry_page(
    State(app): State<App>,
    visitor: Visitor,
    Path((blog, entry)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let e = blogs::entry_for_edit(&app, &visitor.actor, &blog, &entry).await?;
    let mut form = EntryForm::from_entry(&e.entry, e.body_md, app.now());
    form.safety = SafetyFields::fresh(&app);
    let action = format!("/b/{blog}/{entry}/edit");
    let mut page = form_page(&app, &visitor, e.blog, action, form, Feedback::default()).await?;
    page.told = e
        .told
        .into_iter()
        .map(|s| (s.target, s.outcome, Moment::from_ms(s.sent_at)))
        .collect();
    Ok(render(&page))
}

/// Reads the form's cover: a new file is checked and kept at once, so that a
/// preview or a correction does not ask for it again.
async fn take_cover(
    app: &App,
    visitor: &Visitor,
    form: &mut EntryForm,
    files: &mut std::collections::HashMap<String, Vec<u8>>,
) -> Result<Option<FieldError>, WebError> {
    if form.remove_cover == "on" {
        form.cover_id.clear();
        form.cover_alt.clear();
        form.remove_cover.clear();
    }
    let Some(bytes) = files.remove("cover") else {
        return Ok(None);
    };
    match uploads::store_image(app, &visitor.actor, "cover", &bytes).await {
        Ok(upload) => {
            form.cover_id = upload.id.to_string();
            Ok(None)
        }
        Err(ServiceError::Invalid(mut fields)) if !fields.is_empty() => Ok(Some(fields.remove(0))),
        Err(other) => Err(other.into()),
    }
}

/// Both writing doors (new and edit): preview, or save and go to the entry.
async fn save_entry(
    app: App,
    visitor: Visitor,
    blog_slug: String,
    entry_slug: Option<String>,
    client: String,
    upload: CsrfMultipart<EntryForm>,
) -> Result<Response, WebError> {
    let CsrfMultipart {
        mut form,
        mut files,
    } = upload;
    let action = match &entry_slug {
        Some(e) => format!("/b/{blog_slug}/{e}/edit"),
        None => format!("/b/{blog_slug}/new"),
    };
    let blog = blogs::blog_for_writing(&app, &visitor.actor, &blog_slug).await?;
    let mut problems = Vec::new();
    problems.extend(take_cover(&app, &visitor, &mut form, &mut files).await?);
    let publish = match form.publish() {
        Ok(p) => p,
        Err(e) => {
            problems.push(e);
            None
        }
    };
    if form.action == "preview" || !problems.is_empty() {
        let status = if problems.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let preview = form.action == "preview";
        return Ok(render_with(
            status,
            &form_page(
                &app,
                &visitor,
                blog,
                action,
                form,
                Feedback {
                    errors: Errors(problems),
                    review: None,
                    preview,
                },
            )
            .await?,
        ));
    }
    let input = EntryInput {
        title: form.title.clone(),
        body: form.body.clone(),
        excerpt: form.excerpt.clone(),
        slug: form.slug.clone(),
        tags: form.tags.clone(),
        publish,
        cover_id: form.cover_id.parse().ok(),
        cover_alt: form.cover_alt.clone(),
        submission: form.safety.submission(&app, &client),
    };
    let result = match &entry_slug {
        Some(e) => blogs::update_entry(&app, &visitor.actor, &blog_slug, e, input).await,
        None => blogs::create_entry(&app, &visitor.actor, &blog_slug, input).await,
    };
    let (errors, review) = match composed(result)? {
        Composed::Done(saved) => return Ok(redirect(&saved.path())),
        Composed::Fix(errors) => (errors, None),
        Composed::Review(review) => (Errors::default(), Some(review)),
    };
    Ok(render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &form_page(
            &app,
            &visitor,
            blog,
            action,
            form,
            Feedback {
                errors,
                review,
                preview: false,
            },
        )
        .await?,
    ))
}

async fn new_entry(
    State(app): State<App>,
    visitor: Visitor,
    ClientAddr(client): ClientAddr,
    Path(blog): Path<String>,
    upload: CsrfMultipart<EntryForm>,
) -> Result<Response, WebError> {
    save_entry(app, visitor, blog, None, client, upload).await
}

async fn edit_entry(
    State(app): State<App>,
    visitor: Visitor,
    ClientAddr(client): ClientAddr,
    Path((blog, entry)): Path<(String, String)>,
    upload: CsrfMultipart<EntryForm>,
) -> Result<Response, WebError> {
    save_entry(app, visitor, blog, Some(entry), client, upload).await
}

// ---- uploaded files

async fn upload(
    State(app): State<App>,
    visitor: Visitor,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let (upload, bytes) = uploads::open(&app, &visitor.actor, &key).await?;
    // Public covers may be cached anywhere; others only by the browser.
    let cache = if visitor.actor.viewer() == Viewer::Guest {
        "public, max-age=86400"
    } else {
        "private, max-age=86400"
    };
    Ok((
        [
            (header::CONTENT_TYPE, upload.content_type),
            (header::CACHE_CONTROL, cache.to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_times_are_read_as_utc_and_written_back() {
        let at = parse_datetime_local("2026-12-01T09:30").unwrap();
        assert_eq!(at, 1_796_117_400_000);
        assert_eq!(datetime_local(at), "2026-12-01T09:30");
        assert_eq!(parse_datetime_local("2026-12-01 09:30:00"), Some(at));
        assert_eq!(parse_datetime_local("next tuesday"), None);
    }
}
