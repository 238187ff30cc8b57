//! The moderators' work: the queue (approve, edit then approve, reject),
//! members' flags, and what the spam filter learns from those decisions.

use hearth_core::access::{Action, Viewer, decide};
use hearth_core::guard::spam;
use hearth_core::model::{FlagReason, HoldReason, PostId, TopicId};
use hearth_core::text::{clean_text, render_markdown};
use hearth_store::notifications::{Kind, NewNotification};
use hearth_store::queue::{self, Item};
use hearth_store::{Conn, flags, posts, topics};

use super::Actor;
use super::audit::{self, Target};
use super::forum::{self, EditContext};
use super::safety;
use crate::App;
use crate::error::{Problems, ServiceError, ServiceResult};

pub const QUEUE_PAGE: i64 = 50;
const NOTE_MAX_CHARS: usize = 1000;

fn require_reviewer(actor: &Actor) -> ServiceResult<()> {
    actor.require(
        Viewer::reviews,
        "Only staff and moderators can see the moderation queue.",
    )
}

/// Open queue items, urgent first.
pub async fn queue(app: &App, actor: &Actor) -> ServiceResult<Vec<Item>> {
    require_reviewer(actor)?;
    Ok(queue::open(&mut *app.store().read().await?, QUEUE_PAGE).await?)
}

