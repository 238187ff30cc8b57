//! Chat rooms (spaces of kind `room`) and their messages, paged by id: back
//! through history, or forward from the last message a client has.

use hearth_core::model::{AccountId, Alias, ChatReaction, Role, SpaceId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Conn, Result, flag};

/// What a room has beyond its space.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoomSettings {
    /// Only staff and moderators write.
    pub locked: bool,
    /// Seconds a member waits between messages (0: none).
    pub slow_mode_secs: i64,
}

/// A room's settings (the defaults until a moderator changes one).
pub async fn settings(conn: &mut Conn, room: SpaceId) -> Result<RoomSettings> {
    let row = sqlx::query("SELECT locked, slow_mode_secs FROM rooms WHERE space_id = $1")
        .bind(room.0)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(row) => RoomSettings {
            locked: flag(row.try_get("locked")?),
            slow_mode_secs: row.try_get("slow_mode_secs")?,
        },
        None => RoomSettings::default(),
    })
}

/// A room's opening hours as stored: one session a line (empty: always open).
pub async fn hours(conn: &mut Conn, room: SpaceId) -> Result<String> {
    let row = sqlx::query("SELECT hours FROM rooms WHERE space_id = $1")
        .bind(room.0)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(row) => row.try_get("hours")?,
        None => String::new(),
    })
}

pub async fn set_hours(conn: &mut Conn, room: SpaceId, hours: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO rooms (space_id, hours) VALUES ($1, $2)
         ON CONFLICT (space_id) DO UPDATE SET hours = excluded.hours",
    )
    .bind(room.0)
    .bind(hours)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_settings(conn: &mut Conn, room: SpaceId, s: RoomSettings) -> Result<()> {
    sqlx::query(
        "INSERT INTO rooms (space_id, locked, slow_mode_secs) VALUES ($1, $2, $3)
         ON CONFLICT (space_id) DO UPDATE SET locked = excluded.locked,
            slow_mode_secs = excluded.slow_mode_secs",
    )
    .bind(room.0)
    .bind(i64::from(s.locked))
    .bind(s.slow_mode_secs)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    pub room_id: SpaceId,
    pub author_id: Option<AccountId>,
    pub author_alias: Option<Alias>,
    pub author_role: Option<Role>,
    pub reply_to_id: Option<i64>,
    /// Who the answered message is by.
    pub reply_to_alias: Option<String>,
    pub body_md: String,
    pub body_html: String,
    pub held: bool,
    /// A question left for the next session, not yet picked up: only its
    /// author and staff see it.
    pub waiting: bool,
    /// A question that was picked up: when it was asked.
    pub asked_at: Option<i64>,
    /// A question that was picked up: the id it had while it waited.
    pub asked_as: Option<i64>,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
    /// Its reactions, in `ChatReaction::ALL` order (kinds no one chose left out).
    pub reactions: Vec<Reactions>,
}

/// Who reacted to a message one way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reactions {
    pub reaction: ChatReaction,
    /// Sorted.
    pub accounts: Vec<AccountId>,
}

impl Reactions {
    pub fn includes(&self, account: Option<AccountId>) -> bool {
        account.is_some_and(|a| self.accounts.binary_search(&a).is_ok())
    }
}

impl Message {
    /// Seen only by its author and the reviewers (staff and moderators).
    pub fn kept_back(&self) -> bool {
        self.held || self.waiting
    }

    /// Whether `account` reacted to it this way.
    pub fn chose(&self, reaction: ChatReaction, account: Option<AccountId>) -> bool {
        self.reactions
            .iter()
            .any(|r| r.reaction == reaction && r.includes(account))
    }
}

pub struct NewMessage<'a> {
    pub room: SpaceId,
    pub author: AccountId,
    pub reply_to: Option<i64>,
    pub body_md: &'a str,
    pub body_html: &'a str,
    pub held: bool,
    /// A question for the next session.
    pub waiting: bool,
}

pub async fn insert(conn: &mut Conn, m: NewMessage<'_>, now: i64) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO chat_messages (room_id, author_id, reply_to_id, body_md, body_html, held, waiting, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(m.room.0)
    .bind(m.author.0)
    .bind(m.reply_to)
    .bind(m.body_md)
    .bind(m.body_html)
    .bind(i64::from(m.held))
    .bind(i64::from(m.waiting))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?)
}

