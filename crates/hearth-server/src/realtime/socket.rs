//! One live connection to a room: `GET /r/{room}/live?after=<id>` upgraded
//! to a WebSocket. It first sends what the client missed after `after`, then
//! every new or changed message its person may see, typing and presence.
//! The client sends messages, edits, reactions, deletes and "typing"; each
//! refusal comes back as an error frame with the reason, and the connection
//! stays up.
//!
//! Frames are JSON text. From the server: `hello`, `message`, `typing`,
//! `presence`, `sent`, `edited`, `reacted`, `deleted` (the answers to the
//! client's frames), `error` (with `action` and `id` when it answers an
//! edit, reaction or delete). From the client:
//! `{"type":"send","body":…,"reply_to":…,"acknowledge":…}`,
//! `{"type":"edit","id":…,"body":…,"acknowledge":…}`,
//! `{"type":"react","id":…,"reaction":"heart","on":…}` (without `on` it
//! toggles), `{"type":"delete","id":…}` and `{"type":"typing"}`.
//! `send` may also carry `"question":true`.
//!
//! Opening hours: `hello` says whether the room is open (`open`) and gives
//! the session under way or the next (`session`). While the room is closed
//! a member's send is refused with an error frame that says when it opens
//! (`open: false`, `session`), unless it has `"question": true`: then it is
//! left as a question for the next session (`sent` says `waiting: true`).

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use hearth_core::hours::Openness;
use hearth_core::model::{ChatReaction, SpaceId};
use hearth_store::chat::{Message, Reader};
use hearth_store::spaces::Space;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast;

use super::{Frame, MessageOut};
use crate::App;
use crate::error::ServiceError;
use crate::services::Actor;
use crate::services::chat::{self, EditMessage, Send};
use crate::services::safety::Submission;
use crate::web::session::ClientAddr;
use crate::web::views::{Author, Moment, ReactionView};
use crate::web::{Visitor, WebError};

/// A text frame larger than this is refused with a reason (a message is at
/// most 2,000 characters); one larger than `MAX_FRAME` closes the socket.
const MAX_TEXT: usize = 16 * 1024;
const MAX_FRAME: usize = 64 * 1024;
/// Typing is passed on at most this often per connection.
const TYPING_EVERY: Duration = Duration::from_secs(2);
/// Messages remembered as sent, so that catching up sends none twice.
const REMEMBERED: usize = 200;
/// The close code for a session that has ended (4000–4999: the application's).
pub const SESSION_ENDED: u16 = 4001;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LiveQuery {
    /// The last message id the client has.
    after: Option<i64>,
}

pub async fn live(
    State(app): State<App>,
    visitor: Visitor,
    ClientAddr(client): ClientAddr,
    Path(slug): Path<String>,
    Query(q): Query<LiveQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, WebError> {
    // A page on another site must not open a socket with this visitor's cookies.
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    if origin.is_some_and(|o| o != app.config().base_url.trim_end_matches('/')) {
        return Err(ServiceError::Forbidden(
            "Live chat opens only from this site's own pages.".into(),
        )
        .into());
    }
    let opened = chat::live_room(&app, &visitor.actor, &slug).await?;
    let connection = Connection {
        moderator: opened.moderator(visitor.actor.viewer()),
        reader: Reader {
            account: visitor.actor.viewer().account(),
            moderator: visitor.actor.viewer().reviews(),
        },
        alias: visitor.actor.signed_in().map(|a| a.alias.to_string()),
        actor: visitor.actor,
        session: visitor.session_token,
        client,
        app,
        room: opened.room,
        sent: BTreeMap::new(),
        cursor: q.after.unwrap_or(0),
        last_typing: None,
    };
    Ok(ws
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| connection.run(socket, q.after)))
}

struct Connection {
    app: App,
    actor: Actor,
    /// Whose held messages this person sees.
    reader: Reader,
    /// Moderates here: sees a deleted message's words.
    moderator: bool,
    alias: Option<String>,
    session: Option<String>,
    client: String,
    room: Space,
    /// Messages sent, with a digest of how each looked then (a change is
    /// sent again); the oldest are forgotten.
    sent: BTreeMap<i64, u64>,
    /// The newest message id sent.
    cursor: i64,
    last_typing: Option<Instant>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Send {
        body: String,
        #[serde(default)]
        reply_to: Option<i64>,
        #[serde(default)]
        acknowledge: bool,
        /// A question for the next session, if the room is closed.
        #[serde(default)]
        question: bool,
    },
    Edit {
        id: i64,
        body: String,
        #[serde(default)]
        acknowledge: bool,
    },
    React {
        id: i64,
        reaction: String,
        /// Add (true) or take back (false); toggles when left out.
        #[serde(default)]
        on: Option<bool>,
    },
    Delete {
        id: i64,
    },
    Typing,
}

