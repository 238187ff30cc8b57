//! Who is in each room: this node's live connections, counted per alias,
//! put together with what the other nodes last said of theirs. A node that
//! has not been heard from for a while (it crashed, or lost its database
//! connection) is forgotten with everyone it had.
//!
//! A room is told of a change at most once per `every` (`due`): ten
//! thousand people arriving one by one would otherwise send each of them up
//! to ten thousand lists. Its frame is encoded once, names the first `NAMED`
//! aliases and counts the rest.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use hearth_core::model::SpaceId;

/// The most bytes of aliases one announcement carries: PostgreSQL's NOTIFY
/// takes at most 8,000, and a room with thousands in it need not list
/// them all to say who is here.
pub const ANNOUNCED_BYTES: usize = 6000;
/// Aliases a presence frame names (in alphabetical order); `more` counts
/// the others, and the page says "and N more".
pub const NAMED: usize = 50;

/// Who is in a room, as clients are told.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Here {
    /// Sorted, each once, at most `NAMED`.
    pub aliases: Vec<String>,
    /// People beyond those listed.
    pub more: usize,
}

impl Here {
    fn is_empty(&self) -> bool {
        self.aliases.is_empty() && self.more == 0
    }

    /// The presence frame, as every client in the room gets it.
    pub fn frame(&self) -> Utf8Bytes {
        serde_json::json!({"type": "presence", "here": self.aliases, "more": self.more})
            .to_string()
            .into()
    }
}

/// What another node last said about one room.
struct Heard {
    at: Instant,
    aliases: Vec<String>,
    more: usize,
}

/// How a room's clients and the other nodes have been told of it.
#[derive(Default)]
struct Telling {
    /// What its clients were last told, and the frame (for whoever arrives
    /// next); none while the room is empty.
    told: Option<(Here, Utf8Bytes)>,
    /// When its news last went out.
    at: Option<Instant>,
    /// Its people changed since.
    changed: bool,
    /// Its people on this node changed since the other nodes were told.
    local: bool,
}

/// What is due now (`Presence::due`).
#[derive(Debug, Default)]
pub struct Due {
    /// Rooms to tell their clients, with the frame.
    pub tell: Vec<(SpaceId, Utf8Bytes)>,
    /// Rooms whose people on this node the other nodes should hear of.
    pub announce: Vec<SpaceId>,
    /// When the next room with news may be told.
    pub next: Option<Instant>,
}

#[derive(Default)]
pub struct Presence {
    /// Per room: how many live connections each alias has on this node.
    local: HashMap<SpaceId, BTreeMap<String, usize>>,
    /// Per room and node: that node's last word.
    remote: HashMap<SpaceId, HashMap<u64, Heard>>,
    /// Each other node, when it was last heard from.
    nodes: HashMap<u64, Instant>,
    tellings: HashMap<SpaceId, Telling>,
}

impl Presence {
    /// Counts a connection in (or, with `false`, out of) a room.
    pub fn count(&mut self, room: SpaceId, alias: &str, arrived: bool) {
        let people = self.local.entry(room).or_default();
        if arrived {
            *people.entry(alias.to_owned()).or_default() += 1;
        } else if let Some(n) = people.get_mut(alias) {
            *n -= 1;
            if *n == 0 {
                people.remove(alias);
            }
        }
        if people.is_empty() {
            self.local.remove(&room);
        }
        self.changed(room, true);
    }

    fn changed(&mut self, room: SpaceId, local: bool) {
        let telling = self.tellings.entry(room).or_default();
        telling.changed = true;
        telling.local |= local;
    }

    /// The frame a room's clients were last told: for one who has just
    /// arrived, at once (news follows within `every`).
    pub fn told(&self, room: SpaceId) -> Option<Utf8Bytes> {
        let (_, frame) = self.tellings.get(&room)?.told.as_ref()?;
        Some(frame.clone())
    }

    /// This node's people in a room, as it announces them: sorted, cut to
    /// `ANNOUNCED_BYTES`, with how many were left out.
    pub fn announcement(&self, room: SpaceId) -> (Vec<String>, usize) {
        let Some(people) = self.local.get(&room) else {
            return (Vec::new(), 0);
        };
        let mut listed = Vec::new();
        let mut bytes = 0;
        for alias in people.keys() {
            bytes += alias.len() + 1;
            if bytes > ANNOUNCED_BYTES {
                break;
            }
            listed.push(alias.clone());
        }
        let more = people.len() - listed.len();
        (listed, more)
    }

    /// The rooms this node has people in.
    pub fn local_rooms(&self) -> Vec<SpaceId> {
        self.local.keys().copied().collect()
    }

    /// Takes in another node's list for a room. A node not known until now
    /// has just started (or come back): it hears this node's lists with the
    /// next news rather than at the next round.
    pub fn heard(
        &mut self,
        room: SpaceId,
        node: u64,
        aliases: Vec<String>,
        more: usize,
        now: Instant,
    ) {
        if self.nodes.insert(node, now).is_none() {
            for room in self.local_rooms() {
                self.changed(room, true);
            }
        }
        let rooms = self.remote.entry(room).or_default();
        if aliases.is_empty() && more == 0 {
            rooms.remove(&node);
        } else {
            rooms.insert(
                node,
                Heard {
                    at: now,
                    aliases,
                    more,
                },
            );
        }
        if rooms.is_empty() {
            self.remote.remove(&room);
        }
        self.changed(room, false);
    }

