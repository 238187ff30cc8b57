//! Accounts over JSON: register, sign in and out, the caller's account,
//! passwords, verification, tokens, notifications.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hearth_store::accounts as account_store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problem::Problem;
use super::schema::*;
use super::{ApiActor, ApiError, ApiJson};
use crate::App;
use crate::error::ServiceError;
use crate::services::accounts::{self, ClientKey, Register, SignedIn};
use crate::services::{forum, notification_mail};
use crate::web::account::signed_in_response;
use crate::web::session::{ClientAddr, SESSION_COOKIE, set_cookie};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(sign_in, sign_out))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(request_reset))
        .routes(routes!(reset))
        .routes(routes!(verify_email))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(notifications))
        .routes(routes!(read_notifications))
        .routes(routes!(get_notification_mail, set_notification_mail))
}

type ApiResult<T> = Result<T, ApiError>;

async fn me_out(app: &App, actor: &ApiActor) -> ApiResult<MeOut> {
    let account = actor
        .actor
        .signed_in()
        .ok_or(ServiceError::SignInRequired)?;
    let store = app.store();
    let email = account_store::email_of(
        &mut *store.read().await.map_err(ServiceError::from)?,
        store.sealer(),
        account.id,
    )
    .await
    .map_err(ServiceError::from)?;
    Ok(MeOut {
        account: AccountOut::from(account),
        email: email.as_str().to_owned(),
        unread_notifications: forum::unread_notifications(app, &actor.actor).await?,
    })
}

fn with_session(app: &App, signed_in: &SignedIn, status: StatusCode, body: MeOut) -> Response {
    signed_in_response(app, signed_in, (status, Json(body)).into_response())
}

async fn signed_in_me(app: &App, signed_in: &SignedIn) -> ApiResult<MeOut> {
    let account = account_store::by_id(
        &mut *app.store().read().await.map_err(ServiceError::from)?,
        signed_in.account,
    )
    .await
    .map_err(ServiceError::from)?
    .ok_or(ServiceError::NotFound)?;
    me_out(
        app,
        &ApiActor {
            actor: crate::services::Actor::member(account),
            session_token: None,
        },
    )
    .await
}

