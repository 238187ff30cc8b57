//! Administration pages: spaces, members and roles, legal texts, pending links.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use hearth_core::model::{DetailPolicy, Moderation, Role, Tier};
use hearth_store::legal::DocKind;
use hearth_store::spaces::Space;
use hearth_store::tokens::Purpose;
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::page::{Chrome, Errors, form_errors, redirect, render, render_with};
use super::views::Moment;
use super::{Visitor, WebError};
use crate::App;
use crate::error::ServiceError;
use crate::services::spaces::{self, SpaceForm};
use crate::services::{accounts, legal};

pub fn router() -> Router<App> {
    Router::new()
        .route("/admin", get(index))
        .route("/admin/spaces", get(spaces_page))
        .route("/admin/spaces/new", get(new_space_page).post(create_space))
        .route(
            "/admin/spaces/{slug}",
            get(edit_space_page).post(update_space),
        )
        .route("/admin/members", get(members_page))
        .route("/admin/members/{alias}/role", post(set_role))
        .route("/admin/legal/{kind}", get(legal_page).post(publish_legal))
        .route("/admin/acceptances", get(acceptances_page))
        .route("/admin/links", get(links_page))
}

pub(super) fn require_admin(visitor: &Visitor) -> Result<(), WebError> {
    match visitor.actor.signed_in() {
        None => Err(ServiceError::SignInRequired.into()),
        Some(_) if visitor.actor.viewer().administers() => Ok(()),
        Some(_) => Err(ServiceError::Forbidden(
            "Only admins can open the administration pages.".into(),
        )
        .into()),
    }
}

#[derive(Template)]
#[template(path = "admin.html")]
struct IndexPage {
    chrome: Chrome,
}

async fn index(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    require_admin(&visitor)?;
    Ok(render(&IndexPage {
        chrome: Chrome::new(&app, &visitor, "Administration").await?,
    }))
}

// ---- spaces

#[derive(Template)]
#[template(path = "admin_spaces.html")]
struct SpacesPage {
    chrome: Chrome,
    spaces: Vec<Space>,
}

