//! Chat over WebSocket. The hub hears the store's change events (from this
//! node or, on PostgreSQL, any node), loads each new or changed message once
//! and hands it to every live connection here; each connection shows its
//! person only what they may see. Who is in a room (presence) is counted per
//! node.
//!
//! Live connections run on a runtime of their own. Each message wakes every
//! connection in the room; on the server's runtime, ten thousand wake-ups
//! would queue ahead of every database step of the requests (sending the
//! next message among them), each step waiting for a whole fan-out. The
//! connections hand their database work back to the server's runtime.

mod socket;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use hearth_core::model::SpaceId;
use hearth_store::chat::Message;
use hearth_store::events::Event;
use serde::Serialize;
use tokio::sync::broadcast;

pub use socket::live;

use crate::App;
use crate::web::views::{Author, Moment};

/// Frames a slow connection may fall behind before it must catch up.
const BUFFERED: usize = 1024;
/// A room hears who is here at most this often: ten thousand people
/// arriving one by one would otherwise send each of them ten thousand lists.
const PRESENCE_EVERY: Duration = Duration::from_secs(1);
/// Aliases a presence frame names (in alphabetical order); it counts all.
const PRESENCE_NAMED: usize = 50;

/// What the hub hands to connections. Each frame's JSON is written once
/// for all the connections that see it alike, not once per connection.
#[derive(Debug)]
pub enum Frame {
    Message(Box<LiveMessage>),
    Typing {
        room: SpaceId,
        alias: String,
        text: Utf8Bytes,
    },
    Presence {
        room: SpaceId,
        text: Utf8Bytes,
    },
    /// Events may have been missed: catch up from the database.
    Resync,
}

/// A new or changed message, with its frame for each way of seeing it.
#[derive(Debug)]
pub struct LiveMessage {
    message: Message,
    /// By [its author][whether its words are withheld]; written when first needed.
    frames: [[OnceLock<Utf8Bytes>; 2]; 2],
}

impl LiveMessage {
    fn new(message: Message) -> Self {
        Self {
            message,
            frames: Default::default(),
        }
    }

    fn frame(&self, seen: Seen) -> Utf8Bytes {
        self.frames[usize::from(seen.own)][usize::from(seen.withheld)]
            .get_or_init(|| message_frame(&self.message, seen))
            .clone()
    }
}

/// How a reader sees a message: all that differs between readers.
#[derive(Clone, Copy, Debug)]
struct Seen {
    /// They wrote it (and may delete it).
    own: bool,
    /// It was deleted and they are no moderator: its words are not sent.
    withheld: bool,
}

#[derive(Clone)]
pub struct Hub {
    frames: broadcast::Sender<Arc<Frame>>,
    rooms: Arc<Mutex<HashMap<SpaceId, Presence>>>,
    connections: Arc<Connections>,
}

/// The runtime live connections run on, started with the first one. None if
/// it could not be started: they then run on the server's.
#[derive(Default)]
struct Connections(OnceLock<Option<tokio::runtime::Runtime>>);

impl Connections {
    fn spawn(&self, connection: impl Future<Output = ()> + Send + 'static) {
        let runtime = self.0.get_or_init(|| {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                .thread_name("hearth-chat")
                .enable_all()
                .build()
                .inspect_err(|e| {
                    tracing::warn!(error = %e, "no runtime for live chat; it shares the server's");
                })
                .ok()
        });
        match runtime {
            Some(runtime) => drop(runtime.spawn(connection)),
            None => drop(tokio::spawn(connection)),
        }
    }
}

impl Drop for Connections {
    fn drop(&mut self) {
        // Dropped with the app, maybe on the server's runtime, where waiting
        // for the connections to end is not allowed: they are cut off.
        if let Some(Some(runtime)) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Who is in a room on this node, and when the room last heard it.
#[derive(Default)]
struct Presence {
    /// How many live connections each alias has.
    here: BTreeMap<String, usize>,
    told_at: Option<Instant>,
    /// A telling is due: it sends the room as it is then.
    due: bool,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            frames: broadcast::channel(BUFFERED).0,
            rooms: Default::default(),
            connections: Default::default(),
        }
    }
}

impl Hub {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Frame>> {
        self.frames.subscribe()
    }

    fn send(&self, frame: Frame) {
        let _ = self.frames.send(Arc::new(frame));
    }

