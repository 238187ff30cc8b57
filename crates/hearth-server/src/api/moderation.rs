//! Moderation and privacy over JSON: the queue, flags, actions on members,
//! the audit log, data export and erasure. The same services as the moderators' pages.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hearth_core::access::{Sight, sight};
use hearth_core::model::PostId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problem::Problem;
use super::schema::rfc3339;
use super::{ApiActor, ApiError, ApiJson, ApiQuery};
use crate::App;
use crate::error::ServiceError;
use crate::services::audit;
use crate::services::members::{self, ActOnMember};
use crate::services::moderation::{self, Decision, Flag, FlagOutcome};
use crate::services::privacy::{self, Posts};
use crate::services::safety::{self, SettingsForm};
use hearth_core::guard::words::WordLists;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(queue))
        .routes(routes!(decide))
        .routes(routes!(decide_many))
        .routes(routes!(flag_post))
        .routes(routes!(flagged))
        .routes(routes!(resolve_flags))
        .routes(routes!(member_actions, act_on_member))
        .routes(routes!(lift_action))
        .routes(routes!(audit_log))
        .routes(routes!(export_me))
        .routes(routes!(delete_me))
        .routes(routes!(erase_member))
        .routes(routes!(get_safety, put_safety))
}

type ApiResult<T> = Result<T, ApiError>;

fn post_id(text: &str) -> Result<PostId, ApiError> {
    text.parse()
        .map(PostId)
        .map_err(|_| ServiceError::NotFound.into())
}

#[derive(Serialize, ToSchema)]
pub struct QueueItemOut {
    pub post_id: i64,
    pub topic_id: i64,
    pub topic_title: String,
    pub space: String,
    /// The post opens its topic.
    pub opening: bool,
    /// The author's alias, or the name a guest signed with.
    pub author: String,
    pub author_approved_posts: i64,
    pub body_markdown: String,
    /// Waits for approval; false: published, but staff should look.
    pub held: bool,
    pub urgent: bool,
    /// `pre_moderated`, `new_member`, `guest`, `personal_details`, `spam`, `watched_word`, `crisis`.
    pub reasons: Vec<&'static str>,
    /// What the checks found.
    #[schema(value_type = Object)]
    pub findings: serde_json::Value,
    pub queued_at: String,
}

