//! Chat rooms: spaces of kind `room` whose messages pass the same access
//! rule, guards and audit as posts, with their own pace (a chat rate limit,
//! a room's slow mode) and a moderator's lock. Every door — the room page
//! without JavaScript, the API, the live socket — sends and reads here.

use hearth_core::access::{Action, Decision, Viewer, decide};
use hearth_core::model::{ChatReaction, Role, SpaceKind};
use hearth_core::text::{clean_text, render_markdown};
use hearth_store::Conn;
use hearth_store::accounts::{self, Account};
use hearth_store::chat::{self, Edit, Message, Mute, NewMessage, NewMute, Reader, RoomSettings};
use hearth_store::events::Event;
use hearth_store::spaces::Space;

use super::Actor;
use super::safety::{self, Draft, Pace, Submission};
use crate::App;
use crate::error::{Problems, ServiceError, ServiceResult};

/// Messages a page of history shows.
pub const PAGE: i64 = 50;
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// Longest slow mode a moderator may set (an hour).
pub const MAX_SLOW_MODE_SECS: i64 = 3600;

/// The rooms this person may read.
pub async fn rooms(app: &App, actor: &Actor) -> ServiceResult<Vec<Space>> {
    super::spaces::readable(app, actor, SpaceKind::Room).await
}

fn reader(viewer: Viewer) -> Reader {
    Reader {
        account: viewer.account(),
        moderator: viewer.reviews(),
    }
}

/// Staff and moderators are not slowed down, and write in locked rooms.
fn unhurried(viewer: Viewer) -> bool {
    viewer.moderates() || viewer.role() == Some(Role::Staff)
}

pub struct RoomPage {
    pub room: Space,
    pub settings: RoomSettings,
    /// Oldest first.
    pub messages: Vec<Message>,
    /// Pass as `before` for the page of older messages; `None` at the start.
    pub older: Option<i64>,
    /// Whether this person may write here, or why not.
    pub write: Decision,
    pub moderator: bool,
    /// This person's mute here, if one is in force.
    pub muted: Option<Mute>,
    /// The mutes in force here (for moderators; empty for others).
    pub mutes: Vec<Mute>,
}

pub async fn room_page(
    app: &App,
    actor: &Actor,
    slug: &str,
    before: Option<i64>,
) -> ServiceResult<RoomPage> {
    let room = super::spaces::readable_by_slug(app, actor, SpaceKind::Room, slug).await?;
    let viewer = actor.viewer();
    let mut conn = app.store().read().await?;
    let settings = chat::settings(&mut conn, room.id).await?;
    let now = app.now();
    let muted = match actor.signed_in() {
        Some(me) => chat::mute_of(&mut conn, room.id, me.id, now).await?,
        None => None,
    };
    let mutes = if viewer.moderates() {
        chat::mutes(&mut conn, room.id, now).await?
    } else {
        Vec::new()
    };
    let mut messages = chat::before(&mut conn, room.id, reader(viewer), before, PAGE + 1).await?;
    let older = if messages.len() as i64 > PAGE {
        messages.remove(0);
        messages.first().map(|m| m.id)
    } else {
        None
    };
    Ok(RoomPage {
        write: decide(
            viewer,
            room.tier,
            Action::Chat {
                locked: settings.locked,
            },
        ),
        moderator: viewer.moderates(),
        muted,
        mutes,
        room,
        settings,
        messages,
        older,
    })
}

/// The room a live connection opens onto, if this person may read it.
pub async fn live_room(app: &App, actor: &Actor, slug: &str) -> ServiceResult<Space> {
    super::spaces::readable_by_slug(app, actor, SpaceKind::Room, slug).await
}

/// Messages after `after` that this person may see, oldest first (at most a
/// page): what a client that has `after` missed.
pub async fn since(
    app: &App,
    actor: &Actor,
    slug: &str,
    after: i64,
) -> ServiceResult<(Space, Vec<Message>)> {
    let room = super::spaces::readable_by_slug(app, actor, SpaceKind::Room, slug).await?;
    let mut conn = app.store().read().await?;
    let messages = chat::after(&mut conn, room.id, reader(actor.viewer()), after, PAGE).await?;
    Ok((room, messages))
}

/// What a member sends.
#[derive(Clone, Debug, Default)]
pub struct Send {
    pub body: String,
    /// The message this one answers, in the same room.
    pub reply_to: Option<i64>,
    pub submission: Submission,
}

