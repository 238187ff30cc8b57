//! Who may do what, where: the one decision every front door asks.
//!
//! Pages, the JSON API and (later) feeds, search, email and federation all
//! call `decide`; none of them has a rule of its own. A members-only space is
//! `Hidden` from guests rather than `Forbidden`, so that its existence does
//! not leak either.

use crate::model::{AccountId, Role, Tier};

/// The person asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    Guest,
    Member { id: AccountId, role: Role },
}

impl Viewer {
    pub fn account(self) -> Option<AccountId> {
        match self {
            Viewer::Guest => None,
            Viewer::Member { id, .. } => Some(id),
        }
    }

    pub fn role(self) -> Option<Role> {
        match self {
            Viewer::Guest => None,
            Viewer::Member { role, .. } => Some(role),
        }
    }

    pub fn moderates(self) -> bool {
        self.role().is_some_and(Role::moderates)
    }

    pub fn reviews(self) -> bool {
        self.role().is_some_and(Role::reviews)
    }

    pub fn administers(self) -> bool {
        self.role().is_some_and(Role::administers)
    }

    fn is(self, author: Option<AccountId>) -> bool {
        author.is_some() && self.account() == author
    }
}

/// What the viewer wants to do in a space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Read,
    StartTopic,
    Reply {
        locked: bool,
    },
    /// Edit a post written by `author` (None: a guest's post).
    Edit {
        author: Option<AccountId>,
    },
    Delete {
        author: Option<AccountId>,
    },
    Like,
    Watch,
    /// Send a message in a chat room. Guests never chat; while a room is
    /// locked only staff and moderators do.
    Chat {
        locked: bool,
    },
    /// Pin, lock, see deleted posts, act on members.
    Moderate,
    /// Work the queue: approve or reject held posts, resolve flags.
    Review,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Allowed, but what is written waits for a moderator before others see it.
    AllowHeld,
    /// A guest must sign in first.
    SignIn,
    /// Signed in but not allowed; the reason can be shown.
    Forbidden(&'static str),
    /// Not even the existence of the thing may be revealed.
    Hidden,
}

impl Decision {
    pub fn allowed(self) -> bool {
        matches!(self, Decision::Allow | Decision::AllowHeld)
    }
}

/// The rule book. See ARCHITECTURE.md, "Access and roles".
pub fn decide(viewer: Viewer, tier: Tier, action: Action) -> Decision {
    use Decision::*;
    let member = viewer.account().is_some();
    if !member && tier == Tier::MembersOnly {
        return Hidden;
    }
    match action {
        Action::Read => Allow,
        Action::StartTopic | Action::Reply { locked: false } => match (member, tier) {
            (true, _) => Allow,
            (false, Tier::Open) => AllowHeld,
            (false, _) => SignIn,
        },
        Action::Reply { locked: true } if viewer.moderates() => Allow,
        Action::Reply { locked: true } => Forbidden("Replies are closed on this topic."),
        Action::Edit { author } | Action::Delete { author } => {
            if viewer.moderates() || viewer.is(author) {
                Allow
            } else if member {
                Forbidden("Only the author or a moderator can change this post.")
            } else {
                SignIn
            }
        }
        Action::Chat { .. } if !member => SignIn,
        Action::Chat { locked: true }
            if viewer.moderates() || viewer.role() == Some(Role::Staff) =>
        {
            Allow
        }
        Action::Chat { locked: true } => {
            Forbidden("This room is locked: only staff and moderators can write here for now.")
        }
        Action::Chat { locked: false } => Allow,
        Action::Like | Action::Watch if member => Allow,
        Action::Like | Action::Watch => SignIn,
        Action::Moderate if viewer.moderates() => Allow,
        Action::Moderate if member => Forbidden("Only moderators can do this."),
        Action::Moderate => SignIn,
        Action::Review if viewer.reviews() => Allow,
        Action::Review if member => Forbidden("Only staff and moderators can do this."),
        Action::Review => SignIn,
    }
}

