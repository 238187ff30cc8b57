//! Chat rooms: spaces of kind `room` whose messages pass the same access
//! rule, guards and audit as posts, with their own pace (a chat rate limit,
//! a room's slow mode) and a moderator's lock. Private conversations
//! (`super::conversations`) are chats too, opened by their own rule. Every
//! door — the page without JavaScript, the API, the live socket — sends and
//! reads here.
//!
//! A room may have opening hours (staffed sessions). Outside them members
//! read, and may leave a question for the next session, which only they and
//! staff see until staff pick it up; staff and moderators write as always.

use hearth_core::access::{Action, Decision, InConversation, Viewer, decide};
use hearth_core::hours::{Hours, Openness, Zone};
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
/// Waiting questions a room page lists.
pub const WAITING_SHOWN: i64 = 100;

/// The rooms this person may read.
pub async fn rooms(app: &App, actor: &Actor) -> ServiceResult<Vec<Space>> {
    super::spaces::readable(app, actor, SpaceKind::Room).await
}

/// A room or private conversation, opened for one person.
#[derive(Clone, Debug)]
pub struct Opened {
    pub room: Space,
    /// `None` in a room; in a private conversation, where this person stands.
    pub conversation: Option<InConversation>,
}

impl Opened {
    /// Whose held messages this person sees (reviewers see all).
    pub fn reader(&self, viewer: Viewer) -> Reader {
        Reader {
            account: viewer.account(),
            moderator: viewer.reviews(),
        }
    }

    /// Moderates here: sees deleted words, deletes anyone's messages.
    pub fn moderator(&self, viewer: Viewer) -> bool {
        match self.conversation {
            None => viewer.moderates(),
            Some(seat) => seat == InConversation::Moderate,
        }
    }

    /// Whether this person may write here, or why not.
    pub fn write(&self, viewer: Viewer, settings: RoomSettings) -> Decision {
        match self.conversation {
            None => decide(
                viewer,
                self.room.tier,
                Action::Chat {
                    locked: settings.locked,
                },
            ),
            Some(InConversation::Part) => Decision::Allow,
            Some(InConversation::Moderate) => Decision::Forbidden(
                "You are reading this reported conversation as a moderator: you can delete messages here, not write.",
            ),
            Some(InConversation::Hidden) => Decision::Hidden,
        }
    }
}

/// Opens a room, or a private conversation, if this person may read it;
/// otherwise `NotFound` (or sign in, for a room that asks it).
pub async fn open(app: &App, actor: &Actor, slug: &str) -> ServiceResult<Opened> {
    let space = hearth_store::spaces::by_slug(&mut *app.store().read().await?, slug)
        .await?
        .ok_or(ServiceError::NotFound)?;
    open_space(app, actor, space).await
}

async fn open_space(app: &App, actor: &Actor, room: Space) -> ServiceResult<Opened> {
    match room.kind {
        SpaceKind::Room => {
            ServiceError::check(decide(actor.viewer(), room.tier, Action::Read))?;
            Ok(Opened {
                room,
                conversation: None,
            })
        }
        SpaceKind::Conversation => {
            let seat = super::conversations::seat(app, actor, room.id).await?;
            if seat == InConversation::Hidden {
                return Err(ServiceError::NotFound);
            }
            Ok(Opened {
                room,
                conversation: Some(seat),
            })
        }
        SpaceKind::Forum | SpaceKind::Blog => Err(ServiceError::NotFound),
    }
}

/// Records a moderator's reading of a reported private conversation.
async fn audit_reading(app: &App, actor: &Actor, opened: &Opened) -> ServiceResult<()> {
    if opened.conversation == Some(InConversation::Moderate) {
        super::conversations::record_reading(app, actor, &opened.room).await?;
    }
    Ok(())
}

/// The address of a room's or conversation's page.
pub fn path(room: &Space) -> String {
    match room.kind {
        SpaceKind::Conversation => format!("/messages/{}", room.slug),
        _ => format!("/r/{}", room.slug),
    }
}

/// Staff and moderators are not slowed down, and write in locked rooms
/// and outside opening hours.
fn unhurried(viewer: Viewer) -> bool {
    viewer.moderates() || viewer.role() == Some(Role::Staff)
}

/// A room's opening hours, in the organization's time zone.
#[derive(Clone, Debug, Default)]
pub struct RoomHours {
    pub hours: Hours,
    pub zone: Zone,
}

impl RoomHours {
    pub fn at(&self, now: i64) -> Openness {
        self.hours.at(now, &self.zone)
    }
}

