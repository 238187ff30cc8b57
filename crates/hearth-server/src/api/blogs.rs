//! Blogs in the JSON API: entries (with drafts, publication times, tags and
//! a cover image), threaded comments, closing comments, and image uploads.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use hearth_core::model::PostId;
use hearth_store::blogs::{Entry, PublishedCursor, Status};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problem::Problem;
use super::schema::{AuthorOut, MentionOut, PostOut, PostedOut, SpaceOut, reply_label};
use super::{ApiActor, ApiError, ApiJson, ApiQuery};
use crate::App;
use crate::error::ServiceError;
use crate::services::blogs::{self, EntryInput, Publish};
use crate::services::forum::Reply;
use crate::services::safety::Submission;
use crate::services::{rfc3339, uploads};
use crate::web::session::ClientAddr;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_blogs))
        .routes(routes!(list_entries, create_entry))
        .routes(routes!(get_entry, update_entry))
        .routes(routes!(comment))
        .routes(routes!(set_comments_closed))
        .routes(routes!(tag_entries))
        .routes(routes!(upload_image))
        .layer(DefaultBodyLimit::max(uploads::MAX_IMAGE_BYTES + 64 * 1024))
}

type ApiResult<T> = Result<T, ApiError>;

#[derive(Serialize, ToSchema)]
pub struct EntryOut {
    pub blog: String,
    #[schema(example = "open-day")]
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub author: AuthorOut,
    /// `published`, `scheduled`, `draft` or `held` (the last three only for writers).
    pub status: &'static str,
    pub published_at: Option<String>,
    pub updated_at: String,
    pub comment_count: i64,
    pub tags: Vec<String>,
    /// The cover image's address on this site.
    pub cover_url: Option<String>,
    pub cover_alt: String,
    /// The entry's page.
    pub url: String,
}

