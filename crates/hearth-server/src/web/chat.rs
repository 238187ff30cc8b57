//! Chat rooms as pages: the list of rooms, a room's history (paged back by
//! "Older messages") with a plain form to send, and the moderators' tools.
//! Everything works without JavaScript; the live socket comes on top.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use hearth_core::access::{Decision, InConversation};
use hearth_core::hours::Openness;
use hearth_core::model::{ChatReaction, Role};
use hearth_core::text::render_markdown;
use hearth_store::chat::{Message, RoomSettings};
use hearth_store::spaces::Space;
use serde::Deserialize;

use super::compose::{Composed, ReviewView, SafetyFields, composed};
use super::csrf::{CsrfForm, Empty};
use super::page::{Chrome, Errors, form_errors, redirect, render, render_with};
use super::session::ClientAddr;
use super::views::{Author, Moment, ReactionView};
use super::{Visitor, WebError};
use crate::App;
use crate::error::ServiceError;
use crate::services::chat::{self, EditMessage, MuteMember, Send};
use crate::services::conversations;

pub fn router() -> Router<App> {
    Router::new()
        .route("/chat", get(rooms_page))
        .route("/r/{room}", get(room_page).post(send))
        .route("/r/{room}/settings", post(settings))
        .route("/r/{room}/live", get(crate::realtime::live))
        .route("/messages/{room}", get(room_page).post(send))
        .route("/messages/{room}/live", get(crate::realtime::live))
        .route("/chat/messages/{id}/delete", post(delete))
        .route("/chat/messages/{id}/approve", post(approve))
        .route("/chat/messages/{id}/pick-up", post(pick_up))
        .route("/r/{room}/mutes", post(mute))
        .route("/r/{room}/mutes/lift", post(unmute))
        .route("/chat/messages/{id}/edit", get(edit_page).post(edit))
        .route("/chat/messages/{id}/history", get(history))
        .route("/chat/messages/{id}/react", post(react))
}

#[derive(Template)]
#[template(path = "rooms.html")]
struct RoomsPage {
    chrome: Chrome,
    rooms: Vec<Space>,
}

async fn rooms_page(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    let rooms = chat::rooms(&app, &visitor.actor).await?;
    Ok(render(&RoomsPage {
        chrome: Chrome::new(&app, &visitor, "Chat rooms").await?,
        rooms,
    }))
}

/// A message as the room shows it.
struct MessageView {
    id: i64,
    author: Author,
    body_html: String,
    sent: Moment,
    reply_to: Option<(i64, String)>,
    held: bool,
    deleted: bool,
    can_delete: bool,
    can_approve: bool,
    /// A question picked up in a session: when it was asked.
    asked: Option<Moment>,
    can_pick_up: bool,
    /// When it was last edited.
    edited: Option<Moment>,
    can_edit: bool,
    /// This person may see its earlier versions.
    has_history: bool,
    /// Buttons when this person may react; otherwise the kinds chosen.
    reactions: Vec<ReactionView>,
    can_react: bool,
    /// Its author, for a moderator's "Mute" link (not their own).
    mutable_alias: Option<String>,
    /// The text as written, for its author's editor in the page's script.
    markdown: Option<String>,
}