/// Why the loop stopped.
enum Stop {
    Gone,
    SessionEnded,
}

impl Connection {
    async fn run(mut self, mut socket: WebSocket, after: Option<i64>) {
        let hub = self.app.hub().clone();
        // Listen before catching up: nothing falls between the two.
        let mut frames = hub.subscribe();
        if let Some(alias) = &self.alias {
            hub.count(self.app.store(), self.room.id, alias, true).await;
        }
        let stop = self.serve(&mut socket, &mut frames, after).await;
        if let Some(alias) = &self.alias {
            hub.count(self.app.store(), self.room.id, alias, false)
                .await;
        }
        if let Ok(Stop::SessionEnded) = stop {
            let _ = socket
                .send(WsMessage::Close(Some(CloseFrame {
                    code: SESSION_ENDED,
                    reason: "Your session has ended: sign in again to chat.".into(),
                })))
                .await;
        }
    }

    async fn serve(
        &mut self,
        socket: &mut WebSocket,
        frames: &mut broadcast::Receiver<Arc<Frame>>,
        after: Option<i64>,
    ) -> Result<Stop, axum::Error> {
        let mut hello = json!({
            "type": "hello",
            "room": self.room.slug.as_str(),
            "me": self.alias,
            "moderator": self.moderator,
        });
        if let Ok(openness) = chat::openness(&self.app, &self.room).await {
            add_hours(&mut hello, &openness);
        }
        self.send(socket, hello).await?;
        if let Some(after) = after {
            self.catch_up(socket, after).await?;
        }
        let mut check = tokio::time::interval(self.app.config().live.session_check);
        check.tick().await;
        loop {
            tokio::select! {
                frame = frames.recv() => match frame {
                    Ok(frame) => self.pass_on(socket, &frame).await?,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        self.catch_up(socket, self.cursor).await?;
                    }
                    Err(broadcast::error::RecvError::Closed) => return Ok(Stop::Gone),
                },
                incoming = socket.recv() => match incoming {
                    Some(Ok(WsMessage::Text(text))) => self.take(socket, text.as_str()).await?,
                    Some(Ok(WsMessage::Binary(_))) => {
                        self.error(socket, "Send frames as JSON text.").await?;
                    }
                    Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return Ok(Stop::Gone),
                    Some(Ok(_)) => {} // pings and pongs
                },
                _ = check.tick() => {
                    if !self.session_holds().await {
                        return Ok(Stop::SessionEnded);
                    }
                    socket.send(WsMessage::Ping(Default::default())).await?;
                }
            }
        }
    }

    /// A signed-in person's session may end (signed out elsewhere, expired,
    /// suspended): the socket ends with it.
    async fn session_holds(&self) -> bool {
        let Some(token) = &self.session else {
            return true;
        };
        matches!(
            crate::services::accounts::from_session(&self.app, token).await,
            Ok(Some(_)) | Err(_)
        )
    }

    async fn send(
        &self,
        socket: &mut WebSocket,
        value: serde_json::Value,
    ) -> Result<(), axum::Error> {
        socket.send(WsMessage::Text(value.to_string().into())).await
    }

    async fn error(&self, socket: &mut WebSocket, reason: &str) -> Result<(), axum::Error> {
        self.send(socket, json!({"type": "error", "reason": reason}))
            .await
    }

    /// Sends what came after `after` (and anything near it not yet sent:
    /// messages committed out of order on PostgreSQL).
    async fn catch_up(&mut self, socket: &mut WebSocket, after: i64) -> Result<(), axum::Error> {
        let mut from = after;
        loop {
            let Ok((_, page)) =
                chat::since(&self.app, &self.actor, self.room.slug.as_str(), from).await
            else {
                return self
                    .error(
                        socket,
                        "Some messages could not be loaded; reload the page.",
                    )
                    .await;
            };
            let full = page.len() as i64 == chat::PAGE;
            for m in &page {
                from = from.max(m.id);
                self.message(socket, m).await?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    async fn pass_on(&mut self, socket: &mut WebSocket, frame: &Frame) -> Result<(), axum::Error> {
        match frame {
            Frame::Message(m) if m.room_id == self.room.id => self.message(socket, m).await,
            Frame::Typing { room, alias }
                if self.here(*room) && Some(alias) != self.alias.as_ref() =>
            {
                self.send(socket, json!({"type": "typing", "alias": alias}))
                    .await
            }
            Frame::Presence { room, here, more } if self.here(*room) => {
                self.send(
                    socket,
                    json!({"type": "presence", "here": here, "more": more}),
                )
                .await
            }
            Frame::Resync => self.catch_up(socket, self.cursor).await,
            _ => Ok(()),
        }
    }

    fn here(&self, room: SpaceId) -> bool {
        room == self.room.id
    }

    /// Sends a message this person may see, unless it was sent as it is.
    async fn message(&mut self, socket: &mut WebSocket, m: &Message) -> Result<(), axum::Error> {
        let own = self.reader.account.is_some() && m.author_id == self.reader.account;
        if m.kept_back() && !own && !self.reader.moderator {
            return Ok(());
        }
        let reactions = ReactionView::of(m, self.reader.account, true);
        let state = {
            let mut digest = DefaultHasher::new();
            (m.held, m.deleted_at, m.edited_at).hash(&mut digest);
            for r in &reactions {
                (r.count, r.mine).hash(&mut digest);
            }
            digest.finish()
        };
        if self.sent.get(&m.id) == Some(&state) {
            return Ok(());
        }
        self.sent.insert(m.id, state);
        while self.sent.len() > REMEMBERED {
            self.sent.pop_first();
        }
        self.cursor = self.cursor.max(m.id);
        let deleted = m.deleted_at.is_some();
        let author = Author::new(m.author_alias.as_ref(), m.author_role, None);
        let sent = Moment::from_ms(m.created_at);
        let asked = m.asked_at.map(Moment::from_ms);
        let out = MessageOut {
            id: m.id,
            author: &author.name,
            author_href: author.href.clone(),
            badge: author.badge,
            // A deleted message's words stay for moderators only.
            html: if deleted && !self.moderator {
                ""
            } else {
                &m.body_html
            },
            sent_iso: sent.iso,
            sent_text: sent.text,
            reply_to: m.reply_to_id,
            reply_to_name: m.reply_to_alias.as_deref(),
            held: m.held,
            deleted,
            own,
            question: m.waiting,
            can_pick_up: m.waiting && !deleted && self.reader.moderator,
            asked_iso: asked.as_ref().map(|a| a.iso.clone()),
            asked_text: asked.map(|a| a.text),
            replaces: m.asked_as,
            edited: m.edited_at.is_some(),
            edited_iso: m.edited_at.map(|t| Moment::from_ms(t).iso),
            markdown: (own && !deleted).then_some(m.body_md.as_str()),
            history: m.edited_at.is_some() && (own || self.moderator),
            reactions,
        };
        self.send(socket, json!({"type": "message", "message": out}))
            .await
    }

    /// A frame from the client.
    async fn take(&mut self, socket: &mut WebSocket, text: &str) -> Result<(), axum::Error> {
        if text.len() > MAX_TEXT {
            return self
                .error(
                    socket,
                    &format!("That frame is too large: at most {} KiB.", MAX_TEXT / 1024),
                )
                .await;
        }
        let frame: ClientFrame = match serde_json::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                return self
                    .error(
                        socket,
                        &format!("That frame is not one this chat knows: {e}."),
                    )
                    .await;
            }
        };
        match frame {
            ClientFrame::Send {
                body,
                reply_to,
                acknowledge,
                question,
            } => {
                let cmd = Send {
                    body,
                    reply_to,
                    submission: self.submission(acknowledge),
                };
                let slug = self.room.slug.as_str();
                let sent = if question {
                    chat::ask(&self.app, &self.actor, slug, cmd).await
                } else {
                    chat::send(&self.app, &self.actor, slug, cmd).await
                };
                match sent {
                    Ok(sent) => {
                        self.send(
                            socket,
                            json!({
                                "type": "sent",
                                "id": sent.id,
                                "held": sent.held,
                                "waiting": sent.waiting,
                            }),
                        )
                        .await
                    }
                    Err(e) => self.refusal(socket, e).await,
                }
            }
            ClientFrame::Edit {
                id,
                body,
                acknowledge,
            } => {
                let cmd = EditMessage {
                    body,
                    submission: self.submission(acknowledge),
                };
                match chat::edit(&self.app, &self.actor, id, cmd).await {
                    Ok(edited) => {
                        self.send(
                            socket,
                            json!({"type": "edited", "id": id, "held": edited.held}),
                        )
                        .await
                    }
                    Err(e) => self.refusal_of(socket, e, "edit", id).await,
                }
            }
            ClientFrame::React { id, reaction, on } => {
                let Some(kind) = ChatReaction::parse(&reaction) else {
                    let known: Vec<&str> = ChatReaction::ALL.iter().map(|r| r.as_str()).collect();
                    let e = ServiceError::field(
                        "reaction",
                        format!(
                            "There is no “{reaction}” reaction here; choose one of {}.",
                            known.join(", ")
                        ),
                    );
                    return self.refusal_of(socket, e, "react", id).await;
                };
                match chat::react(&self.app, &self.actor, id, kind, on).await {
                    Ok((_, on)) => {
                        self.send(
                            socket,
                            json!({"type": "reacted", "id": id, "reaction": kind.as_str(), "on": on}),
                        )
                        .await
                    }
                    Err(e) => self.refusal_of(socket, e, "react", id).await,
                }
            }
            ClientFrame::Delete { id } => match chat::delete(&self.app, &self.actor, id).await {
                Ok(_) => {
                    self.send(socket, json!({"type": "deleted", "id": id}))
                        .await
                }
                Err(e) => self.refusal_of(socket, e, "delete", id).await,
            },
            ClientFrame::Typing => {
                let now = Instant::now();
                if self
                    .last_typing
                    .is_some_and(|t| now.duration_since(t) < TYPING_EVERY)
                {
                    return Ok(());
                }
                self.last_typing = Some(now);
                match chat::typing(&self.app, &self.actor, &self.room).await {
                    Ok(()) => Ok(()),
                    Err(e) => self.refusal(socket, e).await,
                }
            }
        }
    }

    /// How a frame from this client was sent, for the guards.
    fn submission(&self, acknowledged: bool) -> Submission {
        Submission {
            acknowledged,
            client: self.client.clone(),
            ..Default::default()
        }
    }

    /// A refused edit, reaction or delete: the error frame says which.
    async fn refusal_of(
        &self,
        socket: &mut WebSocket,
        e: ServiceError,
        action: &str,
        id: i64,
    ) -> Result<(), axum::Error> {
        let mut frame = refusal_frame(e);
        frame["action"] = action.into();
        frame["id"] = id.into();
        self.send(socket, frame).await
    }

    /// A refused send, as an error frame with the reason (and, for personal
    /// details, what was found, to show before sending anyway).
    async fn refusal(&self, socket: &mut WebSocket, e: ServiceError) -> Result<(), axum::Error> {
        let closed = matches!(e, ServiceError::Forbidden(_));
        let mut frame = refusal_frame(e);
        // Refused while the room is closed: say when it opens.
        if closed
            && let Ok(openness) = chat::openness(&self.app, &self.room).await
            && !openness.is_open()
        {
            add_hours(&mut frame, &openness);
        }
        self.send(socket, frame).await
    }
}