#[derive(Clone, Copy, Debug)]
pub struct Sent {
    pub id: i64,
    /// Waits for a moderator: only its author and moderators see it.
    pub held: bool,
}

/// A message's text, cleaned, or why it cannot be sent (a new message and
/// an edit alike).
fn message_text(raw: &str) -> ServiceResult<String> {
    let body = clean_text(raw.trim());
    let body = body.trim();
    if body.is_empty() {
        return Err(ServiceError::field("body", "Write a message first."));
    }
    if body.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ServiceError::field(
            "body",
            format!(
                "Keep a message under {MAX_MESSAGE_CHARS} characters; a longer text fits better in a forum topic."
            ),
        ));
    }
    Ok(body.to_owned())
}

/// Whether this person may write in the room now (send, edit, react), on
/// the writing transaction: the access rule (guests never, a locked room
/// only staff and moderators), accepted terms, and no mute here.
async fn may_write<'a>(
    app: &App,
    conn: &mut Conn,
    actor: &'a Actor,
    room: &Space,
    settings: RoomSettings,
) -> ServiceResult<&'a Account> {
    let viewer = actor.viewer();
    ServiceError::check(decide(
        viewer,
        room.tier,
        Action::Chat {
            locked: settings.locked,
        },
    ))?;
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    super::forum::ensure_terms_accepted(conn, viewer).await?;
    if let Some(mute) = chat::mute_of(conn, room.id, me.id, app.now()).await? {
        return Err(ServiceError::Forbidden(muted_reason(&mute)));
    }
    Ok(me)
}

/// What a muted member is told when they try to write.
pub fn muted_reason(mute: &Mute) -> String {
    let until = match mute.ends_at {
        Some(t) => super::human_time(t),
        None => "a moderator lifts it".into(),
    };
    let mut text =
        format!("A moderator has muted you in this room until {until}. You can still read here.");
    if !mute.reason.is_empty() {
        text.push_str(&format!(" Their reason: {}", mute.reason));
    }
    text
}

pub async fn send(app: &App, actor: &Actor, slug: &str, cmd: Send) -> ServiceResult<Sent> {
    let room = super::spaces::readable_by_slug(app, actor, SpaceKind::Room, slug).await?;
    let viewer = actor.viewer();
    let body = message_text(&cmd.body)?;
    let body = body.as_str();
    let now = app.now();
    let mut tx = app.store().write().await?;
    let settings = chat::settings(&mut tx, room.id).await?;
    let me = may_write(app, &mut tx, actor, &room, settings).await?;
    if let Some(id) = cmd.reply_to {
        let answered = chat::by_id(&mut tx, id).await?;
        let visible = answered.is_some_and(|m| {
            m.room_id == room.id
                && m.deleted_at.is_none()
                && (!m.held || m.author_id == Some(me.id) || viewer.reviews())
        });
        if !visible {
            return Err(ServiceError::field(
                "reply_to",
                "The message you are answering is gone; send yours without it.",
            ));
        }
    }
    if settings.slow_mode_secs > 0
        && !unhurried(viewer)
        && let Some(last) = chat::last_by(&mut tx, room.id, me.id).await?
    {
        let wait_ms = settings.slow_mode_secs * 1000 - (now - last);
        if wait_ms > 0 {
            return Err(ServiceError::Throttled {
                retry_after_secs: (wait_ms as u64).div_ceil(1000),
            });
        }
    }
    let screened = safety::screen(
        app,
        &mut tx,
        actor,
        Draft {
            space: &room,
            title: None,
            body,
            held_by_access: false,
            edit: false,
            submission: &cmd.submission,
            pace: Pace::Chat,
        },
    )
    .await?;
    let held = screened.held();
    let body = screened.body.trim();
    let id = chat::insert(
        &mut tx,
        NewMessage {
            room: room.id,
            author: me.id,
            reply_to: cmd.reply_to,
            body_md: body,
            body_html: &render_markdown(body),
            held,
        },
        now,
    )
    .await?;
    hearth_store::commit(tx).await?;
    announce(app, Event::ChatMessage { room: room.id, id }).await;
    Ok(Sent { id, held })
}

/// Tells the live rooms on every node. The change is committed already: if
/// the telling fails, clients still find it when they next catch up.
async fn announce(app: &App, event: Event) {
    if let Err(e) = app.store().publish(event).await {
        tracing::warn!(error = %e, "a chat change was not announced");
    }
}

