//! Chat over WebSocket. The hub hears the store's change events (from this
//! node or, on PostgreSQL, any node), loads each new or changed message once
//! and hands it to every live connection here; each connection shows its
//! person only what they may see. Who is in a room (presence) is counted per
//! node; on PostgreSQL each node tells the others its lists (`presence`).
//!
//! Built for a room of ten thousand: each frame's JSON is written once for
//! all who see it alike (`LiveMessage`), presence at most once a second, and
//! live connections run on a runtime of their own (`Connections`).

mod presence;
mod socket;

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use hearth_core::model::{AccountId, ChatReaction, SpaceId};
use hearth_store::chat::Message;
use hearth_store::events::Event;
use hearth_store::{Backend, Store};
use serde::Serialize;
use tokio::sync::{Notify, broadcast};

use presence::Presence;
pub use socket::live;

use crate::App;
use crate::web::views::{Author, Moment, ReactionView};

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
    /// A room hears who is in it at most this often (at once when it was
    /// quiet for as long), and the other nodes hear of this node's changes
    /// at most as often.
    pub presence_news: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            session_check: Duration::from_secs(30),
            presence_every: Duration::from_secs(15),
            // Three rounds missed, not one late NOTIFY.
            presence_stale: Duration::from_secs(45),
            presence_news: Duration::from_secs(1),
        }
    }
}

/// What the hub hands to connections, each frame's JSON written once.
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

/// How one reader sees a message: all that differs between readers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Audience {
    /// They wrote it (may edit and delete it).
    pub own: bool,
    /// They moderate here: they see a deleted message's words and its
    /// earlier versions.
    pub moderator: bool,
    /// They review (staff, moderators): they may pick up a question.
    pub reviewer: bool,
    /// The reactions they chose, one bit per `ChatReaction::ALL` kind.
    pub mine: u8,
}

/// A new or changed message, with its frame for each audience, written when
/// first needed: a room of ten thousand mostly needs one or two.
#[derive(Debug)]
pub struct LiveMessage {
    message: Message,
    /// What a change of it looks like to any reader (without `mine`).
    state: u64,
    /// For readers who chose none of its reactions, by own, moderator and
    /// reviewer: nearly everyone, without a lock.
    plain: [OnceLock<Utf8Bytes>; 8],
    /// For the few who chose some.
    reacted: Mutex<Vec<(Audience, Utf8Bytes)>>,
}

impl LiveMessage {
    pub fn new(message: Message) -> Self {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut digest = DefaultHasher::new();
        (
            message.held,
            message.waiting,
            message.deleted_at,
            message.edited_at,
        )
            .hash(&mut digest);
        for r in &message.reactions {
            (r.reaction, r.accounts.len()).hash(&mut digest);
        }
        Self {
            state: digest.finish(),
            message,
            plain: Default::default(),
            reacted: Mutex::default(),
        }
    }

    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The reactions `account` chose, as `Audience::mine`.
    pub fn mine(&self, account: Option<AccountId>) -> u8 {
        if account.is_none() {
            return 0;
        }
        ChatReaction::ALL
            .into_iter()
            .enumerate()
            .filter(|(_, kind)| self.message.chose(*kind, account))
            .fold(0, |bits, (i, _)| bits | 1 << i)
    }

    /// How the message looks to a reader who chose `mine`: equal digests,
    /// nothing new to send (the four `mine` bits exactly, the rest hashed).
    pub fn digest(&self, mine: u8) -> u64 {
        (self.state & !0xf) | u64::from(mine & 0xf)
    }

    /// The message frame for one audience.
    pub fn frame(&self, audience: Audience) -> Utf8Bytes {
        if audience.mine == 0 {
            let slot = usize::from(audience.own)
                | usize::from(audience.moderator) << 1
                | usize::from(audience.reviewer) << 2;
            return self.plain[slot]
                .get_or_init(|| message_frame(&self.message, audience))
                .clone();
        }
        // A panic while encoding leaves the list usable.
        let mut reacted = self.reacted.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, text)) = reacted.iter().find(|(a, _)| *a == audience) {
            return text.clone();
        }
        let text = message_frame(&self.message, audience);
        reacted.push((audience, text.clone()));
        text
    }
}