impl MessageView {
    /// `writes`: this person may write in the room now.
    fn new(m: &Message, visitor: &Visitor, moderator: bool, writes: bool) -> Self {
        let viewer = visitor.actor.viewer();
        let own = viewer.account().is_some() && m.author_id == viewer.account();
        let deleted = m.deleted_at.is_some();
        let can_react = writes && !deleted && !m.held;
        Self {
            edited: m.edited_at.map(Moment::from_ms),
            can_edit: own && writes && !deleted,
            markdown: (own && writes && !deleted).then(|| m.body_md.clone()),
            has_history: m.edited_at.is_some() && (own || moderator),
            reactions: ReactionView::of(m, viewer.account(), can_react),
            can_react,
            mutable_alias: m
                .author_alias
                .as_ref()
                .filter(|_| moderator && !own)
                .map(|a| a.to_string()),
            id: m.id,
            author: Author::new(m.author_alias.as_ref(), m.author_role, None),
            // A deleted message's words stay for moderators only.
            body_html: if deleted && !moderator {
                String::new()
            } else {
                m.body_html.clone()
            },
            sent: Moment::from_ms(m.created_at),
            reply_to: m
                .reply_to_id
                .map(|id| (id, m.reply_to_alias.clone().unwrap_or_default())),
            held: m.held,
            deleted,
            can_delete: !deleted && (own || moderator),
            can_approve: m.held && !m.waiting && viewer.reviews(),
            asked: m.asked_at.map(Moment::from_ms),
            can_pick_up: m.waiting && !deleted && viewer.reviews(),
        }
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct MessageForm {
    body: String,
    reply_to: String,
    /// "1": a question for the next session (the room is closed).
    question: String,
    #[serde(flatten)]
    safety: SafetyFields,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RoomQuery {
    before: Option<String>,
    reply_to: Option<String>,
    /// Fills in the moderators' mute form with this alias.
    mute: Option<String>,
}

/// The moderators' form to mute a member.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct MuteForm {
    alias: String,
    /// Minutes; empty: until lifted.
    minutes: String,
    reason: String,
}

/// How long a mute may last, as the form offers it (minutes; "" until lifted).
const MUTE_LENGTHS: [(&str, &str); 5] = [
    ("10", "10 minutes"),
    ("60", "1 hour"),
    ("1440", "1 day"),
    ("10080", "1 week"),
    ("", "Until a moderator lifts it"),
];

/// A mute in force, for the moderators' list.
struct MuteView {
    alias: String,
    until: Option<Moment>,
    reason: String,
    by: Option<String>,
}

/// What a private conversation's page says beyond a room's.
struct ConversationView {
    /// Who reads what is written here, in words.
    audience: String,
    /// One of the people in it: may report it.
    can_report: bool,
    /// A moderator reading it because it was reported: who reported it, why.
    report: Option<(String, String)>,
}

impl ConversationView {
    async fn new(
        app: &App,
        visitor: &Visitor,
        room: &Space,
        seat: InConversation,
    ) -> Result<Self, WebError> {
        let (conversation, people) = conversations::people(app, room).await?;
        let my_alias = visitor.actor.signed_in().map(|a| a.alias.to_string());
        let names: Vec<String> = people
            .iter()
            .filter(|(alias, _)| Some(alias.to_string()) != my_alias)
            .map(|(alias, role)| match role {
                Role::Staff => format!("{alias} (staff)"),
                _ => alias.to_string(),
            })
            .collect();
        let mut who = Vec::new();
        if seat == InConversation::Part {
            who.push("you".to_owned());
        }
        who.extend(names);
        if conversation.with_team {
            who.push("the staff team".into());
        }
        let who = match who.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => "the staff".into(),
        };
        let audience = if seat == InConversation::Part {
            format!(
                "{who}. Moderators read it only if someone in it reports it, and each reading is recorded."
            )
        } else {
            format!(
                "{who}. You read it as a moderator because it was reported; this reading is recorded."
            )
        };
        Ok(Self {
            audience,
            can_report: seat == InConversation::Part && conversation.reported.is_none(),
            report: conversation
                .reported
                .filter(|_| seat == InConversation::Moderate)
                .map(|r| {
                    (
                        r.by.map_or_else(|| "a former member".into(), |a| a.to_string()),
                        r.reason,
                    )
                }),
        })
    }
}

#[derive(Template)]
#[template(path = "room.html")]
struct RoomPage {
    chrome: Chrome,
    room: Space,
    settings: RoomSettings,
    messages: Vec<MessageView>,
    older: Option<i64>,
    /// The newest page: it goes live (with JavaScript), after `last`.
    live: bool,
    last: i64,
    write: Decision,
    moderator: bool,
    form: MessageForm,
    /// The message being answered: its id and author.
    reply_to: Option<(i64, String)>,
    /// A private conversation's page: who is in it, what this person may do.
    conversation: Option<ConversationView>,
    path: String,
    errors: Errors,
    safety: SafetyFields,
    review: Option<ReviewView>,
    /// Opening hours, one session a line, as the settings form shows them.
    hours_text: String,
    /// The sessions, "Tuesday 18:00–19:00", and their time zone.
    sessions: Vec<String>,
    zone: String,
    hours_hint: String,
    /// "This room is closed — next session …", or when it closes.
    hours_notice: Option<String>,
    open: bool,
    /// What this person sends is a question for the next session.
    asks: bool,
    /// Waiting questions this person may see.
    waiting: Vec<MessageView>,
    reviewer: bool,
    /// Why this person cannot write here: muted.
    muted: Option<String>,
    mutes: Vec<MuteView>,
    mute_form: MuteForm,
    mute_errors: Errors,
    mute_lengths: &'static [(&'static str, &'static str)],
}

async fn room_view(
    app: &App,
    visitor: &Visitor,
    slug: &str,
    before: Option<i64>,
    form: MessageForm,
    errors: Errors,
    review: Option<ReviewView>,
) -> Result<RoomPage, WebError> {
    let page = chat::room_page(app, &visitor.actor, slug, before).await?;
    let conversation = match page.conversation {
        Some(seat) => Some(ConversationView::new(app, visitor, &page.room, seat).await?),
        None => None,
    };
    let zone = page.hours.zone.name().to_owned();
    let hours_notice = match &page.openness {
        Openness::Always => None,
        Openness::Open { now } => Some(format!("Open now: this session ends at {}.", now.ends())),
        closed => Some(chat::closed_notice(closed)),
    };
    let reply_to = form.reply_to.parse::<i64>().ok().and_then(|id| {
        page.messages
            .iter()
            .find(|m| m.id == id && m.deleted_at.is_none())
            .map(|m| {
                let who = m.author_alias.as_ref().map(|a| a.to_string());
                (id, who.unwrap_or_default())
            })
    });
    let writes = page.write.allowed() && page.muted.is_none();
    Ok(RoomPage {
        chrome: Chrome::new(app, visitor, page.room.name.clone()).await?,
        messages: page
            .messages
            .iter()
            .map(|m| MessageView::new(m, visitor, page.moderator, writes))
            .collect(),
        muted: page.muted.as_ref().map(chat::muted_reason),
        mutes: page
            .mutes
            .iter()
            .map(|m| MuteView {
                alias: m.alias.as_ref().map(|a| a.to_string()).unwrap_or_default(),
                until: m.ends_at.map(Moment::from_ms),
                reason: m.reason.clone(),
                by: m.by_alias.clone(),
            })
            .collect(),
        mute_form: MuteForm {
            // An hour, not "until lifted": the lighter choice comes first to hand.
            minutes: "60".into(),
            ..Default::default()
        },
        mute_errors: Errors::default(),
        mute_lengths: &MUTE_LENGTHS,
        path: chat::path(&page.room),
        conversation,
        live: before.is_none(),
        last: page.messages.last().map_or(0, |m| m.id),
        older: page.older,
        write: page.write,
        moderator: page.moderator,
        settings: page.settings,
        hours_text: page.hours.hours.to_string(),
        sessions: page
            .hours
            .hours
            .sessions()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        hours_hint: format!(
            "One session a line, such as “Tuesday 18:00–19:00”, in the organization's time zone ({zone}). Outside them members read and leave questions for the next session. Leave empty for a room that is always open."
        ),
        zone,
        hours_notice,
        open: page.openness.is_open(),
        asks: page.asks,
        waiting: page
            .waiting
            .iter()
            // A waiting question is not edited or reacted to until picked up.
            .map(|m| MessageView::new(m, visitor, page.moderator, false))
            .collect(),
        reviewer: visitor.actor.viewer().reviews(),
        room: page.room,
        reply_to,
        safety: form.safety.again(app),
        form,
        errors,
        review,
    })
}

async fn room_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(slug): Path<String>,
    Query(q): Query<RoomQuery>,
) -> Result<Response, WebError> {
    let before = q.before.as_deref().and_then(|b| b.parse().ok());
    let form = MessageForm {
        reply_to: q.reply_to.unwrap_or_default(),
        safety: SafetyFields::fresh(&app),
        ..Default::default()
    };
    let mut page = room_view(&app, &visitor, &slug, before, form, Errors::default(), None).await?;
    page.mute_form.alias = q.mute.unwrap_or_default();
    Ok(render(&page))
}