async fn room_hours(conn: &mut hearth_store::Conn, room: &Space) -> ServiceResult<RoomHours> {
    let text = chat::hours(conn, room.id).await?;
    // Checked when saved: a text that no longer reads (a damaged database)
    // leaves the room open rather than shut for good.
    let hours = Hours::parse(&text).unwrap_or_else(|e| {
        tracing::error!(room = room.id.0, error = %e, "stored opening hours do not read");
        Hours::default()
    });
    Ok(RoomHours {
        hours,
        zone: super::site::time_zone_on(conn).await?,
    })
}

/// Whether a room is open now, with the session under way or the next one.
pub async fn openness(app: &App, room: &Space) -> ServiceResult<Openness> {
    let mut conn = app.store().read().await?;
    Ok(room_hours(&mut conn, room).await?.at(app.now()))
}

/// "This room is closed — next session Tuesday 24 November, 18:00–19:00
/// (Europe/London)."
pub fn closed_notice(openness: &Openness) -> String {
    match openness.sitting() {
        Some(next) => format!("This room is closed — next session {next}."),
        None => "This room is closed, and no session is planned in the next two weeks.".into(),
    }
}

/// What a member who sends a message while the room is closed is told.
pub fn closed_reason(openness: &Openness) -> String {
    format!(
        "{} You can leave a question for the next session.",
        closed_notice(openness)
    )
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
    /// In a private conversation: where this person stands.
    pub conversation: Option<InConversation>,
    pub hours: RoomHours,
    pub openness: Openness,
    /// The room is closed to this person's messages: what they send is a
    /// question for the next session.
    pub asks: bool,
    /// Questions waiting for the next session that this person may see
    /// (staff: all of them; a member: their own), oldest first.
    pub waiting: Vec<Message>,
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
    let opened = open(app, actor, slug).await?;
    audit_reading(app, actor, &opened).await?;
    let viewer = actor.viewer();
    let room = &opened.room;
    let mut conn = app.store().read().await?;
    let settings = chat::settings(&mut conn, room.id).await?;
    let now = app.now();
    let muted = match actor.signed_in() {
        Some(me) => chat::mute_of(&mut conn, room.id, me.id, now).await?,
        None => None,
    };
    let mutes = if opened.moderator(viewer) {
        chat::mutes(&mut conn, room.id, now).await?
    } else {
        Vec::new()
    };
    let mut messages =
        chat::before(&mut conn, room.id, opened.reader(viewer), before, PAGE + 1).await?;
    let older = if messages.len() as i64 > PAGE {
        messages.remove(0);
        messages.first().map(|m| m.id)
    } else {
        None
    };
    let hours = room_hours(&mut conn, room).await?;
    let openness = hours.at(app.now());
    let waiting = chat::waiting(&mut conn, room.id, opened.reader(viewer), WAITING_SHOWN).await?;
    drop(conn);
    if let (Some(InConversation::Part), Some(last)) = (opened.conversation, messages.last()) {
        super::conversations::read_to(app, actor, room.id, last.id).await?;
    }
    let write = opened.write(viewer, settings);
    Ok(RoomPage {
        asks: write.allowed() && !openness.is_open() && !unhurried(viewer),
        write,
        hours,
        openness,
        waiting,
        moderator: opened.moderator(viewer),
        conversation: opened.conversation,
        room: opened.room,
        muted,
        mutes,
        settings,
        messages,
        older,
    })
}

/// The room a live connection opens onto, if this person may read it.
pub async fn live_room(app: &App, actor: &Actor, slug: &str) -> ServiceResult<Opened> {
    let opened = open(app, actor, slug).await?;
    audit_reading(app, actor, &opened).await?;
    Ok(opened)
}

