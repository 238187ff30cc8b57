//! Private conversations between a member and staff: one staff member, or
//! the staff team. Messages are sent, read and moderated as in any chat
//! (`super::chat`); this module starts conversations, says who is in one,
//! and handles reports — the only way moderators ever read one, audited.

use hearth_core::access::{InConversation, Seat, in_conversation, starts_conversation};
use hearth_core::model::{AccountId, Alias, DetailPolicy, Moderation, Role, Slug, SpaceKind, Tier};
use hearth_core::text::clean_text;
use hearth_store::conversations::{self as store, Reported, Summary};
use hearth_store::spaces::{self, Space, SpaceFields};

use super::Actor;
use super::audit::{self, Target};
use crate::App;
use crate::error::{Problems, ServiceError, ServiceResult};

/// What `with` says for a conversation with the staff team.
pub const TEAM: &str = "team";
pub const MAX_SUBJECT_CHARS: usize = 100;
pub const MAX_REASON_CHARS: usize = 1000;
/// Conversations a person may start in an hour (a flood guard for staff).
const STARTS_PER_HOUR: i64 = 10;

/// Where this person stands in the conversation held in `space`.
pub async fn seat(
    app: &App,
    actor: &Actor,
    space: hearth_core::model::SpaceId,
) -> ServiceResult<InConversation> {
    let viewer = actor.viewer();
    let Some(me) = viewer.account() else {
        return Ok(InConversation::Hidden);
    };
    let mut conn = app.store().read().await?;
    let Some(conversation) = store::by_space(&mut conn, space).await? else {
        return Ok(InConversation::Hidden);
    };
    let listed = store::listed(&mut conn, space, me).await?;
    Ok(in_conversation(
        viewer,
        Seat {
            listed,
            with_team: conversation.with_team,
            reported: conversation.reported.is_some(),
        },
    ))
}