    /// Forgets what nodes not heard from within `stale` said; the rooms
    /// whose people changed have news.
    pub fn forget_stale(&mut self, now: Instant, stale: Duration) {
        let fresh = |at: Instant| now.saturating_duration_since(at) <= stale;
        self.nodes.retain(|_, at| fresh(*at));
        let mut changed = Vec::new();
        self.remote.retain(|room, nodes| {
            let before = nodes.len();
            nodes.retain(|_, heard| fresh(heard.at));
            if nodes.len() != before {
                changed.push(*room);
            }
            !nodes.is_empty()
        });
        for room in changed {
            self.changed(room, false);
        }
    }

    /// Everyone in a room, on every node: the first `NAMED` aliases, and
    /// how many more. Costs the other nodes' (short) lists, not the room.
    pub fn here(&self, room: SpaceId) -> Here {
        let empty = BTreeMap::new();
        let local = self.local.get(&room).unwrap_or(&empty);
        let mut remote = BTreeSet::new();
        let mut more = 0;
        for heard in self.remote.get(&room).into_iter().flat_map(|n| n.values()) {
            remote.extend(
                heard
                    .aliases
                    .iter()
                    .map(String::as_str)
                    .filter(|a| !local.contains_key(*a)),
            );
            more += heard.more;
        }
        let mut aliases: Vec<&str> = local
            .keys()
            .map(String::as_str)
            .take(NAMED)
            .chain(remote.iter().copied().take(NAMED))
            .collect();
        aliases.sort_unstable();
        aliases.truncate(NAMED);
        Here {
            more: more + local.len() + remote.len() - aliases.len(),
            aliases: aliases.into_iter().map(str::to_owned).collect(),
        }
    }

