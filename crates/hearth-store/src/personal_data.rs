//! Everything the store holds about one person, for the rights to a copy and
//! to erasure. Erasure keeps the account row (posts, audit records and
//! moderators' actions point at it) but leaves nothing in it that says who
//! the person was.

use hearth_core::model::{AccountId, PostId, TopicId};
use serde::Serialize;
use sqlx::Row;

use crate::{Conn, Result};

/// The alias an erased account shows under.
pub const FORMER_MEMBER: &str = "Former member";

#[derive(Debug, Serialize)]
pub struct PostRecord {
    pub id: i64,
    pub topic_id: i64,
    pub topic_title: String,
    pub space: String,
    pub body_markdown: String,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub held: bool,
    pub deleted: bool,
}

/// A chat message, in a room or a private conversation.
#[derive(Debug, Serialize)]
pub struct ChatRecord {
    pub id: i64,
    /// The room's name, or the private conversation's subject.
    pub place: String,
    pub private: bool,
    pub body_markdown: String,
    pub created_at: i64,
    pub deleted: bool,
}

#[derive(Debug, Serialize)]
pub struct RevisionRecord {
    pub post_id: i64,
    pub revision: i64,
    pub body_markdown: String,
    pub replaced_at: i64,
}

#[derive(Debug, Serialize)]
pub struct FlagRecord {
    pub post_id: i64,
    pub reason: String,
    pub note: String,
    pub created_at: i64,
    pub outcome: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AcceptanceRecord {
    pub document: String,
    pub version: i64,
    pub accepted_at: i64,
}

#[derive(Debug, Serialize)]
pub struct ModerationRecord {
    pub kind: String,
    pub reason: String,
    pub created_at: i64,
    pub ends_at: Option<i64>,
    pub lifted_at: Option<i64>,
}

/// What the store holds about a person besides their account row.
#[derive(Debug, Serialize)]
pub struct Records {
    pub posts: Vec<PostRecord>,
    pub chat_messages: Vec<ChatRecord>,
    pub earlier_versions: Vec<RevisionRecord>,
    pub liked_posts: Vec<i64>,
    pub watched_topics: Vec<i64>,
    pub flags: Vec<FlagRecord>,
    pub accepted: Vec<AcceptanceRecord>,
    pub moderators_actions: Vec<ModerationRecord>,
    pub access_tokens: Vec<String>,
    /// When the private feed token was made (the token itself is not kept).
    pub feed_token_made_at: Option<i64>,
}

pub async fn records(conn: &mut Conn, id: AccountId) -> Result<Records> {
    let posts = sqlx::query(
        "SELECT p.id, p.topic_id, t.title, s.slug, p.body_md, p.created_at, p.edited_at, p.held, p.deleted_at
         FROM posts p JOIN topics t ON t.id = p.topic_id JOIN spaces s ON s.id = t.space_id
         WHERE p.author_id = $1 ORDER BY p.id",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(PostRecord {
            id: r.try_get(0)?,
            topic_id: r.try_get(1)?,
            topic_title: r.try_get(2)?,
            space: r.try_get(3)?,
            body_markdown: r.try_get(4)?,
            created_at: r.try_get(5)?,
            edited_at: r.try_get(6)?,
            held: crate::flag(r.try_get(7)?),
            deleted: r.try_get::<Option<i64>, _>(8)?.is_some(),
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let chat_messages = sqlx::query(
        "SELECT m.id, s.name, s.kind, m.body_md, m.created_at, m.deleted_at
         FROM chat_messages m JOIN spaces s ON s.id = m.room_id
         WHERE m.author_id = $1 ORDER BY m.id",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(ChatRecord {
            id: r.try_get(0)?,
            place: r.try_get(1)?,
            private: r.try_get::<String, _>(2)? == "conversation",
            body_markdown: r.try_get(3)?,
            created_at: r.try_get(4)?,
            deleted: r.try_get::<Option<i64>, _>(5)?.is_some(),
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let earlier_versions = sqlx::query(
        "SELECT r.post_id, r.revision, r.body_md, r.created_at FROM post_revisions r
         JOIN posts p ON p.id = r.post_id WHERE p.author_id = $1 ORDER BY r.post_id, r.revision",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(RevisionRecord {
            post_id: r.try_get(0)?,
            revision: r.try_get(1)?,
            body_markdown: r.try_get(2)?,
            replaced_at: r.try_get(3)?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let ids = |sql: &'static str| sqlx::query(sql).bind(id.0);
    let liked_posts = ids("SELECT post_id FROM likes WHERE account_id = $1 ORDER BY post_id")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<Vec<i64>, _>>()?;
    let watched_topics =
        ids("SELECT topic_id FROM watches WHERE account_id = $1 ORDER BY topic_id")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<Vec<i64>, _>>()?;
    let flags = ids(
        "SELECT post_id, reason, note, created_at, outcome FROM flags WHERE account_id = $1 ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(FlagRecord {
            post_id: r.try_get(0)?,
            reason: r.try_get(1)?,
            note: r.try_get(2)?,
            created_at: r.try_get(3)?,
            outcome: r.try_get(4)?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let accepted = ids(
        "SELECT d.kind, d.version, x.accepted_at FROM acceptances x
         JOIN legal_documents d ON d.id = x.document_id WHERE x.account_id = $1 ORDER BY x.accepted_at",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(AcceptanceRecord {
            document: r.try_get(0)?,
            version: r.try_get(1)?,
            accepted_at: r.try_get(2)?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let moderators_actions = ids(
        "SELECT kind, reason, created_at, ends_at, lifted_at FROM member_actions
         WHERE account_id = $1 ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(ModerationRecord {
            kind: r.try_get(0)?,
            reason: r.try_get(1)?,
            created_at: r.try_get(2)?,
            ends_at: r.try_get(3)?,
            lifted_at: r.try_get(4)?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let access_tokens =
        ids("SELECT name FROM api_tokens WHERE account_id = $1 AND revoked_at IS NULL ORDER BY id")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<Vec<String>, _>>()?;
    let feed_token_made_at = crate::tokens::feed_token_created(conn, id).await?;
    Ok(Records {
        posts,
        chat_messages,
        earlier_versions,
        liked_posts,
        watched_topics,
        flags,
        accepted,
        moderators_actions,
        access_tokens,
        feed_token_made_at,
    })
}

/// A post of the person that others can still see, with what erasure needs.
pub struct LivePost {
    pub id: PostId,
    pub topic: TopicId,
}

/// The person's posts that are not deleted yet, newest first (replies are
/// taken down before the topics they stand in).
pub async fn live_posts(conn: &mut Conn, id: AccountId) -> Result<Vec<LivePost>> {
    sqlx::query(
        "SELECT id, topic_id FROM posts WHERE author_id = $1 AND deleted_at IS NULL ORDER BY id DESC",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(LivePost {
            id: PostId(r.try_get(0)?),
            topic: TopicId(r.try_get(1)?),
        })
    })
    .collect()
}

/// Erases what identifies the person: sealed email, alias, password,
/// sessions, tokens, likes, reading positions, notifications, acceptances,
/// flags, spam examples, every earlier version of their posts and chat
/// messages, their chat reactions and their private conversations. With `texts`, the text of their deleted posts and
/// of all their chat messages goes too. Posts themselves are
/// the caller's (counters must follow).
pub async fn erase(conn: &mut Conn, id: AccountId, texts: bool, now: i64) -> Result<()> {
    let gone = format!("erased:{}", id.0);
    sqlx::query(
        "UPDATE accounts SET alias = $1, alias_folded = $2, email_sealed = $3, email_index = $4,
                password_hash = '', role = 'member', email_verified_at = NULL, last_seen_at = NULL,
                erased_at = $5
         WHERE id = $6",
    )
    .bind(FORMER_MEMBER)
    .bind(&gone)
    .bind(Vec::<u8>::new())
    .bind(gone.as_bytes().to_vec())
    .bind(now)
    .bind(id.0)
    .execute(&mut *conn)
    .await?;
    // Likes are counted on the posts; take the counts back first.
    sqlx::query(
        "UPDATE posts SET like_count = like_count - 1
         WHERE id IN (SELECT post_id FROM likes WHERE account_id = $1)",
    )
    .bind(id.0)
    .execute(&mut *conn)
    .await?;
    for sql in [
        "DELETE FROM sessions WHERE account_id = $1",
        "DELETE FROM api_tokens WHERE account_id = $1",
        "DELETE FROM feed_tokens WHERE account_id = $1",
        "DELETE FROM one_time_tokens WHERE account_id = $1",
        "DELETE FROM likes WHERE account_id = $1",
        "DELETE FROM watches WHERE account_id = $1",
        "DELETE FROM topic_reads WHERE account_id = $1",
        "DELETE FROM notifications WHERE account_id = $1",
        "DELETE FROM acceptances WHERE account_id = $1",
        "DELETE FROM flags WHERE account_id = $1",
        "DELETE FROM spam_examples WHERE author_id = $1",
        "DELETE FROM post_revisions WHERE post_id IN (SELECT id FROM posts WHERE author_id = $1)",
        "DELETE FROM chat_reactions WHERE account_id = $1",
        "DELETE FROM chat_message_edits WHERE message_id IN (SELECT id FROM chat_messages WHERE author_id = $1)",
        "UPDATE queue_items SET detail = '{}' WHERE post_id IN (SELECT id FROM posts WHERE author_id = $1)",
    ] {
        sqlx::query(sql).bind(id.0).execute(&mut *conn).await?;
    }
    // Their private conversations with staff are theirs alone: they go.
    sqlx::query(
        "DELETE FROM spaces WHERE kind = 'conversation'
            AND id IN (SELECT space_id FROM conversations WHERE member_id = $1)",
    )
    .bind(id.0)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM conversation_people WHERE account_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    if texts {
        sqlx::query(
            "UPDATE posts SET body_md = '', body_html = '' WHERE author_id = $1 AND deleted_at IS NOT NULL",
        )
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
        // Chat messages have no thread to keep: every one goes, text and all.
        sqlx::query(
            "UPDATE chat_messages SET body_md = '', body_html = '', deleted_at = COALESCE(deleted_at, $2)
             WHERE author_id = $1",
        )
        .bind(id.0)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Members' and volunteers' accounts not used since `before` (staff,
/// moderators and admins are never erased by the clock), oldest first.
pub async fn unused_since(conn: &mut Conn, before: i64, limit: i64) -> Result<Vec<AccountId>> {
    sqlx::query(
        "SELECT id FROM accounts
         WHERE erased_at IS NULL AND role IN ('member', 'volunteer')
           AND COALESCE(last_seen_at, created_at) < $1
         ORDER BY id LIMIT $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok(AccountId(r.try_get(0)?)))
    .collect()
}