/// Tells the room that someone is typing (nothing is stored).
pub async fn typing(app: &App, actor: &Actor, room: &Space) -> ServiceResult<()> {
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    announce(
        app,
        Event::Typing {
            room: room.id,
            alias: me.alias.to_string(),
        },
    )
    .await;
    Ok(())
}

/// A message with its room, if this person may read it.
async fn readable_message(app: &App, actor: &Actor, id: i64) -> ServiceResult<(Space, Message)> {
    readable_on(&mut *app.store().read().await?, actor, id).await
}

/// `readable_message` on a connection the caller holds (a writing
/// transaction, so that nothing changes between the check and the write).
async fn readable_on(conn: &mut Conn, actor: &Actor, id: i64) -> ServiceResult<(Space, Message)> {
    let message = chat::by_id(conn, id).await?.ok_or(ServiceError::NotFound)?;
    let room = hearth_store::spaces::by_id(conn, message.room_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let viewer = actor.viewer();
    let seen = !message.held || viewer.reviews() || message.author_id == viewer.account();
    if !seen || !decide(viewer, room.tier, Action::Read).allowed() {
        return Err(ServiceError::NotFound);
    }
    Ok((room, message))
}

/// Deletes a message (its author, or a moderator: audited). Returns its room.
pub async fn delete(app: &App, actor: &Actor, id: i64) -> ServiceResult<Space> {
    let (room, message) = readable_message(app, actor, id).await?;
    let viewer = actor.viewer();
    ServiceError::check(decide(
        viewer,
        room.tier,
        Action::Delete {
            author: message.author_id,
        },
    ))?;
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    if message.deleted_at.is_some() {
        return Ok(room);
    }
    let now = app.now();
    let mut tx = app.store().write().await?;
    chat::set_deleted(&mut tx, id, me.id, now).await?;
    // An author's own delete is not audited; a moderator's is.
    let audited = (message.author_id != Some(me.id)).then_some("chat.delete");
    changed(app, tx, actor, &room, id, audited).await?;
    Ok(room)
}

/// Finishes a change to a message: audits it (when `action` names one),
/// commits, and tells the live rooms.
async fn changed(
    app: &App,
    mut tx: hearth_store::WriteTx,
    actor: &Actor,
    room: &Space,
    id: i64,
    action: Option<&str>,
) -> ServiceResult<()> {
    if let Some(action) = action {
        super::audit::record(
            &mut tx,
            actor,
            action,
            super::audit::Target::Space(room.id),
            "",
            &format!("message {id}"),
            app.now(),
        )
        .await?;
    }
    hearth_store::commit(tx).await?;
    announce(app, Event::ChatChanged { room: room.id, id }).await;
    Ok(())
}

/// Lets a held message out (moderators).
pub async fn approve(app: &App, actor: &Actor, id: i64) -> ServiceResult<Space> {
    actor.require(Viewer::reviews, "Only moderators can approve messages.")?;
    let (room, message) = readable_message(app, actor, id).await?;
    if !message.held {
        return Ok(room);
    }
    let mut tx = app.store().write().await?;
    chat::approve(&mut tx, id).await?;
    changed(app, tx, actor, &room, id, Some("chat.approve")).await?;
    Ok(room)
}

/// Locks or unlocks a room and sets its slow mode (moderators; audited).
pub async fn set_room(
    app: &App,
    actor: &Actor,
    slug: &str,
    settings: RoomSettings,
) -> ServiceResult<Space> {
    actor.require(
        Viewer::moderates,
        "Only moderators can lock a room or slow it down.",
    )?;
    let room = super::spaces::readable_by_slug(app, actor, SpaceKind::Room, slug).await?;
    if !(0..=MAX_SLOW_MODE_SECS).contains(&settings.slow_mode_secs) {
        return Err(ServiceError::field(
            "slow_mode_secs",
            format!("Enter a number of seconds from 0 (off) to {MAX_SLOW_MODE_SECS}."),
        ));
    }
    let now = app.now();
    let mut tx = app.store().write().await?;
    chat::set_settings(&mut tx, room.id, settings).await?;
    super::audit::record(
        &mut tx,
        actor,
        "room.settings",
        super::audit::Target::Space(room.id),
        "",
        &format!(
            "{}, slow mode {} s",
            if settings.locked { "locked" } else { "open" },
            settings.slow_mode_secs
        ),
        now,
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(room)
}

/// An author's new text for their message.
#[derive(Clone, Debug, Default)]
pub struct EditMessage {
    pub body: String,
    pub submission: Submission,
}

#[derive(Clone, Debug)]
pub struct Edited {
    pub room: Space,
    /// The new text waits for a moderator: only its author and moderators see it.
    pub held: bool,
}

/// The message as its author may edit it (the edit form).
pub async fn editable(app: &App, actor: &Actor, id: i64) -> ServiceResult<(Space, Message)> {
    let mut conn = app.store().read().await?;
    let (room, message) = readable_on(&mut conn, actor, id).await?;
    ensure_editable(actor, &message)?;
    Ok((room, message))
}

/// Only its author edits a message, as long as it is not deleted: like a
/// forum post, and as Slack and Discourse do, without a time limit, since
/// the earlier text stays for the moderators. Moderators delete; they do
/// not put words in a member's mouth.
fn ensure_editable(actor: &Actor, message: &Message) -> ServiceResult<()> {
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    if message.author_id != Some(me.id) {
        return Err(ServiceError::Forbidden(
            "Only its author can edit a message.".into(),
        ));
    }
    if message.deleted_at.is_some() {
        return Err(ServiceError::Forbidden(
            "This message was deleted, so it cannot be edited.".into(),
        ));
    }
    Ok(())
}

/// Edits a message: the same checks as sending it (length, the room's
/// lock, a mute, the guards as for an edit), the earlier text kept.
pub async fn edit(app: &App, actor: &Actor, id: i64, cmd: EditMessage) -> ServiceResult<Edited> {
    let body = message_text(&cmd.body)?;
    let mut tx = app.store().write().await?;
    let (room, message) = readable_on(&mut tx, actor, id).await?;
    ensure_editable(actor, &message)?;
    let settings = chat::settings(&mut tx, room.id).await?;
    let me = may_write(app, &mut tx, actor, &room, settings).await?;
    if body == message.body_md {
        return Ok(Edited {
            held: message.held,
            room,
        });
    }
    let screened = safety::screen(
        app,
        &mut tx,
        actor,
        Draft {
            space: &room,
            title: None,
            body: &body,
            held_by_access: false,
            edit: true,
            submission: &cmd.submission,
            pace: Pace::Chat,
        },
    )
    .await?;
    // A message out in the room whose new text must be checked waits again.
    let held = message.held || screened.held();
    let body = screened.body.trim();
    chat::edit(
        &mut tx,
        &message,
        me.id,
        body,
        &render_markdown(body),
        held,
        app.now(),
    )
    .await?;
    changed(app, tx, actor, &room, id, None).await?;
    Ok(Edited { room, held })
}

/// A message's earlier texts, oldest first, for its author and the
/// moderators: they may hold what the author took out on purpose.
pub async fn history(
    app: &App,
    actor: &Actor,
    id: i64,
) -> ServiceResult<(Space, Message, Vec<Edit>)> {
    let mut conn = app.store().read().await?;
    let (room, message) = readable_on(&mut conn, actor, id).await?;
    let viewer = actor.viewer();
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    if !(message.author_id == Some(me.id) || viewer.moderates()) {
        return Err(ServiceError::Forbidden(
            "Only its author and the moderators can see a message's earlier versions.".into(),
        ));
    }
    if message.deleted_at.is_some() && !viewer.moderates() {
        return Err(ServiceError::NotFound);
    }
    let edits = chat::edits(&mut conn, id).await?;
    Ok((room, message, edits))
}

/// Reactions one member may change a minute: enough for anyone reading
/// along, too few to flood a room with changes.
pub const REACTIONS_PER_MINUTE: i64 = 60;

/// Adds or takes back a reaction (`on`; `None` toggles). Whoever may write
/// in the room may react: not guests, not members while the room is locked
/// (a lock quiets the room), not a member muted there.
pub async fn react(
    app: &App,
    actor: &Actor,
    id: i64,
    reaction: ChatReaction,
    on: Option<bool>,
) -> ServiceResult<(Space, bool)> {
    let now = app.now();
    let mut tx = app.store().write().await?;
    let (room, message) = readable_on(&mut tx, actor, id).await?;
    let settings = chat::settings(&mut tx, room.id).await?;
    let me = may_write(app, &mut tx, actor, &room, settings).await?;
    if message.deleted_at.is_some() {
        return Err(ServiceError::Forbidden(
            "This message was deleted, so it cannot get reactions.".into(),
        ));
    }
    if message.held {
        return Err(ServiceError::Forbidden(
            "This message waits for a moderator; you can react once it is out.".into(),
        ));
    }
    let on = on.unwrap_or_else(|| {
        !message
            .reactions
            .iter()
            .any(|r| r.reaction == reaction && r.includes(Some(me.id)))
    });
    let key = app
        .store()
        .sealer()
        .blind_index(&format!("chat-react:{}", me.id));
    if hearth_store::throttle::hit(&mut tx, &key, now, 60_000).await? > REACTIONS_PER_MINUTE {
        return Err(ServiceError::Throttled {
            retry_after_secs: 60,
        });
    }
    if chat::set_reaction(&mut tx, id, me.id, reaction, on, now).await? {
        changed(app, tx, actor, &room, id, None).await?;
    } else {
        hearth_store::commit(tx).await?;
    }
    Ok((room, on))
}

/// Lengths a moderator may mute for, in minutes (30 days at most).
pub const MAX_MUTE_MINUTES: i64 = 30 * 24 * 60;
const MUTE_REASON_MAX_CHARS: usize = 500;

/// What a moderator asks for.
#[derive(Clone, Debug, Default)]
pub struct MuteMember {
    pub alias: String,
    /// None: until lifted.
    pub minutes: Option<i64>,
    pub reason: String,
}

/// Mutes a member in a room (moderators, on members below them; audited).
/// A mute already in force is replaced.
pub async fn mute(app: &App, actor: &Actor, slug: &str, cmd: &MuteMember) -> ServiceResult<Space> {
    actor.require(Viewer::moderates, "Only moderators can mute members.")?;
    let room = super::spaces::readable_by_slug(app, actor, SpaceKind::Room, slug).await?;
    let mut problems = Problems::default();
    if cmd.alias.trim().is_empty() {
        problems.add("alias", "Enter the alias of the member to mute.");
    }
    if cmd
        .minutes
        .is_some_and(|m| !(1..=MAX_MUTE_MINUTES).contains(&m))
    {
        problems.add("minutes", "Choose how long the mute lasts.");
    }
    let reason = clean_text(cmd.reason.trim());
    let reason = reason.trim();
    if reason.chars().count() > MUTE_REASON_MAX_CHARS {
        problems.add(
            "reason",
            format!("Keep the reason under {MUTE_REASON_MAX_CHARS} characters."),
        );
    }
    problems.into_result()?;
    let now = app.now();
    let mut tx = app.store().write().await?;
    let (me, target) = member_to_act_on(&mut tx, actor, &cmd.alias).await?;
    let ends_at = cmd.minutes.map(|m| now + m * 60_000);
    chat::mute(
        &mut tx,
        NewMute {
            room: room.id,
            account: target.id,
            reason,
            by: me.id,
            ends_at,
        },
        now,
    )
    .await?;
    let until = ends_at.map_or("until lifted".to_owned(), |t| {
        format!("until {}", super::human_time(t))
    });
    super::audit::record(
        &mut tx,
        actor,
        "room.mute",
        super::audit::Target::Account(target.id),
        reason,
        &format!("in room {}, {until}", room.slug),
        now,
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(room)
}

/// Lifts a member's mute in a room (moderators; audited).
pub async fn unmute(app: &App, actor: &Actor, slug: &str, alias: &str) -> ServiceResult<Space> {
    actor.require(Viewer::moderates, "Only moderators can lift a mute.")?;
    let room = super::spaces::readable_by_slug(app, actor, SpaceKind::Room, slug).await?;
    let now = app.now();
    let mut tx = app.store().write().await?;
    let (me, target) = member_to_act_on(&mut tx, actor, alias).await?;
    if chat::lift_mute(&mut tx, room.id, target.id, me.id, now).await? {
        super::audit::record(
            &mut tx,
            actor,
            "room.unmute",
            super::audit::Target::Account(target.id),
            "",
            &format!("in room {}", room.slug),
            now,
        )
        .await?;
    }
    hearth_store::commit(tx).await?;
    Ok(room)
}

/// The moderator and the member they act on: someone whose role is below theirs.
async fn member_to_act_on<'a>(
    conn: &mut Conn,
    actor: &'a Actor,
    alias: &str,
) -> ServiceResult<(&'a Account, Account)> {
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let target = accounts::by_alias(conn, alias.trim())
        .await?
        .ok_or_else(|| {
            ServiceError::field("alias", format!("No member is called “{}”.", alias.trim()))
        })?;
    if target.id == me.id || !super::members::outranks(me.role, target.role) {
        return Err(ServiceError::Forbidden(
            "You can mute only members whose role is below yours.".into(),
        ));
    }
    Ok((me, target))
}
