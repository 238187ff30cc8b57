//! Spaces, topics and posts over JSON.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hearth_core::model::{PostId, SpaceKind, TopicId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problem::Problem;
use super::schema::*;
use super::{ApiActor, ApiError, ApiJson, ApiQuery};
use crate::App;
use crate::error::ServiceError;
use crate::services::forum::{self, Reply, StartTopic, TopicSwitch};
use crate::services::moderation;
use crate::services::safety::Submission;
use crate::services::spaces;
use crate::web::home::{format_cursor, parse_cursor};
use crate::web::session::ClientAddr;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_spaces))
        .routes(routes!(get_space))
        .routes(routes!(space_topics, start_topic))
        .routes(routes!(latest_topics))
        .routes(routes!(get_topic, set_topic_state))
        .routes(routes!(reply))
        .routes(routes!(watch, unwatch))
        .routes(routes!(get_post, edit_post, delete_post))
        .routes(routes!(search))
        .routes(routes!(search_chat))
        .routes(routes!(revisions))
        .routes(routes!(like, unlike))
        .routes(routes!(approve))
}

type ApiResult<T> = Result<T, ApiError>;

/// The API has no form timing or honeypot: the other signals still apply.
fn submission(acknowledged: bool, client: String) -> Submission {
    Submission {
        acknowledged,
        client,
        ..Default::default()
    }
}

fn topic_id(s: &str) -> Result<TopicId, ApiError> {
    s.parse()
        .map(TopicId)
        .map_err(|_| ServiceError::NotFound.into())
}

