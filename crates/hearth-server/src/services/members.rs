//! Moderators' actions on members: warn, silence, suspend, and lifting them.
//! A period ends by itself (the account row holds its end, which every check
//! compares with the clock); each action is audited and shown to the member.

use hearth_core::access::Viewer;
use hearth_core::model::{MemberActionKind, Role};
use hearth_core::text::clean_text;
use hearth_store::accounts::{self, Account, FOR_GOOD};
use hearth_store::member_actions::{self, MemberAction, NewAction};
use hearth_store::{Conn, sessions};

use super::audit::{self, Target};
use super::{Actor, DAY_MS};
use crate::App;
use crate::error::{Problems, ServiceError, ServiceResult};

const REASON_MAX_CHARS: usize = 2000;
const MAX_DAYS: i64 = 3650;

fn require_moderator(actor: &Actor) -> ServiceResult<()> {
    actor.require(Viewer::moderates, "Only moderators can act on members.")
}

/// A member's account and every action taken on them, for moderators.
pub async fn record(
    app: &App,
    actor: &Actor,
    alias: &str,
) -> ServiceResult<(Account, Vec<MemberAction>)> {
    require_moderator(actor)?;
    let mut conn = app.store().read().await?;
    let account = accounts::by_alias(&mut conn, alias)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let actions = member_actions::for_account(&mut conn, account.id).await?;
    Ok((account, actions))
}

/// What a moderator typed.
#[derive(Clone, Debug, Default)]
pub struct ActOnMember {
    pub kind: String,
    pub reason: String,
    /// Days; empty for good (silence, suspend). Ignored for warnings.
    pub days: String,
}

/// Moderators act on members below them: admins on anyone but admins,
/// moderators on members, volunteers and staff.
pub(super) fn outranks(actor: Role, target: Role) -> bool {
    match actor {
        Role::Admin => target != Role::Admin,
        Role::Moderator => !target.moderates(),
        _ => false,
    }
}

