/// The reactions a chat message can get: a small fixed set for a community
/// of people living with illness and those who care for them. Each one says
/// "I agree", "I care", "thank you" or "sending a hug"; none can read as
/// laughing at someone, as shock, or as a judgement (no 😂, 😮, 😢 or 👎),
/// and four fit on a phone's line under a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChatReaction {
    ThumbsUp,
    Heart,
    Thanks,
    Hug,
}

impl ChatReaction {
    /// In the order they are shown.
    pub const ALL: [ChatReaction; 4] = [
        ChatReaction::ThumbsUp,
        ChatReaction::Heart,
        ChatReaction::Thanks,
        ChatReaction::Hug,
    ];

    /// The stored and sent name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatReaction::ThumbsUp => "thumbs_up",
            ChatReaction::Heart => "heart",
            ChatReaction::Thanks => "thanks",
            ChatReaction::Hug => "hug",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == input.trim())
    }

    pub fn emoji(self) -> &'static str {
        match self {
            ChatReaction::ThumbsUp => "👍",
            ChatReaction::Heart => "❤️",
            ChatReaction::Thanks => "🙏",
            ChatReaction::Hug => "🤗",
        }
    }

    /// What a screen reader says for it.
    pub fn name(self) -> &'static str {
        match self {
            ChatReaction::ThumbsUp => "thumbs up",
            ChatReaction::Heart => "heart",
            ChatReaction::Thanks => "thanks",
            ChatReaction::Hug => "hug",
        }
    }

    /// The words for a message's reactions of this kind, as a button's or a
    /// count's accessible name: "2 people reacted with heart; you did".
    pub fn summary(self, count: usize, mine: bool) -> String {
        let name = self.name();
        match count {
            0 => format!("React with {name}"),
            1 if mine => format!("You reacted with {name}"),
            1 => format!("1 person reacted with {name}"),
            n if mine => format!("{n} people reacted with {name}; you did"),
            n => format!("{n} people reacted with {name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reactions_read_back_from_their_names_and_nothing_else_does() {
        for r in ChatReaction::ALL {
            assert_eq!(ChatReaction::parse(r.as_str()), Some(r));
        }
        assert_eq!(ChatReaction::parse("laugh"), None);
        assert_eq!(ChatReaction::parse("❤️"), None);
        assert_eq!(ChatReaction::parse(""), None);
    }

    #[test]
    fn the_summary_counts_people_and_says_whether_you_are_one() {
        let heart = ChatReaction::Heart;
        assert_eq!(heart.summary(0, false), "React with heart");
        assert_eq!(heart.summary(1, false), "1 person reacted with heart");
        assert_eq!(heart.summary(1, true), "You reacted with heart");
        assert_eq!(
            heart.summary(2, true),
            "2 people reacted with heart; you did"
        );
        assert_eq!(
            ChatReaction::Hug.summary(3, false),
            "3 people reacted with hug"
        );
    }
}