/// The moderation queue: urgent first, then oldest first (staff and moderators).
#[utoipa::path(get, path = "/api/moderation/queue", tag = "moderation",
    responses((status = 200, body = Vec<QueueItemOut>), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn queue(State(app): State<App>, actor: ApiActor) -> ApiResult<Json<Vec<QueueItemOut>>> {
    let items = moderation::queue(&app, &actor.actor).await?;
    Ok(Json(
        items
            .into_iter()
            .map(|i| QueueItemOut {
                post_id: i.post_id.0,
                topic_id: i.topic_id.0,
                topic_title: i.topic_title,
                space: i.space_name,
                opening: i.opening,
                author: i.author_alias.or(i.guest_name).unwrap_or_default(),
                author_approved_posts: i.author_approved_posts,
                body_markdown: i.body_md,
                held: i.held,
                urgent: i.urgent,
                reasons: i.reasons.iter().map(|r| r.as_str()).collect(),
                findings: serde_json::from_str(&i.detail).unwrap_or_default(),
                queued_at: rfc3339(i.queued_at),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct DecisionIn {
    /// `approve`, `reject` or `reject_spam` (the spam filter learns from it).
    pub decision: String,
    /// Required to reject: the author reads it.
    #[serde(default)]
    pub reason: String,
    /// Approve this text instead (edit, then approve).
    #[serde(default)]
    pub body: Option<String>,
}

impl DecisionIn {
    fn decision(&self) -> Result<Decision, ApiError> {
        match self.decision.as_str() {
            "approve" => Ok(Decision::Approve {
                edited: self.body.clone(),
            }),
            "reject" | "reject_spam" => Ok(Decision::Reject {
                reason: self.reason.clone(),
                spam: self.decision == "reject_spam",
            }),
            _ => Err(ServiceError::field("decision", "Use approve, reject or reject_spam.").into()),
        }
    }
}

/// Decide on one queued (or hidden) post.
#[utoipa::path(post, path = "/api/moderation/queue/{post}", tag = "moderation", params(("post" = i64, Path)), request_body = DecisionIn,
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn decide(
    State(app): State<App>,
    actor: ApiActor,
    Path(post): Path<String>,
    ApiJson(input): ApiJson<DecisionIn>,
) -> ApiResult<StatusCode> {
    moderation::decide_one(&app, &actor.actor, post_id(&post)?, &input.decision()?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct DecisionManyIn {
    pub posts: Vec<i64>,
    /// `approve`, `reject` or `reject_spam`.
    pub decision: String,
    #[serde(default)]
    pub reason: String,
}

/// The same decision on several posts at once (all or none).
#[utoipa::path(post, path = "/api/moderation/queue", tag = "moderation", request_body = DecisionManyIn,
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn decide_many(
    State(app): State<App>,
    actor: ApiActor,
    ApiJson(input): ApiJson<DecisionManyIn>,
) -> ApiResult<StatusCode> {
    let decision = DecisionIn {
        decision: input.decision,
        reason: input.reason,
        body: None,
    }
    .decision()?;
    let posts: Vec<PostId> = input.posts.into_iter().map(PostId).collect();
    moderation::decide_many(&app, &actor.actor, &posts, &decision).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct FlagIn {
    /// `personal_details`, `medical_misinformation`, `abusive`, `spam`, `off_topic` or `other`.
    pub reason: String,
    /// Required with `other`.
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct FlaggedOut {
    /// The post is now hidden until a moderator decides.
    pub hidden: bool,
}

/// Flag a post for the moderators (members).
#[utoipa::path(post, path = "/api/posts/{id}/flags", tag = "moderation", params(("id" = i64, Path)), request_body = FlagIn,
    responses((status = 201, body = FlaggedOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn flag_post(
    State(app): State<App>,
    actor: ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<FlagIn>,
) -> ApiResult<(StatusCode, Json<FlaggedOut>)> {
    let flag = Flag {
        reason: input.reason,
        note: input.note,
    };
    let hidden = moderation::flag(&app, &actor.actor, post_id(&id)?, &flag).await?;
    Ok((StatusCode::CREATED, Json(FlaggedOut { hidden })))
}

#[derive(Serialize, ToSchema)]
pub struct FlagOut {
    pub by: String,
    pub reason: &'static str,
    pub note: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct FlaggedPostOut {
    pub post_id: i64,
    pub topic_title: String,
    pub body_markdown: String,
    pub hidden: bool,
    pub flags: Vec<FlagOut>,
}

/// Posts with flags waiting for a decision (staff and moderators).
#[utoipa::path(get, path = "/api/moderation/flags", tag = "moderation",
    responses((status = 200, body = Vec<FlaggedPostOut>), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn flagged(State(app): State<App>, actor: ApiActor) -> ApiResult<Json<Vec<FlaggedPostOut>>> {
    let list = moderation::flagged(&app, &actor.actor).await?;
    Ok(Json(
        list.into_iter()
            .map(|f| FlaggedPostOut {
                post_id: f.post.id.0,
                topic_title: f.topic_title,
                body_markdown: if sight(actor.actor.viewer(), f.post.state()) == Sight::Text {
                    f.post.body_md
                } else {
                    String::new()
                },
                hidden: f.post.hidden,
                flags: f
                    .flags
                    .into_iter()
                    .map(|x| FlagOut {
                        by: x.flagger_alias,
                        reason: x.reason.as_str(),
                        note: x.note,
                        created_at: rfc3339(x.created_at),
                    })
                    .collect(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct ResolveIn {
    /// `keep` (shown again if hidden) or `remove`.
    pub outcome: String,
    /// Added to what the flaggers are told.
    #[serde(default)]
    pub note: String,
}

/// Resolve the flags on a post; the members who flagged it are told.
#[utoipa::path(post, path = "/api/moderation/flags/{post}", tag = "moderation", params(("post" = i64, Path)), request_body = ResolveIn,
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn resolve_flags(
    State(app): State<App>,
    actor: ApiActor,
    Path(post): Path<String>,
    ApiJson(input): ApiJson<ResolveIn>,
) -> ApiResult<StatusCode> {
    let outcome = match input.outcome.as_str() {
        "keep" => FlagOutcome::Keep,
        "remove" => FlagOutcome::Remove,
        _ => return Err(ServiceError::field("outcome", "Use keep or remove.").into()),
    };
    moderation::resolve_flags(&app, &actor.actor, post_id(&post)?, outcome, &input.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct MemberActionOut {
    pub id: i64,
    /// `warn`, `silence` or `suspend`.
    pub kind: &'static str,
    pub reason: String,
    pub by: Option<String>,
    pub created_at: String,
    /// None: for good (or a warning).
    pub ends_at: Option<String>,
    pub in_force: bool,
    pub lifted: bool,
}

/// Every action taken on a member (moderators).
#[utoipa::path(get, path = "/api/members/{alias}/actions", tag = "moderation", params(("alias" = String, Path)),
    responses((status = 200, body = Vec<MemberActionOut>), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn member_actions(
    State(app): State<App>,
    actor: ApiActor,
    Path(alias): Path<String>,
) -> ApiResult<Json<Vec<MemberActionOut>>> {
    let (_, actions) = members::record(&app, &actor.actor, &alias).await?;
    let now = app.now();
    Ok(Json(
        actions
            .iter()
            .map(|a| MemberActionOut {
                id: a.id,
                kind: a.kind.as_str(),
                reason: a.reason.clone(),
                by: a.by_alias.clone(),
                created_at: rfc3339(a.created_at),
                ends_at: a.ends_at.map(rfc3339),
                in_force: a.in_force(now),
                lifted: a.lifted_at.is_some(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct MemberActionIn {
    /// `warn`, `silence` or `suspend`.
    pub kind: String,
    /// The member reads it.
    pub reason: String,
    /// For silence and suspension; absent: for good.
    #[serde(default)]
    pub days: Option<i64>,
}

/// Warn, silence or suspend a member (moderators, on members below them).
#[utoipa::path(post, path = "/api/members/{alias}/actions", tag = "moderation", params(("alias" = String, Path)), request_body = MemberActionIn,
    responses((status = 201), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn act_on_member(
    State(app): State<App>,
    actor: ApiActor,
    Path(alias): Path<String>,
    ApiJson(input): ApiJson<MemberActionIn>,
) -> ApiResult<StatusCode> {
    let cmd = ActOnMember {
        kind: input.kind,
        reason: input.reason,
        days: input.days.map(|d| d.to_string()).unwrap_or_default(),
    };
    members::act(&app, &actor.actor, &alias, &cmd).await?;
    Ok(StatusCode::CREATED)
}

/// End a silence or suspension early.
#[utoipa::path(delete, path = "/api/member-actions/{id}", tag = "moderation", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn lift_action(
    State(app): State<App>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: i64 = id.parse().map_err(|_| ServiceError::NotFound)?;
    members::lift(&app, &actor.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Actions starting with this, e.g. `member.` or `post.reject`.
    #[serde(default)]
    action: String,
    /// Done by this alias.
    #[serde(default)]
    actor: String,
    /// Done to this member's account.
    #[serde(default)]
    member: String,
    /// Records older than this id.
    before: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditRecordOut {
    pub id: i64,
    pub actor: Option<String>,
    pub action: String,
    /// `post`, `topic`, `account`, `space` or `site`.
    pub target_kind: String,
    pub target_id: Option<i64>,
    pub target_alias: Option<String>,
    pub reason: String,
    pub detail: String,
    pub created_at: String,
}

/// The audit log, newest first (admins).
#[utoipa::path(get, path = "/api/audit", tag = "moderation", params(AuditQuery),
    responses((status = 200, body = Vec<AuditRecordOut>), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn audit_log(
    State(app): State<App>,
    actor: ApiActor,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditRecordOut>>> {
    let search = audit::Search {
        action: q.action,
        actor: q.actor,
        member: q.member,
        before: q.before,
    };
    let records = audit::list(&app, &actor.actor, &search).await?.records;
    Ok(Json(
        records
            .into_iter()
            .map(|r| AuditRecordOut {
                id: r.id,
                actor: r.actor_alias,
                action: r.action,
                target_kind: r.target_kind,
                target_id: r.target_id,
                target_alias: r.target_alias,
                reason: r.reason,
                detail: r.detail,
                created_at: rfc3339(r.created_at),
            })
            .collect(),
    ))
}

/// Everything held about the caller, as a zip (a readable page and JSON).
#[utoipa::path(get, path = "/api/me/export", tag = "privacy",
    responses((status = 200, content_type = "application/zip", description = "hearth-data.json and hearth-data.html"),
        (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn export_me(State(app): State<App>, actor: ApiActor) -> ApiResult<axum::response::Response> {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let (name, bytes) = privacy::export(&app, &actor.actor).await?;
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct DeleteMeIn {
    pub password: String,
    /// `keep` (shown under "Former member") or `delete`.
    pub posts: String,
}

/// Delete the caller's account: personal data erased at once.
#[utoipa::path(delete, path = "/api/me", tag = "privacy", request_body = DeleteMeIn,
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn delete_me(
    State(app): State<App>,
    actor: ApiActor,
    ApiJson(input): ApiJson<DeleteMeIn>,
) -> ApiResult<StatusCode> {
    privacy::delete_account(
        &app,
        &actor.actor,
        &input.password,
        Posts::parse(&input.posts),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct EraseIn {
    /// `keep` or `delete`.
    pub posts: String,
    /// The request acted on (kept in the audit log).
    pub reason: String,
}

/// Erase a member's personal data on their request (admins; audited).
#[utoipa::path(post, path = "/api/members/{alias}/erase", tag = "privacy", params(("alias" = String, Path)), request_body = EraseIn,
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn erase_member(
    State(app): State<App>,
    actor: ApiActor,
    Path(alias): Path<String>,
    ApiJson(input): ApiJson<EraseIn>,
) -> ApiResult<StatusCode> {
    privacy::erase_by_admin(
        &app,
        &actor.actor,
        &alias,
        Posts::parse(&input.posts),
        &input.reason,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SafetySettingsIo {
    /// Approved posts before a member's posts skip `new_members_pre`.
    pub new_member_posts: i64,
    /// Flags from different members that hide a post.
    pub flags_to_hide: i64,
    pub posts_per_minute: i64,
    /// For new members and guests.
    pub new_member_posts_per_minute: i64,
    /// Erase accounts unused this long; 0: never.
    pub erase_unused_after_days: i64,
    /// Let requests to other sites (webmentions, pingbacks) reach loopback
    /// and private networks: for a closed network or tests only.
    #[serde(default)]
    pub private_addresses: bool,
    /// Markdown shown to people whose post has crisis words.
    pub helplines: String,
    /// Markdown shown on topics in medical spaces.
    pub disclaimer: String,
    /// One phrase a line; `*` for the rest of a word; `#` notes.
    pub crisis_phrases: String,
    /// One entry a line each; `replace` lines are `word => replacement`.
    pub watched_words: WordListsIo,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct WordListsIo {
    pub block: String,
    pub require_approval: String,
    pub flag: String,
    pub replace: String,
}

/// The safety settings (admins).
#[utoipa::path(get, path = "/api/admin/safety", tag = "admin",
    responses((status = 200, body = SafetySettingsIo), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn get_safety(State(app): State<App>, actor: ApiActor) -> ApiResult<Json<SafetySettingsIo>> {
    let r = safety::settings(&app, &actor.actor).await?;
    Ok(Json(SafetySettingsIo {
        new_member_posts: r.limits.new_member_posts,
        flags_to_hide: r.limits.flags_to_hide,
        posts_per_minute: r.limits.posts_per_minute,
        new_member_posts_per_minute: r.limits.new_member_posts_per_minute,
        erase_unused_after_days: r.limits.erase_unused_after_days,
        private_addresses: r.limits.private_addresses,
        helplines: r.helplines_md.clone(),
        disclaimer: r.disclaimer_md.clone(),
        crisis_phrases: r.crisis_text.clone(),
        watched_words: WordListsIo {
            block: r.word_lists.block.clone(),
            require_approval: r.word_lists.require_approval.clone(),
            flag: r.word_lists.flag.clone(),
            replace: r.word_lists.replace.clone(),
        },
    }))
}

/// Replace the safety settings (admins). A list that does not parse is
/// refused with its line; the settings in force stay as they were.
#[utoipa::path(put, path = "/api/admin/safety", tag = "admin", request_body = SafetySettingsIo,
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn put_safety(
    State(app): State<App>,
    actor: ApiActor,
    ApiJson(input): ApiJson<SafetySettingsIo>,
) -> ApiResult<StatusCode> {
    let form = SettingsForm {
        new_member_posts: input.new_member_posts.to_string(),
        flags_to_hide: input.flags_to_hide.to_string(),
        posts_per_minute: input.posts_per_minute.to_string(),
        new_member_posts_per_minute: input.new_member_posts_per_minute.to_string(),
        erase_unused_after_days: input.erase_unused_after_days.to_string(),
        private_addresses: input.private_addresses,
        helplines: input.helplines,
        disclaimer: input.disclaimer,
        crisis_phrases: input.crisis_phrases,
        words: WordLists {
            block: input.watched_words.block,
            require_approval: input.watched_words.require_approval,
            flag: input.watched_words.flag,
            replace: input.watched_words.replace,
        },
    };
    safety::save_settings(&app, &actor.actor, &form).await?;
    Ok(StatusCode::NO_CONTENT)
}
