//! The `hearth` binary as a library, so that integration tests start the
//! very server that operators run.

pub mod api;
pub mod app;
pub mod backup;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod feeds;
pub mod generator;
pub mod jobs;
pub mod mail;
pub mod memory;
pub mod outbound;
pub mod overload;
pub mod progress;
pub mod realtime;
pub mod services;
pub mod storage;
pub mod web;
pub mod webmention;

pub use app::{App, Server};
pub use config::Config;
