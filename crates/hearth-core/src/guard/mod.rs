//! The checks every post passes through before it is stored, whatever door it
//! came in by: personal details, spam, watched words and crisis phrases. Each
//! is pure and fast; the services decide what a finding means for a post.

pub mod crisis;
pub mod personal;
pub mod spam;
pub mod words;
