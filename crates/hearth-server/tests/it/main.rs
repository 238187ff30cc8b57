//! Integration tests: the real server on a random port, with a fresh
//! database per test, spoken to over HTTP. `HEARTH_TEST_DATABASE_URL`
//! chooses PostgreSQL (each test gets its own database); unset, SQLite.

mod accounts;
mod alerts;
mod api;
mod blogs;
mod cache;
mod chat;
mod cli;
mod common;
mod conversations;
mod feeds;
mod forum;
mod jobs;
mod legal;
mod mail;
mod notification_mail;
mod overload;
mod permissions;
mod review_fixes;
mod robustness;
mod safety;
mod search;
mod webmentions;