#[derive(Clone)]
pub struct Hub {
    frames: broadcast::Sender<Arc<Frame>>,
    /// This node's name in presence announcements (random at start-up).
    node: u64,
    presence: Arc<Mutex<Presence>>,
    /// Wakes the presence task: a room's people changed.
    news: Arc<Notify>,
    connections: Arc<Connections>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            frames: broadcast::channel(BUFFERED).0,
            node: rand::random(),
            presence: Default::default(),
            news: Default::default(),
            connections: Default::default(),
        }
    }
}

/// The runtime live connections run on, started with the first one; none
/// if it could not be started (they then run on the server's).
///
/// Each message wakes every connection in its room. On the server's
/// runtime, ten thousand wake-ups would queue ahead of every database step
/// of the requests, among them the sending of the next message: each step
/// would wait for a whole fan-out. The connections hand their database work
/// back to the server's runtime.
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
                        let text = serde_json::json!({"type": "typing", "alias": alias})
                            .to_string()
                            .into();
                        hub.send(Frame::Typing { room, alias, text });
                    }
                    Event::Presence {
                        room,
                        node,
                        here,
                        more,
                    } => {
                        if node != hub.node {
                            hub.presence().heard(room, node, here, more, Instant::now());
                            hub.news.notify_one();
                        }
                    }
                    Event::Resync => hub.send(Frame::Resync),
                }
            }
        });
        self.keep_presence(app);
    }

    fn presence(&self) -> MutexGuard<'_, Presence> {
        // A panic while counting leaves the counts usable.
        self.presence.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a person in (or, with `false`, out of) a room; the room and
    /// the other nodes hear of it soon (`keep_presence`). Someone arriving
    /// gets the room's last presence frame now, if it has one.
    fn count(&self, room: SpaceId, alias: &str, arrived: bool) -> Option<Utf8Bytes> {
        let told = {
            let mut presence = self.presence();
            presence.count(room, alias, arrived);
            presence.told(room).filter(|_| arrived)
        };
        self.news.notify_one();
        told
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

    /// For as long as the app runs: tells rooms (and the other nodes) of
    /// changes in who is there, at most once per `presence_news` each; and
    /// every `presence_every`, forgets the nodes gone quiet and tells the
    /// others who is here.
    fn keep_presence(&self, app: &App) {
        let hub = self.clone();
        let store = app.store().clone();
        let tuning = app.config().live.clone();
        let mut closed = store.closed();
        tokio::spawn(async move {
            let mut round = tokio::time::interval(tuning.presence_every);
            let mut next: Option<Instant> = None;
            loop {
                let wait = async {
                    match next {
                        Some(at) => tokio::time::sleep_until(at.into()).await,
                        None => std::future::pending().await,
                    }
                };
                let round_due = tokio::select! {
                    _ = round.tick() => true,
                    _ = hub.news.notified() => false,
                    _ = wait => false,
                    _ = closed.wait_for(|c| *c) => return,
                };
                if round_due {
                    let rooms = {
                        let mut presence = hub.presence();
                        presence.forget_stale(Instant::now(), tuning.presence_stale);
                        presence.local_rooms()
                    };
                    for room in rooms {
                        hub.announce(&store, room).await;
                    }
                }
                let due = hub.presence().due(Instant::now(), tuning.presence_news);
                for (room, text) in due.tell {
                    hub.send(Frame::Presence { room, text });
                }
                for room in due.announce {
                    hub.announce(&store, room).await;
                }
                next = due.next;
            }
        });
    }
}