/// Where a person stands towards a private conversation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seat {
    /// They are in it by name (its member, or staff who started or joined it).
    pub listed: bool,
    /// The conversation is with the staff team.
    pub with_team: bool,
    /// Someone in it reported it, and no moderator has closed the report.
    pub reported: bool,
}

/// What a person may do in a private conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InConversation {
    /// Read and write: one of the people in it.
    Part,
    /// Read it and delete messages, not write: a moderator, because it was
    /// reported. Each reading is audited.
    Moderate,
    /// Nothing, not even that it exists.
    Hidden,
}

/// The rule for private conversations: they are the people's in them. A
/// conversation with the team is every staff member's. Moderators see one
/// only once it is reported; nobody else, admins included, ever does.
pub fn in_conversation(viewer: Viewer, seat: Seat) -> InConversation {
    if viewer.account().is_none() {
        return InConversation::Hidden;
    }
    if seat.listed || (seat.with_team && viewer.role() == Some(Role::Staff)) {
        InConversation::Part
    } else if seat.reported && viewer.moderates() {
        InConversation::Moderate
    } else {
        InConversation::Hidden
    }
}

/// Who may start a private conversation, and with whom: a member (or
/// volunteer) with the staff team or a staff member; staff with anyone who
/// is not staff. Others talk in the open.
pub fn starts_conversation(starter: Role, other: Option<Role>) -> Result<(), &'static str> {
    match (starter, other) {
        (Role::Member | Role::Volunteer, None | Some(Role::Staff)) => Ok(()),
        (Role::Member | Role::Volunteer, Some(_)) => {
            Err("Private conversations are with our staff: choose the team or a staff member.")
        }
        (Role::Staff, Some(Role::Member | Role::Volunteer)) => Ok(()),
        (Role::Staff, _) => Err("Staff start private conversations with members."),
        _ => Err("Private conversations are between members and our staff."),
    }
}

/// Who writes a blog's entries, sees its drafts and closes its comments:
/// admins always; staff and volunteers an admin has named as its writers.
pub fn writes_blog(viewer: Viewer, named_writer: bool) -> bool {
    match viewer.role() {
        Some(Role::Admin) => true,
        Some(role) => named_writer && role >= Role::Volunteer,
        None => false,
    }
}

/// Whether replies are closed: by hand (a locked topic, an entry whose
/// comments were closed), or by themselves `close_after_days` after an
/// entry's publication.
pub fn replies_closed(
    locked: bool,
    published_at: Option<i64>,
    close_after_days: Option<i64>,
    now: i64,
) -> bool {
    const DAY_MS: i64 = 24 * 60 * 60 * 1000;
    locked
        || matches!((published_at, close_after_days),
            (Some(at), Some(days)) if now >= at.saturating_add(days.saturating_mul(DAY_MS)))
}

/// A post's state, as far as who may see its text is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PostState {
    pub author: Option<AccountId>,
    /// Waiting for a moderator: never published.
    pub held: bool,
    /// Published, then hidden by members' flags or an edit under review.
    pub hidden: bool,
    pub deleted: bool,
}

/// What a viewer sees of a post they may read the space of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sight {
    Text,
    /// The thread keeps its place: "deleted", "hidden while moderators look".
    Placeholder,
    Nothing,
}