async fn spaces_page(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    let spaces = spaces::all(&app, &visitor.actor).await?;
    Ok(render(&SpacesPage {
        chrome: Chrome::new(&app, &visitor, "Spaces").await?,
        spaces,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SpaceFormInput {
    name: String,
    slug: String,
    description: String,
    position: String,
    tier: String,
    moderation: String,
    detail_policy: String,
    /// "on" when ticked (absent otherwise).
    medical: String,
    kind: String,
    comments_close_days: String,
    writers: String,
}

impl SpaceFormInput {
    fn to_form(&self) -> SpaceForm {
        SpaceForm {
            name: self.name.clone(),
            slug: self.slug.clone(),
            description: self.description.clone(),
            position: self.position.clone(),
            tier: self.tier.clone(),
            moderation: self.moderation.clone(),
            detail_policy: self.detail_policy.clone(),
            medical: self.medical == "on",
            kind: self.kind.clone(),
            comments_close_days: self.comments_close_days.clone(),
            writers: self.writers.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin_space_form.html")]
struct SpaceFormPage {
    chrome: Chrome,
    action: String,
    form: SpaceFormInput,
    errors: Errors,
    tiers: Vec<(&'static str, &'static str, &'static str)>,
    moderations: Vec<(&'static str, &'static str, &'static str)>,
    policies: Vec<(&'static str, &'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str, &'static str)>,
    /// The kind is chosen once, when the space is made.
    new: bool,
}

fn kind_choices() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        (
            "forum",
            "Forum",
            "Members start topics and reply to each other.",
        ),
        (
            "blog",
            "Blog",
            "Named staff and volunteers write entries; readers comment on them.",
        ),
        (
            "room",
            "Chat room",
            "Members talk in short messages; moderators can lock it or slow it down.",
        ),
    ]
}

fn moderation_choices() -> Vec<(&'static str, &'static str, &'static str)> {
    Moderation::ALL
        .into_iter()
        .map(|m| {
            let help = match m {
                Moderation::Post => "Posts appear at once. Members can flag posts; enough flags hide a post until a moderator decides.",
                Moderation::NewMembersPre => "A member's posts wait for a moderator until enough of them have been approved (the number is set on the safety page).",
                Moderation::Pre => "Every post waits for a moderator before others can see it.",
            };
            (m.as_str(), m.label(), help)
        })
        .collect()
}

fn policy_choices() -> Vec<(&'static str, &'static str, &'static str)> {
    DetailPolicy::ALL
        .into_iter()
        .map(|p| {
            let help = match p {
                DetailPolicy::Warn => "The author sees what was found and may post anyway.",
                DetailPolicy::Hold => "Posted anyway, it waits for a moderator, marked \"personal details\".",
                DetailPolicy::Redact => "Posted anyway, the details found are replaced by \"[personal detail removed]\".",
            };
            (p.as_str(), p.label(), help)
        })
        .collect()
}

fn tier_choices() -> Vec<(&'static str, &'static str, &'static str)> {
    Tier::ALL
        .into_iter()
        .map(|t| {
            let help = match t {
                Tier::MembersOnly => {
                    "Only signed-in members read and post. Guests cannot see that the space exists."
                }
                Tier::PublicRead => "Anyone can read; members post.",
                Tier::Open => {
                    "Anyone can read; guests may post too, and their posts wait for a moderator."
                }
            };
            (t.as_str(), t.label(), help)
        })
        .collect()
}

async fn space_form(
    app: &App,
    visitor: &Visitor,
    title: &str,
    action: String,
    form: SpaceFormInput,
    errors: Errors,
) -> Result<SpaceFormPage, WebError> {
    Ok(SpaceFormPage {
        chrome: Chrome::new(app, visitor, title).await?,
        new: action == "/admin/spaces/new",
        action,
        form,
        errors,
        tiers: tier_choices(),
        moderations: moderation_choices(),
        policies: policy_choices(),
        kinds: kind_choices(),
    })
}

async fn new_space_page(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    require_admin(&visitor)?;
    let form = SpaceFormInput {
        tier: Tier::MembersOnly.as_str().into(),
        position: "10".into(),
        moderation: Moderation::Post.as_str().into(),
        detail_policy: DetailPolicy::Warn.as_str().into(),
        kind: "forum".into(),
        ..Default::default()
    };
    Ok(render(
        &space_form(
            &app,
            &visitor,
            "Create a space",
            "/admin/spaces/new".into(),
            form,
            Errors::default(),
        )
        .await?,
    ))
}

async fn create_space(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<SpaceFormInput>,
) -> Result<Response, WebError> {
    match form_errors(spaces::create(&app, &visitor.actor, &form.to_form()).await)? {
        Ok(_) => Ok(redirect("/admin/spaces")),
        Err(errors) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &space_form(
                &app,
                &visitor,
                "Create a space",
                "/admin/spaces/new".into(),
                form,
                errors,
            )
            .await?,
        )),
    }
}

async fn edit_space_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let (s, writers) = spaces::by_slug_for_admin(&app, &visitor.actor, &slug).await?;
    let form = SpaceFormInput {
        kind: s.kind.as_str().into(),
        comments_close_days: s
            .comments_close_days
            .map(|d| d.to_string())
            .unwrap_or_default(),
        writers: writers
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        name: s.name.clone(),
        slug: s.slug.to_string(),
        description: s.description.clone(),
        position: s.position.to_string(),
        tier: s.tier.as_str().into(),
        moderation: s.moderation.as_str().into(),
        detail_policy: s.detail_policy.as_str().into(),
        medical: if s.medical {
            "on".into()
        } else {
            String::new()
        },
    };
    Ok(render(
        &space_form(
            &app,
            &visitor,
            &format!("Edit {}", s.name),
            format!("/admin/spaces/{slug}"),
            form,
            Errors::default(),
        )
        .await?,
    ))
}

async fn update_space(
    State(app): State<App>,
    visitor: Visitor,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<SpaceFormInput>,
) -> Result<Response, WebError> {
    match form_errors(spaces::update(&app, &visitor.actor, &slug, &form.to_form()).await)? {
        Ok(_) => Ok(redirect("/admin/spaces")),
        Err(errors) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &space_form(
                &app,
                &visitor,
                "Edit space",
                format!("/admin/spaces/{slug}"),
                form,
                errors,
            )
            .await?,
        )),
    }
}

// ---- members

struct MemberRow {
    alias: String,
    joined: String,
    verified: bool,
    role: &'static str,
}

#[derive(Template)]
#[template(path = "admin_members.html")]
struct MembersPage {
    chrome: Chrome,
    members: Vec<MemberRow>,
    roles: Vec<&'static str>,
    next: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
struct MembersQuery {
    after: Option<String>,
}

async fn members_view(
    app: &App,
    visitor: &Visitor,
    after: Option<&str>,
    notice: Option<String>,
) -> Result<MembersPage, WebError> {
    let accounts = accounts::list(app, &visitor.actor, after).await?;
    let next = (accounts.len() >= 100)
        .then(|| accounts.last().map(|a| a.alias.to_string()))
        .flatten();
    Ok(MembersPage {
        chrome: Chrome::new(app, visitor, "Members").await?,
        members: accounts
            .iter()
            .map(|a| MemberRow {
                alias: a.alias.to_string(),
                joined: Moment::from_ms(a.created_at).text,
                verified: a.email_verified,
                role: a.role.as_str(),
            })
            .collect(),
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        next,
        notice,
    })
}

async fn members_page(
    State(app): State<App>,
    visitor: Visitor,
    Query(q): Query<MembersQuery>,
) -> Result<Response, WebError> {
    Ok(render(
        &members_view(&app, &visitor, q.after.as_deref(), None).await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RoleForm {
    role: String,
}

async fn set_role(
    State(app): State<App>,
    visitor: Visitor,
    Path(alias): Path<String>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<Response, WebError> {
    let role = Role::parse(&form.role)
        .ok_or_else(|| ServiceError::field("role", "Choose one of the roles in the list."))?;
    accounts::set_role(&app, &visitor.actor, &alias, role).await?;
    let notice = format!("{alias} is now {}.", role.as_str());
    Ok(render(
        &members_view(&app, &visitor, None, Some(notice)).await?,
    ))
}

// ---- legal texts

#[derive(Template)]
#[template(path = "admin_legal.html")]
struct LegalPage {
    chrome: Chrome,
    kind: &'static str,
    current_version: Option<i64>,
    body: String,
    errors: Errors,
    notice: Option<String>,
}

fn doc_kind(kind: &str) -> Result<DocKind, WebError> {
    DocKind::parse(kind).ok_or_else(|| ServiceError::NotFound.into())
}

async fn legal_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(kind): Path<String>,
) -> Result<Response, WebError> {
    require_admin(&visitor)?;
    let kind = doc_kind(&kind)?;
    let current = legal::current(&app, kind).await?;
    Ok(render(&LegalPage {
        chrome: Chrome::new(&app, &visitor, kind.title()).await?,
        kind: kind.as_str(),
        current_version: current.as_ref().map(|d| d.version),
        body: current.map(|d| d.body_md).unwrap_or_default(),
        errors: Errors::default(),
        notice: None,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LegalForm {
    body: String,
}

async fn publish_legal(
    State(app): State<App>,
    visitor: Visitor,
    Path(kind): Path<String>,
    CsrfForm(form): CsrfForm<LegalForm>,
) -> Result<Response, WebError> {
    let kind = doc_kind(&kind)?;
    let result = form_errors(legal::publish(&app, &visitor.actor, kind, &form.body).await)?;
    let (status, errors, notice, version) = match result {
        Ok(v) => (
            StatusCode::OK,
            Errors::default(),
            Some(format!("Version {v} is published.")),
            Some(v),
        ),
        Err(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            None,
            legal::current(&app, kind).await?.map(|d| d.version),
        ),
    };
    Ok(render_with(
        status,
        &LegalPage {
            chrome: Chrome::new(&app, &visitor, kind.title()).await?,
            kind: kind.as_str(),
            current_version: version,
            body: form.body,
            errors,
            notice,
        },
    ))
}

#[derive(Template)]
#[template(path = "admin_acceptances.html")]
struct AcceptancesPage {
    chrome: Chrome,
    rows: Vec<(String, &'static str, i64, String)>,
}

async fn acceptances_page(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    let rows = legal::acceptances(&app, &visitor.actor)
        .await?
        .into_iter()
        .map(|(alias, kind, version, at)| (alias, kind.title(), version, Moment::from_ms(at).text))
        .collect();
    Ok(render(&AcceptancesPage {
        chrome: Chrome::new(&app, &visitor, "Acceptances").await?,
        rows,
    }))
}

// ---- pending links

struct LinkRow {
    alias: String,
    purpose: &'static str,
    url: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "admin_links.html")]
struct LinksPage {
    chrome: Chrome,
    links: Vec<LinkRow>,
}

async fn links_page(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    let links = accounts::pending_links(&app, &visitor.actor)
        .await?
        .into_iter()
        .map(|l| LinkRow {
            alias: l.alias.map(|a| a.to_string()).unwrap_or_default(),
            purpose: match l.purpose {
                Purpose::VerifyEmail => "Confirm email",
                Purpose::ResetPassword => "Reset password",
                Purpose::Setup => "Setup",
            },
            url: app.link(&accounts::link_path(l.purpose, &l.token)),
            expires: Moment::from_ms(l.expires_at).text,
        })
        .collect();
    Ok(render(&LinksPage {
        chrome: Chrome::new(&app, &visitor, "Pending account links").await?,
        links,
    }))
}