    /// Turns the store's events into frames, for as long as the app runs.
    pub fn start(&self, app: &App) {
        let hub = self.clone();
        let store = app.store().clone();
        let mut events = store.events();
        let mut closed = store.closed();
        tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    received = events.recv() => received,
                    _ = closed.wait_for(|c| *c) => return,
                };
                let event = match received {
                    Ok(event) => event,
                    Err(broadcast::error::RecvError::Lagged(_)) => Event::Resync,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                match event {
                    Event::ChatMessage { id, .. } | Event::ChatChanged { id, .. } => {
                        let loaded = match store.read().await {
                            Ok(mut conn) => hearth_store::chat::by_id(&mut conn, id).await,
                            Err(e) => Err(e),
                        };
                        match loaded {
                            Ok(Some(m)) => hub.send(Frame::Message(Box::new(LiveMessage::new(m)))),
                            Ok(None) => {}
                            Err(e) => {
                                tracing::warn!(error = %e, "a chat message could not be loaded");
                                hub.send(Frame::Resync);
                            }
                        }
                    }
                    Event::Typing { room, alias } => {
                        let text = encode(&serde_json::json!({"type": "typing", "alias": alias}));
                        hub.send(Frame::Typing { room, alias, text });
                    }
                    Event::Resync => hub.send(Frame::Resync),
                }
            }
        });
    }

    /// Counts a person in (or, with `false`, out of) a room, and tells the
    /// room now, or once `PRESENCE_EVERY` has passed since it was last told.
    fn count(&self, room: SpaceId, alias: &str, arrived: bool) {
        let Ok(mut rooms) = self.rooms.lock() else {
            return;
        };
        let presence = rooms.entry(room).or_default();
        if arrived {
            *presence.here.entry(alias.to_owned()).or_default() += 1;
        } else if let Some(n) = presence.here.get_mut(alias) {
            *n -= 1;
            if *n == 0 {
                presence.here.remove(alias);
            }
        }
        if presence.due {
            return;
        }
        let now = Instant::now();
        match presence.told_at {
            Some(at) if now < at + PRESENCE_EVERY => {
                presence.due = true;
                let hub = self.clone();
                tokio::spawn(async move {
                    tokio::time::sleep_until((at + PRESENCE_EVERY).into()).await;
                    hub.tell_presence(room);
                });
            }
            _ => {
                let frame = told(&mut rooms, room, now);
                drop(rooms);
                self.send(frame);
            }
        }
    }

    fn tell_presence(&self, room: SpaceId) {
        let Ok(mut rooms) = self.rooms.lock() else {
            return;
        };
        let frame = told(&mut rooms, room, Instant::now());
        drop(rooms);
        self.send(frame);
    }
}

/// The presence frame for a room as it is now; a room no one is in is forgotten.
fn told(rooms: &mut HashMap<SpaceId, Presence>, room: SpaceId, now: Instant) -> Frame {
    let presence = rooms.entry(room).or_default();
    presence.told_at = Some(now);
    presence.due = false;
    let named: Vec<&str> = presence
        .here
        .keys()
        .take(PRESENCE_NAMED)
        .map(String::as_str)
        .collect();
    let text = encode(&serde_json::json!({
        "type": "presence",
        "here": named,
        "count": presence.here.len(),
    }));
    if presence.here.is_empty() {
        rooms.remove(&room);
    }
    Frame::Presence { room, text }
}

fn encode(value: &impl Serialize) -> Utf8Bytes {
    serde_json::to_string(value).unwrap_or_default().into()
}

/// A message frame as one kind of reader sees it; the page builds its list item.
fn message_frame(m: &Message, seen: Seen) -> Utf8Bytes {
    let author = Author::new(m.author_alias.as_ref(), m.author_role, None);
    let sent = Moment::from_ms(m.created_at);
    encode(&MessageFrame {
        kind: "message",
        message: MessageOut {
            id: m.id,
            author: &author.name,
            author_href: author.href.as_deref(),
            badge: author.badge,
            // A deleted message's words stay for moderators only.
            html: if seen.withheld { "" } else { &m.body_html },
            sent_iso: sent.iso,
            sent_text: sent.text,
            reply_to: m.reply_to_id,
            reply_to_name: m.reply_to_alias.as_deref(),
            held: m.held,
            deleted: m.deleted_at.is_some(),
            own: seen.own,
        },
    })
}

