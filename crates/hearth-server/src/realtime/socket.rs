//! One live connection to a room: `GET /r/{room}/live?after=<id>` upgraded
//! to a WebSocket. It first sends what the client missed after `after`, then
//! every new or changed message its person may see, typing and presence.
//! The client sends messages and "typing"; each refusal comes back as an
//! error frame with the reason, and the connection stays up.
//!
//! Frames are JSON text. From the server: `hello`, `message`, `typing`,
//! `presence`, `sent` (the answer to a send), `error`. From the client:
//! `{"type":"send","body":…,"reply_to":…,"acknowledge":…}` and
//! `{"type":"typing"}`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use futures_util::SinkExt;
use hearth_core::model::SpaceId;
use hearth_store::chat::{Message, Reader};
use hearth_store::spaces::Space;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast;

use super::{Frame, LiveMessage, Seen, message_frame};
use crate::App;
use crate::error::ServiceError;
use crate::services::Actor;
use crate::services::chat::{self, Send};
use crate::services::safety::Submission;
use crate::web::session::ClientAddr;
use crate::web::{Visitor, WebError};

/// A text frame larger than this is refused with a reason (a message is at
/// most 2,000 characters); one larger than `MAX_FRAME` closes the socket.
const MAX_TEXT: usize = 16 * 1024;
const MAX_FRAME: usize = 64 * 1024;
/// How often the connection checks that its session still holds, and pings.
const CHECK_EVERY: Duration = Duration::from_secs(30);
/// Typing is passed on at most this often per connection.
const TYPING_EVERY: Duration = Duration::from_secs(2);
/// Messages remembered as sent, so that catching up sends none twice.
const REMEMBERED: usize = 200;
/// Frames waiting for a connection that go out in one write at most.
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
    let room = chat::live_room(&app, &visitor.actor, &slug).await?;
    let hub = app.hub().clone();
    let connection = Connection {
        server: tokio::runtime::Handle::current(),
        reader: Reader {
            account: visitor.actor.viewer().account(),
            moderator: visitor.actor.viewer().reviews(),
        },
        alias: visitor.actor.signed_in().map(|a| a.alias.to_string()),
        actor: visitor.actor,
        session: visitor.session_token,
        client,
        app,
        room,
        sent: SentLog::default(),
        cursor: q.after.unwrap_or(0),
        last_typing: None,
    };
    Ok(ws
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| {
            hub.connections.spawn(connection.run(socket, q.after));
            std::future::ready(())
        }))
}