    /// The news due at `now`: each room whose people changed and that has
    /// not been told within `every` is told now (if what its clients would
    /// hear is new to them) and announced to the other nodes (if its people
    /// here changed).
    pub fn due(&mut self, now: Instant, every: Duration) -> Due {
        let mut due = Due::default();
        let mut ready = Vec::new();
        for (room, telling) in &mut self.tellings {
            if !telling.changed {
                continue;
            }
            match telling.at.map(|at| at + every) {
                Some(allowed) if now < allowed => {
                    due.next = Some(due.next.map_or(allowed, |next| next.min(allowed)));
                }
                _ => {
                    telling.changed = false;
                    telling.at = Some(now);
                    if std::mem::take(&mut telling.local) {
                        due.announce.push(*room);
                    }
                    ready.push(*room);
                }
            }
        }
        for room in ready {
            let here = self.here(room);
            let telling = self.tellings.entry(room).or_default();
            if telling.told.as_ref().map(|(told, _)| told) == Some(&here)
                || (telling.told.is_none() && here.is_empty())
            {
                continue;
            }
            let frame = here.frame();
            due.tell.push((room, frame.clone()));
            telling.told = (!here.is_empty()).then_some((here, frame));
        }
        // A room quiet for longer than `every` and empty is forgotten.
        self.tellings.retain(|_, t| {
            t.changed || t.told.is_some() || t.at.is_some_and(|at| now < at + every)
        });
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: SpaceId = SpaceId(1);
    const EVERY: Duration = Duration::from_secs(1);

    fn names(here: &Here) -> Vec<&str> {
        here.aliases.iter().map(String::as_str).collect()
    }

    /// The frames due at `now`, as JSON.
    fn told(p: &mut Presence, now: Instant) -> Vec<serde_json::Value> {
        p.due(now, EVERY)
            .tell
            .iter()
            .map(|(_, frame)| serde_json::from_str(frame.as_str()).unwrap())
            .collect()
    }

    #[test]
    fn a_room_holds_the_people_of_every_node_once() {
        let mut p = Presence::default();
        let now = Instant::now();
        p.count(ROOM, "rose", true);
        p.count(ROOM, "rose", true);
        p.heard(ROOM, 7, vec!["rose".into(), "sam".into()], 0, now);
        p.heard(SpaceId(2), 7, vec!["lily".into()], 0, now);
        assert_eq!(names(&p.here(ROOM)), ["rose", "sam"]);
        // One of rose's two tabs closes: she is still here.
        p.count(ROOM, "rose", false);
        assert_eq!(names(&p.here(ROOM)), ["rose", "sam"]);
        p.count(ROOM, "rose", false);
        p.heard(ROOM, 7, vec!["sam".into()], 0, now);
        assert_eq!(names(&p.here(ROOM)), ["sam"]);
        // A node that empties its list leaves nothing behind.
        p.heard(ROOM, 7, Vec::new(), 0, now);
        assert_eq!(p.here(ROOM), Here::default());
    }

    #[test]
    fn a_node_not_heard_from_is_forgotten_with_its_people() {
        let mut p = Presence::default();
        let start = Instant::now();
        p.count(ROOM, "rose", true);
        p.heard(ROOM, 7, vec!["ghost".into()], 2, start);
        p.heard(
            ROOM,
            8,
            vec!["sam".into()],
            0,
            start + Duration::from_secs(20),
        );
        assert_eq!(p.here(ROOM).more, 2);
        p.due(start, EVERY);
        p.forget_stale(start + Duration::from_secs(31), Duration::from_secs(30));
        assert_eq!(names(&p.here(ROOM)), ["rose", "sam"]);
        assert_eq!(p.here(ROOM).more, 0);
        let told = told(&mut p, start + Duration::from_secs(31));
        assert_eq!(told.len(), 1, "the room hears that ghost and two more left");
        assert_eq!(told[0]["here"], serde_json::json!(["rose", "sam"]));
        // Node 7 comes back: it is new again, and will hear this node's lists.
        p.heard(
            ROOM,
            7,
            vec!["ghost".into()],
            0,
            start + Duration::from_secs(32),
        );
        assert_eq!(
            p.due(start + Duration::from_secs(33), EVERY).announce,
            [ROOM]
        );
    }

    #[test]
    fn a_room_is_told_at_most_once_a_second_with_the_news_as_it_is_then() {
        let mut p = Presence::default();
        let start = Instant::now();
        p.count(ROOM, "rose", true);
        let first = told(&mut p, start);
        assert_eq!(first.len(), 1, "a quiet room hears of an arrival at once");
        assert_eq!(first[0]["here"], serde_json::json!(["rose"]));
        assert_eq!(p.told(ROOM).unwrap().as_str(), first[0].to_string());

        p.count(ROOM, "sam_k", true);
        p.count(ROOM, "ana", true);
        let soon = start + Duration::from_millis(300);
        let due = p.due(soon, EVERY);
        assert!(due.tell.is_empty(), "no second telling within a second");
        assert!(due.announce.is_empty());
        assert_eq!(due.next, Some(start + EVERY));

        let later = told(&mut p, start + EVERY);
        assert_eq!(later.len(), 1, "both arrivals in one telling");
        assert_eq!(
            later[0]["here"],
            serde_json::json!(["ana", "rose", "sam_k"])
        );
        assert_eq!(later[0]["more"], 0);
        assert!(told(&mut p, start + 3 * EVERY).is_empty(), "nothing new");
    }

    #[test]
    fn an_arrival_that_changes_nothing_tells_no_one() {
        let mut p = Presence::default();
        let start = Instant::now();
        p.count(ROOM, "rose", true);
        told(&mut p, start);
        // Her second tab: the newcomer gets the last frame itself.
        p.count(ROOM, "rose", true);
        assert!(told(&mut p, start + 2 * EVERY).is_empty());
        assert!(p.told(ROOM).is_some());
        // The room empties: told once, then forgotten.
        p.count(ROOM, "rose", false);
        p.count(ROOM, "rose", false);
        let empty = told(&mut p, start + 4 * EVERY);
        assert_eq!(empty[0]["here"], serde_json::json!([]));
        assert!(p.told(ROOM).is_none());
        p.due(start + 6 * EVERY, EVERY);
        assert!(p.tellings.is_empty(), "an empty, quiet room is forgotten");
    }

    #[test]
    fn a_busy_room_names_the_first_aliases_and_counts_the_rest_on_every_node() {
        let mut p = Presence::default();
        for i in 0..40 {
            p.count(ROOM, &format!("member_{i:03}"), true);
        }
        // Another node: ten of the same people, twenty others, and five it left out.
        let theirs: Vec<String> = (30..60).map(|i| format!("member_{i:03}")).collect();
        p.heard(ROOM, 7, theirs, 5, Instant::now());
        let here = p.here(ROOM);
        assert_eq!(here.aliases.len(), NAMED);
        assert_eq!(here.aliases[0], "member_000", "alphabetical");
        assert_eq!(here.aliases[NAMED - 1], "member_049");
        assert_eq!(here.more, 60 - NAMED + 5);
        let frame: serde_json::Value = serde_json::from_str(here.frame().as_str()).unwrap();
        assert_eq!(frame["type"], "presence");
        assert_eq!(frame["more"], 15);
    }

    #[test]
    fn a_crowded_room_is_announced_in_part_with_how_many_more() {
        let mut p = Presence::default();
        for i in 0..2000 {
            p.count(ROOM, &format!("member_{i:05}"), true);
        }
        let (listed, more) = p.announcement(ROOM);
        let bytes: usize = listed.iter().map(|a| a.len() + 1).sum();
        assert!(bytes <= ANNOUNCED_BYTES);
        assert_eq!(listed.len() + more, 2000);
        assert!(more > 0);
        assert_eq!(p.announcement(SpaceId(5)), (Vec::new(), 0));
        let due = p.due(Instant::now(), EVERY);
        assert_eq!(due.announce, [ROOM], "announced once for 2,000 arrivals");
        assert_eq!(due.tell.len(), 1);
    }
}
