//! Privacy rights as pages: download your data, delete your account, and
//! an admin erasing an account on request.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::page::{Chrome, Errors, form_errors, redirect, render, render_with};
use super::{Visitor, WebError, session};
use crate::App;
use crate::error::ServiceError;
use crate::services::privacy::{self, Posts};

pub fn router() -> Router<App> {
    Router::new()
        .route("/account/export", get(export))
        .route("/account/delete", get(delete_page).post(delete))
        .route("/admin/members/{alias}/erase", post(erase))
}

async fn export(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    let (name, bytes) = privacy::export(&app, &visitor.actor).await?;
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeleteForm {
    posts: String,
    password: String,
}

#[derive(Template)]
#[template(path = "account_delete.html")]
struct DeletePage {
    chrome: Chrome,
    choices: Vec<(&'static str, &'static str, &'static str)>,
    posts: String,
    errors: Errors,
}

fn choices() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        (
            "keep",
            "Keep my posts, under “Former member”",
            "Others can still read what you wrote, but not who wrote it.",
        ),
        (
            "delete",
            "Delete my posts",
            "Your posts and their text are removed. Topics you started stay if others replied, without your words.",
        ),
    ]
}

async fn delete_view(
    app: &App,
    visitor: &Visitor,
    posts: String,
    errors: Errors,
) -> Result<DeletePage, WebError> {
    if visitor.actor.signed_in().is_none() {
        return Err(ServiceError::SignInRequired.into());
    }
    Ok(DeletePage {
        chrome: Chrome::new(app, visitor, "Delete your account").await?,
        choices: choices(),
        posts,
        errors,
    })
}

async fn delete_page(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    Ok(render(
        &delete_view(&app, &visitor, String::new(), Errors::default()).await?,
    ))
}

async fn delete(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> Result<Response, WebError> {
    let posts = Posts::parse(&form.posts);
    match form_errors(privacy::delete_account(&app, &visitor.actor, &form.password, posts).await)? {
        Ok(()) => {
            let signed_out = Visitor {
                actor: crate::services::Actor::guest(),
                session_token: None,
                csrf: visitor.csrf.clone(),
            };
            let mut page = super::account::message(
                &app,
                &signed_out,
                "Your account is deleted",
                &["Your personal details have been erased. Thank you for being part of this community; you are welcome back at any time."],
                Some(("/", "Go to the home page")),
            )
            .await?;
            let secure = app.config().secure_cookies();
            session::set_cookie(
                page.headers_mut(),
                session::SESSION_COOKIE,
                "",
                Some(0),
                secure,
            );
            Ok(page)
        }
        Err(errors) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &delete_view(&app, &visitor, form.posts, errors).await?,
        )),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EraseForm {
    posts: String,
    reason: String,
}

async fn erase(
    State(app): State<App>,
    visitor: Visitor,
    Path(alias): Path<String>,
    CsrfForm(form): CsrfForm<EraseForm>,
) -> Result<Response, WebError> {
    privacy::erase_by_admin(
        &app,
        &visitor.actor,
        &alias,
        Posts::parse(&form.posts),
        &form.reason,
    )
    .await?;
    Ok(redirect("/admin/audit?action=member.erase"))
}
