//! Admin pages for safety: the settings (limits, helplines, disclaimer,
//! crisis phrases, watched words) and the audit log.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use hearth_core::guard::words::WordLists;
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::page::{Chrome, Errors, form_errors, redirect, render, render_with};
use super::views::Moment;
use super::{Visitor, WebError};
use crate::App;
use crate::services::audit;
use crate::services::safety::{self, SettingsForm};

pub fn router() -> Router<App> {
    Router::new()
        .route("/admin/safety", get(settings_page).post(save_settings))
        .route("/admin/audit", get(audit_page))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsInput {
    new_member_posts: String,
    flags_to_hide: String,
    posts_per_minute: String,
    new_member_posts_per_minute: String,
    erase_unused_after_days: String,
    /// "on" when ticked (an unticked box sends nothing).
    private_addresses: String,
    helplines: String,
    disclaimer: String,
    crisis_phrases: String,
    words_block: String,
    words_require_approval: String,
    words_flag: String,
    words_replace: String,
}

impl SettingsInput {
    fn from_form(f: SettingsForm) -> Self {
        Self {
            new_member_posts: f.new_member_posts,
            flags_to_hide: f.flags_to_hide,
            posts_per_minute: f.posts_per_minute,
            new_member_posts_per_minute: f.new_member_posts_per_minute,
            erase_unused_after_days: f.erase_unused_after_days,
            private_addresses: if f.private_addresses { "on" } else { "" }.into(),
            helplines: f.helplines,
            disclaimer: f.disclaimer,
            crisis_phrases: f.crisis_phrases,
            words_block: f.words.block,
            words_require_approval: f.words.require_approval,
            words_flag: f.words.flag,
            words_replace: f.words.replace,
        }
    }

    fn to_form(&self) -> SettingsForm {
        SettingsForm {
            new_member_posts: self.new_member_posts.clone(),
            flags_to_hide: self.flags_to_hide.clone(),
            posts_per_minute: self.posts_per_minute.clone(),
            new_member_posts_per_minute: self.new_member_posts_per_minute.clone(),
            erase_unused_after_days: self.erase_unused_after_days.clone(),
            private_addresses: self.private_addresses == "on",
            helplines: self.helplines.clone(),
            disclaimer: self.disclaimer.clone(),
            crisis_phrases: self.crisis_phrases.clone(),
            words: WordLists {
                block: self.words_block.clone(),
                require_approval: self.words_require_approval.clone(),
                flag: self.words_flag.clone(),
                replace: self.words_replace.clone(),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "admin_safety.html")]
struct SettingsPage {
    chrome: Chrome,
    form: SettingsInput,
    errors: Errors,
    saved: bool,
}

async fn settings_view(
    app: &App,
    visitor: &Visitor,
    form: Option<SettingsInput>,
    errors: Errors,
) -> Result<SettingsPage, WebError> {
    let form = match form {
        Some(f) => f,
        None => SettingsInput::from_form(SettingsForm::from_rules(
            &*safety::settings(app, &visitor.actor).await?,
        )),
    };
    Ok(SettingsPage {
        chrome: Chrome::new(app, visitor, "Safety settings").await?,
        form,
        errors,
        saved: false,
    })
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
    let mut page = settings_view(&app, &visitor, None, Errors::default()).await?;
    page.saved = q.saved.is_some();
    Ok(render(&page))
}

async fn save_settings(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<SettingsInput>,
) -> Result<Response, WebError> {
    match form_errors(safety::save_settings(&app, &visitor.actor, &form.to_form()).await)? {
        Ok(()) => Ok(redirect("/admin/safety?saved=1")),
        Err(errors) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &settings_view(&app, &visitor, Some(form), errors).await?,
        )),
    }
}

// ---- the audit log

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuditQuery {
    action: String,
    actor: String,
    member: String,
    before: String,
}

struct RecordView {
    when: Moment,
    actor: String,
    action: String,
    target: String,
    target_href: Option<String>,
    reason: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    chrome: Chrome,
    query: AuditQuery,
    records: Vec<RecordView>,
    older: Option<String>,
    unknown_alias: bool,
}

async fn audit_page(
    State(app): State<App>,
    visitor: Visitor,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    super::admin::require_admin(&visitor)?;
    let search = audit::Search {
        action: q.action.clone(),
        actor: q.actor.clone(),
        member: q.member.clone(),
        before: q.before.parse().ok(),
    };
    let audit::Found {
        records,
        unknown_alias,
    } = audit::list(&app, &visitor.actor, &search).await?;
    let older = (records.len() as i64 >= audit::PAGE)
        .then(|| records.last().map(|r| r.id.to_string()))
        .flatten();
    let records = records
        .into_iter()
        .map(|r| {
            let (target, target_href) = match (r.target_kind.as_str(), r.target_id) {
                ("account", Some(_)) => {
                    let alias = r
                        .target_alias
                        .clone()
                        .unwrap_or_else(|| "a former member".into());
                    (
                        format!("member {alias}"),
                        Some(format!("/mod/members/{alias}")),
                    )
                }
                ("post", Some(id)) => (format!("post {id}"), Some(format!("/p/{id}"))),
                ("topic", Some(id)) => (format!("topic {id}"), Some(format!("/t/{id}"))),
                ("space", Some(id)) => (format!("space {id}"), None),
                (kind, _) => (kind.to_owned(), None),
            };
            RecordView {
                when: Moment::from_ms(r.created_at),
                actor: r.actor_alias.unwrap_or_else(|| "Hearth".into()),
                action: r.action,
                target,
                target_href,
                reason: r.reason,
                detail: r.detail,
            }
        })
        .collect();
    Ok(render(&AuditPage {
        chrome: Chrome::new(&app, &visitor, "Audit log").await?,
        query: q,
        records,
        older,
        unknown_alias,
    }))
}