struct Connection {
    /// The server's runtime, where this connection's database work runs.
    server: tokio::runtime::Handle,
    app: App,
    actor: Actor,
    reader: Reader,
    alias: Option<String>,
    session: Option<String>,
    client: String,
    room: Space,
    /// Messages sent, with whether each was held and deleted then (a change
    /// is sent again); the oldest are forgotten.
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
            hub.count(self.room.id, alias, true);
        }
        let stop = self.serve(&mut socket, &mut frames, after).await;
        if let Some(alias) = &self.alias {
            hub.count(self.room.id, alias, false);
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
        self.send(
            socket,
            json!({
                "type": "hello",
                "room": self.room.slug.as_str(),
                "me": self.alias,
                "moderator": self.reader.moderator,
            }),
        )
        .await?;
        if let Some(after) = after {
            self.catch_up(socket, after).await?;
        }
        let mut check = tokio::time::interval(CHECK_EVERY);
        check.tick().await;
        loop {
            // Frames first: a wake-up is mostly one, and polling the socket
            // and the clock before it costs ten thousand connections dear.
            // A batch takes the frames waiting, so the socket is read next
            // unless more came meanwhile (a room falling behind reads its
            // people's frames later, but reads them).
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

    /// A signed-in person's session may end (signed out elsewhere, expired,
    /// suspended): the socket ends with it.
    async fn session_holds(&self) -> bool {
        let Some(token) = self.session.clone() else {
            return true;
        };
        let app = self.app.clone();
        let found = self
            .on_server(async move { crate::services::accounts::from_session(&app, &token).await })
            .await;
        // Only a session found to be gone ends the socket, not a failure to look.
        !matches!(found, Ok(None))
    }

    /// Runs database work on the server's runtime (see the module's notes).
    async fn on_server<T: std::marker::Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, ServiceError>> + std::marker::Send + 'static,
    ) -> Result<T, ServiceError> {
        self.server
            .spawn(work)
            .await
            .map_err(|e| ServiceError::Internal(format!("chat work: {e}")))?
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
            let (app, actor, slug) = (
                self.app.clone(),
                self.actor.clone(),
                self.room.slug.as_str().to_owned(),
            );
            let loaded = self
                .on_server(async move { chat::since(&app, &actor, &slug, from).await })
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
            for m in &page {
                from = from.max(m.id);
                if let Some(seen) = self.sees(m) {
                    socket.send(WsMessage::Text(message_frame(m, seen))).await?;
                }
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// Passes a frame on with the others already waiting, in one write: a
    /// connection that falls behind catches up in fewer, larger writes.
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
            Frame::Message(live) if live.message.room_id == self.room.id => {
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

    fn here(&self, room: SpaceId) -> bool {
        room == self.room.id
    }

    /// Queues a new or changed message this person may see.
    async fn message(
        &mut self,
        socket: &mut WebSocket,
        live: &LiveMessage,
    ) -> Result<(), axum::Error> {
        match self.sees(&live.message) {
            Some(seen) => socket.feed(WsMessage::Text(live.frame(seen))).await,
            None => Ok(()),
        }
    }

    /// How this person sees a message, if it is to be sent: not when they
    /// may not see it, nor when it was sent already as it is. Counts it as sent.
    fn sees(&mut self, m: &Message) -> Option<Seen> {
        let own = self.reader.account.is_some() && m.author_id == self.reader.account;
        if m.held && !own && !self.reader.moderator {
            return None;
        }
        if !self.sent.record(m.id, m.held, m.deleted_at.is_some()) {
            return None;
        }
        self.cursor = self.cursor.max(m.id);
        Some(Seen {
            own,
            withheld: m.deleted_at.is_some() && !self.reader.moderator,
        })
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
            } => {
                let cmd = Send {
                    body,
                    reply_to,
                    submission: Submission {
                        acknowledged: acknowledge,
                        client: self.client.clone(),
                        ..Default::default()
                    },
                };
                let (app, actor, slug) = (
                    self.app.clone(),
                    self.actor.clone(),
                    self.room.slug.as_str().to_owned(),
                );
                let sent = self
                    .on_server(async move { chat::send(&app, &actor, &slug, cmd).await })
                    .await;
                match sent {
                    Ok(sent) => {
                        self.send(
                            socket,
                            json!({"type": "sent", "id": sent.id, "held": sent.held}),
                        )
                        .await
                    }
                    Err(e) => self.refusal(socket, e).await,
                }
            }
            ClientFrame::Typing => {
                let now = Instant::now();
                if self
                    .last_typing
                    .is_some_and(|t| now.duration_since(t) < TYPING_EVERY)
                {
                    return Ok(());
                }
                self.last_typing = Some(now);
                let (app, actor, room) = (self.app.clone(), self.actor.clone(), self.room.clone());
                let told = self
                    .on_server(async move { chat::typing(&app, &actor, &room).await })
                    .await;
                match told {
                    Ok(()) => Ok(()),
                    Err(e) => self.refusal(socket, e).await,
                }
            }
        }
    }

    /// A refused send, as an error frame with the reason (and, for personal
    /// details, what was found, to show before sending anyway).
    async fn refusal(&self, socket: &mut WebSocket, e: ServiceError) -> Result<(), axum::Error> {
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
            ServiceError::Throttled { retry_after_secs } => {
                frame["retry_after"] = json!(retry_after_secs);
            }
            _ => {}
        }
        self.send(socket, frame).await
    }
}

/// The newest `REMEMBERED` messages sent on a connection by id, each with
/// whether it was held and deleted then, packed in eight bytes (ten
/// thousand connections each keep one).
#[derive(Default)]
struct SentLog(VecDeque<u64>);

impl SentLog {
    /// Notes that message `id` goes out in this state; false when it went
    /// out so already.
    fn record(&mut self, id: i64, held: bool, deleted: bool) -> bool {
        let entry = ((id as u64) << 2) | (u64::from(held) << 1) | u64::from(deleted);
        // Mostly a new message, the newest yet: no search.
        if self.0.back().is_none_or(|last| last >> 2 < entry >> 2) {
            self.0.push_back(entry);
            if self.0.len() > REMEMBERED {
                self.0.pop_front();
            }
            return true;
        }
        match self.0.binary_search_by_key(&(entry >> 2), |e| e >> 2) {
            Ok(i) if self.0[i] == entry => return false,
            Ok(i) => self.0[i] = entry,
            Err(i) => {
                self.0.insert(i, entry);
                if self.0.len() > REMEMBERED {
                    self.0.pop_front();
                }
            }
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
        assert!(sent.record(7, false, false));
        assert!(!sent.record(7, false, false), "the same again");
        assert!(sent.record(5, false, false), "an older one, out of order");
        assert!(sent.record(7, false, true), "deleted since");
        assert!(!sent.record(7, false, true));
        assert!(sent.record(5, true, false), "held since");
    }

    #[test]
    fn the_oldest_are_forgotten() {
        let mut sent = SentLog::default();
        for id in 1..=REMEMBERED as i64 + 10 {
            assert!(sent.record(id, false, false));
        }
        assert_eq!(sent.0.len(), REMEMBERED);
        assert!(sent.record(1, false, false), "forgotten, so sent again");
        assert!(!sent.record(REMEMBERED as i64 + 10, false, false));
    }
}
