//! The moderators' pages: the queue, flagged posts, flagging a post, and
//! actions on members.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use hearth_core::access::{Sight, sight};
use hearth_core::model::{FlagReason, HoldReason, MemberActionKind, PostId};
use hearth_store::member_actions::MemberAction;
use serde::Deserialize;

use super::csrf::{CsrfForm, Empty};
use super::page::{Chrome, Errors, form_errors, redirect, render, render_with};
use super::views::{Author, Moment};
use super::{Visitor, WebError};
use crate::App;
use crate::error::ServiceError;
use crate::services::members::{self, ActOnMember};
use crate::services::moderation::{self, Decision, Flag, FlagOutcome};

pub fn router() -> Router<App> {
    Router::new()
        .route("/mod/queue", get(queue_page).post(decide_many))
        .route("/mod/queue/{id}", axum::routing::post(decide_one))
        .route("/mod/queue/{id}/edit", get(edit_page))
        .route("/mod/flags", get(flags_page))
        .route("/mod/flags/{id}", axum::routing::post(resolve_flags))
        .route("/p/{id}/flag", get(flag_page).post(flag))
        .route("/mod/members/{alias}", get(member_page).post(act_on_member))
        .route("/mod/actions/{id}/lift", axum::routing::post(lift))
        .route("/notices/{id}/read", axum::routing::post(acknowledge))
}

fn post_id(text: &str) -> Result<PostId, WebError> {
    text.parse()
        .map(PostId)
        .map_err(|_| ServiceError::NotFound.into())
}

// ---- the queue

struct ItemView {
    post_id: i64,
    topic_title: String,
    space_name: String,
    opening: bool,
    author: Author,
    author_approved_posts: i64,
    body_html: String,
    held: bool,
    urgent: bool,
    reasons: Vec<&'static str>,
    /// What the checks found, one line each.
    findings: Vec<String>,
    queued: Moment,
}

