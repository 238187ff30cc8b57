use serde::{Deserialize, Serialize};

/// What a signed-in person may do beyond reading and posting. A guest (not
/// signed in) has no role at all: see `access::Viewer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Volunteer,
    Staff,
    Moderator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Member,
        Role::Volunteer,
        Role::Staff,
        Role::Moderator,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Volunteer => "volunteer",
            Role::Staff => "staff",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == input.trim().to_lowercase())
    }

    /// The words shown beside an alias, so members know who answers them.
    pub fn label(self) -> Option<&'static str> {
        match self {
            Role::Member => None,
            Role::Volunteer => Some("Volunteer"),
            Role::Staff => Some("Staff"),
            Role::Moderator => Some("Moderator"),
            Role::Admin => Some("Admin"),
        }
    }

    pub fn moderates(self) -> bool {
        matches!(self, Role::Moderator | Role::Admin)
    }

    /// Works the moderation queue and flags (nurses on staff do too).
    pub fn reviews(self) -> bool {
        matches!(self, Role::Staff | Role::Moderator | Role::Admin)
    }

    pub fn administers(self) -> bool {
        self == Role::Admin
    }
}
