use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::account::signed_in_response;
use super::csrf::CsrfForm;
use super::page::{Chrome, Errors, form_errors, redirect, render, render_with};
use super::{Visitor, WebError};
use crate::App;
use crate::error::ServiceError;
use crate::services::setup::{self, CompleteSetup};

pub fn router() -> Router<App> {
    Router::new().route("/setup", get(show).post(submit))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SetupForm {
    token: String,
    organization_name: String,
    alias: String,
    email: String,
    password: String,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    chrome: Chrome,
    token: String,
    form: SetupForm,
    errors: Errors,
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

fn expired() -> WebError {
    ServiceError::Forbidden(
        "This setup link has expired or was already used. Restart Hearth to print a new one."
            .into(),
    )
    .into()
}

async fn show(
    State(app): State<App>,
    visitor: Visitor,
    Query(q): Query<TokenQuery>,
) -> Result<Response, WebError> {
    let token = q.token.unwrap_or_default();
    if !setup::setup_link_is_live(&app, &token).await? {
        return Err(expired());
    }
    let chrome = Chrome::new(&app, &visitor, "Set up").await?;
    Ok(render(&SetupPage {
        chrome,
        token: token.clone(),
        form: SetupForm {
            token,
            ..Default::default()
        },
        errors: Errors::default(),
    }))
}

async fn submit(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> Result<Response, WebError> {
    let cmd = CompleteSetup {
        token: form.token.clone(),
        organization_name: form.organization_name.clone(),
        alias: form.alias.clone(),
        email: form.email.clone(),
        password: form.password.clone(),
    };
    match form_errors(setup::complete(&app, cmd).await)? {
        Ok(signed_in) => Ok(signed_in_response(&app, &signed_in, redirect("/admin"))),
        Err(errors) => {
            let chrome = Chrome::new(&app, &visitor, "Set up").await?;
            Ok(render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SetupPage {
                    chrome,
                    token: form.token.clone(),
                    form,
                    errors,
                },
            ))
        }
    }
}