impl EntryOut {
    fn new(e: &Entry, now: i64) -> Self {
        Self {
            blog: e.blog_slug.clone(),
            slug: e.slug.clone(),
            title: e.title.clone(),
            excerpt: e.excerpt.clone(),
            author: AuthorOut::new(e.author_alias.as_ref(), e.author_role, None),
            status: match e.status(now) {
                Status::Held => "held",
                Status::Draft => "draft",
                Status::Scheduled => "scheduled",
                Status::Published => "published",
            },
            published_at: e.publish_at.map(rfc3339),
            updated_at: rfc3339(e.updated_at),
            comment_count: e.comment_count,
            tags: e.tags.iter().map(|t| t.name.clone()).collect(),
            cover_url: e
                .cover
                .as_ref()
                .map(|c| format!("/uploads/{}", c.storage_key)),
            cover_alt: e.cover_alt.clone(),
            url: format!("/b/{}/{}", e.blog_slug, e.slug),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EntryListOut {
    pub entries: Vec<EntryOut>,
    /// Pass as `after` for the next page; absent on the last one.
    pub next: Option<String>,
    /// Drafts and scheduled entries (the blog's writers only, first page).
    pub unpublished: Vec<EntryOut>,
}

#[derive(Serialize, ToSchema)]
pub struct CommentOut {
    /// 0 for a comment on the entry, more for replies to comments (capped).
    pub depth: usize,
    pub post: PostOut,
}

#[derive(Serialize, ToSchema)]
pub struct EntryDetailOut {
    pub entry: EntryOut,
    /// The entry's text.
    pub body: PostOut,
    /// In thread order: each comment followed by its replies.
    pub comments: Vec<CommentOut>,
    pub comments_closed: bool,
    /// Whether the caller may comment: `allowed`, `held`, `sign_in` or `closed`.
    pub commenting: &'static str,
    /// Pages on other sites that mention the entry, approved by a moderator.
    pub reactions: Vec<MentionOut>,
}

#[derive(Serialize, ToSchema)]
pub struct SavedOut {
    pub slug: String,
    pub url: String,
    /// True when the entry waits for a moderator.
    pub held: bool,
    pub published: bool,
}

impl From<blogs::Saved> for SavedOut {
    fn from(s: blogs::Saved) -> Self {
        Self {
            url: s.path(),
            slug: s.slug,
            held: s.held,
            published: s.published,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UploadOut {
    pub id: i64,
    pub url: String,
    pub content_type: String,
    pub width: i64,
    pub height: i64,
}

#[derive(Deserialize, ToSchema)]
pub struct EntryIn {
    pub title: String,
    /// Markdown.
    pub body: String,
    #[serde(default)]
    pub excerpt: Option<String>,
    /// Made from the title when absent.
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// `now`, `draft` or `at` (with `publish_at`).
    pub publish: String,
    /// RFC 3339, for `publish` = `at`.
    #[serde(default)]
    pub publish_at: Option<String>,
    /// An image sent to `POST /api/uploads`.
    #[serde(default)]
    pub cover_id: Option<i64>,
    /// Required with a cover: the image described for people who cannot see it.
    #[serde(default)]
    pub cover_alt: Option<String>,
    #[serde(default)]
    pub acknowledge_warnings: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct CommentIn {
    pub body: String,
    /// The comment this one answers (absent: a comment on the entry).
    #[serde(default)]
    pub reply_to: Option<i64>,
    /// A guest's name (blogs open to guests).
    #[serde(default)]
    pub guest_name: Option<String>,
    #[serde(default)]
    pub acknowledge_warnings: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct CommentsClosedIn {
    pub closed: bool,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct After {
    /// The `next` value of the previous page.
    after: Option<String>,
}

fn entry_input(input: EntryIn, client: String) -> ApiResult<EntryInput> {
    let publish = match input.publish.as_str() {
        "now" => Some(Publish::Now),
        "draft" => Some(Publish::Draft),
        "at" => {
            let at = input
                .publish_at
                .as_deref()
                .and_then(|t| {
                    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .ok_or_else(|| {
                    ServiceError::field(
                        "publish_at",
                        "Give publish_at as an RFC 3339 time, like 2026-12-01T09:30:00Z.",
                    )
                })?;
            Some(Publish::At((at.unix_timestamp_nanos() / 1_000_000) as i64))
        }
        _ => None,
    };
    Ok(EntryInput {
        title: input.title,
        body: input.body,
        excerpt: input.excerpt.unwrap_or_default(),
        slug: input.slug.unwrap_or_default(),
        tags: input.tags.join(","),
        publish,
        cover_id: input.cover_id,
        cover_alt: input.cover_alt.unwrap_or_default(),
        submission: Submission {
            acknowledged: input.acknowledge_warnings,
            client,
            ..Default::default()
        },
    })
}

/// The blogs the caller may read.
#[utoipa::path(get, path = "/api/blogs", tag = "blogs", responses((status = 200, body = Vec<SpaceOut>)))]
async fn list_blogs(State(app): State<App>, actor: ApiActor) -> ApiResult<Json<Vec<SpaceOut>>> {
    Ok(Json(
        blogs::blogs(&app, &actor.actor)
            .await?
            .iter()
            .map(SpaceOut::from)
            .collect(),
    ))
}

/// A blog's published entries, newest first (and, for its writers, drafts and scheduled ones).
#[utoipa::path(get, path = "/api/blogs/{blog}/entries", tag = "blogs", params(("blog" = String, Path), After),
    responses((status = 200, body = EntryListOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_entries(
    State(app): State<App>,
    actor: ApiActor,
    Path(blog): Path<String>,
    ApiQuery(q): ApiQuery<After>,
) -> ApiResult<Json<EntryListOut>> {
    let page = blogs::blog_page(
        &app,
        &actor.actor,
        &blog,
        PublishedCursor::parse(q.after.as_deref()),
    )
    .await?;
    let now = app.now();
    Ok(Json(EntryListOut {
        entries: page.entries.iter().map(|e| EntryOut::new(e, now)).collect(),
        unpublished: page
            .unpublished
            .iter()
            .map(|e| EntryOut::new(e, now))
            .collect(),
        next: page.next.map(PublishedCursor::to_text),
    }))
}

/// Write an entry (the blog's writers).
#[utoipa::path(post, path = "/api/blogs/{blog}/entries", tag = "blogs", params(("blog" = String, Path)), request_body = EntryIn,
    responses((status = 429, body = Problem, content_type = "application/problem+json"), (status = 201, body = SavedOut), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn create_entry(
    State(app): State<App>,
    actor: ApiActor,
    ClientAddr(client): ClientAddr,
    Path(blog): Path<String>,
    ApiJson(input): ApiJson<EntryIn>,
) -> ApiResult<(StatusCode, Json<SavedOut>)> {
    let saved = blogs::create_entry(&app, &actor.actor, &blog, entry_input(input, client)?).await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// An entry with its comments in thread order.
#[utoipa::path(get, path = "/api/blogs/{blog}/entries/{entry}", tag = "blogs", params(("blog" = String, Path), ("entry" = String, Path)),
    responses((status = 200, body = EntryDetailOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_entry(
    State(app): State<App>,
    actor: ApiActor,
    Path((blog, entry)): Path<(String, String)>,
) -> ApiResult<Json<EntryDetailOut>> {
    let page = blogs::entry_page(&app, &actor.actor, &blog, &entry).await?;
    let viewer = actor.actor.viewer();
    Ok(Json(EntryDetailOut {
        entry: EntryOut::new(&page.entry, app.now()),
        body: PostOut::new(&page.body, viewer),
        comments: page
            .comments
            .iter()
            .map(|c| CommentOut {
                depth: c.depth,
                post: PostOut::new(&c.post, viewer),
            })
            .collect(),
        comments_closed: page.closed,
        commenting: reply_label(page.comment),
        reactions: page.reactions.iter().map(MentionOut::new).collect(),
    }))
}

/// Change an entry (the blog's writers): every field, as for a new one.
#[utoipa::path(put, path = "/api/blogs/{blog}/entries/{entry}", tag = "blogs", params(("blog" = String, Path), ("entry" = String, Path)), request_body = EntryIn,
    responses((status = 200, body = SavedOut), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn update_entry(
    State(app): State<App>,
    actor: ApiActor,
    ClientAddr(client): ClientAddr,
    Path((blog, entry)): Path<(String, String)>,
    ApiJson(input): ApiJson<EntryIn>,
) -> ApiResult<Json<SavedOut>> {
    let input = entry_input(input, client)?;
    let saved = blogs::update_entry(&app, &actor.actor, &blog, &entry, input).await?;
    Ok(Json(saved.into()))
}

/// Comment on an entry, or reply to a comment. A guest's comment (blogs open to guests) waits for a moderator.
#[utoipa::path(post, path = "/api/blogs/{blog}/entries/{entry}/comments", tag = "blogs", params(("blog" = String, Path), ("entry" = String, Path)), request_body = CommentIn,
    responses((status = 429, body = Problem, content_type = "application/problem+json"), (status = 201, body = PostedOut), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn comment(
    State(app): State<App>,
    actor: ApiActor,
    ClientAddr(client): ClientAddr,
    Path((blog, entry)): Path<(String, String)>,
    ApiJson(input): ApiJson<CommentIn>,
) -> ApiResult<(StatusCode, Json<PostedOut>)> {
    let cmd = Reply {
        body: input.body,
        reply_to: input.reply_to.map(PostId),
        guest_name: input.guest_name.unwrap_or_default(),
        submission: Submission {
            acknowledged: input.acknowledge_warnings,
            client,
            ..Default::default()
        },
    };
    let (_, posted) = blogs::comment(&app, &actor.actor, &blog, &entry, cmd).await?;
    Ok((
        StatusCode::CREATED,
        Json(PostedOut {
            topic_id: posted.topic.0,
            post_id: posted.post.0,
            held: posted.held,
        }),
    ))
}

/// Close or reopen comments on an entry (its blog's writers and moderators).
#[utoipa::path(put, path = "/api/blogs/{blog}/entries/{entry}/comments-closed", tag = "blogs", params(("blog" = String, Path), ("entry" = String, Path)), request_body = CommentsClosedIn,
    responses((status = 200, body = SavedOut), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn set_comments_closed(
    State(app): State<App>,
    actor: ApiActor,
    Path((blog, entry)): Path<(String, String)>,
    ApiJson(input): ApiJson<CommentsClosedIn>,
) -> ApiResult<Json<SavedOut>> {
    let saved = blogs::set_comments_closed(&app, &actor.actor, &blog, &entry, input.closed).await?;
    Ok(Json(saved.into()))
}

/// Published entries with a tag, across the blogs the caller may read.
#[utoipa::path(get, path = "/api/tags/{tag}/entries", tag = "blogs", params(("tag" = String, Path), After),
    responses((status = 200, body = EntryListOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn tag_entries(
    State(app): State<App>,
    actor: ApiActor,
    Path(tag): Path<String>,
    ApiQuery(q): ApiQuery<After>,
) -> ApiResult<Json<EntryListOut>> {
    let page = blogs::tag_page(
        &app,
        &actor.actor,
        &tag,
        PublishedCursor::parse(q.after.as_deref()),
    )
    .await?;
    let now = app.now();
    Ok(Json(EntryListOut {
        entries: page.entries.iter().map(|e| EntryOut::new(e, now)).collect(),
        unpublished: Vec::new(),
        next: page.next.map(PublishedCursor::to_text),
    }))
}

/// Upload an image (PNG, JPEG, WebP or GIF, at most 5 MB) as the request body, for an entry's cover.
#[utoipa::path(post, path = "/api/uploads", tag = "blogs", request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = UploadOut), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn upload_image(
    State(app): State<App>,
    actor: ApiActor,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<UploadOut>)> {
    let upload = uploads::store_image(&app, &actor.actor, "body", &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(UploadOut {
            id: upload.id,
            url: format!("/uploads/{}", upload.storage_key),
            content_type: upload.content_type,
            width: upload.width,
            height: upload.height,
        }),
    ))
}