const SELECT: &str = "SELECT m.id, m.room_id, m.author_id, a.alias AS author_alias,
        a.role AS author_role, m.reply_to_id, ra.alias AS reply_to_alias, m.body_md,
        m.body_html, m.held, m.waiting, m.asked_at, m.asked_as, m.created_at, m.edited_at,
        m.deleted_at
    FROM chat_messages m
    LEFT JOIN accounts a ON a.id = m.author_id
    LEFT JOIN chat_messages rm ON rm.id = m.reply_to_id
    LEFT JOIN accounts ra ON ra.id = rm.author_id";

fn from_row(row: &AnyRow) -> Result<Message> {
    Ok(Message {
        id: row.try_get("id")?,
        room_id: SpaceId(row.try_get("room_id")?),
        author_id: row.try_get::<Option<i64>, _>("author_id")?.map(AccountId),
        author_alias: row
            .try_get::<Option<String>, _>("author_alias")?
            .map(Alias::from_trusted),
        author_role: row
            .try_get::<Option<String>, _>("author_role")?
            .and_then(|r| Role::parse(&r)),
        reply_to_id: row.try_get("reply_to_id")?,
        reply_to_alias: row.try_get("reply_to_alias")?,
        body_md: row.try_get("body_md")?,
        body_html: row.try_get("body_html")?,
        held: flag(row.try_get("held")?),
        waiting: flag(row.try_get("waiting")?),
        asked_at: row.try_get("asked_at")?,
        asked_as: row.try_get("asked_as")?,
        created_at: row.try_get("created_at")?,
        edited_at: row.try_get("edited_at")?,
        deleted_at: row.try_get("deleted_at")?,
        reactions: Vec::new(),
    })
}

/// Who is reading, for held messages and waiting questions: their author
/// and the reviewers see them.
#[derive(Clone, Copy, Debug)]
pub struct Reader {
    pub account: Option<AccountId>,
    pub moderator: bool,
}

const VISIBLE: &str = "((m.held = 0 AND m.waiting = 0) OR m.author_id = $2 OR $3 = 1)";

/// Up to `limit` messages before `before` (the newest when `None`), oldest
/// first. Waiting questions are not history: `waiting` lists them.
pub async fn before(
    conn: &mut Conn,
    room: SpaceId,
    reader: Reader,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Message>> {
    let sql = format!(
        "{SELECT} WHERE m.room_id = $1 AND {VISIBLE} AND m.waiting = 0 AND m.id < $4
         ORDER BY m.id DESC LIMIT $5"
    );
    let rows = sqlx::query(&sql)
        .bind(room.0)
        .bind(reader.account.map_or(0, |a| a.0))
        .bind(i64::from(reader.moderator))
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let mut messages = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    messages.reverse();
    add_reactions(conn, &mut messages).await?;
    Ok(messages)
}

/// Up to `limit` messages after `after`, oldest first: what a client that
/// has `after` missed (with the waiting questions its reader may see).
pub async fn after(
    conn: &mut Conn,
    room: SpaceId,
    reader: Reader,
    after: i64,
    limit: i64,
) -> Result<Vec<Message>> {
    let sql =
        format!("{SELECT} WHERE m.room_id = $1 AND {VISIBLE} AND m.id > $4 ORDER BY m.id LIMIT $5");
    let rows = sqlx::query(&sql)
        .bind(room.0)
        .bind(reader.account.map_or(0, |a| a.0))
        .bind(i64::from(reader.moderator))
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let mut messages = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    add_reactions(conn, &mut messages).await?;
    Ok(messages)
}

/// The questions waiting in a room that this reader may see (a reviewer
/// all, a member their own), oldest first.
pub async fn waiting(
    conn: &mut Conn,
    room: SpaceId,
    reader: Reader,
    limit: i64,
) -> Result<Vec<Message>> {
    let Some(account) = reader.account else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "{SELECT} WHERE m.room_id = $1 AND m.waiting = 1 AND m.deleted_at IS NULL
            AND (m.author_id = $2 OR $3 = 1)
         ORDER BY m.id LIMIT $4"
    );
    let rows = sqlx::query(&sql)
        .bind(room.0)
        .bind(account.0)
        .bind(i64::from(reader.moderator))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Moves a waiting question to the end of its room as a message everyone
/// may see, marked with when it was asked. Returns its new id, or None if
/// it is no longer waiting (picked up by someone else, or deleted).
pub async fn pick_up(conn: &mut Conn, id: i64, now: i64) -> Result<Option<i64>> {
    // Deleting first: of two staff picking up at once, the second finds
    // nothing (PostgreSQL waits for the first's row lock).
    let Some(old) = sqlx::query(
        "DELETE FROM chat_messages WHERE id = $1 AND waiting = 1 AND deleted_at IS NULL
         RETURNING room_id, author_id, reply_to_id, body_md, body_html, created_at, edited_at",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let new_id = sqlx::query(
        "INSERT INTO chat_messages (room_id, author_id, reply_to_id, body_md, body_html, held,
            waiting, asked_at, asked_as, created_at, edited_at)
         VALUES ($1, $2, $3, $4, $5, 0, 0, $6, $7, $8, $9) RETURNING id",
    )
    .bind(old.try_get::<i64, _>("room_id")?)
    .bind(old.try_get::<Option<i64>, _>("author_id")?)
    .bind(old.try_get::<Option<i64>, _>("reply_to_id")?)
    .bind(old.try_get::<String, _>("body_md")?)
    .bind(old.try_get::<String, _>("body_html")?)
    .bind(old.try_get::<i64, _>("created_at")?)
    .bind(id)
    .bind(now)
    .bind(old.try_get::<Option<i64>, _>("edited_at")?)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok(Some(new_id))
}

