//! Who is in each room: this node's live connections, counted per alias,
//! put together with what the other nodes last said of theirs. A node that
//! has not been heard from for a while (it crashed, or lost its database
//! connection) is forgotten with everyone it had.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use hearth_core::model::SpaceId;

/// The most bytes of aliases one announcement carries: PostgreSQL's NOTIFY
/// takes at most 8,000, and a room with thousands in it need not list
/// them all to say who is here.
pub const ANNOUNCED_BYTES: usize = 6000;

/// Who is in a room, as clients are told.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Here {
    /// Sorted, each once.
    pub aliases: Vec<String>,
    /// People beyond those listed (other nodes cut their lists).
    pub more: usize,
}

/// What another node last said about one room.
struct Heard {
    at: Instant,
    aliases: Vec<String>,
    more: usize,
}

#[derive(Default)]
pub struct Presence {
    /// Per room: how many live connections each alias has on this node.
    local: HashMap<SpaceId, BTreeMap<String, usize>>,
    /// Per room and node: that node's last word.
    remote: HashMap<SpaceId, HashMap<u64, Heard>>,
    /// Each other node, when it was last heard from.
    nodes: HashMap<u64, Instant>,
    /// What each room's clients were last told.
    told: HashMap<SpaceId, Here>,
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

    /// Takes in another node's list for a room. True when that node was not
    /// known: it has just started (or come back), and should hear this
    /// node's lists now rather than at the next round.
    pub fn heard(
        &mut self,
        room: SpaceId,
        node: u64,
        aliases: Vec<String>,
        more: usize,
        now: Instant,
    ) -> bool {
        let new = self.nodes.insert(node, now).is_none();
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
        new
    }

    /// Forgets what nodes not heard from within `stale` said; returns the
    /// rooms whose people changed.
    pub fn forget_stale(&mut self, now: Instant, stale: Duration) -> Vec<SpaceId> {
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
        changed
    }

    /// Everyone in a room, on every node.
    pub fn here(&self, room: SpaceId) -> Here {
        let mut aliases: BTreeSet<&str> = self
            .local
            .get(&room)
            .into_iter()
            .flat_map(|people| people.keys().map(String::as_str))
            .collect();
        let mut more = 0;
        for heard in self.remote.get(&room).into_iter().flat_map(|n| n.values()) {
            aliases.extend(heard.aliases.iter().map(String::as_str));
            more += heard.more;
        }
        Here {
            aliases: aliases.into_iter().map(str::to_owned).collect(),
            more,
        }
    }

    /// Everyone in a room, if that is news to its clients (`always`: tell
    /// them anyway, as when someone arrives who has not been told yet).
    pub fn tell(&mut self, room: SpaceId, always: bool) -> Option<Here> {
        let here = self.here(room);
        if !always && self.told.get(&room) == Some(&here) {
            return None;
        }
        if here == Here::default() {
            self.told.remove(&room);
        } else {
            self.told.insert(room, here.clone());
        }
        Some(here)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: SpaceId = SpaceId(1);

    fn names(here: &Here) -> Vec<&str> {
        here.aliases.iter().map(String::as_str).collect()
    }

    #[test]
    fn a_room_holds_the_people_of_every_node_once() {
        let mut p = Presence::default();
        let now = Instant::now();
        p.count(ROOM, "rose", true);
        p.count(ROOM, "rose", true);
        assert!(p.heard(ROOM, 7, vec!["rose".into(), "sam".into()], 0, now));
        assert!(!p.heard(SpaceId(2), 7, vec!["lily".into()], 0, now));
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
        let changed = p.forget_stale(start + Duration::from_secs(31), Duration::from_secs(30));
        assert_eq!(changed, [ROOM]);
        assert_eq!(names(&p.here(ROOM)), ["rose", "sam"]);
        assert_eq!(p.here(ROOM).more, 0);
        // Node 7 comes back: it is new again, and will hear the others' lists.
        assert!(p.heard(
            ROOM,
            7,
            vec!["ghost".into()],
            0,
            start + Duration::from_secs(32)
        ));
    }

    #[test]
    fn clients_are_told_only_what_is_news_unless_someone_arrives() {
        let mut p = Presence::default();
        p.count(ROOM, "rose", true);
        assert!(p.tell(ROOM, false).is_some());
        assert!(p.tell(ROOM, false).is_none(), "nothing changed");
        assert!(p.tell(ROOM, true).is_some(), "a second tab must hear it");
        p.heard(ROOM, 9, vec!["sam".into()], 0, Instant::now());
        assert_eq!(names(&p.tell(ROOM, false).unwrap()), ["rose", "sam"]);
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
    }
}