/// A message frame as one audience sees it; the page builds its list item.
fn message_frame(m: &Message, audience: Audience) -> Utf8Bytes {
    let Audience {
        own,
        moderator,
        reviewer,
        mine,
    } = audience;
    let deleted = m.deleted_at.is_some();
    let author = Author::new(m.author_alias.as_ref(), m.author_role, None);
    let sent = Moment::from_ms(m.created_at);
    let asked = m.asked_at.map(Moment::from_ms);
    let out = MessageOut {
        id: m.id,
        author: &author.name,
        author_href: author.href.as_deref(),
        badge: author.badge,
        // A deleted message's words stay for moderators only.
        html: if deleted && !moderator {
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
        can_pick_up: m.waiting && !deleted && reviewer,
        asked_iso: asked.as_ref().map(|a| a.iso.clone()),
        asked_text: asked.map(|a| a.text),
        replaces: m.asked_as,
        edited: m.edited_at.is_some(),
        edited_iso: m.edited_at.map(|t| Moment::from_ms(t).iso),
        markdown: (own && !deleted).then_some(m.body_md.as_str()),
        history: m.edited_at.is_some() && (own || moderator),
        reactions: ReactionView::with(m, true, |kind| {
            ChatReaction::ALL
                .iter()
                .position(|k| *k == kind)
                .is_some_and(|i| mine & 1 << i != 0)
        }),
    };
    serde_json::to_string(&MessageFrame {
        kind: "message",
        message: out,
    })
    .unwrap_or_default()
    .into()
}

#[derive(Serialize)]
struct MessageFrame<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    message: MessageOut<'a>,
}

/// A message as the live room sends it; the page builds its list item.
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

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_core::model::{Alias, Role};
    use hearth_store::chat::Reactions;

    fn live(deleted: bool) -> LiveMessage {
        LiveMessage::new(Message {
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
            waiting: false,
            asked_at: None,
            asked_as: None,
            created_at: 1_700_000_000_000,
            edited_at: None,
            deleted_at: deleted.then_some(1_700_000_001_000),
            reactions: vec![Reactions {
                reaction: ChatReaction::Heart,
                accounts: vec![AccountId(4), AccountId(5)],
            }],
        })
    }

    fn json(text: &Utf8Bytes) -> serde_json::Value {
        serde_json::from_str(text.as_str()).unwrap()
    }

    const READER: Audience = Audience {
        own: false,
        moderator: false,
        reviewer: false,
        mine: 0,
    };

    #[test]
    fn a_message_is_written_once_for_each_way_of_seeing_it() {
        let deleted = live(true);
        let first = deleted.frame(READER);
        assert_eq!(
            first.as_str().as_ptr(),
            deleted.frame(READER).as_str().as_ptr(),
            "the same bytes for every reader who sees it alike"
        );
        let v = json(&first);
        assert_eq!(v["type"], "message");
        assert_eq!(
            v["message"]["html"], "",
            "a deleted message's words are withheld"
        );
        assert_eq!(v["message"]["deleted"], true);
        assert_eq!(v["message"]["own"], false);
        let moderator = json(&deleted.frame(Audience {
            moderator: true,
            ..READER
        }));
        assert_eq!(moderator["message"]["html"], "<p>hello</p>");

        let author = json(&live(false).frame(Audience {
            own: true,
            ..READER
        }));
        assert_eq!(author["message"]["own"], true);
        assert_eq!(author["message"]["markdown"], "hello");
    }

    #[test]
    fn only_those_who_reacted_see_their_reaction_as_theirs() {
        let m = live(false);
        assert_eq!(m.mine(Some(AccountId(4))), 0b10, "heart is the second kind");
        assert_eq!(m.mine(Some(AccountId(6))), 0);
        assert_eq!(m.mine(None), 0);
        let heart =
            |audience: Audience| json(&m.frame(audience))["message"]["reactions"][1].clone();
        let theirs = heart(Audience {
            mine: m.mine(Some(AccountId(4))),
            ..READER
        });
        assert_eq!(theirs["count"], 2);
        assert_eq!(theirs["mine"], true);
        assert_eq!(theirs["label"], "2 people reacted with heart; you did");
        let others = heart(READER);
        assert_eq!(others["count"], 2);
        assert_eq!(others["mine"], false);
        // Whether it changed for a reader: by its state and their reactions.
        assert_ne!(m.digest(0), m.digest(0b10));
        assert_eq!(m.digest(0), live(false).digest(0));
        assert_ne!(m.digest(0), live(true).digest(0));
    }
}