/// An error frame for a refusal: the reason, and for personal details what
/// was found (to show before sending anyway).
fn refusal_frame(e: ServiceError) -> serde_json::Value {
    let mut frame = json!({"type": "error", "reason": e.to_string()});
    match &e {
        ServiceError::Invalid(fields) => {
            frame["reason"] = fields
                .iter()
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join(" ")
                .into();
        }
        ServiceError::CheckFirst(review) => {
            let explain: Vec<&str> = review.findings.iter().map(|f| f.kind.explain()).collect();
            frame["check"] = json!({
                "personal_details": explain,
                "crisis": review.crisis,
                "helplines_markdown": review.crisis.then_some(&review.helplines_md),
            });
        }
        ServiceError::Throttled { retry_after_secs } | ServiceError::Busy { retry_after_secs } => {
            frame["retry_after"] = json!(retry_after_secs);
        }
        _ => {}
    }
    frame
}

/// Adds a room's opening state to a frame: `open`, and `session` (the one
/// under way, or the next; absent for a room without hours).
fn add_hours(frame: &mut serde_json::Value, openness: &Openness) {
    frame["open"] = json!(openness.is_open());
    if let Some(s) = openness.sitting() {
        frame["session"] = json!({
            "starts": crate::services::rfc3339(s.start_ms),
            "ends": crate::services::rfc3339(s.end_ms),
            "text": s.to_string(),
        });
    }
    if !openness.is_open() {
        frame["closed_text"] = json!(chat::closed_notice(openness));
    }
}
