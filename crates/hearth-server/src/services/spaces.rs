//! Spaces (forums and blogs): who sees which, and their administration.

use hearth_core::access::{Action, Viewer, decide};
use hearth_core::model::{AccountId, Alias, DetailPolicy, Moderation, Role, Slug, SpaceKind, Tier};
use hearth_store::spaces::{self, Space, SpaceFields};

use super::Actor;
use super::audit::Target;
use crate::App;
use crate::error::{Problems, ServiceError, ServiceResult};

/// The forums or blogs this person may read, in display order.
pub async fn readable(app: &App, actor: &Actor, kind: SpaceKind) -> ServiceResult<Vec<Space>> {
    let all = spaces::list(&mut *app.store().read().await?).await?;
    let viewer = actor.viewer();
    Ok(all
        .into_iter()
        .filter(|s| s.kind == kind && decide(viewer, s.tier, Action::Read).allowed())
        .collect())
}

/// A forum or blog by its slug, if this person may read it; otherwise `NotFound`.
pub async fn readable_by_slug(
    app: &App,
    actor: &Actor,
    kind: SpaceKind,
    slug: &str,
) -> ServiceResult<Space> {
    let space = spaces::by_slug(&mut *app.store().read().await?, slug)
        .await?
        .filter(|s| s.kind == kind)
        .ok_or(ServiceError::NotFound)?;
    ServiceError::check(decide(actor.viewer(), space.tier, Action::Read))?;
    Ok(space)
}

/// What an admin typed into the space form.
#[derive(Clone, Debug, Default)]
pub struct SpaceForm {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub position: String,
    pub tier: String,
    /// `post` (the default), `pre` or `new_members_pre`.
    pub moderation: String,
    /// `warn` (the default), `hold` or `redact`.
    pub detail_policy: String,
    /// Topics carry the medical disclaimer.
    pub medical: bool,
    /// `forum` (the default) or `blog`; chosen when the space is made.
    pub kind: String,
    /// Blogs: days after publication when comments close by themselves
    /// (blank: the site's setting).
    pub comments_close_days: String,
    /// Blogs: the aliases of the staff and volunteers who write there.
    pub writers: String,
}

struct ValidSpace {
    slug: Slug,
    name: String,
    description: String,
    position: i64,
    tier: Tier,
    moderation: Moderation,
    detail_policy: DetailPolicy,
    medical: bool,
    kind: SpaceKind,
    comments_close_days: Option<i64>,
    writers: Vec<Alias>,
}

fn validate(form: &SpaceForm) -> ServiceResult<ValidSpace> {
    let mut problems = Problems::default();
    let name = hearth_core::text::clean_text(form.name.trim());
    if name.is_empty() || name.chars().count() > 80 {
        problems.add("name", "Enter a name of 1 to 80 characters.");
    }
    let slug = if form.slug.trim().is_empty() {
        let suggested = Slug::suggest(&name);
        if suggested.is_none() && !name.is_empty() {
            problems.add(
                "slug",
                "Enter a web address name: lower-case letters, digits and hyphens.",
            );
        }
        suggested
    } else {
        problems.take("slug", Slug::parse(&form.slug))
    };
    let description = hearth_core::text::clean_text(form.description.trim());
    if description.chars().count() > 500 {
        problems.add("description", "Keep the description under 500 characters.");
    }
    let position = if form.position.trim().is_empty() {
        Some(0)
    } else {
        problems.take(
            "position",
            form.position
                .trim()
                .parse::<i64>()
                .map_err(|_| "Enter a whole number, like 10."),
        )
    };
    let tier = Tier::parse(&form.tier);
    if tier.is_none() {
        problems.add("tier", "Choose who can read and post in this space.");
    }
    let moderation = match form.moderation.trim() {
        "" => Some(Moderation::Post),
        m => Moderation::parse(m),
    };
    if moderation.is_none() {
        problems.add(
            "moderation",
            "Choose how posts in this space are moderated.",
        );
    }
    let detail_policy = match form.detail_policy.trim() {
        "" => Some(DetailPolicy::Warn),
        p => DetailPolicy::parse(p),
    };
    if detail_policy.is_none() {
        problems.add(
            "detail_policy",
            "Choose what happens to posts with personal details.",
        );
    }
    let kind = match form.kind.trim() {
        "" => Some(SpaceKind::Forum),
        k => SpaceKind::parse(k).filter(|k| SpaceKind::MADE_BY_ADMINS.contains(k)),
    };
    if kind.is_none() {
        problems.add(
            "kind",
            "Choose whether this is a forum, a blog or a chat room.",
        );
    }
    let comments_close_days = match form.comments_close_days.trim() {
        "" => Some(None),
        days => problems.take(
            "comments_close_days",
            days.parse::<i64>()
                .ok()
                .filter(|d| (1..=3650).contains(d))
                .map(Some)
                .ok_or("Enter a number of days from 1 to 3650, or leave it empty."),
        ),
    };
    let mut writers = Vec::new();
    for alias in form
        .writers
        .split([',', '\n', ' '])
        .map(|a| a.trim().trim_start_matches('@'))
        .filter(|a| !a.is_empty())
    {
        if let Some(alias) = problems.take("writers", Alias::parse(alias)) {
            writers.push(alias);
        }
    }
    problems.into_result()?;
    match (
        slug,
        position,
        tier,
        moderation,
        detail_policy,
        kind,
        comments_close_days,
    ) {
        (
            Some(slug),
            Some(position),
            Some(tier),
            Some(moderation),
            Some(detail_policy),
            Some(kind),
            Some(comments_close_days),
        ) => Ok(ValidSpace {
            slug,
            name,
            description,
            position,
            tier,
            moderation,
            detail_policy,
            medical: form.medical,
            kind,
            comments_close_days,
            writers,
        }),
        _ => Err(ServiceError::field("name", "Please check the form.")),
    }
}

