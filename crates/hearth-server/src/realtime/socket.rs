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

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use futures_util::SinkExt;
use hearth_core::hours::Openness;
use hearth_core::model::ChatReaction;
use hearth_store::chat::Reader;
use hearth_store::spaces::Space;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast;

use super::{Audience, Frame, LiveMessage};
use crate::App;
use crate::error::ServiceError;
use crate::services::Actor;
use crate::services::chat::{self, EditMessage, Send};
use crate::services::safety::Submission;
use crate::web::session::ClientAddr;
use crate::web::{Visitor, WebError};

/// A text frame larger than this is refused with a reason (a message is at
/// most 2,000 characters); one larger than `MAX_FRAME` closes the socket.
const MAX_TEXT: usize = 16 * 1024;
const MAX_FRAME: usize = 64 * 1024;
/// Typing is passed on at most this often per connection.
const TYPING_EVERY: Duration = Duration::from_secs(2);
/// Messages remembered as sent, so that catching up sends none twice.
const REMEMBERED: usize = 200;
/// What a connection reads at a time. Small: the WebSocket library zeroes
/// this much before every read, and a connection tries one after each
/// frame it passes on (4 KiB of zeroes cost more than the rest of the
/// frame's work in user space); a client's frames are short and rare.
const READ_BUFFER: usize = 512;
/// Frames waiting for a connection that go out with one flush at most.
const BATCH: usize = 64;
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
    let hub = app.hub().clone();
    let connection = Connection {
        server: tokio::runtime::Handle::current(),
        moderator: opened.moderator(visitor.actor.viewer()),
        reader: Reader {
            account: visitor.actor.viewer().account(),
            moderator: visitor.actor.viewer().reviews(),
        },
        alias: visitor.actor.signed_in().map(|a| a.alias.to_string()),
        person: Arc::new(Person {
            actor: visitor.actor,
            session: visitor.session_token,
            client,
            app,
            room: opened.room,
        }),
        sent: SentLog::default(),
        cursor: q.after.unwrap_or(0),
        last_typing: None,
    };
    Ok(ws
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(4 * 1024)
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| {
            hub.connections.spawn(connection.run(socket, q.after));
            std::future::ready(())
        }))
}

/// Who is on a connection and where: what its database work needs, shared
/// with that work on the server's runtime.
struct Person {
    app: App,
    actor: Actor,
    session: Option<String>,
    client: String,
    room: Space,
}

