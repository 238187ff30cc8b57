//! Value types. Each is parsed once at the edge (`parse`) and is valid
//! wherever it travels afterwards.

mod alias;
mod chat_reaction;
mod email;
mod ids;
mod moderation;
mod password;
mod reaction;
mod role;
mod slug;
mod space_kind;
mod tier;

pub use alias::{Alias, AliasError};
pub use chat_reaction::ChatReaction;
pub use email::{Email, EmailError};
pub use ids::{AccountId, PostId, SpaceId, TopicId};
pub use moderation::{DetailPolicy, FlagReason, HoldReason, MemberActionKind, Moderation};
pub use password::{Password, PasswordError};
pub use reaction::{ReactionKind, ReactionStatus};
pub use role::Role;
pub use slug::{Slug, SlugError};
pub use space_kind::SpaceKind;
pub use tier::Tier;
