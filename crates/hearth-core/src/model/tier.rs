use serde::{Deserialize, Serialize};

/// Who may read and post in a space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Members read and post; guests cannot even see that it exists.
    MembersOnly,
    /// Anyone reads; members post.
    PublicRead,
    /// Anyone reads; guests may post too, always held for moderation.
    Open,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::MembersOnly, Tier::PublicRead, Tier::Open];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::MembersOnly => "members_only",
            Tier::PublicRead => "public_read",
            Tier::Open => "open",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == input.trim())
    }

    /// A short name for pickers and badges.
    pub fn label(self) -> &'static str {
        match self {
            Tier::MembersOnly => "Members only",
            Tier::PublicRead => "Public",
            Tier::Open => "Open to all",
        }
    }

    /// Who will be able to see a post here, in words a worried member trusts.
    pub fn audience(self) -> &'static str {
        match self {
            Tier::MembersOnly => {
                "Only signed-in members of this community can see posts here. They are not shown to search engines or visitors."
            }
            Tier::PublicRead | Tier::Open => {
                "Anyone on the internet can read posts here, including search engines. Use your alias and leave out details that identify you."
            }
        }
    }
}