async fn send(
    State(app): State<App>,
    visitor: Visitor,
    ClientAddr(client): ClientAddr,
    Path(slug): Path<String>,
    uri: axum::http::Uri,
    CsrfForm(form): CsrfForm<MessageForm>,
) -> Result<Response, WebError> {
    let cmd = Send {
        body: form.body.clone(),
        reply_to: form.reply_to.parse().ok(),
        submission: form.safety.submission(&app, &client),
    };
    let sent = if form.question == "1" {
        chat::ask(&app, &visitor.actor, &slug, cmd).await
    } else {
        chat::send(&app, &visitor.actor, &slug, cmd).await
    };
    let (errors, review) = match composed(sent)? {
        // Back to the page it was sent from (a room's or a conversation's).
        Composed::Done(sent) => return Ok(redirect(&format!("{}#m-{}", uri.path(), sent.id))),
        Composed::Fix(errors) => (errors, None),
        Composed::Review(review) => (Errors::default(), Some(review)),
    };
    // The room again, with the message as typed.
    Ok(render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &room_view(&app, &visitor, &slug, None, form, errors, review).await?,
    ))
}

async fn delete(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| ServiceError::NotFound)?;
    let room = chat::delete(&app, &visitor.actor, id).await?;
    Ok(redirect(&format!("{}#m-{id}", chat::path(&room))))
}

