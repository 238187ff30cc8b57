//! The site settings page: the organization's time zone (opening hours of
//! chat rooms are in it).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::page::{Chrome, Errors, form_errors, redirect, render, render_with};
use super::{Visitor, WebError};
use crate::App;
use crate::services::site;

pub fn router() -> Router<App> {
    Router::new().route("/admin/site", get(settings_page).post(save_settings))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SiteInput {
    time_zone: String,
}

#[derive(Template)]
#[template(path = "admin_site.html")]
struct SitePage {
    chrome: Chrome,
    form: SiteInput,
    errors: Errors,
    saved: bool,
}

#[derive(Deserialize, Default)]
struct SavedQuery {
    saved: Option<String>,
}

async fn settings_page(
    State(app): State<App>,
    visitor: Visitor,
    Query(q): Query<SavedQuery>,
) -> Result<Response, WebError> {
    let zone = site::settings(&app, &visitor.actor).await?;
    Ok(render(&SitePage {
        chrome: Chrome::new(&app, &visitor, "Site settings").await?,
        form: SiteInput {
            time_zone: zone.name().to_owned(),
        },
        errors: Errors::default(),
        saved: q.saved.is_some(),
    }))
}

async fn save_settings(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<SiteInput>,
) -> Result<Response, WebError> {
    match form_errors(site::set_time_zone(&app, &visitor.actor, &form.time_zone).await)? {
        Ok(_) => Ok(redirect("/admin/site?saved=1")),
        Err(errors) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SitePage {
                chrome: Chrome::new(&app, &visitor, "Site settings").await?,
                form,
                errors,
                saved: false,
            },
        )),
    }
}
