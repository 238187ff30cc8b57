use serde::{Deserialize, Serialize};

/// What a space holds: a forum's topics and replies, a blog's entries and
/// their comments (stored alike, so both pass the same guards and queue), or
/// a chat room's messages, or a private conversation's (a space no list
/// shows, opened only by the people in it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpaceKind {
    #[default]
    Forum,
    Blog,
    Room,
    Conversation,
}

impl SpaceKind {
    pub const ALL: [SpaceKind; 4] = [
        SpaceKind::Forum,
        SpaceKind::Blog,
        SpaceKind::Room,
        SpaceKind::Conversation,
    ];

    /// What an admin makes on the space form; conversations start elsewhere.
    pub const MADE_BY_ADMINS: [SpaceKind; 3] = [SpaceKind::Forum, SpaceKind::Blog, SpaceKind::Room];

    pub fn as_str(self) -> &'static str {
        match self {
            SpaceKind::Forum => "forum",
            SpaceKind::Blog => "blog",
            SpaceKind::Room => "room",
            SpaceKind::Conversation => "conversation",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == input.trim())
    }
}