async fn approve(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| ServiceError::NotFound)?;
    let room = chat::approve(&app, &visitor.actor, id).await?;
    Ok(redirect(&format!("{}#m-{id}", chat::path(&room))))
}

async fn pick_up(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| ServiceError::NotFound)?;
    let (room, id) = chat::pick_up(&app, &visitor.actor, id).await?;
    Ok(redirect(&format!("{}#m-{id}", chat::path(&room))))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsForm {
    /// "on" when ticked.
    locked: String,
    slow_mode_secs: String,
    /// One session a line; absent: the hours stay as they are.
    hours: Option<String>,
}

async fn settings(
    State(app): State<App>,
    visitor: Visitor,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> Result<Response, WebError> {
    let slow_mode_secs = match form.slow_mode_secs.trim() {
        "" => 0,
        s => s.parse().map_err(|_| {
            ServiceError::field(
                "slow_mode_secs",
                "Enter a whole number of seconds (0 turns slow mode off).",
            )
        })?,
    };
    let settings = RoomSettings {
        locked: form.locked == "on",
        slow_mode_secs,
    };
    chat::set_room(&app, &visitor.actor, &slug, settings).await?;
    if let Some(hours) = &form.hours
        && let Err(errors) = form_errors(chat::set_hours(&app, &visitor.actor, &slug, hours).await)?
    {
        // The schedule as typed, with what is wrong with it.
        let form = MessageForm {
            safety: SafetyFields::fresh(&app),
            ..Default::default()
        };
        let mut page = room_view(&app, &visitor, &slug, None, form, errors, None).await?;
        page.hours_text = hours.clone();
        return Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    Ok(redirect(&format!("/r/{slug}")))
}

async fn mute(
    State(app): State<App>,
    visitor: Visitor,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<MuteForm>,
) -> Result<Response, WebError> {
    let minutes = match form.minutes.trim() {
        "" => Ok(None),
        m => m
            .parse()
            .map(Some)
            .map_err(|_| ServiceError::field("minutes", "Choose how long the mute lasts.")),
    };
    let result = match minutes {
        Ok(minutes) => {
            let cmd = MuteMember {
                alias: form.alias.clone(),
                minutes,
                reason: form.reason.clone(),
            };
            chat::mute(&app, &visitor.actor, &slug, &cmd).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(room) => Ok(redirect(&format!("/r/{}#room-tools", room.slug))),
        // The room again, with the form as filled in and what to fix.
        Err(ServiceError::Invalid(fields)) => {
            let mut page = room_view(
                &app,
                &visitor,
                &slug,
                None,
                MessageForm {
                    safety: SafetyFields::fresh(&app),
                    ..Default::default()
                },
                Errors::default(),
                None,
            )
            .await?;
            page.mute_form = form;
            page.mute_errors = Errors(fields);
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LiftForm {
    alias: String,
}

async fn unmute(
    State(app): State<App>,
    visitor: Visitor,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<LiftForm>,
) -> Result<Response, WebError> {
    let room = chat::unmute(&app, &visitor.actor, &slug, &form.alias).await?;
    Ok(redirect(&format!("/r/{}#room-tools", room.slug)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReactForm {
    reaction: String,
}

async fn react(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ReactForm>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| ServiceError::NotFound)?;
    let reaction = ChatReaction::parse(&form.reaction).ok_or_else(|| {
        ServiceError::field("reaction", "Choose one of the reactions under the message.")
    })?;
    let (room, _) = chat::react(&app, &visitor.actor, id, reaction, None).await?;
    Ok(redirect(&format!("{}#m-{id}", chat::path(&room))))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EditForm {
    body: String,
    #[serde(flatten)]
    safety: SafetyFields,
}

#[derive(Template)]
#[template(path = "chat_edit.html")]
struct EditPage {
    chrome: Chrome,
    id: i64,
    room: Space,
    form: EditForm,
    errors: Errors,
    safety: SafetyFields,
    review: Option<ReviewView>,
}

async fn edit_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| ServiceError::NotFound)?;
    let (room, message) = chat::editable(&app, &visitor.actor, id).await?;
    Ok(render(&EditPage {
        chrome: Chrome::new(&app, &visitor, "Edit message").await?,
        id,
        room,
        form: EditForm {
            body: message.body_md,
            safety: SafetyFields::default(),
        },
        errors: Errors::default(),
        safety: SafetyFields::fresh(&app),
        review: None,
    }))
}

async fn edit(
    State(app): State<App>,
    visitor: Visitor,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<EditForm>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| ServiceError::NotFound)?;
    let cmd = EditMessage {
        body: form.body.clone(),
        submission: form.safety.submission(&app, &client),
    };
    let (errors, review) = match composed(chat::edit(&app, &visitor.actor, id, cmd).await)? {
        Composed::Done(edited) => {
            return Ok(redirect(&format!("{}#m-{id}", chat::path(&edited.room))));
        }
        Composed::Fix(errors) => (errors, None),
        Composed::Review(review) => (Errors::default(), Some(review)),
    };
    // The form again, with the text as typed.
    let (room, _) = chat::editable(&app, &visitor.actor, id).await?;
    Ok(render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &EditPage {
            chrome: Chrome::new(&app, &visitor, "Edit message").await?,
            id,
            room,
            safety: form.safety.again(&app),
            form,
            errors,
            review,
        },
    ))
}

/// An earlier text of a message.
struct VersionView {
    html: String,
    editor: Option<String>,
    replaced: Moment,
}

#[derive(Template)]
#[template(path = "chat_history.html")]
struct HistoryPage {
    chrome: Chrome,
    id: i64,
    room: Space,
    author: String,
    sent: Moment,
    current_html: String,
    /// Newest first.
    versions: Vec<VersionView>,
}

async fn history(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| ServiceError::NotFound)?;
    let (room, message, edits) = chat::history(&app, &visitor.actor, id).await?;
    Ok(render(&HistoryPage {
        chrome: Chrome::new(&app, &visitor, "Earlier versions").await?,
        id,
        author: Author::new(message.author_alias.as_ref(), message.author_role, None).name,
        sent: Moment::from_ms(message.created_at),
        current_html: message.body_html,
        versions: edits
            .into_iter()
            .rev()
            .map(|e| VersionView {
                html: render_markdown(&e.body_md),
                editor: e.editor_alias,
                replaced: Moment::from_ms(e.replaced_at),
            })
            .collect(),
        room,
    }))
}