/// The checks' findings (stored as JSON) in words.
fn findings(detail: &str) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(detail) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(list) = v.get("personal_details").and_then(|d| d.as_array()) {
        for f in list {
            let kind = f.get("kind").and_then(|k| k.as_str()).unwrap_or("detail");
            let text = f.get("text").and_then(|t| t.as_str()).unwrap_or("");
            out.push(format!(
                "Personal detail ({}): “{text}”",
                kind.replace('_', " ")
            ));
        }
    }
    if let Some(w) = v.get("watched_words") {
        for (key, label) in [
            ("require_approval", "Needs approval"),
            ("flag", "Flagged word"),
        ] {
            if let Some(words) = w.get(key).and_then(|l| l.as_array())
                && !words.is_empty()
            {
                let words: Vec<_> = words.iter().filter_map(|x| x.as_str()).collect();
                out.push(format!("{label}: {}", words.join(", ")));
            }
        }
    }
    if let Some(s) = v.get("spam") {
        let score = s.get("score").and_then(|x| x.as_f64()).unwrap_or(0.0);
        let reasons: Vec<_> = s
            .get("reasons")
            .and_then(|r| r.as_array())
            .map(|r| {
                r.iter()
                    .filter_map(|x| x.get("detail").and_then(|d| d.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        out.push(format!(
            "Spam score {:.0}%: {}",
            score * 100.0,
            reasons.join("; ")
        ));
    }
    out
}

#[derive(Template)]
#[template(path = "mod_queue.html")]
struct QueuePage {
    chrome: Chrome,
    items: Vec<ItemView>,
    /// Mentions from other sites waiting (listed on their own page).
    mentions: i64,
    errors: Errors,
}

fn item_view(i: hearth_store::queue::Item) -> ItemView {
    ItemView {
        post_id: i.post_id.0,
        topic_title: i.topic_title,
        space_name: i.space_name,
        opening: i.opening,
        author: Author::new(
            i.author_alias
                .map(hearth_core::model::Alias::from_trusted)
                .as_ref(),
            None,
            i.guest_name.as_deref(),
        ),
        author_approved_posts: i.author_approved_posts,
        findings: findings(&i.detail),
        body_html: i.body_html,
        held: i.held,
        urgent: i.urgent,
        // An urgent item says so with its badge.
        reasons: i
            .reasons
            .iter()
            .filter(|r| **r != HoldReason::Crisis || !i.urgent)
            .map(|r| r.label())
            .collect(),
        queued: Moment::from_ms(i.queued_at),
    }
}

async fn queue_view(app: &App, visitor: &Visitor, errors: Errors) -> Result<QueuePage, WebError> {
    let items = moderation::queue(app, &visitor.actor).await?;
    let chrome = Chrome::new(app, visitor, "Moderation queue").await?;
    Ok(QueuePage {
        chrome,
        items: items.into_iter().map(item_view).collect(),
        mentions: crate::services::webmentions::held_count(app, &visitor.actor).await?,
        errors,
    })
}

async fn queue_page(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    Ok(render(
        &queue_view(&app, &visitor, Errors::default()).await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DecisionForm {
    /// approve | reject | spam
    decision: String,
    reason: String,
    /// The edited text (edit then approve).
    body: String,
}

impl DecisionForm {
    fn decision(&self, edited: bool) -> Result<Decision, WebError> {
        match self.decision.as_str() {
            "approve" => Ok(Decision::Approve {
                edited: edited.then(|| self.body.clone()),
            }),
            "reject" | "spam" => Ok(Decision::Reject {
                reason: self.reason.clone(),
                spam: self.decision == "spam",
            }),
            _ => Err(ServiceError::field("decision", "Choose approve or reject.").into()),
        }
    }
}

async fn decide_one(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> Result<Response, WebError> {
    let id = post_id(&id)?;
    let edited = !form.body.is_empty();
    let decision = form.decision(edited)?;
    match form_errors(moderation::decide_one(&app, &visitor.actor, id, &decision).await)? {
        Ok(_) => Ok(redirect("/mod/queue")),
        Err(errors) if edited => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &edit_view(&app, &visitor, id, Some(form.body), errors).await?,
        )),
        Err(errors) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &queue_view(&app, &visitor, errors).await?,
        )),
    }
}

/// The bulk form: `post` repeated, once per ticked post.
async fn decide_many(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let posts: Vec<PostId> = fields
        .iter()
        .filter(|(k, _)| k == "post")
        .filter_map(|(_, v)| v.parse().ok().map(PostId))
        .collect();
    let form = DecisionForm {
        decision: value("decision"),
        reason: value("reason"),
        body: String::new(),
    };
    let decision = form.decision(false)?;
    match form_errors(moderation::decide_many(&app, &visitor.actor, &posts, &decision).await)? {
        Ok(_) => Ok(redirect("/mod/queue")),
        Err(errors) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &queue_view(&app, &visitor, errors).await?,
        )),
    }
}

#[derive(Template)]
#[template(path = "mod_edit.html")]
struct EditPage {
    chrome: Chrome,
    item: ItemView,
    body: String,
    errors: Errors,
}

async fn edit_view(
    app: &App,
    visitor: &Visitor,
    id: PostId,
    body: Option<String>,
    errors: Errors,
) -> Result<EditPage, WebError> {
    let item = moderation::queued(app, &visitor.actor, id).await?;
    Ok(EditPage {
        chrome: Chrome::new(app, visitor, "Edit, then approve").await?,
        body: body.unwrap_or_else(|| item.body_md.clone()),
        item: item_view(item),
        errors,
    })
}

async fn edit_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = post_id(&id)?;
    Ok(render(
        &edit_view(&app, &visitor, id, None, Errors::default()).await?,
    ))
}

// ---- flags

struct FlagView {
    by: String,
    reason: &'static str,
    note: String,
    when: Moment,
}

struct FlaggedView {
    post_id: i64,
    topic_title: String,
    author: Author,
    body_html: String,
    hidden: bool,
    deleted: bool,
    flags: Vec<FlagView>,
}

#[derive(Template)]
#[template(path = "mod_flags.html")]
struct FlagsPage {
    chrome: Chrome,
    posts: Vec<FlaggedView>,
}

