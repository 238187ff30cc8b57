//! Site settings beyond safety and first set-up: the organization's time
//! zone, which opening hours are in.

use hearth_core::access::Viewer;
use hearth_core::hours::Zone;
use hearth_store::{Conn, settings};

use super::Actor;
use crate::App;
use crate::error::{ServiceError, ServiceResult};

/// The organization's time zone (UTC until an admin sets one).
pub async fn time_zone_on(conn: &mut Conn) -> ServiceResult<Zone> {
    Ok(match settings::get(conn, settings::TIME_ZONE).await? {
        None => Zone::utc(),
        // It was checked when saved; a name this build does not know
        // (a damaged database) must not take the rooms down.
        Some(name) => Zone::parse(&name).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the stored time zone is unknown; using UTC");
            Zone::utc()
        }),
    })
}

pub async fn time_zone(app: &App) -> ServiceResult<Zone> {
    time_zone_on(&mut *app.store().read().await?).await
}

fn require_admin(actor: &Actor) -> ServiceResult<()> {
    actor.require(
        Viewer::administers,
        "Only admins can see and change the site settings.",
    )
}

/// The settings in force, for an admin.
pub async fn settings(app: &App, actor: &Actor) -> ServiceResult<Zone> {
    require_admin(actor)?;
    time_zone(app).await
}

/// Sets the organization's time zone (admins; audited). Returns it as
/// stored, in its proper spelling.
pub async fn set_time_zone(app: &App, actor: &Actor, name: &str) -> ServiceResult<Zone> {
    require_admin(actor)?;
    let zone = Zone::parse(name).map_err(|e| ServiceError::field("time_zone", e.to_string()))?;
    let now = app.now();
    let mut tx = app.store().write().await?;
    let before = time_zone_on(&mut tx).await?;
    if before.name() != zone.name() {
        settings::set(&mut tx, settings::TIME_ZONE, zone.name()).await?;
        super::audit::record(
            &mut tx,
            actor,
            "settings.site",
            super::audit::Target::Site,
            "",
            &format!("time zone {before} → {zone}"),
            now,
        )
        .await?;
        hearth_store::commit(tx).await?;
    }
    Ok(zone)
}