fn require_admin(actor: &Actor) -> ServiceResult<()> {
    actor.require(Viewer::administers, "Only admins can manage spaces.")
}

/// The writers a blog form names, as accounts: each must exist and be a
/// volunteer or staff (admins write everywhere anyway).
async fn writer_accounts(
    conn: &mut hearth_store::Conn,
    v: &ValidSpace,
) -> ServiceResult<Vec<AccountId>> {
    let mut ids = Vec::new();
    for alias in &v.writers {
        let account = hearth_store::accounts::by_alias(conn, alias.as_str()).await?;
        match account {
            Some(a) if a.role >= Role::Volunteer => ids.push(a.id),
            Some(a) => {
                return Err(ServiceError::field(
                    "writers",
                    format!(
                        "{} is a member; give them the volunteer or staff role before naming them a writer.",
                        a.alias
                    ),
                ));
            }
            None => {
                return Err(ServiceError::field(
                    "writers",
                    format!("No one here has the alias {alias}."),
                ));
            }
        }
    }
    Ok(ids)
}

/// A space's settings in one line, for the audit log.
fn describe(s: &Space) -> String {
    format!(
        "{} {} ({}, {}, {}, details: {}{})",
        s.kind.as_str(),
        s.name,
        s.slug,
        s.tier.as_str(),
        s.moderation.as_str(),
        s.detail_policy.as_str(),
        if s.medical { ", medical" } else { "" }
    )
}

fn slug_taken() -> ServiceError {
    ServiceError::field("slug", "Another space already uses this web address name.")
}

pub async fn create(app: &App, actor: &Actor, form: &SpaceForm) -> ServiceResult<Space> {
    require_admin(actor)?;
    let v = validate(form)?;
    let mut tx = app.store().write().await?;
    if spaces::by_slug(&mut tx, v.slug.as_str()).await?.is_some() {
        return Err(slug_taken());
    }
    let fields = SpaceFields {
        slug: &v.slug,
        name: &v.name,
        description: &v.description,
        position: v.position,
        tier: v.tier,
        moderation: v.moderation,
        detail_policy: v.detail_policy,
        medical: v.medical,
        comments_close_days: v.comments_close_days,
    };
    let writers = writer_accounts(&mut tx, &v).await?;
    let now = app.now();
    let id = spaces::insert(&mut tx, v.kind, fields, now).await?;
    hearth_store::blogs::set_writers(&mut tx, id, &writers).await?;
    let space = spaces::by_id(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    super::audit::record(
        &mut tx,
        actor,
        "space.create",
        Target::Space(id),
        "",
        &describe(&space),
        now,
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(space)
}

pub async fn update(
    app: &App,
    actor: &Actor,
    slug: &str,
    form: &SpaceForm,
) -> ServiceResult<Space> {
    require_admin(actor)?;
    let v = validate(form)?;
    let mut tx = app.store().write().await?;
    let space = spaces::by_slug(&mut tx, slug)
        .await?
        .filter(|s| s.kind != SpaceKind::Conversation)
        .ok_or(ServiceError::NotFound)?;
    if v.slug.as_str() != slug && spaces::by_slug(&mut tx, v.slug.as_str()).await?.is_some() {
        return Err(slug_taken());
    }
    let fields = SpaceFields {
        slug: &v.slug,
        name: &v.name,
        description: &v.description,
        position: v.position,
        tier: v.tier,
        moderation: v.moderation,
        detail_policy: v.detail_policy,
        medical: v.medical,
        comments_close_days: v.comments_close_days,
    };
    let writers = writer_accounts(&mut tx, &v).await?;
    spaces::update(&mut tx, space.id, fields).await?;
    hearth_store::blogs::set_writers(&mut tx, space.id, &writers).await?;
    let before = describe(&space);
    let space = spaces::by_id(&mut tx, space.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let detail = format!("{before} → {}", describe(&space));
    super::audit::record(
        &mut tx,
        actor,
        "space.update",
        Target::Space(space.id),
        "",
        &detail,
        app.now(),
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(space)
}

/// Admin: every space, whatever its tier.
pub async fn all(app: &App, actor: &Actor) -> ServiceResult<Vec<Space>> {
    require_admin(actor)?;
    Ok(spaces::list(&mut *app.store().read().await?).await?)
}

/// Admin: a space with, for a blog, its named writers.
pub async fn by_slug_for_admin(
    app: &App,
    actor: &Actor,
    slug: &str,
) -> ServiceResult<(Space, Vec<Alias>)> {
    require_admin(actor)?;
    let mut conn = app.store().read().await?;
    // A private conversation is not the admins' to open here.
    let space = spaces::by_slug(&mut conn, slug)
        .await?
        .filter(|s| s.kind != SpaceKind::Conversation)
        .ok_or(ServiceError::NotFound)?;
    let writers = hearth_store::blogs::writers(&mut conn, space.id).await?;
    Ok((space, writers))
}
