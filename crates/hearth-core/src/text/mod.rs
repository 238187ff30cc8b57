//! Text as people write it, made safe to show.

mod clean;
mod markdown;
mod mentions;
mod quote;
pub mod search;

pub use clean::clean_text;
pub use markdown::{escape_html, render_markdown, to_plain_excerpt};
pub use mentions::mentioned_aliases;
pub use quote::quote_for_reply;
