use serde::{Deserialize, Serialize};

/// How another site's page answers an entry, read from the microformats
/// class of its link (`u-like-of`…); a plain link is a mention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReactionKind {
    Mention,
    Reply,
    Like,
    Repost,
    Bookmark,
}

impl ReactionKind {
    pub const ALL: [ReactionKind; 5] = [
        ReactionKind::Mention,
        ReactionKind::Reply,
        ReactionKind::Like,
        ReactionKind::Repost,
        ReactionKind::Bookmark,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReactionKind::Mention => "mention",
            ReactionKind::Reply => "reply",
            ReactionKind::Like => "like",
            ReactionKind::Repost => "repost",
            ReactionKind::Bookmark => "bookmark",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == input.trim())
    }

    /// The kind a link with these classes makes.
    pub fn from_classes<S: AsRef<str>>(classes: &[S]) -> Self {
        let has = |c: &str| classes.iter().any(|k| k.as_ref() == c);
        if has("u-in-reply-to") {
            ReactionKind::Reply
        } else if has("u-like-of") {
            ReactionKind::Like
        } else if has("u-repost-of") {
            ReactionKind::Repost
        } else if has("u-bookmark-of") {
            ReactionKind::Bookmark
        } else {
            ReactionKind::Mention
        }
    }
}

/// Where a reaction stands: held until a moderator decides, like a guest's post.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReactionStatus {
    Held,
    Approved,
    Rejected,
}

impl ReactionStatus {
    pub const ALL: [ReactionStatus; 3] = [
        ReactionStatus::Held,
        ReactionStatus::Approved,
        ReactionStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReactionStatus::Held => "held",
            ReactionStatus::Approved => "approved",
            ReactionStatus::Rejected => "rejected",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == input.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_statuses_read_back() {
        for k in ReactionKind::ALL {
            assert_eq!(ReactionKind::parse(k.as_str()), Some(k));
        }
        for s in ReactionStatus::ALL {
            assert_eq!(ReactionStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn a_reply_that_also_likes_is_a_reply() {
        assert_eq!(
            ReactionKind::from_classes(&["u-like-of", "u-in-reply-to"]),
            ReactionKind::Reply
        );
        assert_eq!(
            ReactionKind::from_classes(&["h-cite"]),
            ReactionKind::Mention
        );
        assert_eq!(
            ReactionKind::from_classes::<&str>(&[]),
            ReactionKind::Mention
        );
    }
}
