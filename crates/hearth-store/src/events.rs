//! Change events: a chat message was written or changed, someone is typing,
//! who is in a room on a node. An event carries ids (and public aliases)
//! only; whoever hears it loads what its reader may see. On SQLite (one node) events go
//! through a channel in memory; on PostgreSQL through NOTIFY and LISTEN, so
//! that every node, this one included, hears each event once.
//!
//! A node's listener that loses its connection may miss events; when it is
//! back it says `Resync`, and each client catches up from its cursor.

use std::time::Duration;

use hearth_core::model::SpaceId;
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, watch};

/// The PostgreSQL channel.
pub const CHANNEL: &str = "hearth_events";
/// Events a slow subscriber may fall behind before it must resync.
const BUFFERED: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A new chat message.
    ChatMessage { room: SpaceId, id: i64 },
    /// A chat message was edited, reacted to, deleted or approved.
    ChatChanged { room: SpaceId, id: i64 },
    /// Someone is typing in a room (nothing is stored).
    Typing { room: SpaceId, alias: String },
    /// Who is in a room through one node (nothing is stored): each node
    /// says so when it changes and every little while, and the others put
    /// the nodes' lists together. `more` are there beyond the listed
    /// aliases, which are cut to keep the payload small.
    Presence {
        room: SpaceId,
        node: u64,
        here: Vec<String>,
        more: usize,
    },
    /// Events may have been missed: catch up from the database.
    Resync,
}

impl Event {
    /// The NOTIFY payload: short text, ids only.
    pub fn encode(&self) -> String {
        match self {
            Event::ChatMessage { room, id } => format!("m {} {id}", room.0),
            Event::ChatChanged { room, id } => format!("c {} {id}", room.0),
            Event::Typing { room, alias } => format!("t {} {alias}", room.0),
            Event::Presence {
                room,
                node,
                here,
                more,
            } => {
                let mut text = format!("p {} {node:x} {more}", room.0);
                for alias in here {
                    text.push(' ');
                    text.push_str(alias);
                }
                text
            }
            Event::Resync => "r".into(),
        }
    }

    pub fn decode(payload: &str) -> Option<Self> {
        let mut parts = payload.splitn(3, ' ');
        let kind = parts.next()?;
        if kind == "r" {
            return Some(Event::Resync);
        }
        let room = SpaceId(parts.next()?.parse().ok()?);
        let rest = parts.next()?;
        match kind {
            "m" => Some(Event::ChatMessage {
                room,
                id: rest.parse().ok()?,
            }),
            "c" => Some(Event::ChatChanged {
                room,
                id: rest.parse().ok()?,
            }),
            "t" => Some(Event::Typing {
                room,
                alias: rest.to_owned(),
            }),
            "p" => {
                let mut words = rest.split(' ').filter(|w| !w.is_empty());
                Some(Event::Presence {
                    room,
                    node: u64::from_str_radix(words.next()?, 16).ok()?,
                    more: words.next()?.parse().ok()?,
                    here: words.map(str::to_owned).collect(),
                })
            }
            _ => None,
        }
    }
}

/// This node's side of the events: everyone here subscribes to it.
#[derive(Clone)]
pub struct Events {
    local: broadcast::Sender<Event>,
    /// True once the store is closed: listeners stop.
    closed: watch::Sender<bool>,
}

impl Default for Events {
    fn default() -> Self {
        Self {
            local: broadcast::channel(BUFFERED).0,
            closed: watch::channel(false).0,
        }
    }
}

impl Events {
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }

    /// Becomes true when the store closes.
    pub fn closed(&self) -> watch::Receiver<bool> {
        self.closed.subscribe()
    }

    pub(crate) fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Hands an event to this node's subscribers (none listening is fine).
    pub(crate) fn deliver(&self, event: Event) {
        let _ = self.local.send(event);
    }

    /// Listens on PostgreSQL for every node's events, for as long as the
    /// process runs, reconnecting when the connection drops.
    pub(crate) fn listen(&self, url: String) {
        let events = self.clone();
        let mut closed = self.closed();
        tokio::spawn(async move {
            tokio::select! {
                _ = closed.wait_for(|c| *c) => {}
                _ = events.keep_listening(url) => {}
            }
        });
    }

    async fn keep_listening(&self, url: String) {
        let mut wait = Duration::from_millis(200);
        loop {
            match PgListener::connect(&url).await {
                Ok(mut listener) => {
                    if listener.listen(CHANNEL).await.is_ok() {
                        wait = Duration::from_millis(200);
                        // Whatever was sent while no one listened.
                        self.deliver(Event::Resync);
                        self.pass_on(&mut listener).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot listen for events; trying again"),
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(10));
        }
    }

    /// Passes notifications on until the connection is lost.
    async fn pass_on(&self, listener: &mut PgListener) {
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => match Event::decode(n.payload()) {
                    Some(event) => self.deliver(event),
                    None => tracing::warn!(payload = n.payload(), "an event no one knows"),
                },
                Ok(None) => {
                    tracing::warn!("the event listener lost its connection");
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the event listener failed");
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_back_from_their_payload() {
        for event in [
            Event::ChatMessage {
                room: SpaceId(3),
                id: 42,
            },
            Event::ChatChanged {
                room: SpaceId(3),
                id: 7,
            },
            Event::Typing {
                room: SpaceId(1),
                alias: "nurse_anna".into(),
            },
            Event::Presence {
                room: SpaceId(2),
                node: 0xfeed_beef_0123_4567,
                here: vec!["nurse_anna".into(), "rose".into()],
                more: 3,
            },
            Event::Presence {
                room: SpaceId(2),
                node: 7,
                here: Vec::new(),
                more: 0,
            },
            Event::Resync,
        ] {
            assert_eq!(Event::decode(&event.encode()), Some(event));
        }
        assert_eq!(Event::decode("m x 1"), None);
        assert_eq!(Event::decode("p 1 zz 0 rose"), None);
        assert_eq!(Event::decode(""), None);
    }
}
