//! Privacy rights: a member downloads everything held about them, and
//! deletes their account (personal data erased at once; their posts deleted
//! or kept under "Former member", as they choose). Admins erase on request,
//! audited; accounts unused for the configured period are erased by the
//! housekeeping job.

use std::io::Write;

use hearth_core::model::AccountId;
use hearth_core::text::escape_html;
use hearth_store::accounts::{self, Account};
use hearth_store::personal_data::{self, Records};
use hearth_store::{Conn, posts};
use serde::Serialize;

use super::audit::{self, Target};
use super::{Actor, DAY_MS, forum, passwords};
use crate::App;
use crate::error::{ServiceError, ServiceResult};

#[derive(Serialize)]
struct AccountRecord {
    alias: String,
    email: String,
    role: &'static str,
    email_verified: bool,
    created_at: String,
    last_seen_at: Option<String>,
    approved_posts: i64,
}

#[derive(Serialize)]
struct Export {
    about: &'static str,
    exported_at: String,
    community: String,
    account: AccountRecord,
    #[serde(flatten)]
    records: Records,
}

/// Everything held about the signed-in member: a zip with `hearth-data.json`
/// and a readable `hearth-data.html`. Returns (file name, bytes).
pub async fn export(app: &App, actor: &Actor) -> ServiceResult<(String, Vec<u8>)> {
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let mut conn = app.store().read().await?;
    let email = accounts::email_of(&mut conn, app.store().sealer(), me.id).await?;
    let records = personal_data::records(&mut conn, me.id).await?;
    drop(conn);
    let now = app.now();
    let data = Export {
        about: "Everything this community holds about you. Times are UTC (RFC 3339) or Unix milliseconds.",
        exported_at: super::rfc3339(now),
        community: app.site_name(),
        account: AccountRecord {
            alias: me.alias.to_string(),
            email: email.as_str().to_owned(),
            role: me.role.as_str(),
            email_verified: me.email_verified,
            created_at: super::rfc3339(me.created_at),
            last_seen_at: me.last_seen_at.map(super::rfc3339),
            approved_posts: me.approved_posts,
        },
        records,
    };
    let json = serde_json::to_string_pretty(&data)
        .map_err(|e| ServiceError::Internal(format!("export: {e}")))?;
    let html = readable(&data);
    let zip = zip_of(&[
        ("hearth-data.json", json.as_bytes()),
        ("hearth-data.html", html.as_bytes()),
    ])
    .map_err(|e| ServiceError::Internal(format!("export zip: {e}")))?;
    let day = super::rfc3339(now).get(..10).unwrap_or("today").to_owned();
    Ok((format!("hearth-data-{}-{day}.zip", me.alias), zip))
}

fn zip_of(files: &[(&str, &[u8])]) -> zip::result::ZipResult<Vec<u8>> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        out.start_file(*name, zip::write::SimpleFileOptions::default())?;
        out.write_all(bytes)?;
    }
    Ok(out.finish()?.into_inner())
}