/// One open queue item, for editing before approval.
pub async fn queued(app: &App, actor: &Actor, post: PostId) -> ServiceResult<Item> {
    require_reviewer(actor)?;
    queue::open_item(&mut *app.store().read().await?, post)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// What waits for staff: queue items plus flagged posts (0 for everyone else).
pub async fn waiting(app: &App, actor: &Actor) -> ServiceResult<i64> {
    if !actor.viewer().reviews() {
        return Ok(0);
    }
    let mut conn = app.store().read().await?;
    Ok(queue::open_count(&mut conn).await? + flags::flagged_post_count(&mut conn).await?)
}

/// A reviewer's decision on a queued post.
#[derive(Clone, Debug)]
pub enum Decision {
    /// Publish it; with a text, edited first (the author and moderators can
    /// still see the original in its history; nobody else ever could).
    Approve { edited: Option<String> },
    /// Refuse it, telling the author why; as spam, the filter learns from it.
    Reject { reason: String, spam: bool },
}

fn check_note(problems: &mut Problems, field: &'static str, note: &str, required: &str) {
    let chars = note.trim().chars().count();
    if chars == 0 && !required.is_empty() {
        problems.add(field, required);
    } else if chars > NOTE_MAX_CHARS {
        problems.add(
            field,
            format!("Keep it under {NOTE_MAX_CHARS} characters; this has {chars}."),
        );
    }
}

fn validate(decision: &Decision) -> ServiceResult<Decision> {
    let mut problems = Problems::default();
    let clean = match decision {
        Decision::Approve { edited } => {
            let edited = edited.as_deref().map(clean_text);
            if let Some(text) = &edited {
                forum::check_body(&mut problems, text);
            }
            Decision::Approve {
                edited: edited.map(|t| t.trim().to_owned()),
            }
        }
        Decision::Reject { reason, spam } => {
            let reason = clean_text(reason);
            check_note(
                &mut problems,
                "reason",
                &reason,
                "Tell the author in a sentence why their post was not approved.",
            );
            Decision::Reject {
                reason: reason.trim().to_owned(),
                spam: *spam,
            }
        }
    };
    problems.into_result()?;
    Ok(clean)
}

pub async fn decide_one(
    app: &App,
    actor: &Actor,
    post: PostId,
    decision: &Decision,
) -> ServiceResult<TopicId> {
    require_reviewer(actor)?;
    let decision = validate(decision)?;
    let mut tx = app.store().write().await?;
    let topic = decide_in(app, &mut tx, actor, post, &decision).await?;
    hearth_store::commit(tx).await?;
    Ok(topic)
}

/// The same decision on several posts at once (all or none are decided).
pub async fn decide_many(
    app: &App,
    actor: &Actor,
    post_ids: &[PostId],
    decision: &Decision,
) -> ServiceResult<usize> {
    require_reviewer(actor)?;
    if post_ids.is_empty() {
        return Err(ServiceError::field(
            "post",
            "Tick at least one post to act on.",
        ));
    }
    if matches!(decision, Decision::Approve { edited: Some(_) }) {
        return Err(ServiceError::field("post", "Edit posts one at a time."));
    }
    let decision = validate(decision)?;
    let mut tx = app.store().write().await?;
    for &post in post_ids {
        decide_in(app, &mut tx, actor, post, &decision).await?;
    }
    hearth_store::commit(tx).await?;
    Ok(post_ids.len())
}

async fn decide_in(
    app: &App,
    conn: &mut Conn,
    actor: &Actor,
    post_id: PostId,
    decision: &Decision,
) -> ServiceResult<TopicId> {
    let viewer = actor.viewer();
    let me = viewer.account().ok_or(ServiceError::SignInRequired)?;
    let ctx = forum::reviewable(conn, viewer, post_id).await?;
    if ctx.post.deleted_at.is_some() {
        return Err(ServiceError::Forbidden(format!(
            "Post {post_id} was deleted, so there is nothing to decide."
        )));
    }
    let item = queue::open_item(conn, post_id).await?;
    if item.is_none() && !ctx.post.held && !ctx.post.hidden {
        return Err(ServiceError::Forbidden(format!(
            "Post {post_id} is not waiting for a decision (someone may have decided first)."
        )));
    }
    let now = app.now();
    match decision {
        Decision::Approve { edited } => {
            if let Some(text) = edited.as_deref().filter(|t| *t != ctx.post.body_md) {
                posts::edit(conn, &ctx.post, me, text, &render_markdown(text), now).await?;
                let title = ctx.is_opening.then_some(ctx.topic.title.as_str());
                super::search::index_post(app, conn, ctx.post.id, title, text).await?;
            }
            record_decision(conn, item.is_some(), post_id, me, "approved", "", now).await?;
            publish(conn, &ctx, now).await?;
            if item.as_ref().is_some_and(|i| i.held) {
                learn(app, conn, &ctx, false, now).await?;
            }
            if let Some(author) = ctx.post.author_id.filter(|_| ctx.post.held) {
                super::notification_mail::notify(
                    conn,
                    NewNotification {
                        to: author,
                        kind: Kind::Approved,
                        topic: ctx.topic.id,
                        post: post_id,
                        actor: Some(me),
                        note: None,
                    },
                    now,
                )
                .await?;
            }
            let detail = if edited.is_some() { "edited" } else { "" };
            audit::record(
                conn,
                actor,
                "post.approve",
                Target::Post(post_id),
                "",
                detail,
                now,
            )
            .await?;
        }
        Decision::Reject { reason, spam } => {
            let outcome = if *spam { "rejected_spam" } else { "rejected" };
            record_decision(conn, item.is_some(), post_id, me, outcome, reason, now).await?;
            let edit_under_review = !ctx.post.held && item.as_ref().is_some_and(|i| i.held);
            if edit_under_review && !*spam {
                // The post was fine before this edit: the edit goes, the post stays.
                restore_before_edit(app, conn, &ctx, me, now).await?;
            } else {
                forum::take_down(conn, &ctx, Some(me), now).await?;
            }
            if *spam {
                learn(app, conn, &ctx, true, now).await?;
            }
            if let Some(author) = ctx.post.author_id {
                super::notification_mail::notify(
                    conn,
                    NewNotification {
                        to: author,
                        kind: Kind::Rejected,
                        topic: ctx.topic.id,
                        post: post_id,
                        actor: Some(me),
                        note: Some(reason),
                    },
                    now,
                )
                .await?;
            }
            let action = if *spam {
                "post.reject_spam"
            } else {
                "post.reject"
            };
            audit::record(conn, actor, action, Target::Post(post_id), reason, "", now).await?;
        }
    }
    Ok(ctx.topic.id)
}

/// Marks the queue item decided; someone else deciding first is an error
/// (so that counters and notifications move once).
async fn record_decision(
    conn: &mut Conn,
    queued: bool,
    post: PostId,
    me: hearth_core::model::AccountId,
    outcome: &str,
    note: &str,
    now: i64,
) -> ServiceResult<()> {
    if queued && !queue::decide(conn, post, me, outcome, note, now).await? {
        return Err(ServiceError::Forbidden(format!(
            "Post {post} was decided by someone else a moment ago."
        )));
    }
    Ok(())
}

/// Puts back the text a published post had before the edit now rejected
/// (the rejected text stays in its history, for the author and moderators).
async fn restore_before_edit(
    app: &App,
    conn: &mut Conn,
    ctx: &EditContext,
    me: hearth_core::model::AccountId,
    now: i64,
) -> ServiceResult<()> {
    if let Some(before) = posts::revisions(conn, ctx.post.id).await?.pop() {
        let html = render_markdown(&before.body_md);
        posts::edit(conn, &ctx.post, me, &before.body_md, &html, now).await?;
        let title = ctx.is_opening.then_some(ctx.topic.title.as_str());
        super::search::index_post(app, conn, ctx.post.id, title, &before.body_md).await?;
    }
    if flags::open_on_post(conn, ctx.post.id).await? == 0 {
        posts::set_hidden(conn, ctx.post.id, None).await?;
    }
    Ok(())
}

/// Makes a held or hidden post visible to its readers.
async fn publish(conn: &mut Conn, ctx: &EditContext, now: i64) -> ServiceResult<()> {
    // Members' open flags keep a post hidden until they are resolved.
    if ctx.post.hidden && flags::open_on_post(conn, ctx.post.id).await? == 0 {
        posts::set_hidden(conn, ctx.post.id, None).await?;
    }
    if !ctx.post.held || !posts::release(conn, ctx.post.id).await? {
        return Ok(());
    }
    // Only approving the opening post publishes a held topic; an approved
    // reply in it waits for its topic.
    if ctx.topic.held && ctx.is_opening {
        // Approving a topic publishes it with every visible post in it.
        topics::set_held(conn, ctx.topic.id, false).await?;
        for id in posts::visible_ids(conn, ctx.topic.id).await? {
            forum::publish_post(conn, &ctx.space, ctx.topic.id, id, now).await?;
        }
    } else {
        forum::publish_post(conn, &ctx.space, ctx.topic.id, ctx.post.id, now).await?;
    }
    Ok(())
}

/// The spam filter learns from a decision (on every node: the version moves).
async fn learn(
    app: &App,
    conn: &mut Conn,
    ctx: &EditContext,
    is_spam: bool,
    now: i64,
) -> ServiceResult<()> {
    let text = if ctx.is_opening {
        format!("{}\n{}", ctx.topic.title, ctx.post.body_md)
    } else {
        ctx.post.body_md.clone()
    };
    let features = spam::features(&text);
    hearth_store::spam::learn(conn, &features, is_spam).await?;
    hearth_store::spam::add_example(
        conn,
        Some(ctx.post.id),
        ctx.post.author_id,
        is_spam,
        &text,
        now,
    )
    .await?;
    safety::bump_version(conn, safety::keys::SPAM_VERSION, app.now()).await
}

/// What a member said when flagging.
#[derive(Clone, Debug, Default)]
pub struct Flag {
    pub reason: String,
    pub note: String,
}

/// A member flags a post; enough flags from different members hide it.
/// Returns whether the post is now hidden.
pub async fn flag(app: &App, actor: &Actor, post_id: PostId, flag: &Flag) -> ServiceResult<bool> {
    let viewer = actor.viewer();
    let me = viewer.account().ok_or(ServiceError::SignInRequired)?;
    let mut problems = Problems::default();
    let reason = FlagReason::parse(&flag.reason);
    if reason.is_none() {
        problems.add("reason", "Choose what is wrong with the post.");
    }
    let note = clean_text(&flag.note);
    let required = if reason == Some(FlagReason::Other) {
        "Tell the moderators what is wrong."
    } else {
        ""
    };
    check_note(&mut problems, "note", &note, required);
    problems.into_result()?;
    let reason = reason.unwrap_or(FlagReason::Other);
    let mut tx = app.store().write().await?;
    let rules = safety::rules_on(app, &mut tx).await?;
    let (space, _topic, post) = forum::readable_post(&mut tx, viewer, post_id).await?;
    ServiceError::check(decide(viewer, space.tier, Action::Like))?;
    if post.author_id == Some(me) {
        return Err(ServiceError::Forbidden(
            "You cannot flag your own post; you can edit or delete it instead.".into(),
        ));
    }
    if post.deleted_at.is_some() {
        return Err(ServiceError::Forbidden(
            "This post was already deleted.".into(),
        ));
    }
    let now = app.now();
    if !flags::add(&mut tx, post_id, me, reason, note.trim(), now).await? {
        return Err(ServiceError::field(
            "reason",
            "You have already flagged this post. The moderators will look at it.",
        ));
    }
    let open = flags::open_on_post(&mut tx, post_id).await?;
    let hide = !post.hidden && !post.held && open >= rules.limits.flags_to_hide.max(1);
    if hide {
        posts::set_hidden(&mut tx, post_id, Some(now)).await?;
    }
    hearth_store::commit(tx).await?;
    Ok(hide || post.hidden)
}

/// A flagged post with its flags, for the reviewers' list.
pub struct Flagged {
    pub post: hearth_store::posts::Post,
    pub topic_title: String,
    pub flags: Vec<flags::Flag>,
}

pub async fn flagged(app: &App, actor: &Actor) -> ServiceResult<Vec<Flagged>> {
    require_reviewer(actor)?;
    let mut conn = app.store().read().await?;
    let mut out: Vec<Flagged> = Vec::new();
    for f in flags::open(&mut conn, QUEUE_PAGE).await? {
        match out.last_mut() {
            Some(last) if last.post.id == f.post_id => last.flags.push(f),
            _ => {
                let Some(post) = posts::by_id(&mut conn, f.post_id, None).await? else {
                    continue;
                };
                let topic_title = topics::by_id(&mut conn, post.topic_id, None)
                    .await?
                    .map(|t| t.title)
                    .unwrap_or_default();
                out.push(Flagged {
                    post,
                    topic_title,
                    flags: vec![f],
                });
            }
        }
    }
    Ok(out)
}

/// What a reviewer decides about a flagged post.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagOutcome {
    /// The post is fine: shown again if it was hidden.
    Keep,
    /// The post goes.
    Remove,
}