pub async fn act(
    app: &App,
    actor: &Actor,
    alias: &str,
    cmd: &ActOnMember,
) -> ServiceResult<MemberActionKind> {
    require_moderator(actor)?;
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let mut problems = Problems::default();
    let kind = MemberActionKind::parse(&cmd.kind);
    if kind.is_none() {
        problems.add("kind", "Choose warn, silence or suspend.");
    }
    let reason = clean_text(cmd.reason.trim());
    let chars = reason.trim().chars().count();
    if chars == 0 {
        problems.add("reason", "Write the reason: the member will read it.");
    } else if chars > REASON_MAX_CHARS {
        problems.add(
            "reason",
            format!("Keep the reason under {REASON_MAX_CHARS} characters."),
        );
    }
    let days = match cmd.days.trim() {
        "" => None,
        d => {
            match d.parse::<i64>() {
                Ok(n) if (1..=MAX_DAYS).contains(&n) => Some(n),
                _ => {
                    problems.add(
                    "days",
                    format!("Enter a number of days from 1 to {MAX_DAYS}, or leave it empty for good."),
                );
                    None
                }
            }
        }
    };
    problems.into_result()?;
    let Some(kind) = kind else {
        return Err(ServiceError::field("kind", "Choose an action."));
    };
    let now = app.now();
    let mut tx = app.store().write().await?;
    let target = accounts::by_alias(&mut tx, alias)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if target.id == me.id || !outranks(me.role, target.role) {
        return Err(ServiceError::Forbidden(
            "You can act only on members whose role is below yours.".into(),
        ));
    }
    let ends_at = match kind {
        MemberActionKind::Warn => None,
        _ => days.map(|d| now + d * DAY_MS),
    };
    member_actions::insert(
        &mut tx,
        NewAction {
            account: target.id,
            kind,
            reason: reason.trim(),
            by: me.id,
            ends_at,
        },
        now,
    )
    .await?;
    apply_restrictions(&mut tx, target.id, now).await?;
    if kind == MemberActionKind::Suspend {
        sessions::delete_others(&mut tx, target.id, None).await?;
    }
    let detail = match (kind, days) {
        (MemberActionKind::Warn, _) => String::new(),
        (_, Some(d)) => format!("for {d} days"),
        (_, None) => "for good".into(),
    };
    audit::record(
        &mut tx,
        actor,
        &format!("member.{}", kind.as_str()),
        Target::Account(target.id),
        reason.trim(),
        &detail,
        now,
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(kind)
}

/// Ends a silence or suspension early.
pub async fn lift(app: &App, actor: &Actor, action_id: i64) -> ServiceResult<Account> {
    require_moderator(actor)?;
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let now = app.now();
    let mut tx = app.store().write().await?;
    let action = member_actions::by_id(&mut tx, action_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let target = accounts::by_id(&mut tx, action.account_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !outranks(me.role, target.role) {
        return Err(ServiceError::Forbidden(
            "You can act only on members whose role is below yours.".into(),
        ));
    }
    if !action.in_force(now) || !member_actions::lift(&mut tx, action_id, me.id, now).await? {
        return Err(ServiceError::Forbidden(
            "This is no longer in force.".into(),
        ));
    }
    apply_restrictions(&mut tx, target.id, now).await?;
    audit::record(
        &mut tx,
        actor,
        &format!("member.lift_{}", action.kind.as_str()),
        Target::Account(target.id),
        "",
        "",
        now,
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(target)
}

/// Writes the restrictions in force onto the account row: the latest end of
/// every silence and suspension not lifted.
async fn apply_restrictions(
    conn: &mut Conn,
    account: hearth_core::model::AccountId,
    now: i64,
) -> ServiceResult<()> {
    let actions = member_actions::for_account(conn, account).await?;
    let until = |kind: MemberActionKind| {
        actions
            .iter()
            .filter(|a| a.kind == kind && a.in_force(now))
            .map(|a| a.ends_at.unwrap_or(FOR_GOOD))
            .max()
    };
    accounts::set_restrictions(
        conn,
        account,
        until(MemberActionKind::Silence),
        until(MemberActionKind::Suspend),
    )
    .await?;
    Ok(())
}

/// Warnings and restrictions the member has not yet acknowledged.
pub async fn notices(app: &App, actor: &Actor) -> ServiceResult<Vec<MemberAction>> {
    let Some(me) = actor.signed_in() else {
        return Ok(Vec::new());
    };
    let now = app.now();
    let actions = member_actions::for_account(&mut *app.store().read().await?, me.id).await?;
    Ok(actions
        .into_iter()
        .filter(|a| {
            a.acknowledged_at.is_none() && (a.kind == MemberActionKind::Warn || a.in_force(now))
        })
        .collect())
}

pub async fn acknowledge(app: &App, actor: &Actor, action_id: i64) -> ServiceResult<()> {
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let mut tx = app.store().write_private().await?;
    member_actions::acknowledge(&mut tx, me.id, action_id, app.now()).await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

/// Why a suspended member cannot sign in, in words they can act on.
pub async fn suspension_message(
    conn: &mut Conn,
    account: &Account,
    now: i64,
) -> ServiceResult<String> {
    let reason = member_actions::for_account(conn, account.id)
        .await?
        .into_iter()
        .find(|a| a.kind == MemberActionKind::Suspend && a.in_force(now))
        .map(|a| a.reason)
        .unwrap_or_default();
    let until = match account.suspended_until {
        Some(FOR_GOOD) | None => "Your account is suspended.".to_owned(),
        Some(t) => format!("Your account is suspended until {}.", super::human_time(t)),
    };
    Ok(format!("{until} The moderators' reason: {reason}"))
}

/// What the top of a member's every page shows.
#[derive(Default)]
pub struct Summary {
    pub unread_notifications: i64,
    pub unread_messages: i64,
    /// Posts and flags waiting for a decision, for those who review them.
    pub waiting: Option<i64>,
    pub notices: Vec<MemberAction>,
}

/// This person's `Summary`, kept per member while no write at all has been
/// committed (it changes with their own reading as with others' posts).
pub async fn summary(app: &App, actor: &Actor) -> ServiceResult<std::sync::Arc<Summary>> {
    let Some(me) = actor.signed_in() else {
        return Ok(Default::default());
    };
    let changes = app.all_changes().await;
    let make = async || -> ServiceResult<std::sync::Arc<Summary>> {
        Ok(std::sync::Arc::new(Summary {
            unread_notifications: super::forum::unread_notifications(app, actor).await?,
            unread_messages: super::conversations::unread(app, actor).await?,
            waiting: if actor.viewer().reviews() {
                Some(super::moderation::waiting(app, actor).await?)
            } else {
                None
            },
            notices: notices(app, actor).await?,
        }))
    };
    let bytes = |summary: &std::sync::Arc<Summary>| 256 + summary.notices.len() * 512;
    app.kept()
        .summaries
        .get_or_make(me.id.0.to_string(), changes, bytes, make)
        .await
}