fn post_id(s: &str) -> Result<PostId, ApiError> {
    s.parse()
        .map(PostId)
        .map_err(|_| ServiceError::NotFound.into())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct After {
    /// The `next` value of the previous page.
    after: Option<String>,
}

/// The spaces the caller may read.
#[utoipa::path(get, path = "/api/spaces", tag = "forums", responses((status = 200, body = Vec<SpaceOut>)))]
async fn list_spaces(State(app): State<App>, actor: ApiActor) -> ApiResult<Json<Vec<SpaceOut>>> {
    Ok(Json(
        spaces::readable(&app, &actor.actor, SpaceKind::Forum)
            .await?
            .iter()
            .map(SpaceOut::from)
            .collect(),
    ))
}

/// One space (404 when it does not exist or the caller may not read it).
#[utoipa::path(get, path = "/api/spaces/{slug}", tag = "forums", params(("slug" = String, Path)),
    responses((status = 200, body = SpaceOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_space(
    State(app): State<App>,
    actor: ApiActor,
    Path(slug): Path<String>,
) -> ApiResult<Json<SpaceOut>> {
    Ok(Json(SpaceOut::from(
        &spaces::readable_by_slug(&app, &actor.actor, SpaceKind::Forum, &slug).await?,
    )))
}

/// A space's topics: pinned first (on the first page), then by last activity.
#[utoipa::path(get, path = "/api/spaces/{slug}/topics", tag = "forums", params(("slug" = String, Path), After),
    responses((status = 200, body = TopicListOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn space_topics(
    State(app): State<App>,
    actor: ApiActor,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<After>,
) -> ApiResult<Json<TopicListOut>> {
    let page =
        forum::space_page(&app, &actor.actor, &slug, parse_cursor(q.after.as_deref())).await?;
    let signed_in = actor.actor.signed_in().is_some();
    Ok(Json(TopicListOut {
        topics: page
            .topics
            .iter()
            .map(|t| TopicOut::new(t, signed_in))
            .collect(),
        next: page.next.as_ref().map(format_cursor),
    }))
}

/// Start a topic in a space. A guest's topic in an open space is held for moderation.
#[utoipa::path(post, path = "/api/spaces/{slug}/topics", tag = "forums", params(("slug" = String, Path)), request_body = NewTopicIn,
    responses((status = 429, body = Problem, content_type = "application/problem+json"), (status = 201, body = PostedOut), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn start_topic(
    State(app): State<App>,
    actor: ApiActor,
    ClientAddr(client): ClientAddr,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<NewTopicIn>,
) -> ApiResult<(StatusCode, Json<PostedOut>)> {
    let cmd = StartTopic {
        title: input.title,
        body: input.body,
        guest_name: input.guest_name.unwrap_or_default(),
        submission: submission(input.acknowledge_warnings, client),
    };
    let posted = forum::start_topic(&app, &actor.actor, &slug, cmd).await?;
    Ok((
        StatusCode::CREATED,
        Json(PostedOut {
            topic_id: posted.topic.0,
            post_id: posted.post.0,
            held: posted.held,
        }),
    ))
}

/// The latest topics across every space the caller may read.
#[utoipa::path(get, path = "/api/topics", tag = "forums", params(After), responses((status = 200, body = TopicListOut)))]
async fn latest_topics(
    State(app): State<App>,
    actor: ApiActor,
    ApiQuery(q): ApiQuery<After>,
) -> ApiResult<Json<TopicListOut>> {
    let (topics, next) =
        forum::latest(&app, &actor.actor, parse_cursor(q.after.as_deref())).await?;
    let signed_in = actor.actor.signed_in().is_some();
    Ok(Json(TopicListOut {
        topics: topics.iter().map(|t| TopicOut::new(t, signed_in)).collect(),
        next: next.as_ref().map(format_cursor),
    }))
}

/// A topic with one page of its posts, in order.
#[utoipa::path(get, path = "/api/topics/{id}", tag = "forums", params(("id" = i64, Path), After),
    responses((status = 200, body = TopicPageOut), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn get_topic(
    State(app): State<App>,
    actor: ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<After>,
) -> ApiResult<Json<TopicPageOut>> {
    let after = match q.after.as_deref() {
        Some(a) => Some(PostId(a.parse().map_err(|_| {
            ServiceError::field("after", "Use the `next` value of the previous page.")
        })?)),
        None => None,
    };
    let page =
        crate::services::reading::topic_page(&app, &actor.actor, topic_id(&id)?, after).await?;
    let viewer = actor.actor.viewer();
    Ok(Json(TopicPageOut {
        space: SpaceOut::from(&page.space),
        topic: TopicOut::new(&page.topic, viewer.account().is_some()),
        posts: page
            .posts()
            .map(|s| PostOut {
                liked: s.liked,
                ..PostOut::new(s.post, viewer)
            })
            .collect(),
        next: page.next.map(|p| p.0),
        watching: page.watching,
        reply: reply_label(page.reply),
    }))
}

/// Pin or close a topic (moderators).
#[utoipa::path(patch, path = "/api/topics/{id}", tag = "forums", params(("id" = i64, Path)), request_body = TopicStateIn,
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn set_topic_state(
    State(app): State<App>,
    actor: ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TopicStateIn>,
) -> ApiResult<StatusCode> {
    let id = topic_id(&id)?;
    if let Some(on) = input.pinned {
        forum::moderate_topic(&app, &actor.actor, id, TopicSwitch::Pinned(on)).await?;
    }
    if let Some(on) = input.locked {
        forum::moderate_topic(&app, &actor.actor, id, TopicSwitch::Locked(on)).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Reply in a topic, optionally to one of its posts.
#[utoipa::path(post, path = "/api/topics/{id}/posts", tag = "forums", params(("id" = i64, Path)), request_body = NewPostIn,
    responses((status = 429, body = Problem, content_type = "application/problem+json"), (status = 201, body = PostedOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn reply(
    State(app): State<App>,
    actor: ApiActor,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NewPostIn>,
) -> ApiResult<(StatusCode, Json<PostedOut>)> {
    let cmd = Reply {
        body: input.body,
        reply_to: input.reply_to.map(PostId),
        guest_name: input.guest_name.unwrap_or_default(),
        submission: submission(input.acknowledge_warnings, client),
    };
    let posted = forum::reply(&app, &actor.actor, topic_id(&id)?, cmd).await?;
    Ok((
        StatusCode::CREATED,
        Json(PostedOut {
            topic_id: posted.topic.0,
            post_id: posted.post.0,
            held: posted.held,
        }),
    ))
}

/// Watch a topic: be notified of new replies.
#[utoipa::path(put, path = "/api/topics/{id}/watch", tag = "forums", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn watch(
    State(app): State<App>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    forum::set_watching(&app, &actor.actor, topic_id(&id)?, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stop watching a topic.
#[utoipa::path(delete, path = "/api/topics/{id}/watch", tag = "forums", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn unwatch(
    State(app): State<App>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    forum::set_watching(&app, &actor.actor, topic_id(&id)?, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One post.
#[utoipa::path(get, path = "/api/posts/{id}", tag = "forums", params(("id" = i64, Path)),
    responses((status = 200, body = PostOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_post(
    State(app): State<App>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<PostOut>> {
    let (_, post) = forum::post(&app, &actor.actor, post_id(&id)?).await?;
    Ok(Json(PostOut::new(&post, actor.actor.viewer())))
}

/// Edit a post (its author or a moderator); the old text stays in its history.
#[utoipa::path(patch, path = "/api/posts/{id}", tag = "forums", params(("id" = i64, Path)), request_body = EditPostIn,
    responses((status = 200, body = PostOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn edit_post(
    State(app): State<App>,
    actor: ApiActor,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<EditPostIn>,
) -> ApiResult<Json<PostOut>> {
    let id = post_id(&id)?;
    let submission = submission(input.acknowledge_warnings, client);
    forum::edit(
        &app,
        &actor.actor,
        id,
        &input.body,
        input.title.as_deref(),
        &submission,
    )
    .await?;
    let (_, post) = forum::post(&app, &actor.actor, id).await?;
    Ok(Json(PostOut::new(&post, actor.actor.viewer())))
}

/// Delete a post (soft: moderators still see it). Deleting the opening post deletes the topic.
#[utoipa::path(delete, path = "/api/posts/{id}", tag = "forums", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn delete_post(
    State(app): State<App>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    forum::delete(&app, &actor.actor, post_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The earlier texts of an edited post, oldest first (for its author and moderators).
#[utoipa::path(get, path = "/api/posts/{id}/revisions", tag = "forums", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<RevisionOut>), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn revisions(
    State(app): State<App>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<RevisionOut>>> {
    let (_, _, revisions) = forum::history(&app, &actor.actor, post_id(&id)?).await?;
    Ok(Json(revisions.iter().map(RevisionOut::from).collect()))
}

/// Like a post (not one's own).
#[utoipa::path(put, path = "/api/posts/{id}/like", tag = "forums", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn like(
    State(app): State<App>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    forum::set_like(&app, &actor.actor, post_id(&id)?, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take back a like.
#[utoipa::path(delete, path = "/api/posts/{id}/like", tag = "forums", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn unlike(
    State(app): State<App>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    forum::set_like(&app, &actor.actor, post_id(&id)?, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Approve a held post (moderators).
#[utoipa::path(post, path = "/api/posts/{id}/approve", tag = "forums", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn approve(
    State(app): State<App>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let approve = moderation::Decision::Approve { edited: None };
    moderation::decide_one(&app, &actor.actor, post_id(&id)?, &approve).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchParams {
    /// The words to find (anything may be typed; symbols are ignored).
    #[serde(default)]
    q: String,
    /// A space's slug.
    #[serde(default)]
    space: String,
    /// An author's alias.
    #[serde(default)]
    author: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    from: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    until: String,
    /// 1-based; 20 results a page.
    page: Option<i64>,
}

impl SearchParams {
    fn input(self) -> crate::services::search::SearchInput {
        crate::services::search::SearchInput {
            q: self.q,
            space: self.space,
            author: self.author,
            from: self.from,
            until: self.until,
            page: self.page.unwrap_or(1),
        }
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SearchHitOut {
    pub post_id: i64,
    pub topic_id: i64,
    pub topic_title: String,
    pub space: String,
    pub author: AuthorOut,
    /// Escaped HTML with the matched words in `<mark>`.
    pub snippet_html: String,
    pub created_at: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SearchOut {
    /// Matches the caller may read, counted up to 1,000: only the newest
    /// 1,000 are ranked (narrow the search to reach older ones).
    pub total: i64,
    pub page: i64,
    pub hits: Vec<SearchHitOut>,
}

/// Full-text search over what the caller may read, best matches first.
#[utoipa::path(get, path = "/api/search", tag = "forums", params(SearchParams),
    responses((status = 200, body = SearchOut), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn search(
    State(app): State<App>,
    actor: ApiActor,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<SearchOut>> {
    let input = p.input();
    let results = crate::services::search::search(&app, &actor.actor, &input).await?;
    Ok(Json(SearchOut {
        total: results.total,
        page: results.page,
        hits: results
            .hits
            .into_iter()
            .map(|h| SearchHitOut {
                post_id: h.post_id.0,
                topic_id: h.topic_id.0,
                topic_title: h.topic_title,
                space: h.space_slug,
                author: AuthorOut::new(
                    h.author
                        .map(hearth_core::model::Alias::from_trusted)
                        .as_ref(),
                    None,
                    h.guest_name.as_deref(),
                ),
                snippet_html: h.snippet_html,
                created_at: rfc3339(h.created_at),
            })
            .collect(),
    }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ChatHitOut {
    pub message_id: i64,
    /// The room's slug.
    pub room: String,
    pub room_name: String,
    pub author: AuthorOut,
    /// Escaped HTML with the matched words in `<mark>`.
    pub snippet_html: String,
    pub created_at: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ChatSearchOut {
    /// Matches the caller may read, counted up to 1,000: only the newest
    /// 1,000 are ranked (narrow the search to reach older ones).
    pub total: i64,
    pub page: i64,
    pub hits: Vec<ChatHitOut>,
}

/// Full-text search over the messages of the chat rooms the caller may read
/// (never private conversations), best matches first. `space` names a room.
#[utoipa::path(get, path = "/api/search/chat", tag = "chat", params(SearchParams),
    responses((status = 200, body = ChatSearchOut), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn search_chat(
    State(app): State<App>,
    actor: ApiActor,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<ChatSearchOut>> {
    let results = crate::services::search::search_chat(&app, &actor.actor, &p.input()).await?;
    Ok(Json(ChatSearchOut {
        total: results.total,
        page: results.page,
        hits: results
            .hits
            .into_iter()
            .map(|h| ChatHitOut {
                message_id: h.message_id,
                room: h.room_slug,
                room_name: h.room_name,
                author: AuthorOut::new(
                    h.author
                        .map(hearth_core::model::Alias::from_trusted)
                        .as_ref(),
                    None,
                    None,
                ),
                snippet_html: h.snippet_html,
                created_at: rfc3339(h.created_at),
            })
            .collect(),
    }))
}
