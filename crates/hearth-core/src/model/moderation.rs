use serde::{Deserialize, Serialize};

/// How posts in a space reach their readers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Moderation {
    /// Every post waits for a moderator.
    Pre,
    /// Posts appear at once; members' flags can hide them.
    Post,
    /// A member's posts wait until enough of them have been approved.
    NewMembersPre,
}

impl Moderation {
    pub const ALL: [Moderation; 3] = [Moderation::Post, Moderation::NewMembersPre, Moderation::Pre];

    pub fn as_str(self) -> &'static str {
        match self {
            Moderation::Pre => "pre",
            Moderation::Post => "post",
            Moderation::NewMembersPre => "new_members_pre",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == input.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Moderation::Pre => "Every post is checked first",
            Moderation::Post => "Posts appear at once",
            Moderation::NewMembersPre => "New members' posts are checked first",
        }
    }
}

/// What happens when a post seems to hold personal details (the author is
/// always warned first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetailPolicy {
    /// The author may post anyway.
    Warn,
    /// Posted anyway, it waits for a moderator.
    Hold,
    /// Posted anyway, the details are removed.
    Redact,
}

impl DetailPolicy {
    pub const ALL: [DetailPolicy; 3] =
        [DetailPolicy::Warn, DetailPolicy::Hold, DetailPolicy::Redact];

    pub fn as_str(self) -> &'static str {
        match self {
            DetailPolicy::Warn => "warn",
            DetailPolicy::Hold => "hold",
            DetailPolicy::Redact => "redact",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == input.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            DetailPolicy::Warn => "Warn the author, then post",
            DetailPolicy::Hold => "Warn the author, then hold for a moderator",
            DetailPolicy::Redact => "Warn the author, then remove the details",
        }
    }
}

/// Why a post is in the moderation queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    /// The space checks every post first.
    PreModerated,
    /// The author has too few approved posts yet.
    NewMember,
    /// Written by a guest.
    Guest,
    PersonalDetails,
    Spam,
    WatchedWord,
    /// Words that suggest the author may be in danger (the post is not held for this).
    Crisis,
}

impl HoldReason {
    pub const ALL: [HoldReason; 7] = [
        HoldReason::PreModerated,
        HoldReason::NewMember,
        HoldReason::Guest,
        HoldReason::PersonalDetails,
        HoldReason::Spam,
        HoldReason::WatchedWord,
        HoldReason::Crisis,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::PreModerated => "pre_moderated",
            HoldReason::NewMember => "new_member",
            HoldReason::Guest => "guest",
            HoldReason::PersonalDetails => "personal_details",
            HoldReason::Spam => "spam",
            HoldReason::WatchedWord => "watched_word",
            HoldReason::Crisis => "crisis",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == input.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            HoldReason::PreModerated => "Space checks every post",
            HoldReason::NewMember => "New member",
            HoldReason::Guest => "Guest post",
            HoldReason::PersonalDetails => "Personal details",
            HoldReason::Spam => "Possible spam",
            HoldReason::WatchedWord => "Watched word",
            HoldReason::Crisis => "Urgent: author may be in danger",
        }
    }
}

/// Why a member flags a post.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagReason {
    OffTopic,
    PersonalDetails,
    MedicalMisinformation,
    Spam,
    Abusive,
    Other,
}

impl FlagReason {
    pub const ALL: [FlagReason; 6] = [
        FlagReason::PersonalDetails,
        FlagReason::MedicalMisinformation,
        FlagReason::Abusive,
        FlagReason::Spam,
        FlagReason::OffTopic,
        FlagReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FlagReason::OffTopic => "off_topic",
            FlagReason::PersonalDetails => "personal_details",
            FlagReason::MedicalMisinformation => "medical_misinformation",
            FlagReason::Spam => "spam",
            FlagReason::Abusive => "abusive",
            FlagReason::Other => "other",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == input.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            FlagReason::OffTopic => "Off topic",
            FlagReason::PersonalDetails => "Shares personal details",
            FlagReason::MedicalMisinformation => "Medical misinformation",
            FlagReason::Spam => "Spam or advertising",
            FlagReason::Abusive => "Abusive or unkind",
            FlagReason::Other => "Something else",
        }
    }
}

/// What a moderator does about a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberActionKind {
    /// A message the member must read.
    Warn,
    /// Reads, cannot post, for a period.
    Silence,
    /// Cannot sign in, for a period or for good.
    Suspend,
}

impl MemberActionKind {
    pub const ALL: [MemberActionKind; 3] = [
        MemberActionKind::Warn,
        MemberActionKind::Silence,
        MemberActionKind::Suspend,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberActionKind::Warn => "warn",
            MemberActionKind::Silence => "silence",
            MemberActionKind::Suspend => "suspend",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == input.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            MemberActionKind::Warn => "Warning",
            MemberActionKind::Silence => "Silenced",
            MemberActionKind::Suspend => "Suspended",
        }
    }
}