struct Connection {
    /// The server's runtime, where this connection's database work runs
    /// (see `Connections`).
    server: tokio::runtime::Handle,
    person: Arc<Person>,
    /// Whose held messages this person sees.
    reader: Reader,
    /// Moderates here: sees a deleted message's words.
    moderator: bool,
    alias: Option<String>,
    /// Messages sent, and how each looked then (a change is sent again).
    sent: SentLog,
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
        let hub = self.person.app.hub().clone();
        // Listen before catching up: nothing falls between the two.
        let mut frames = hub.subscribe();
        let room = self.person.room.id;
        let told = self
            .alias
            .as_ref()
            .and_then(|alias| hub.count(room, alias, true));
        let stop = self.serve(&mut socket, &mut frames, after, told).await;
        if let Some(alias) = &self.alias {
            hub.count(room, alias, false);
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
        presence: Option<Utf8Bytes>,
    ) -> Result<Stop, axum::Error> {
        let mut hello = json!({
            "type": "hello",
            "room": self.person.room.slug.as_str(),
            "me": self.alias,
            "moderator": self.moderator,
        });
        let person = self.person.clone();
        let openness = self
            .on_server(async move { chat::openness(&person.app, &person.room).await })
            .await;
        if let Ok(openness) = openness {
            add_hours(&mut hello, &openness);
        }
        self.send(socket, hello).await?;
        if let Some(presence) = presence {
            socket.send(WsMessage::Text(presence)).await?;
        }
        if let Some(after) = after {
            self.catch_up(socket, after).await?;
        }
        let mut check = tokio::time::interval(self.person.app.config().live.session_check);
        check.tick().await;
        loop {
            // Frames first: a wake-up is mostly one, and polling the socket
            // and the clock before it costs ten thousand connections dear.
            // A batch takes the frames waiting, so the socket is read next
            // unless more came meanwhile.
            tokio::select! {
                biased;
                frame = frames.recv() => match frame {
                    Ok(frame) => self.pass_on_waiting(socket, frames, &frame).await?,
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

    /// Runs database work on the server's runtime (see `Connections`).
    async fn on_server<T: std::marker::Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, ServiceError>> + std::marker::Send + 'static,
    ) -> Result<T, ServiceError> {
        self.server
            .spawn(work)
            .await
            .map_err(|e| ServiceError::Internal(format!("live chat work: {e}")))?
    }

    /// A signed-in person's session may end (signed out elsewhere, expired,
    /// suspended): the socket ends with it.
    async fn session_holds(&self) -> bool {
        if self.person.session.is_none() {
            return true;
        }
        let person = self.person.clone();
        let found = self
            .on_server(async move {
                let token = person.session.as_deref().unwrap_or_default();
                crate::services::accounts::from_session(&person.app, token).await
            })
            .await;
        // Only a session found to be gone ends the socket, not a failure to look.
        !matches!(found, Ok(None))
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
            let person = self.person.clone();
            let loaded = self
                .on_server(async move {
                    chat::since(&person.app, &person.actor, person.room.slug.as_str(), from).await
                })
                .await;
            let Ok((_, page)) = loaded else {
                return self
                    .error(
                        socket,
                        "Some messages could not be loaded; reload the page.",
                    )
                    .await;
            };
            let full = page.len() as i64 == chat::PAGE;
            for m in page {
                from = from.max(m.id);
                self.message(socket, &LiveMessage::new(m)).await?;
            }
            if !full {
                return socket.flush().await;
            }
        }
    }

    /// Passes a frame on with the others already waiting, with one flush:
    /// a connection that falls behind catches up in fewer, larger writes.
    async fn pass_on_waiting(
        &mut self,
        socket: &mut WebSocket,
        frames: &mut broadcast::Receiver<Arc<Frame>>,
        first: &Frame,
    ) -> Result<(), axum::Error> {
        self.pass_on(socket, first).await?;
        for _ in 1..BATCH {
            match frames.try_recv() {
                Ok(frame) => self.pass_on(socket, &frame).await?,
                Err(broadcast::error::TryRecvError::Lagged(_)) => {
                    return self.catch_up(socket, self.cursor).await;
                }
                Err(_) => break,
            }
        }
        socket.flush().await
    }

    /// Queues a frame for this connection; `pass_on_waiting` writes them out.
    async fn pass_on(&mut self, socket: &mut WebSocket, frame: &Frame) -> Result<(), axum::Error> {
        match frame {
            Frame::Message(live) if self.here(live.message().room_id) => {
                self.message(socket, live).await
            }
            Frame::Typing { room, alias, text }
                if self.here(*room) && Some(alias) != self.alias.as_ref() =>
            {
                socket.feed(WsMessage::Text(text.clone())).await
            }
            Frame::Presence { room, text } if self.here(*room) => {
                socket.feed(WsMessage::Text(text.clone())).await
            }
            Frame::Resync => self.catch_up(socket, self.cursor).await,
            _ => Ok(()),
        }
    }

    fn here(&self, room: hearth_core::model::SpaceId) -> bool {
        room == self.person.room.id
    }

    /// Queues a new or changed message this person may see, unless it went
    /// out as it is.
    async fn message(
        &mut self,
        socket: &mut WebSocket,
        live: &LiveMessage,
    ) -> Result<(), axum::Error> {
        let m = live.message();
        let own = self.reader.account.is_some() && m.author_id == self.reader.account;
        if m.kept_back() && !own && !self.reader.moderator {
            return Ok(());
        }
        let mine = live.mine(self.reader.account);
        if !self.sent.record(m.id, live.digest(mine)) {
            return Ok(());
        }
        self.cursor = self.cursor.max(m.id);
        let audience = Audience {
            own,
            moderator: self.moderator,
            reviewer: self.reader.moderator,
            mine,
        };
        socket.feed(WsMessage::Text(live.frame(audience))).await
    }

    /// A frame from the client: answered by the server's runtime.
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
        if let ClientFrame::Typing = frame {
            let now = Instant::now();
            if self
                .last_typing
                .is_some_and(|t| now.duration_since(t) < TYPING_EVERY)
            {
                return Ok(());
            }
            self.last_typing = Some(now);
        }
        let person = self.person.clone();
        let answer = self
            .on_server(async move { Ok(person.answer(frame).await) })
            .await
            .unwrap_or_else(|e| Some(refusal_frame(e)));
        match answer {
            Some(answer) => self.send(socket, answer).await,
            None => Ok(()),
        }
    }
}

impl Person {
    /// The answer to a frame from the client, if it has one.
    async fn answer(&self, frame: ClientFrame) -> Option<serde_json::Value> {
        let app = &self.app;
        let actor = &self.actor;
        Some(match frame {
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
                    chat::ask(app, actor, slug, cmd).await
                } else {
                    chat::send(app, actor, slug, cmd).await
                };
                match sent {
                    Ok(sent) => json!({
                        "type": "sent",
                        "id": sent.id,
                        "held": sent.held,
                        "waiting": sent.waiting,
                    }),
                    Err(e) => self.refusal(e).await,
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
                match chat::edit(app, actor, id, cmd).await {
                    Ok(edited) => json!({"type": "edited", "id": id, "held": edited.held}),
                    Err(e) => refusal_of(e, "edit", id),
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
                    return Some(refusal_of(e, "react", id));
                };
                match chat::react(app, actor, id, kind, on).await {
                    Ok((_, on)) => {
                        json!({"type": "reacted", "id": id, "reaction": kind.as_str(), "on": on})
                    }
                    Err(e) => refusal_of(e, "react", id),
                }
            }
            ClientFrame::Delete { id } => match chat::delete(app, actor, id).await {
                Ok(_) => json!({"type": "deleted", "id": id}),
                Err(e) => refusal_of(e, "delete", id),
            },
            ClientFrame::Typing => match chat::typing(app, actor, &self.room).await {
                Ok(()) => return None,
                Err(e) => self.refusal(e).await,
            },
        })
    }