#[derive(Serialize)]
struct MessageFrame<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    message: MessageOut<'a>,
}

/// A message as the live room sends it.
#[derive(Serialize)]
struct MessageOut<'a> {
    id: i64,
    author: &'a str,
    author_href: Option<&'a str>,
    badge: Option<&'static str>,
    html: &'a str,
    sent_iso: String,
    sent_text: String,
    reply_to: Option<i64>,
    reply_to_name: Option<&'a str>,
    held: bool,
    deleted: bool,
    /// This person wrote it (may delete it).
    own: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_core::model::{AccountId, Alias, Role};

    fn text(frame: &Frame) -> serde_json::Value {
        match frame {
            Frame::Presence { text, .. } | Frame::Typing { text, .. } => {
                serde_json::from_str(text.as_str()).unwrap()
            }
            other => panic!("not a presence or typing frame: {other:?}"),
        }
    }

    #[test]
    fn a_busy_room_names_the_first_aliases_and_counts_everyone() {
        let room = SpaceId(4);
        let mut rooms = HashMap::new();
        let presence: &mut Presence = rooms.entry(room).or_default();
        for i in 0..PRESENCE_NAMED + 10 {
            presence.here.insert(format!("member_{i:03}"), 1);
        }
        let frame = told(&mut rooms, room, Instant::now());
        let v = text(&frame);
        assert_eq!(v["type"], "presence");
        assert_eq!(v["count"], PRESENCE_NAMED + 10);
        let named = v["here"].as_array().unwrap();
        assert_eq!(named.len(), PRESENCE_NAMED);
        assert_eq!(named[0], "member_000", "alphabetical");

        rooms.get_mut(&room).unwrap().here.clear();
        let v = text(&told(&mut rooms, room, Instant::now()));
        assert_eq!(v["here"], serde_json::json!([]));
        assert!(rooms.is_empty(), "an empty room is forgotten");
    }

    #[tokio::test]
    async fn arrivals_close_together_are_told_once_with_the_room_as_it_is_then() {
        let hub = Hub::default();
        let mut frames = hub.subscribe();
        let room = SpaceId(1);
        hub.count(room, "rose", true);
        assert_eq!(
            text(&frames.recv().await.unwrap())["here"],
            serde_json::json!(["rose"])
        );
        hub.count(room, "sam_k", true);
        hub.count(room, "ana", true);
        let quiet = tokio::time::timeout(Duration::from_millis(300), frames.recv()).await;
        assert!(
            quiet.is_err(),
            "no second telling within {PRESENCE_EVERY:?}"
        );
        let later = tokio::time::timeout(Duration::from_secs(3), frames.recv())
            .await
            .expect("told once the interval passed")
            .unwrap();
        assert_eq!(
            text(&later)["here"],
            serde_json::json!(["ana", "rose", "sam_k"])
        );
        assert_eq!(text(&later)["count"], 3);
    }

    #[test]
    fn a_message_is_written_once_for_each_way_of_seeing_it() {
        let live = LiveMessage::new(Message {
            id: 9,
            room_id: SpaceId(1),
            author_id: Some(AccountId(3)),
            author_alias: Some(Alias::from_trusted("rose".into())),
            author_role: Some(Role::Member),
            reply_to_id: None,
            reply_to_alias: None,
            body_md: "hello".into(),
            body_html: "<p>hello</p>".into(),
            held: false,
            created_at: 1_700_000_000_000,
            edited_at: None,
            deleted_at: Some(1_700_000_001_000),
        });
        let others = Seen {
            own: false,
            withheld: true,
        };
        let first = live.frame(others);
        assert_eq!(
            first.as_str().as_ptr(),
            live.frame(others).as_str().as_ptr(),
            "the same bytes for every reader who sees it alike"
        );
        let v: serde_json::Value = serde_json::from_str(first.as_str()).unwrap();
        assert_eq!(v["type"], "message");
        assert_eq!(
            v["message"]["html"], "",
            "a deleted message's words are withheld"
        );
        assert_eq!(v["message"]["deleted"], true);
        assert_eq!(v["message"]["own"], false);
        let author: serde_json::Value = serde_json::from_str(
            live.frame(Seen {
                own: true,
                withheld: false,
            })
            .as_str(),
        )
        .unwrap();
        assert_eq!(author["message"]["own"], true);
        assert_eq!(author["message"]["html"], "<p>hello</p>");
    }
}
