//! Hearth's rules, free of I/O: value types that can only hold valid values,
//! the one access decision, and text rendering. Every front door and every
//! store module leans on these, so they stay small, pure and fast.

pub mod access;
pub mod guard;
pub mod hours;
pub mod model;
pub mod text;
