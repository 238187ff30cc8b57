use serde::{Deserialize, Serialize};

/// What a space holds: a forum's topics and replies, or a blog's entries and
/// their comments (stored alike, so both pass the same guards and queue).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpaceKind {
    #[default]
    Forum,
    Blog,
}

impl SpaceKind {
    pub const ALL: [SpaceKind; 2] = [SpaceKind::Forum, SpaceKind::Blog];

    pub fn as_str(self) -> &'static str {
        match self {
            SpaceKind::Forum => "forum",
            SpaceKind::Blog => "blog",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == input.trim())
    }
}