/// Messages after `after` that this person may see, oldest first (at most a
/// page): what a client that has `after` missed.
pub async fn since(
    app: &App,
    actor: &Actor,
    slug: &str,
    after: i64,
) -> ServiceResult<(Space, Vec<Message>)> {
    let opened = open(app, actor, slug).await?;
    let mut conn = app.store().read().await?;
    let reader = opened.reader(actor.viewer());
    let messages = chat::after(&mut conn, opened.room.id, reader, after, PAGE).await?;
    Ok((opened.room, messages))
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
    /// A question for the next session: only its author and staff see it
    /// until staff pick it up.
    pub waiting: bool,
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
    opened: &Opened,
    settings: RoomSettings,
) -> ServiceResult<&'a Account> {
    let viewer = actor.viewer();
    ServiceError::check(opened.write(viewer, settings))?;
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    super::forum::ensure_terms_accepted(conn, viewer).await?;
    if let Some(mute) = chat::mute_of(conn, opened.room.id, me.id, app.now()).await? {
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

/// Sends a message. While the room is closed, members are refused (with
/// when it opens next); staff and moderators write as always.
pub async fn send(app: &App, actor: &Actor, slug: &str, cmd: Send) -> ServiceResult<Sent> {
    deliver(app, actor, slug, cmd, false).await
}

/// Leaves a question for the next session while the room is closed (the
/// same guards as a message). While it is open, this is a plain message.
pub async fn ask(app: &App, actor: &Actor, slug: &str, cmd: Send) -> ServiceResult<Sent> {
    deliver(app, actor, slug, cmd, true).await
}

async fn deliver(
    app: &App,
    actor: &Actor,
    slug: &str,
    cmd: Send,
    question: bool,
) -> ServiceResult<Sent> {
    let opened = open(app, actor, slug).await?;
    let room = &opened.room;
    let viewer = actor.viewer();
    let body = message_text(&cmd.body)?;
    let body = body.as_str();
    let now = app.now();
    let mut tx = app.store().write().await?;
    let settings = chat::settings(&mut tx, room.id).await?;
    let me = may_write(app, &mut tx, actor, &opened, settings).await?;
    let openness = room_hours(&mut tx, room).await?.at(now);
    let waiting = !openness.is_open() && !unhurried(viewer);
    if waiting && !question {
        return Err(ServiceError::Forbidden(closed_reason(&openness)));
    }
    if let Some(id) = cmd.reply_to {
        let answered = chat::by_id(&mut tx, id).await?;
        if answered.as_ref().is_some_and(|m| m.waiting) {
            return Err(ServiceError::field(
                "reply_to",
                "Pick this question up before answering it, so that the room sees what you answer.",
            ));
        }
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
            space: room,
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
            waiting,
        },
        now,
    )
    .await?;
    super::search::index_chat_message(app, &mut tx, room, id, body).await?;
    if opened.conversation.is_some() {
        // Staff of the team join the conversation by name when they write.
        hearth_store::conversations::add_person(&mut tx, room.id, me.id).await?;
    }
    hearth_store::commit(tx).await?;
    announce(app, Event::ChatMessage { room: room.id, id }).await;
    Ok(Sent { id, held, waiting })
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
async fn readable_message(app: &App, actor: &Actor, id: i64) -> ServiceResult<(Opened, Message)> {
    let found = {
        let mut conn = app.store().read().await?;
        message_and_room(&mut conn, id).await?
    };
    seen_by(app, actor, found).await
}

/// `readable_message` on a connection the caller holds (a writing
/// transaction, so that nothing changes between the check and the write).
async fn readable_on(
    app: &App,
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
) -> ServiceResult<(Opened, Message)> {
    let found = message_and_room(conn, id).await?;
    seen_by(app, actor, found).await
}

async fn message_and_room(conn: &mut Conn, id: i64) -> ServiceResult<(Message, Space)> {
    let message = chat::by_id(conn, id).await?.ok_or(ServiceError::NotFound)?;
    let room = hearth_store::spaces::by_id(conn, message.room_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok((message, room))
}

/// The message with its opened room, if this person may see it.
async fn seen_by(
    app: &App,
    actor: &Actor,
    (message, room): (Message, Space),
) -> ServiceResult<(Opened, Message)> {
    let opened = open_space(app, actor, room).await.map_err(|e| match e {
        ServiceError::SignInRequired => e,
        _ => ServiceError::NotFound,
    })?;
    let viewer = actor.viewer();
    let seen = !message.kept_back() || viewer.reviews() || message.author_id == viewer.account();
    if !seen {
        return Err(ServiceError::NotFound);
    }
    Ok((opened, message))
}

/// Deletes a message (its author, or a moderator: audited). Returns its room.
pub async fn delete(app: &App, actor: &Actor, id: i64) -> ServiceResult<Space> {
    let (opened, message) = readable_message(app, actor, id).await?;
    let viewer = actor.viewer();
    let own = viewer.account().is_some() && message.author_id == viewer.account();
    if !own && !opened.moderator(viewer) {
        return Err(ServiceError::Forbidden(
            "Only the author or a moderator can delete this message.".into(),
        ));
    }
    let room = opened.room;
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    if message.deleted_at.is_some() {
        return Ok(room);
    }
    let now = app.now();
    let mut tx = app.store().write().await?;
    chat::set_deleted(&mut tx, id, me.id, now).await?;
    hearth_store::search::forget_chat(&mut tx, app.store().backend(), id).await?;
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
    let (opened, message) = readable_message(app, actor, id).await?;
    let room = opened.room;
    if !message.held {
        return Ok(room);
    }
    let mut tx = app.store().write().await?;
    chat::approve(&mut tx, id).await?;
    changed(app, tx, actor, &room, id, Some("chat.approve")).await?;
    Ok(room)
}

/// Picks up a question left for the session (staff and moderators;
/// audited): it moves to the end of the room, where everyone sees it marked
/// as asked before the session. Returns its room and its id there.
pub async fn pick_up(app: &App, actor: &Actor, id: i64) -> ServiceResult<(Space, i64)> {
    actor.require(
        Viewer::reviews,
        "Only staff and moderators can pick up questions.",
    )?;
    let (room, question) = match readable_message(app, actor, id).await {
        Ok((opened, question)) => (opened.room, question),
        Err(ServiceError::NotFound) => return picked_up_already(app, actor, id).await,
        Err(e) => return Err(e),
    };
    if !question.waiting || question.deleted_at.is_some() {
        return Err(ServiceError::Forbidden(
            "This is not a question waiting for the session.".into(),
        ));
    }
    let now = app.now();
    let mut tx = app.store().write().await?;
    let Some(new_id) = chat::pick_up(&mut tx, id, now).await? else {
        drop(tx);
        return picked_up_already(app, actor, id).await;
    };
    hearth_store::search::forget_chat(&mut tx, app.store().backend(), id).await?;
    super::search::index_chat_message(app, &mut tx, &room, new_id, &question.body_md).await?;
    super::audit::record(
        &mut tx,
        actor,
        "chat.pick_up",
        super::audit::Target::Space(room.id),
        "",
        &format!("question {id}, now message {new_id}"),
        now,
    )
    .await?;
    hearth_store::commit(tx).await?;
    announce(
        app,
        Event::ChatMessage {
            room: room.id,
            id: new_id,
        },
    )
    .await;
    Ok((room, new_id))
}

/// A question someone picked up a moment before: where it is now.
async fn picked_up_already(app: &App, actor: &Actor, id: i64) -> ServiceResult<(Space, i64)> {
    let moved = {
        let mut conn = app.store().read().await?;
        chat::by_asked_as(&mut conn, id).await?
    };
    let moved = moved.ok_or(ServiceError::NotFound)?;
    let (opened, message) = readable_message(app, actor, moved.id).await?;
    Ok((opened.room, message.id))
}

/// Sets a room's opening hours (moderators; audited). Returns them as
/// stored. Empty: always open.
pub async fn set_hours(app: &App, actor: &Actor, slug: &str, text: &str) -> ServiceResult<Hours> {
    actor.require(
        Viewer::moderates,
        "Only moderators can set a room's opening hours.",
    )?;
    let room = super::spaces::readable_by_slug(app, actor, SpaceKind::Room, slug).await?;
    let hours = Hours::parse(text).map_err(|e| ServiceError::field("hours", e.to_string()))?;
    let stored = hours.to_string();
    let now = app.now();
    let mut tx = app.store().write().await?;
    if chat::hours(&mut tx, room.id).await? != stored {
        chat::set_hours(&mut tx, room.id, &stored).await?;
        let detail = if hours.always_open() {
            "always open".to_owned()
        } else {
            format!("hours: {}", stored.replace('\n', "; "))
        };
        super::audit::record(
            &mut tx,
            actor,
            "room.hours",
            super::audit::Target::Space(room.id),
            "",
            &detail,
            now,
        )
        .await?;
        hearth_store::commit(tx).await?;
    }
    Ok(hours)
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
    let (opened, message) = readable_message(app, actor, id).await?;
    ensure_editable(actor, &message)?;
    Ok((opened.room, message))
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
    let (opened, message) = readable_on(app, &mut tx, actor, id).await?;
    ensure_editable(actor, &message)?;
    let settings = chat::settings(&mut tx, opened.room.id).await?;
    let me = may_write(app, &mut tx, actor, &opened, settings).await?;
    let room = opened.room;
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
    super::search::index_chat_message(app, &mut tx, &room, id, body).await?;
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
    let (opened, message) = readable_message(app, actor, id).await?;
    let viewer = actor.viewer();
    let moderator = opened.moderator(viewer);
    let room = opened.room;
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    if !(message.author_id == Some(me.id) || moderator) {
        return Err(ServiceError::Forbidden(
            "Only its author and the moderators can see a message's earlier versions.".into(),
        ));
    }
    if message.deleted_at.is_some() && !moderator {
        return Err(ServiceError::NotFound);
    }
    let edits = chat::edits(&mut *app.store().read().await?, id).await?;
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
    let (opened, message) = readable_on(app, &mut tx, actor, id).await?;
    let settings = chat::settings(&mut tx, opened.room.id).await?;
    let me = may_write(app, &mut tx, actor, &opened, settings).await?;
    let room = opened.room;
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
