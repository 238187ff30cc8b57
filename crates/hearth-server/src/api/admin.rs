//! Spaces, members, roles, legal texts and site settings over JSON.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hearth_core::model::Role;
use hearth_store::legal::DocKind;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problem::Problem;
use super::schema::*;
use super::{ApiActor, ApiError, ApiJson};
use crate::App;
use crate::error::ServiceError;
use crate::services::spaces::{self, SpaceForm};
use crate::services::{accounts, legal, site};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create_space))
        .routes(routes!(update_space))
        .routes(routes!(members))
        .routes(routes!(set_role))
        .routes(routes!(current_document, publish_document))
        .routes(routes!(accept_documents))
        .routes(routes!(get_site, put_site))
}

type ApiResult<T> = Result<T, ApiError>;

fn space_form(input: SpaceIn) -> SpaceForm {
    SpaceForm {
        name: input.name,
        slug: input.slug.unwrap_or_default(),
        description: input.description.unwrap_or_default(),
        position: input.position.map(|p| p.to_string()).unwrap_or_default(),
        tier: input.tier,
        moderation: input.moderation.unwrap_or_default(),
        detail_policy: input.detail_policy.unwrap_or_default(),
        medical: input.medical,
        kind: input.kind.unwrap_or_default(),
        comments_close_days: input
            .comments_close_days
            .map(|d| d.to_string())
            .unwrap_or_default(),
        writers: input.writers.join(","),
    }
}

/// Create a space (admins).
#[utoipa::path(post, path = "/api/spaces", tag = "admin", request_body = SpaceIn,
    responses((status = 201, body = SpaceOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn create_space(
    State(app): State<App>,
    actor: ApiActor,
    ApiJson(input): ApiJson<SpaceIn>,
) -> ApiResult<(StatusCode, Json<SpaceOut>)> {
    let space = spaces::create(&app, &actor.actor, &space_form(input)).await?;
    Ok((StatusCode::CREATED, Json(SpaceOut::from(&space))))
}

/// Change a space (admins).
#[utoipa::path(put, path = "/api/spaces/{slug}", tag = "admin", params(("slug" = String, Path)), request_body = SpaceIn,
    responses((status = 200, body = SpaceOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn update_space(
    State(app): State<App>,
    actor: ApiActor,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<SpaceIn>,
) -> ApiResult<Json<SpaceOut>> {
    Ok(Json(SpaceOut::from(
        &spaces::update(&app, &actor.actor, &slug, &space_form(input)).await?,
    )))
}

/// Every account, by alias (admins).
#[utoipa::path(get, path = "/api/members", tag = "admin",
    responses((status = 200, body = Vec<AccountOut>), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn members(State(app): State<App>, actor: ApiActor) -> ApiResult<Json<Vec<AccountOut>>> {
    if actor.actor.signed_in().is_none() {
        return Err(ServiceError::SignInRequired.into());
    }
    Ok(Json(
        accounts::list(&app, &actor.actor, None)
            .await?
            .iter()
            .map(AccountOut::from)
            .collect(),
    ))
}

/// Change an account's role (admins).
#[utoipa::path(put, path = "/api/members/{alias}/role", tag = "admin", params(("alias" = String, Path)), request_body = RoleIn,
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn set_role(
    State(app): State<App>,
    actor: ApiActor,
    Path(alias): Path<String>,
    ApiJson(input): ApiJson<RoleIn>,
) -> ApiResult<StatusCode> {
    if actor.actor.signed_in().is_none() {
        return Err(ServiceError::SignInRequired.into());
    }
    let role = Role::parse(&input.role).ok_or_else(|| {
        ServiceError::field("role", "Use member, volunteer, staff, moderator or admin.")
    })?;
    accounts::set_role(&app, &actor.actor, &alias, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn doc_kind(kind: &str) -> Result<DocKind, ApiError> {
    DocKind::parse(kind).ok_or_else(|| ServiceError::NotFound.into())
}

/// The current privacy statement (`privacy`) or terms (`terms`).
#[utoipa::path(get, path = "/api/legal/{kind}", tag = "legal", params(("kind" = String, Path, description = "privacy or terms")),
    responses((status = 200, body = DocumentOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn current_document(
    State(app): State<App>,
    Path(kind): Path<String>,
) -> ApiResult<Json<DocumentOut>> {
    let doc = legal::current(&app, doc_kind(&kind)?)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(Json(DocumentOut::from(&doc)))
}

/// Publish a new version (admins); members accept it at their next sign-in.
#[utoipa::path(post, path = "/api/legal/{kind}", tag = "legal", params(("kind" = String, Path, description = "privacy or terms")), request_body = BodyIn,
    responses((status = 201, body = DocumentOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn publish_document(
    State(app): State<App>,
    actor: ApiActor,
    Path(kind): Path<String>,
    ApiJson(input): ApiJson<BodyIn>,
) -> ApiResult<(StatusCode, Json<DocumentOut>)> {
    let kind = doc_kind(&kind)?;
    legal::publish(&app, &actor.actor, kind, &input.body).await?;
    let doc = legal::current(&app, kind)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok((StatusCode::CREATED, Json(DocumentOut::from(&doc))))
}

/// Accept the current versions the caller has read.
#[utoipa::path(post, path = "/api/legal/accept", tag = "legal", request_body = AcceptIn,
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn accept_documents(
    State(app): State<App>,
    actor: ApiActor,
    ApiJson(input): ApiJson<AcceptIn>,
) -> ApiResult<StatusCode> {
    legal::accept(&app, &actor.actor, &input.documents).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The site settings (admins).
#[utoipa::path(get, path = "/api/admin/site", tag = "admin",
    responses((status = 200, body = SiteSettingsIo), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn get_site(State(app): State<App>, actor: ApiActor) -> ApiResult<Json<SiteSettingsIo>> {
    let zone = site::settings(&app, &actor.actor).await?;
    Ok(Json(SiteSettingsIo {
        time_zone: zone.name().to_owned(),
    }))
}

/// Change the site settings (admins). A time zone that is not in the IANA
/// database is refused; the answer spells it as stored.
#[utoipa::path(put, path = "/api/admin/site", tag = "admin", request_body = SiteSettingsIo,
    responses((status = 200, body = SiteSettingsIo), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn put_site(
    State(app): State<App>,
    actor: ApiActor,
    ApiJson(input): ApiJson<SiteSettingsIo>,
) -> ApiResult<Json<SiteSettingsIo>> {
    let zone = site::set_time_zone(&app, &actor.actor, &input.time_zone).await?;
    Ok(Json(SiteSettingsIo {
        time_zone: zone.name().to_owned(),
    }))
}