/// The message a picked-up question became.
pub async fn by_asked_as(conn: &mut Conn, question: i64) -> Result<Option<Message>> {
    let sql = format!("{SELECT} WHERE m.asked_as = $1");
    let row = sqlx::query(&sql)
        .bind(question)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<Message>> {
    let sql = format!("{SELECT} WHERE m.id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut messages = [from_row(&row)?];
    add_reactions(conn, &mut messages).await?;
    let [message] = messages;
    Ok(Some(message))
}

/// Loads the reactions of these messages (one query).
async fn add_reactions(conn: &mut Conn, messages: &mut [Message]) -> Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let places = (1..=messages.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT message_id, reaction, account_id FROM chat_reactions
         WHERE message_id IN ({places}) ORDER BY message_id, account_id"
    );
    let mut query = sqlx::query(&sql);
    for m in messages.iter() {
        query = query.bind(m.id);
    }
    for row in query.fetch_all(&mut *conn).await? {
        let id: i64 = row.try_get(0)?;
        let Some(reaction) = ChatReaction::parse(&row.try_get::<String, _>(1)?) else {
            continue;
        };
        let account = AccountId(row.try_get(2)?);
        let Some(m) = messages.iter_mut().find(|m| m.id == id) else {
            continue;
        };
        match m.reactions.iter_mut().find(|r| r.reaction == reaction) {
            Some(r) => r.accounts.push(account),
            None => m.reactions.push(Reactions {
                reaction,
                accounts: vec![account],
            }),
        }
    }
    for m in messages.iter_mut() {
        m.reactions.sort_by_key(|r| r.reaction);
    }
    Ok(())
}

/// Adds (`on`) or takes back a member's reaction; false if it was so already.
pub async fn set_reaction(
    conn: &mut Conn,
    message: i64,
    account: AccountId,
    reaction: ChatReaction,
    on: bool,
    now: i64,
) -> Result<bool> {
    let done = if on {
        sqlx::query(
            "INSERT INTO chat_reactions (message_id, reaction, account_id, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(message)
        .bind(reaction.as_str())
        .bind(account.0)
        .bind(now)
        .execute(&mut *conn)
        .await?
    } else {
        sqlx::query(
            "DELETE FROM chat_reactions WHERE message_id = $1 AND reaction = $2 AND account_id = $3",
        )
        .bind(message)
        .bind(reaction.as_str())
        .bind(account.0)
        .execute(&mut *conn)
        .await?
    };
    Ok(done.rows_affected() > 0)
}

/// Changes a message's text, keeping the text it had (see `edits`).
/// `held`: whether it now waits for a moderator.
pub async fn edit(
    conn: &mut Conn,
    message: &Message,
    editor: AccountId,
    body_md: &str,
    body_html: &str,
    held: bool,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO chat_message_edits (message_id, body_md, editor_id, replaced_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(message.id)
    .bind(&message.body_md)
    .bind(editor.0)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE chat_messages SET body_md = $1, body_html = $2, held = $3, edited_at = $4
         WHERE id = $5",
    )
    .bind(body_md)
    .bind(body_html)
    .bind(i64::from(held))
    .bind(now)
    .bind(message.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A text a message had before an edit.
#[derive(Clone, Debug)]
pub struct Edit {
    pub body_md: String,
    pub editor_alias: Option<String>,
    pub replaced_at: i64,
}

/// The earlier texts of a message, oldest first.
pub async fn edits(conn: &mut Conn, message: i64) -> Result<Vec<Edit>> {
    let rows = sqlx::query(
        "SELECT e.body_md, a.alias, e.replaced_at FROM chat_message_edits e
         LEFT JOIN accounts a ON a.id = e.editor_id WHERE e.message_id = $1 ORDER BY e.id",
    )
    .bind(message)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Edit {
                body_md: row.try_get(0)?,
                editor_alias: row.try_get(1)?,
                replaced_at: row.try_get(2)?,
            })
        })
        .collect()
}

/// When this member last wrote in the room (for slow mode).
pub async fn last_by(conn: &mut Conn, room: SpaceId, author: AccountId) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT created_at FROM chat_messages WHERE author_id = $1 AND room_id = $2
         ORDER BY id DESC LIMIT 1",
    )
    .bind(author.0)
    .bind(room.0)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(r) => Some(r.try_get(0)?),
        None => None,
    })
}