async fn flags_page(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    let flagged = moderation::flagged(&app, &visitor.actor).await?;
    Ok(render(&FlagsPage {
        chrome: Chrome::new(&app, &visitor, "Flagged posts").await?,
        posts: flagged
            .into_iter()
            .map(|f| FlaggedView {
                post_id: f.post.id.0,
                topic_title: f.topic_title,
                author: Author::new(
                    f.post.author_alias.as_ref(),
                    f.post.author_role,
                    f.post.guest_name.as_deref(),
                ),
                body_html: if sight(visitor.actor.viewer(), f.post.state()) == Sight::Text {
                    f.post.body_html
                } else {
                    String::new()
                },
                hidden: f.post.hidden,
                deleted: f.post.deleted_at.is_some(),
                flags: f
                    .flags
                    .into_iter()
                    .map(|x| FlagView {
                        by: x.flagger_alias,
                        reason: x.reason.label(),
                        note: x.note,
                        when: Moment::from_ms(x.created_at),
                    })
                    .collect(),
            })
            .collect(),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResolveForm {
    outcome: String,
    note: String,
}

async fn resolve_flags(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ResolveForm>,
) -> Result<Response, WebError> {
    let outcome = match form.outcome.as_str() {
        "keep" => FlagOutcome::Keep,
        "remove" => FlagOutcome::Remove,
        _ => return Err(ServiceError::field("outcome", "Choose keep or remove.").into()),
    };
    moderation::resolve_flags(&app, &visitor.actor, post_id(&id)?, outcome, &form.note).await?;
    Ok(redirect("/mod/flags"))
}

#[derive(Template)]
#[template(path = "flag.html")]
struct FlagPage {
    chrome: Chrome,
    post_id: i64,
    topic_title: String,
    author: String,
    body_html: String,
    reasons: Vec<(&'static str, &'static str, &'static str)>,
    form: FlagForm,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FlagForm {
    reason: String,
    note: String,
}

fn flag_reasons() -> Vec<(&'static str, &'static str, &'static str)> {
    FlagReason::ALL
        .into_iter()
        .map(|r| {
            let help = match r {
                FlagReason::PersonalDetails => "It shares details that could identify someone.",
                FlagReason::MedicalMisinformation => {
                    "It gives medical information that is wrong or dangerous."
                }
                FlagReason::Abusive => "It is rude, hurtful or threatening.",
                FlagReason::Spam => "It advertises something or is not a real post.",
                FlagReason::OffTopic => "It does not belong in this topic or space.",
                FlagReason::Other => "Something else: tell the moderators below.",
            };
            (r.as_str(), r.label(), help)
        })
        .collect()
}

async fn flag_view(
    app: &App,
    visitor: &Visitor,
    id: PostId,
    form: FlagForm,
    errors: Errors,
) -> Result<FlagPage, WebError> {
    if visitor.actor.signed_in().is_none() {
        return Err(ServiceError::SignInRequired.into());
    }
    let (topic, post) = crate::services::forum::post(app, &visitor.actor, id).await?;
    Ok(FlagPage {
        chrome: Chrome::new(app, visitor, "Flag a post").await?,
        post_id: id.0,
        topic_title: topic.title,
        author: Author::new(
            post.author_alias.as_ref(),
            post.author_role,
            post.guest_name.as_deref(),
        )
        .name,
        body_html: if sight(visitor.actor.viewer(), post.state()) == Sight::Text {
            post.body_html
        } else {
            String::new()
        },
        reasons: flag_reasons(),
        form,
        errors,
    })
}

async fn flag_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = post_id(&id)?;
    Ok(render(
        &flag_view(&app, &visitor, id, FlagForm::default(), Errors::default()).await?,
    ))
}

async fn flag(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<FlagForm>,
) -> Result<Response, WebError> {
    let id = post_id(&id)?;
    let cmd = Flag {
        reason: form.reason.clone(),
        note: form.note.clone(),
    };
    match form_errors(moderation::flag(&app, &visitor.actor, id, &cmd).await)? {
        Ok(_) => {
            let back = format!("/p/{id}");
            super::account::message(
                &app,
                &visitor,
                "Thank you for flagging this post",
                &["The moderators will look at it. You will be told what they decide."],
                Some((&back, "Back to the post")),
            )
            .await
        }
        Err(errors) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &flag_view(&app, &visitor, id, form, errors).await?,
        )),
    }
}

// ---- members

struct ActionView {
    id: i64,
    kind: &'static str,
    reason: String,
    by: String,
    when: Moment,
    until: Option<Moment>,
    in_force: bool,
    lifted: bool,
}

fn action_view(a: &MemberAction, now: i64) -> ActionView {
    ActionView {
        id: a.id,
        kind: a.kind.label(),
        reason: a.reason.clone(),
        by: a.by_alias.clone().unwrap_or_default(),
        when: Moment::from_ms(a.created_at),
        until: a.ends_at.map(Moment::from_ms),
        in_force: a.in_force(now),
        lifted: a.lifted_at.is_some(),
    }
}

#[derive(Template)]
#[template(path = "mod_member.html")]
struct MemberPage {
    chrome: Chrome,
    alias: String,
    role: &'static str,
    joined: Moment,
    approved_posts: i64,
    actions: Vec<ActionView>,
    kinds: Vec<(&'static str, &'static str, &'static str)>,
    erase_choices: Vec<(&'static str, &'static str, &'static str)>,
    form: ActForm,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ActForm {
    kind: String,
    reason: String,
    days: String,
}

fn kind_choices() -> Vec<(&'static str, &'static str, &'static str)> {
    MemberActionKind::ALL
        .into_iter()
        .map(|k| {
            let (label, help) = match k {
                MemberActionKind::Warn => ("Warn", "The member sees your message the next time they visit."),
                MemberActionKind::Silence => ("Silence", "The member can read but not post, for the days you set (empty: until lifted)."),
                MemberActionKind::Suspend => ("Suspend", "The member is signed out and cannot sign in, for the days you set (empty: for good)."),
            };
            (k.as_str(), label, help)
        })
        .collect()
}

async fn member_view(
    app: &App,
    visitor: &Visitor,
    alias: &str,
    form: ActForm,
    errors: Errors,
) -> Result<MemberPage, WebError> {
    let (account, actions) = members::record(app, &visitor.actor, alias).await?;
    let now = app.now();
    Ok(MemberPage {
        chrome: Chrome::new(app, visitor, format!("Member {}", account.alias)).await?,
        alias: account.alias.to_string(),
        role: account.role.as_str(),
        joined: Moment::from_ms(account.created_at),
        approved_posts: account.approved_posts,
        actions: actions.iter().map(|a| action_view(a, now)).collect(),
        kinds: kind_choices(),
        erase_choices: vec![
            (
                "keep",
                "Keep them, under “Former member”",
                "Others can still read them.",
            ),
            ("delete", "Delete them", "Their text is removed too."),
        ],
        form,
        errors,
    })
}

async fn member_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(alias): Path<String>,
) -> Result<Response, WebError> {
    let form = ActForm {
        kind: "warn".into(),
        ..Default::default()
    };
    Ok(render(
        &member_view(&app, &visitor, &alias, form, Errors::default()).await?,
    ))
}

async fn act_on_member(
    State(app): State<App>,
    visitor: Visitor,
    Path(alias): Path<String>,
    CsrfForm(form): CsrfForm<ActForm>,
) -> Result<Response, WebError> {
    let cmd = ActOnMember {
        kind: form.kind.clone(),
        reason: form.reason.clone(),
        days: form.days.clone(),
    };
    match form_errors(members::act(&app, &visitor.actor, &alias, &cmd).await)? {
        Ok(_) => Ok(redirect(&format!("/mod/members/{}", urlencode(&alias)))),
        Err(errors) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &member_view(&app, &visitor, &alias, form, errors).await?,
        )),
    }
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .map(|s| s.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

async fn lift(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let id: i64 = id.parse().map_err(|_| ServiceError::NotFound)?;
    let account = members::lift(&app, &visitor.actor, id).await?;
    Ok(redirect(&format!(
        "/mod/members/{}",
        urlencode(account.alias.as_str())
    )))
}

async fn acknowledge(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let id: i64 = id.parse().map_err(|_| ServiceError::NotFound)?;
    members::acknowledge(&app, &visitor.actor, id).await?;
    Ok(redirect("/"))
}