/// The same data as a page a person can read offline.
fn readable(d: &Export) -> String {
    let mut h = String::new();
    let a = &d.account;
    h.push_str(&format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Your data from {0}</title></head><body>\
         <h1>Your data from {0}</h1><p>Exported {1}.</p>\
         <h2>Your account</h2><dl><dt>Alias</dt><dd>{2}</dd><dt>Email</dt><dd>{3}</dd><dt>Role</dt><dd>{4}</dd>\
         <dt>Joined</dt><dd>{5}</dd><dt>Posts approved</dt><dd>{6}</dd></dl>",
        escape_html(&d.community),
        d.exported_at,
        escape_html(&a.alias),
        escape_html(&a.email),
        a.role,
        a.created_at,
        a.approved_posts
    ));
    h.push_str(&format!("<h2>Your posts ({})</h2>", d.records.posts.len()));
    for p in &d.records.posts {
        let state = match (p.deleted, p.held) {
            (true, _) => " (deleted)",
            (false, true) => " (waiting for a moderator)",
            _ => "",
        };
        h.push_str(&format!(
            "<article><h3>{} — {}{state}</h3><p>{}</p><pre>{}</pre></article>",
            escape_html(&p.topic_title),
            super::rfc3339(p.created_at),
            escape_html(&p.space),
            escape_html(&p.body_markdown)
        ));
    }
    h.push_str(&format!(
        "<h2>Your chat messages ({})</h2>",
        d.records.chat_messages.len()
    ));
    for m in &d.records.chat_messages {
        let state = if m.deleted { " (deleted)" } else { "" };
        let place = if m.private {
            "private conversation"
        } else {
            "chat room"
        };
        h.push_str(&format!(
            "<article><h3>{} ({place}) — {}{state}</h3><pre>{}</pre></article>",
            escape_html(&m.place),
            super::rfc3339(m.created_at),
            escape_html(&m.body_markdown)
        ));
    }
    h.push_str(&format!(
        "<h2>Earlier versions of your posts ({})</h2>",
        d.records.earlier_versions.len()
    ));
    for r in &d.records.earlier_versions {
        h.push_str(&format!(
            "<p>Post {}, version {}:</p><pre>{}</pre>",
            r.post_id,
            r.revision,
            escape_html(&r.body_markdown)
        ));
    }
    h.push_str(&format!(
        "<h2>Flags you sent ({})</h2><ul>",
        d.records.flags.len()
    ));
    for f in &d.records.flags {
        h.push_str(&format!(
            "<li>Post {}: {} {}</li>",
            f.post_id,
            escape_html(&f.reason),
            escape_html(&f.note)
        ));
    }
    h.push_str("</ul><h2>Terms and privacy statements you accepted</h2><ul>");
    for x in &d.records.accepted {
        h.push_str(&format!(
            "<li>{} version {}, {}</li>",
            escape_html(&x.document),
            x.version,
            super::rfc3339(x.accepted_at)
        ));
    }
    h.push_str("</ul><h2>Moderators' actions on your account</h2><ul>");
    for m in &d.records.moderators_actions {
        h.push_str(&format!(
            "<li>{}: {} ({})</li>",
            escape_html(&m.kind),
            escape_html(&m.reason),
            super::rfc3339(m.created_at)
        ));
    }
    let feeds = match d.records.feed_token_made_at {
        Some(at) => format!("private feed links made {}", super::rfc3339(at)),
        None => "no private feed links".into(),
    };
    h.push_str(&format!(
        "</ul><p>You liked {} posts and watch {} topics; you have {} access tokens and {feeds}. \
         The JSON file beside this page has every detail.</p></body></html>",
        d.records.liked_posts.len(),
        d.records.watched_topics.len(),
        d.records.access_tokens.len()
    ));
    h
}

/// What happens to the posts of an account being erased.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Posts {
    /// Deleted, text and all.
    Delete,
    /// Kept for the community, shown under "Former member".
    Keep,
}

impl Posts {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "delete" => Some(Posts::Delete),
            "keep" => Some(Posts::Keep),
            _ => None,
        }
    }
}