pub async fn resolve_flags(
    app: &App,
    actor: &Actor,
    post_id: PostId,
    outcome: FlagOutcome,
    note: &str,
) -> ServiceResult<TopicId> {
    require_reviewer(actor)?;
    let viewer = actor.viewer();
    let me = viewer.account().ok_or(ServiceError::SignInRequired)?;
    let note = clean_text(note);
    let mut problems = Problems::default();
    check_note(&mut problems, "note", &note, "");
    problems.into_result()?;
    let mut tx = app.store().write().await?;
    let ctx = forum::reviewable(&mut tx, viewer, post_id).await?;
    // Staff may remove members' posts; a moderator's or admin's post only a moderator.
    let author_moderates = ctx.post.author_role.is_some_and(|r| r.moderates());
    if outcome == FlagOutcome::Remove && author_moderates && !viewer.moderates() {
        return Err(ServiceError::Forbidden(
            "Only a moderator can remove a moderator's post.".into(),
        ));
    }
    let now = app.now();
    let (word, action) = match outcome {
        FlagOutcome::Keep => ("kept", "flags.keep"),
        FlagOutcome::Remove => ("removed", "flags.remove"),
    };
    let flaggers = flags::resolve(&mut tx, post_id, me, word, now).await?;
    if flaggers.is_empty() {
        return Err(ServiceError::Forbidden(
            "This post has no flags waiting (someone may have decided first).".into(),
        ));
    }
    match outcome {
        // Shown again, unless an edit of it still waits in the queue.
        FlagOutcome::Keep if ctx.post.hidden => {
            let edit_waits = queue::open_item(&mut tx, post_id)
                .await?
                .is_some_and(|i| i.held);
            if !edit_waits {
                posts::set_hidden(&mut tx, post_id, None).await?;
            }
        }
        FlagOutcome::Keep => {}
        FlagOutcome::Remove if ctx.post.deleted_at.is_none() => {
            forum::take_down(&mut tx, &ctx, Some(me), now).await?
        }
        FlagOutcome::Remove => {}
    }
    let told = match outcome {
        FlagOutcome::Keep => "A moderator looked at the post you flagged and decided to keep it.",
        FlagOutcome::Remove => {
            "A moderator looked at the post you flagged and removed it. Thank you."
        }
    };
    let told = if note.trim().is_empty() {
        told.to_owned()
    } else {
        format!("{told} {}", note.trim())
    };
    for flagger in flaggers {
        super::notification_mail::notify(
            &mut tx,
            NewNotification {
                to: flagger,
                kind: Kind::FlagOutcome,
                topic: ctx.topic.id,
                post: post_id,
                actor: Some(me),
                note: Some(&told),
            },
            now,
        )
        .await?;
    }
    audit::record(
        &mut tx,
        actor,
        action,
        Target::Post(post_id),
        note.trim(),
        "",
        now,
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(ctx.topic.id)
}

/// The reasons, in words, for a queue item (for pages and the API).
pub fn reason_labels(reasons: &[HoldReason]) -> Vec<&'static str> {
    reasons.iter().map(|r| r.label()).collect()
}
