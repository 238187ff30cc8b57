//! Chat over WebSocket. The hub hears the store's change events (from this
//! node or, on PostgreSQL, any node), loads each new or changed message once
//! and hands it to every live connection here; each connection shows its
//! person only what they may see. Who is in a room (presence) is counted per
//! node; on PostgreSQL each node tells the others its lists (`presence`).

mod presence;
mod socket;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hearth_core::model::SpaceId;
use hearth_store::chat::Message;
use hearth_store::events::Event;
use hearth_store::{Backend, Store};
use serde::Serialize;
use tokio::sync::broadcast;

use presence::Presence;
pub use socket::live;

use crate::App;

/// Frames a slow connection may fall behind before it must catch up.
const BUFFERED: usize = 1024;

/// The live chat's timings (not read from the environment).
#[derive(Clone, Debug)]
pub struct Tuning {
    /// How often a connection checks that its session still holds (a
    /// signed-out one is closed with code 4001), and pings.
    pub session_check: Duration,
    /// How often a node tells the others who is in its rooms, beyond
    /// telling them of each change (PostgreSQL).
    pub presence_every: Duration,
    /// A node not heard from for this long is taken to be gone, and the
    /// people it had with it.
    pub presence_stale: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            session_check: Duration::from_secs(30),
            presence_every: Duration::from_secs(15),
            // Three rounds missed, not one late NOTIFY.
            presence_stale: Duration::from_secs(45),
        }
    }
}

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
        /// People beyond those listed (other nodes list a crowd in part).
        more: usize,
    },
    /// Events may have been missed: catch up from the database.
    Resync,
}

#[derive(Clone)]
pub struct Hub {
    frames: broadcast::Sender<Arc<Frame>>,
    /// This node's name in presence announcements (random at start-up).
    node: u64,
    presence: Arc<Mutex<Presence>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            frames: broadcast::channel(BUFFERED).0,
            node: rand::random(),
            presence: Default::default(),
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
                    Event::Presence {
                        room,
                        node,
                        here,
                        more,
                    } => hub.heard(&store, room, node, here, more),
                    Event::Resync => hub.send(Frame::Resync),
                }
            }
        });
        self.keep_presence_fresh(app);
    }

    fn presence(&self) -> MutexGuard<'_, Presence> {
        // A panic while counting leaves the counts usable.
        self.presence.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a person in (or, with `false`, out of) a room and tells the
    /// room, here and on the other nodes.
    async fn count(&self, store: &Store, room: SpaceId, alias: &str, arrived: bool) {
        self.presence().count(room, alias, arrived);
        self.tell(room, true);
        self.announce(store, room).await;
    }

    /// Tells this node's connections in a room who is there (if it is news,
    /// or `always`).
    fn tell(&self, room: SpaceId, always: bool) {
        let told = self.presence().tell(room, always);
        if let Some(here) = told {
            self.send(Frame::Presence {
                room,
                here: here.aliases,
                more: here.more,
            });
        }
    }

    /// Tells the other nodes who is in a room through this one. On SQLite
    /// there is one node, and no one to tell.
    async fn announce(&self, store: &Store, room: SpaceId) {
        if store.backend() != Backend::Postgres {
            return;
        }
        let (here, more) = self.presence().announcement(room);
        let event = Event::Presence {
            room,
            node: self.node,
            here,
            more,
        };
        if let Err(e) = store.publish(event).await {
            tracing::warn!(error = %e, "presence was not announced");
        }
    }

    /// Another node's list for a room. A node not known until now hears
    /// this node's lists at once, so that it need not wait for a round.
    fn heard(&self, store: &Store, room: SpaceId, node: u64, here: Vec<String>, more: usize) {
        if node == self.node {
            return;
        }
        let new = self
            .presence()
            .heard(room, node, here, more, Instant::now());
        self.tell(room, false);
        if new {
            let (hub, store) = (self.clone(), store.clone());
            tokio::spawn(async move {
                let rooms = hub.presence().local_rooms();
                for room in rooms {
                    hub.announce(&store, room).await;
                }
            });
        }
    }

    /// Every `presence_every`: forgets the nodes gone quiet and tells the
    /// others who is here, for as long as the app runs.
    fn keep_presence_fresh(&self, app: &App) {
        let hub = self.clone();
        let store = app.store().clone();
        let tuning = app.config().live.clone();
        let mut closed = store.closed();
        tokio::spawn(async move {
            let mut round = tokio::time::interval(tuning.presence_every);
            loop {
                tokio::select! {
                    _ = round.tick() => {}
                    _ = closed.wait_for(|c| *c) => return,
                }
                let (gone, rooms) = {
                    let mut presence = hub.presence();
                    let gone = presence.forget_stale(Instant::now(), tuning.presence_stale);
                    (gone, presence.local_rooms())
                };
                for room in gone {
                    hub.tell(room, false);
                }
                for room in rooms {
                    hub.announce(&store, room).await;
                }
            }
        });
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
    /// This person wrote it (may edit and delete it).
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
    /// Changed since it was sent (at `edited_iso`).
    edited: bool,
    edited_iso: Option<String>,
    /// The text as written, for its author to edit (their own only).
    markdown: Option<&'a str>,
    /// This person may see its earlier versions (its author, moderators).
    history: bool,
    /// Every kind, in order, with counts (0 too).
    reactions: Vec<crate::web::views::ReactionView>,
}