/// The member deletes their own account (the password confirms it is them).
pub async fn delete_account(
    app: &App,
    actor: &Actor,
    password: &str,
    posts: Option<Posts>,
) -> ServiceResult<()> {
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let Some(posts) = posts else {
        return Err(ServiceError::field(
            "posts",
            "Choose what happens to your posts.",
        ));
    };
    let stored = Some(me.password_hash.clone()).filter(|h| !h.is_empty());
    if !passwords::verify(stored, password).await? {
        return Err(ServiceError::field(
            "password",
            "That is not your password. Your account was not deleted.",
        ));
    }
    if me.role.administers()
        && accounts::count_with_role(&mut *app.store().read().await?, me.role).await? <= 1
    {
        return Err(ServiceError::Forbidden(
            "You are the last admin: make someone else admin first.".into(),
        ));
    }
    let now = app.now();
    let mut tx = app.store().write().await?;
    erase(&mut tx, app.store().backend(), me, posts, now).await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

/// An admin erases a member's personal data on their request.
pub async fn erase_by_admin(
    app: &App,
    actor: &Actor,
    alias: &str,
    posts: Option<Posts>,
    reason: &str,
) -> ServiceResult<()> {
    if !actor.viewer().administers() {
        return Err(ServiceError::Forbidden(
            "Only admins can erase accounts.".into(),
        ));
    }
    let Some(posts) = posts else {
        return Err(ServiceError::field(
            "posts",
            "Choose what happens to the member's posts.",
        ));
    };
    let reason = hearth_core::text::clean_text(reason.trim());
    if reason.trim().is_empty() {
        return Err(ServiceError::field(
            "reason",
            "Note the request you are acting on (for the audit log).",
        ));
    }
    let now = app.now();
    let mut tx = app.store().write().await?;
    let target = accounts::by_alias(&mut tx, alias)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if target.role.administers() {
        return Err(ServiceError::Forbidden(
            "Make this admin a member first.".into(),
        ));
    }
    erase(&mut tx, app.store().backend(), &target, posts, now).await?;
    let detail = match posts {
        Posts::Delete => "posts deleted",
        Posts::Keep => "posts kept as former member",
    };
    audit::record(
        &mut tx,
        actor,
        "member.erase",
        Target::Account(target.id),
        reason.trim(),
        detail,
        now,
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

async fn erase(
    conn: &mut Conn,
    backend: hearth_store::Backend,
    account: &Account,
    posts: Posts,
    now: i64,
) -> ServiceResult<()> {
    if posts == Posts::Delete {
        take_down_all(conn, account.id, now).await?;
        hearth_store::search::forget_deleted_of(conn, backend, account.id).await?;
        hearth_store::search::forget_chat_of(conn, backend, account.id).await?;
    }
    personal_data::erase(conn, account.id, posts == Posts::Delete, now).await?;
    Ok(())
}

/// Deletes every live post of the account, counters following. An opening
/// post others replied to loses its text but keeps its topic, so that their
/// replies stay.
async fn take_down_all(conn: &mut Conn, account: AccountId, now: i64) -> ServiceResult<()> {
    // Erasure reaches every space, whoever asked for it.
    let everyone = hearth_core::access::Viewer::Member {
        id: AccountId(0),
        role: hearth_core::model::Role::Admin,
    };
    for live in personal_data::live_posts(conn, account).await? {
        let ctx = forum::reviewable(conn, everyone, live.id).await?;
        let others_replied = ctx.is_opening
            && posts::visible_ids(conn, live.topic)
                .await?
                .iter()
                .any(|id| *id != live.id);
        if others_replied {
            forum::take_down_opening_only(conn, &ctx, now).await?;
        } else {
            forum::take_down(conn, &ctx, None, now).await?;
        }
    }
    Ok(())
}

/// Erases accounts unused for the configured period (their posts stay,
/// under "Former member"). Returns how many were erased.
pub async fn erase_unused(app: &App) -> ServiceResult<usize> {
    let rules = super::safety::rules(app).await?;
    let days = rules.limits.erase_unused_after_days;
    if days <= 0 {
        return Ok(0);
    }
    let now = app.now();
    let mut tx = app.store().write().await?;
    let unused = personal_data::unused_since(&mut tx, now - days * DAY_MS, 100).await?;
    let system = Actor::guest();
    for id in &unused {
        personal_data::erase(&mut tx, *id, false, now).await?;
        audit::record(
            &mut tx,
            &system,
            "member.erase_unused",
            Target::Account(*id),
            "",
            &format!("unused for {days} days"),
            now,
        )
        .await?;
    }
    hearth_store::commit(tx).await?;
    Ok(unused.len())
}