/// The one rule for post text, for every door: deleted text stays with the
/// moderators; held and hidden text with the author and the reviewers.
pub fn sight(viewer: Viewer, post: PostState) -> Sight {
    let own = viewer.is(post.author);
    if post.deleted {
        return if viewer.moderates() {
            Sight::Text
        } else {
            Sight::Placeholder
        };
    }
    if post.held {
        return if own || viewer.reviews() {
            Sight::Text
        } else {
            Sight::Nothing
        };
    }
    if post.hidden && !own && !viewer.reviews() {
        return Sight::Placeholder;
    }
    Sight::Text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_and_named_staff_or_volunteers_write_a_blog() {
        assert!(writes_blog(member(Role::Admin), false));
        assert!(writes_blog(member(Role::Volunteer), true));
        assert!(writes_blog(member(Role::Staff), true));
        assert!(!writes_blog(member(Role::Staff), false));
        assert!(!writes_blog(member(Role::Moderator), false));
        // Naming a plain member a writer gives nothing: writers are staff or volunteers.
        assert!(!writes_blog(member(Role::Member), true));
        assert!(!writes_blog(Viewer::Guest, true));
    }

    #[test]
    fn comments_close_by_hand_or_after_the_chosen_days() {
        let day = 24 * 60 * 60 * 1000;
        assert!(replies_closed(true, Some(0), None, 0));
        assert!(!replies_closed(false, Some(0), None, 1000 * day));
        assert!(!replies_closed(false, Some(0), Some(14), 14 * day - 1));
        assert!(replies_closed(false, Some(0), Some(14), 14 * day));
        // A draft has no publication time yet, so nothing closes it.
        assert!(!replies_closed(false, None, Some(0), 5));
    }

    const ME: AccountId = AccountId(1);
    const OTHER: AccountId = AccountId(2);

    fn member(role: Role) -> Viewer {
        Viewer::Member { id: ME, role }
    }

    #[test]
    fn guests_never_learn_of_members_only_spaces() {
        for action in [
            Action::Read,
            Action::StartTopic,
            Action::Like,
            Action::Moderate,
        ] {
            assert_eq!(
                decide(Viewer::Guest, Tier::MembersOnly, action),
                Decision::Hidden
            );
        }
    }

    #[test]
    fn guests_read_public_spaces_and_post_only_in_open_ones_held() {
        assert_eq!(
            decide(Viewer::Guest, Tier::PublicRead, Action::Read),
            Decision::Allow
        );
        assert_eq!(
            decide(Viewer::Guest, Tier::PublicRead, Action::StartTopic),
            Decision::SignIn
        );
        assert_eq!(
            decide(Viewer::Guest, Tier::Open, Action::StartTopic),
            Decision::AllowHeld
        );
        assert_eq!(
            decide(Viewer::Guest, Tier::Open, Action::Reply { locked: false }),
            Decision::AllowHeld
        );
    }

    #[test]
    fn guests_never_chat_and_a_locked_room_is_for_staff_and_moderators() {
        let open = Action::Chat { locked: false };
        let locked = Action::Chat { locked: true };
        assert_eq!(decide(Viewer::Guest, Tier::Open, open), Decision::SignIn);
        assert_eq!(
            decide(Viewer::Guest, Tier::MembersOnly, open),
            Decision::Hidden
        );
        assert_eq!(
            decide(member(Role::Member), Tier::Open, open),
            Decision::Allow
        );
        assert!(matches!(
            decide(member(Role::Member), Tier::PublicRead, locked),
            Decision::Forbidden(_)
        ));
        assert!(matches!(
            decide(member(Role::Volunteer), Tier::PublicRead, locked),
            Decision::Forbidden(_)
        ));
        for role in [Role::Staff, Role::Moderator, Role::Admin] {
            assert_eq!(
                decide(member(role), Tier::PublicRead, locked),
                Decision::Allow
            );
        }
    }

    #[test]
    fn every_role_reads_and_posts_in_every_tier() {
        for role in Role::ALL {
            for tier in Tier::ALL {
                assert_eq!(decide(member(role), tier, Action::Read), Decision::Allow);
                assert_eq!(
                    decide(member(role), tier, Action::StartTopic),
                    Decision::Allow
                );
            }
        }
    }

    #[test]
    fn locked_topics_take_replies_from_moderators_only() {
        let locked = Action::Reply { locked: true };
        assert!(matches!(
            decide(member(Role::Staff), Tier::Open, locked),
            Decision::Forbidden(_)
        ));
        assert_eq!(
            decide(member(Role::Moderator), Tier::Open, locked),
            Decision::Allow
        );
    }

    #[test]
    fn only_authors_and_moderators_edit() {
        let own = Action::Edit { author: Some(ME) };
        let theirs = Action::Edit {
            author: Some(OTHER),
        };
        let guests = Action::Edit { author: None };
        assert_eq!(
            decide(member(Role::Member), Tier::Open, own),
            Decision::Allow
        );
        assert!(matches!(
            decide(member(Role::Staff), Tier::Open, theirs),
            Decision::Forbidden(_)
        ));
        assert_eq!(
            decide(member(Role::Moderator), Tier::Open, theirs),
            Decision::Allow
        );
        assert_eq!(decide(Viewer::Guest, Tier::Open, guests), Decision::SignIn);
    }

    #[test]
    fn staff_review_the_queue_but_do_not_moderate() {
        assert_eq!(
            decide(member(Role::Staff), Tier::MembersOnly, Action::Review),
            Decision::Allow
        );
        assert!(matches!(
            decide(member(Role::Staff), Tier::MembersOnly, Action::Moderate),
            Decision::Forbidden(_)
        ));
        assert!(matches!(
            decide(member(Role::Volunteer), Tier::Open, Action::Review),
            Decision::Forbidden(_)
        ));
        assert_eq!(
            decide(Viewer::Guest, Tier::Open, Action::Review),
            Decision::SignIn
        );
    }

    #[test]
    fn post_text_follows_its_state() {
        let post = PostState {
            author: Some(OTHER),
            held: false,
            hidden: false,
            deleted: false,
        };
        let reader = member(Role::Member);
        assert_eq!(sight(reader, post), Sight::Text);
        let hidden = PostState {
            hidden: true,
            ..post
        };
        assert_eq!(sight(reader, hidden), Sight::Placeholder);
        assert_eq!(sight(member(Role::Staff), hidden), Sight::Text);
        let held = PostState { held: true, ..post };
        assert_eq!(sight(Viewer::Guest, held), Sight::Nothing);
        assert_eq!(sight(member(Role::Staff), held), Sight::Text);
        let own_held = PostState {
            author: Some(ME),
            ..held
        };
        assert_eq!(sight(reader, own_held), Sight::Text);
        let deleted = PostState {
            deleted: true,
            ..post
        };
        assert_eq!(sight(member(Role::Staff), deleted), Sight::Placeholder);
        assert_eq!(sight(member(Role::Moderator), deleted), Sight::Text);
    }

    #[test]
    fn conversations_are_their_peoples() {
        let member = Viewer::Member {
            id: AccountId(1),
            role: Role::Member,
        };
        let staff = Viewer::Member {
            id: AccountId(2),
            role: Role::Staff,
        };
        let moderator = Viewer::Member {
            id: AccountId(3),
            role: Role::Moderator,
        };
        let admin = Viewer::Member {
            id: AccountId(4),
            role: Role::Admin,
        };
        let listed = Seat {
            listed: true,
            ..Seat::default()
        };
        let team = Seat {
            with_team: true,
            ..Seat::default()
        };
        let reported = Seat {
            reported: true,
            ..team
        };
        assert_eq!(in_conversation(member, listed), InConversation::Part);
        assert_eq!(in_conversation(member, team), InConversation::Hidden);
        assert_eq!(in_conversation(staff, team), InConversation::Part);
        assert_eq!(
            in_conversation(staff, Seat::default()),
            InConversation::Hidden
        );
        assert_eq!(in_conversation(moderator, team), InConversation::Hidden);
        assert_eq!(in_conversation(admin, team), InConversation::Hidden);
        assert_eq!(
            in_conversation(moderator, reported),
            InConversation::Moderate
        );
        assert_eq!(in_conversation(admin, reported), InConversation::Moderate);
        assert_eq!(in_conversation(member, reported), InConversation::Hidden);
        assert_eq!(
            in_conversation(Viewer::Guest, listed),
            InConversation::Hidden
        );
    }

    #[test]
    fn members_start_conversations_with_staff() {
        assert!(starts_conversation(Role::Member, None).is_ok());
        assert!(starts_conversation(Role::Member, Some(Role::Staff)).is_ok());
        assert!(starts_conversation(Role::Member, Some(Role::Member)).is_err());
        assert!(starts_conversation(Role::Member, Some(Role::Moderator)).is_err());
        assert!(starts_conversation(Role::Staff, Some(Role::Member)).is_ok());
        assert!(starts_conversation(Role::Staff, Some(Role::Staff)).is_err());
        assert!(starts_conversation(Role::Moderator, Some(Role::Member)).is_err());
    }
}