/// Register a new account (and sign in with a session cookie).
#[utoipa::path(post, path = "/api/accounts", tag = "accounts", request_body = RegisterIn,
    responses((status = 201, body = MeOut), (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json")))]
async fn register(
    State(app): State<App>,
    ClientAddr(addr): ClientAddr,
    ApiJson(input): ApiJson<RegisterIn>,
) -> ApiResult<Response> {
    let cmd = Register {
        alias: input.alias,
        email: input.email,
        password: input.password,
        accept_terms: input.accept_terms,
    };
    let signed_in = accounts::register(&app, cmd, &ClientKey(addr)).await?;
    let me = signed_in_me(&app, &signed_in).await?;
    Ok(with_session(&app, &signed_in, StatusCode::CREATED, me))
}

/// Sign in: answers with the account and a session cookie.
#[utoipa::path(post, path = "/api/session", tag = "accounts", request_body = SignInIn,
    responses((status = 200, body = MeOut), (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json")))]
async fn sign_in(
    State(app): State<App>,
    ClientAddr(addr): ClientAddr,
    ApiJson(input): ApiJson<SignInIn>,
) -> ApiResult<Response> {
    let signed_in =
        accounts::sign_in(&app, &input.email, &input.password, &ClientKey(addr)).await?;
    let me = signed_in_me(&app, &signed_in).await?;
    Ok(with_session(&app, &signed_in, StatusCode::OK, me))
}

/// Sign out of this session.
#[utoipa::path(delete, path = "/api/session", tag = "accounts", responses((status = 204)))]
async fn sign_out(State(app): State<App>, actor: ApiActor) -> ApiResult<Response> {
    if let Some(token) = &actor.session_token {
        accounts::sign_out(&app, token).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(
        response.headers_mut(),
        SESSION_COOKIE,
        "",
        Some(0),
        app.config().secure_cookies(),
    );
    Ok(response)
}

/// The caller's own account.
#[utoipa::path(get, path = "/api/me", tag = "accounts",
    responses((status = 200, body = MeOut), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn me(State(app): State<App>, actor: ApiActor) -> ApiResult<Json<MeOut>> {
    Ok(Json(me_out(&app, &actor).await?))
}

/// Change the caller's password; other sessions are signed out.
#[utoipa::path(put, path = "/api/me/password", tag = "accounts", request_body = PasswordChangeIn,
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn change_password(
    State(app): State<App>,
    actor: ApiActor,
    ApiJson(input): ApiJson<PasswordChangeIn>,
) -> ApiResult<StatusCode> {
    accounts::change_password(
        &app,
        &actor.actor,
        &input.current_password,
        &input.new_password,
        actor.session_token.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ask for a password-reset link. The answer is the same whether or not the address is known.
#[utoipa::path(post, path = "/api/password-reset", tag = "accounts", request_body = EmailIn,
    responses((status = 202), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn request_reset(
    State(app): State<App>,
    ApiJson(input): ApiJson<EmailIn>,
) -> ApiResult<StatusCode> {
    accounts::request_password_reset(&app, &input.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with the token of a reset link.
#[utoipa::path(post, path = "/api/password-reset/{token}", tag = "accounts", request_body = PasswordIn,
    params(("token" = String, Path, description = "The token from the reset link")),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn reset(
    State(app): State<App>,
    Path(token): Path<String>,
    ApiJson(input): ApiJson<PasswordIn>,
) -> ApiResult<StatusCode> {
    accounts::reset_password(&app, &token, &input.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Confirm an email address with the token of a verification link.
#[utoipa::path(post, path = "/api/verify-email", tag = "accounts", request_body = TokenIn,
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn verify_email(
    State(app): State<App>,
    ApiJson(input): ApiJson<TokenIn>,
) -> ApiResult<StatusCode> {
    accounts::verify_email(&app, &input.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's personal access tokens.
#[utoipa::path(get, path = "/api/tokens", tag = "accounts",
    responses((status = 200, body = Vec<ApiTokenOut>), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn list_tokens(State(app): State<App>, actor: ApiActor) -> ApiResult<Json<Vec<ApiTokenOut>>> {
    Ok(Json(
        accounts::api_tokens(&app, &actor.actor)
            .await?
            .iter()
            .map(ApiTokenOut::from)
            .collect(),
    ))
}

/// Create a personal access token; its secret is in the answer, once.
#[utoipa::path(post, path = "/api/tokens", tag = "accounts", request_body = NewApiTokenIn,
    responses((status = 201, body = ApiTokenOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn create_token(
    State(app): State<App>,
    actor: ApiActor,
    ApiJson(input): ApiJson<NewApiTokenIn>,
) -> ApiResult<(StatusCode, Json<ApiTokenOut>)> {
    let (id, secret) = accounts::create_api_token(&app, &actor.actor, &input.name).await?;
    let tokens = accounts::api_tokens(&app, &actor.actor).await?;
    let token = tokens
        .iter()
        .find(|t| t.id == id)
        .ok_or(ServiceError::NotFound)?;
    Ok((
        StatusCode::CREATED,
        Json(ApiTokenOut {
            token: Some(secret),
            ..ApiTokenOut::from(token)
        }),
    ))
}

/// Revoke one of the caller's tokens.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn revoke_token(
    State(app): State<App>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = id.parse().map_err(|_| ServiceError::NotFound)?;
    accounts::revoke_api_token(&app, &actor.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/notifications", tag = "accounts",
    responses((status = 200, body = Vec<NotificationOut>), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn notifications(
    State(app): State<App>,
    actor: ApiActor,
) -> ApiResult<Json<Vec<NotificationOut>>> {
    Ok(Json(
        forum::notifications(&app, &actor.actor, None)
            .await?
            .iter()
            .map(NotificationOut::from)
            .collect(),
    ))
}

/// Mark all of the caller's notifications read.
#[utoipa::path(post, path = "/api/notifications/read", tag = "accounts",
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn read_notifications(State(app): State<App>, actor: ApiActor) -> ApiResult<StatusCode> {
    forum::mark_notifications_read(&app, &actor.actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct NotificationMailIo {
    /// `off`, `immediately`, `daily` or `weekly` (digests go out at 06:00 UTC).
    #[schema(example = "daily")]
    pub notification_mail: String,
}

/// How the caller gets notifications by email.
#[utoipa::path(get, path = "/api/me/notification-mail", tag = "accounts",
    responses((status = 200, body = NotificationMailIo), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn get_notification_mail(
    State(app): State<App>,
    actor: ApiActor,
) -> ApiResult<Json<NotificationMailIo>> {
    let choice = notification_mail::choice(&app, &actor.actor).await?;
    Ok(Json(NotificationMailIo {
        notification_mail: choice.as_str().into(),
    }))
}

/// Choose how notifications come by email: at once, in a daily or weekly digest, or not at all.
#[utoipa::path(put, path = "/api/me/notification-mail", tag = "accounts", request_body = NotificationMailIo,
    responses((status = 200, body = NotificationMailIo), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn set_notification_mail(
    State(app): State<App>,
    actor: ApiActor,
    ApiJson(input): ApiJson<NotificationMailIo>,
) -> ApiResult<Json<NotificationMailIo>> {
    let choice =
        notification_mail::set_choice(&app, &actor.actor, &input.notification_mail).await?;
    Ok(Json(NotificationMailIo {
        notification_mail: choice.as_str().into(),
    }))
}