    /// How a frame from this client was sent, for the guards.
    fn submission(&self, acknowledged: bool) -> Submission {
        Submission {
            acknowledged,
            client: self.client.clone(),
            ..Default::default()
        }
    }

    /// A refused send, as an error frame with the reason (and, for personal
    /// details, what was found, to show before sending anyway).
    async fn refusal(&self, e: ServiceError) -> serde_json::Value {
        let closed = matches!(e, ServiceError::Forbidden(_));
        let mut frame = refusal_frame(e);
        // Refused while the room is closed: say when it opens.
        if closed
            && let Ok(openness) = chat::openness(&self.app, &self.room).await
            && !openness.is_open()
        {
            add_hours(&mut frame, &openness);
        }
        frame
    }
}

/// A refused edit, reaction or delete: the error frame says which.
fn refusal_of(e: ServiceError, action: &str, id: i64) -> serde_json::Value {
    let mut frame = refusal_frame(e);
    frame["action"] = action.into();
    frame["id"] = id.into();
    frame
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

/// The newest `REMEMBERED` messages sent on a connection, sorted by id, each
/// with its digest (`LiveMessage::digest`) as it went out: ten thousand
/// connections each keep one.
#[derive(Default)]
struct SentLog(VecDeque<(i64, u64)>);

impl SentLog {
    /// Notes that message `id` goes out looking like `digest`; false when
    /// it went out so already.
    fn record(&mut self, id: i64, digest: u64) -> bool {
        // Mostly a new message, the newest yet: no search.
        if self.0.back().is_none_or(|(last, _)| *last < id) {
            self.0.push_back((id, digest));
        } else {
            match self.0.binary_search_by_key(&id, |(id, _)| *id) {
                Ok(i) if self.0[i].1 == digest => return false,
                Ok(i) => self.0[i].1 = digest,
                Err(i) => self.0.insert(i, (id, digest)),
            }
        }
        if self.0.len() > REMEMBERED {
            self.0.pop_front();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::{REMEMBERED, SentLog};

    #[test]
    fn a_message_goes_out_again_only_when_it_changed() {
        let mut sent = SentLog::default();
        assert!(sent.record(7, 1));
        assert!(!sent.record(7, 1), "the same again");
        assert!(sent.record(5, 1), "an older one, out of order");
        assert!(sent.record(7, 2), "changed since");
        assert!(!sent.record(7, 2));
        assert!(!sent.record(5, 1));
        assert_eq!(sent.0.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [5, 7]);
    }

    #[test]
    fn the_oldest_are_forgotten() {
        let mut sent = SentLog::default();
        for id in 1..=REMEMBERED as i64 + 10 {
            assert!(sent.record(id, 0));
        }
        assert_eq!(sent.0.len(), REMEMBERED);
        assert!(sent.record(1, 0), "forgotten, so sent again");
        assert!(!sent.record(REMEMBERED as i64 + 10, 0));
    }
}
