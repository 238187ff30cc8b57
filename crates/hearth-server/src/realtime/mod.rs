//! Chat over WebSocket. The hub hears the store's change events (from this
//! node or, on PostgreSQL, any node), loads each new or changed message once
//! and hands it to every live connection here; each connection shows its
//! person only what they may see. Who is in a room (presence) is counted per
//! node.

mod socket;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use hearth_core::model::SpaceId;
use hearth_store::chat::Message;
use hearth_store::events::Event;
use serde::Serialize;
use tokio::sync::broadcast;

pub use socket::live;

use crate::App;

/// Frames a slow connection may fall behind before it must catch up.
const BUFFERED: usize = 1024;

/// What the hub hands to connections.
#[derive(Debug)]
pub enum Frame {
    Message(Box<Message>),
    Typing {
        room: SpaceId,
        alias: String,
    },
    Presence {
        room: SpaceId,
        here: Vec<String>,
    },
    /// Events may have been missed: catch up from the database.
    Resync,
}

#[derive(Clone)]
pub struct Hub {
    frames: broadcast::Sender<Arc<Frame>>,
    /// Per room: how many live connections each alias has on this node.
    here: Arc<Mutex<HashMap<SpaceId, BTreeMap<String, usize>>>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            frames: broadcast::channel(BUFFERED).0,
            here: Default::default(),
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
                            Ok(Some(m)) => hub.send(Frame::Message(Box::new(m))),
                            Ok(None) => {}
                            Err(e) => {
                                tracing::warn!(error = %e, "a chat message could not be loaded");
                                hub.send(Frame::Resync);
                            }
                        }
                    }
                    Event::Typing { room, alias } => hub.send(Frame::Typing { room, alias }),
                    Event::Resync => hub.send(Frame::Resync),
                }
            }
        });
    }

    /// Counts a person in (or, with `false`, out of) a room and tells the room.
    fn count(&self, room: SpaceId, alias: &str, arrived: bool) {
        let here = {
            let Ok(mut rooms) = self.here.lock() else {
                return;
            };
            let people = rooms.entry(room).or_default();
            if arrived {
                *people.entry(alias.to_owned()).or_default() += 1;
            } else if let Some(n) = people.get_mut(alias) {
                *n -= 1;
                if *n == 0 {
                    people.remove(alias);
                }
            }
            people.keys().cloned().collect()
        };
        self.send(Frame::Presence { room, here });
    }
}

/// A message as the live room sends it; the page builds its list item.
#[derive(Serialize)]
struct MessageOut<'a> {
    id: i64,
    author: &'a str,
    author_href: Option<String>,
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
    /// A question waiting for the next session (only its author and staff
    /// get it); the page lists it apart from the room's messages.
    question: bool,
    /// This person may pick the question up.
    can_pick_up: bool,
    /// A question picked up in a session: when it was asked.
    asked_iso: Option<String>,
    asked_text: Option<String>,
    /// The id this message had while it waited as a question: a page that
    /// shows that one replaces it.
    replaces: Option<i64>,
}