/// Audits a moderator's reading of a reported conversation.
pub async fn record_reading(app: &App, actor: &Actor, room: &Space) -> ServiceResult<()> {
    let mut tx = app.store().write().await?;
    audit::record(
        &mut tx,
        actor,
        "conversation.read",
        Target::Space(room.id),
        "",
        "read a reported private conversation",
        app.now(),
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

/// Notes how far this person has read (staff of the team join by reading).
pub async fn read_to(
    app: &App,
    actor: &Actor,
    space: hearth_core::model::SpaceId,
    last_id: i64,
) -> ServiceResult<()> {
    let Some(me) = actor.signed_in() else {
        return Ok(());
    };
    let mut tx = app.store().write().await?;
    store::add_person(&mut tx, space, me.id).await?;
    store::mark_read(&mut tx, space, me.id, last_id).await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

/// This person's conversations (staff: and all with the team), newest first.
pub async fn list(app: &App, actor: &Actor) -> ServiceResult<Vec<Summary>> {
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let staff = me.role == Role::Staff;
    Ok(store::of(&mut *app.store().read().await?, me.id, staff).await?)
}

/// How many of this person's conversations have news for them.
pub async fn unread(app: &App, actor: &Actor) -> ServiceResult<i64> {
    let Some(me) = actor.signed_in() else {
        return Ok(0);
    };
    let staff = me.role == Role::Staff;
    Ok(store::with_unread(&mut *app.store().read().await?, me.id, staff).await?)
}

/// The staff a member may write to by name.
pub async fn staff(app: &App) -> ServiceResult<Vec<Alias>> {
    Ok(store::staff(&mut *app.store().read().await?).await?)
}

/// A conversation (opened already) and the people in it by name.
pub async fn people(
    app: &App,
    room: &Space,
) -> ServiceResult<(store::Conversation, Vec<(Alias, Role)>)> {
    let mut conn = app.store().read().await?;
    let conversation = store::by_space(&mut conn, room.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let people = store::people(&mut conn, room.id).await?;
    Ok((conversation, people))
}

/// What someone fills in to start a conversation.
#[derive(Clone, Debug, Default)]
pub struct Start {
    /// `team`, or the alias of the staff member (for staff: of the member).
    pub with: String,
    pub subject: String,
}

/// Starts a conversation; the first message is sent in it like any other.
pub async fn start(app: &App, actor: &Actor, cmd: Start) -> ServiceResult<Space> {
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let mut problems = Problems::default();
    let subject = clean_text(cmd.subject.trim());
    let subject = subject.trim();
    if subject.chars().count() > MAX_SUBJECT_CHARS {
        problems.add(
            "subject",
            format!("Keep the subject under {MAX_SUBJECT_CHARS} characters."),
        );
    }
    let with = cmd.with.trim();
    let mut conn = app.store().read().await?;
    let other = match with {
        "" => {
            problems.add("with", "Choose who you would like to talk with.");
            None
        }
        TEAM => None,
        alias => match hearth_store::accounts::by_alias(&mut conn, alias).await? {
            Some(other) if other.id != me.id => Some(other),
            _ => {
                problems.add(
                    "with",
                    format!("There is no one called “{alias}” here; check the spelling."),
                );
                None
            }
        },
    };
    drop(conn);
    if with == TEAM && me.role == Role::Staff {
        problems.add("with", "Choose the member you would like to talk with.");
    }
    problems.into_result()?;
    if let Err(why) = starts_conversation(me.role, other.as_ref().map(|o| o.role)) {
        return Err(ServiceError::field("with", why));
    }
    let (member, staff_member): (AccountId, Option<AccountId>) = match (&other, me.role) {
        (Some(other), Role::Staff) => (other.id, Some(me.id)),
        (Some(other), _) => (me.id, Some(other.id)),
        (None, _) => (me.id, None),
    };
    let now = app.now();
    let mut tx = app.store().write().await?;
    let key = app
        .store()
        .sealer()
        .blind_index(&format!("conversation-start:{}", me.id.0));
    if hearth_store::throttle::hit(&mut tx, &key, now, 3_600_000).await? > STARTS_PER_HOUR {
        return Err(ServiceError::Throttled {
            retry_after_secs: 3600,
        });
    }
    let subject = match (subject, &other) {
        ("", None) => "A question for our staff".to_owned(),
        ("", Some(other)) => format!("Conversation with {}", other.alias),
        (s, _) => s.to_owned(),
    };
    // Not a slug an admin can type (no underscores there), and not guessable.
    let slug = Slug::from_trusted(format!("c_{:016x}", rand::random::<u64>()));
    let space = spaces::insert(
        &mut tx,
        SpaceKind::Conversation,
        SpaceFields {
            slug: &slug,
            name: &subject,
            description: "",
            position: 0,
            // The tier is not what opens a conversation; this one hides it
            // from guests should any door forget to ask who is in it.
            tier: Tier::MembersOnly,
            moderation: Moderation::Post,
            // A nurse may need a detail: warn before it is sent, do not hold it.
            detail_policy: DetailPolicy::Warn,
            medical: false,
            comments_close_days: None,
        },
        now,
    )
    .await?;
    store::insert(&mut tx, space, member, staff_member.is_none(), me.id, now).await?;
    store::add_person(&mut tx, space, member).await?;
    if let Some(staff_member) = staff_member {
        store::add_person(&mut tx, space, staff_member).await?;
    }
    let room = spaces::by_id(&mut tx, space)
        .await?
        .ok_or(ServiceError::NotFound)?;
    hearth_store::commit(tx).await?;
    Ok(room)
}

/// A person in the conversation reports it: moderators may now read it
/// (each reading audited) and delete messages in it.
pub async fn report(app: &App, actor: &Actor, slug: &str, reason: &str) -> ServiceResult<()> {
    let opened = super::chat::open(app, actor, slug).await?;
    if opened.conversation != Some(InConversation::Part) {
        return Err(ServiceError::NotFound);
    }
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let reason = clean_text(reason.trim());
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(ServiceError::field(
            "reason",
            format!("Tell the moderators what is wrong, in up to {MAX_REASON_CHARS} characters."),
        ));
    }
    let now = app.now();
    let mut tx = app.store().write().await?;
    store::report(&mut tx, opened.room.id, me.id, reason, now).await?;
    audit::record(
        &mut tx,
        actor,
        "conversation.report",
        Target::Space(opened.room.id),
        reason,
        "",
        now,
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

/// Moderators: the conversations reported and not yet closed.
pub async fn reported(app: &App, actor: &Actor) -> ServiceResult<Vec<Reported>> {
    actor.require(
        hearth_core::access::Viewer::moderates,
        "Only moderators can see reported conversations.",
    )?;
    Ok(store::reported(&mut *app.store().read().await?).await?)
}

/// Moderators: the report is dealt with; the conversation is private again.
pub async fn close_report(app: &App, actor: &Actor, slug: &str) -> ServiceResult<()> {
    let opened = super::chat::open(app, actor, slug).await?;
    if opened.conversation != Some(InConversation::Moderate) {
        return Err(ServiceError::NotFound);
    }
    let now = app.now();
    let mut tx = app.store().write().await?;
    store::close_report(&mut tx, opened.room.id, now).await?;
    audit::record(
        &mut tx,
        actor,
        "conversation.close_report",
        Target::Space(opened.room.id),
        "",
        "",
        now,
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(())
}
