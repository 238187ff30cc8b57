//! Text as people write it, made safe to show.

mod markdown;
mod mentions;

pub use markdown::{render_markdown, to_plain_excerpt};
pub use mentions::mentioned_aliases;