/// Deletes a message: its text stays for moderators, others see that it was.
pub async fn set_deleted(conn: &mut Conn, id: i64, by: AccountId, now: i64) -> Result<()> {
    sqlx::query("UPDATE chat_messages SET deleted_at = $1, deleted_by = $2 WHERE id = $3")
        .bind(now)
        .bind(by.0)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn approve(conn: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("UPDATE chat_messages SET held = 0 WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A member muted in a room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mute {
    pub room_id: SpaceId,
    pub account_id: AccountId,
    pub alias: Option<Alias>,
    pub reason: String,
    pub by_alias: Option<String>,
    pub created_at: i64,
    /// None: until a moderator lifts it.
    pub ends_at: Option<i64>,
}

const MUTES: &str = "SELECT u.room_id, u.account_id, a.alias, u.reason, b.alias AS by_alias,
        u.created_at, u.ends_at
    FROM chat_mutes u
    LEFT JOIN accounts a ON a.id = u.account_id
    LEFT JOIN accounts b ON b.id = u.by_id";

/// In force at `now`: not lifted, and not over.
fn in_force(now: &str) -> String {
    format!("u.lifted_at IS NULL AND (u.ends_at IS NULL OR u.ends_at > {now})")
}

fn mute_from_row(row: &AnyRow) -> Result<Mute> {
    Ok(Mute {
        room_id: SpaceId(row.try_get(0)?),
        account_id: AccountId(row.try_get(1)?),
        alias: row
            .try_get::<Option<String>, _>(2)?
            .map(Alias::from_trusted),
        reason: row.try_get(3)?,
        by_alias: row.try_get(4)?,
        created_at: row.try_get(5)?,
        ends_at: row.try_get(6)?,
    })
}

pub struct NewMute<'a> {
    pub room: SpaceId,
    pub account: AccountId,
    pub reason: &'a str,
    pub by: AccountId,
    pub ends_at: Option<i64>,
}

/// Mutes a member in a room; a mute already in force is replaced.
pub async fn mute(conn: &mut Conn, m: NewMute<'_>, now: i64) -> Result<()> {
    lift_mute(conn, m.room, m.account, m.by, now).await?;
    sqlx::query(
        "INSERT INTO chat_mutes (room_id, account_id, reason, by_id, created_at, ends_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(m.room.0)
    .bind(m.account.0)
    .bind(m.reason)
    .bind(m.by.0)
    .bind(now)
    .bind(m.ends_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Lifts a member's mute in a room; false if none was in force.
pub async fn lift_mute(
    conn: &mut Conn,
    room: SpaceId,
    account: AccountId,
    by: AccountId,
    now: i64,
) -> Result<bool> {
    let sql = format!(
        "UPDATE chat_mutes AS u SET lifted_at = $3, lifted_by = $4
         WHERE u.room_id = $1 AND u.account_id = $2 AND {}",
        in_force("$3")
    );
    let done = sqlx::query(&sql)
        .bind(room.0)
        .bind(account.0)
        .bind(now)
        .bind(by.0)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The member's mute in this room, if one is in force.
pub async fn mute_of(
    conn: &mut Conn,
    room: SpaceId,
    account: AccountId,
    now: i64,
) -> Result<Option<Mute>> {
    let sql = format!(
        "{MUTES} WHERE u.room_id = $1 AND u.account_id = $2 AND {} ORDER BY u.id DESC LIMIT 1",
        in_force("$3")
    );
    let row = sqlx::query(&sql)
        .bind(room.0)
        .bind(account.0)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(mute_from_row).transpose()
}

/// The mutes in force in a room, newest first.
pub async fn mutes(conn: &mut Conn, room: SpaceId, now: i64) -> Result<Vec<Mute>> {
    let sql = format!(
        "{MUTES} WHERE u.room_id = $1 AND {} ORDER BY u.id DESC",
        in_force("$2")
    );
    let rows = sqlx::query(&sql)
        .bind(room.0)
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(mute_from_row).collect()
}
