//! Search: the index kept current in each writing transaction, rebuilt when
//! the site's search language changes, and queried within what the searcher
//! may read.

use hearth_core::model::{PostId, Tier};
use hearth_core::text::search::{Query, index_terms, snippet};
use hearth_store::{Conn, accounts, search, settings, spaces};

use super::Actor;
use crate::App;
use crate::error::{Problems, ServiceError, ServiceResult};

pub const PER_PAGE: i64 = 20;
const SNIPPET_CHARS: usize = 240;
/// The language the stored stems were made in.
const INDEX_LANGUAGE: &str = "search.language";

/// Indexes a post's text (with its topic's title, for an opening post).
pub async fn index_post(
    app: &App,
    conn: &mut Conn,
    post: PostId,
    title: Option<&str>,
    body: &str,
) -> ServiceResult<()> {
    let terms = post_terms(app, title, body);
    search::index(conn, app.store().backend(), post, &terms).await?;
    Ok(())
}

/// A post's search stems, made before its writing transaction if need be
/// (stemming is work that need not hold SQLite's one writer).
pub fn post_terms(app: &App, title: Option<&str>, body: &str) -> String {
    let language = app.config().search_language;
    match title {
        Some(t) => index_terms(&format!("{t}\n{body}"), language),
        None => index_terms(body, language),
    }
}

/// Stores stems from `post_terms`, with the writer's other statements.
pub fn post_terms_in(app: &App, batch: &mut hearth_store::Batch, post: PostId, terms: &str) {
    search::index_in(batch, app.store().backend(), post, terms);
}

/// Indexes a chat message's text, unless it is in a private conversation:
/// search never looks into those, so their words are not kept twice.
pub async fn index_chat_message(
    app: &App,
    conn: &mut Conn,
    room: &hearth_store::spaces::Space,
    message: i64,
    body: &str,
) -> ServiceResult<()> {
    if room.kind == hearth_core::model::SpaceKind::Conversation {
        return Ok(());
    }
    let terms = index_terms(body, app.config().search_language);
    search::index_chat(conn, app.store().backend(), message, &terms).await?;
    Ok(())
}

/// Rebuilds the index when it was made in another language (or never);
/// returns how many posts and chat messages were indexed.
pub async fn ensure_index(app: &App) -> ServiceResult<u64> {
    let language = app.config().search_language;
    let mut conn = app.store().read().await?;
    let made_in = settings::get(&mut conn, INDEX_LANGUAGE).await?;
    drop(conn);
    if made_in.as_deref() == Some(language.as_str()) {
        return Ok(0);
    }
    let mut tx = app.store().write_private().await?;
    search::clear(&mut tx).await?;
    hearth_store::commit(tx).await?;
    let mut done = 0;
    let mut after = 0;
    loop {
        let mut tx = app.store().write_private().await?;
        let batch = search::posts_after(&mut tx, after, 1000).await?;
        let Some(last) = batch.last().map(|(id, _, _)| id.0) else {
            break;
        };
        for (id, title, body) in &batch {
            index_post(app, &mut tx, *id, title.as_deref(), body).await?;
        }
        hearth_store::commit(tx).await?;
        done += batch.len() as u64;
        after = last;
    }
    let mut after = 0;
    loop {
        let mut tx = app.store().write_private().await?;
        let batch = search::chat_messages_after(&mut tx, after, 1000).await?;
        let Some(last) = batch.last().map(|(id, _)| *id) else {
            // Only once all is indexed is the index said to be in this language.
            settings::set(&mut tx, INDEX_LANGUAGE, language.as_str()).await?;
            hearth_store::commit(tx).await?;
            break;
        };
        for (id, body) in &batch {
            let terms = index_terms(body, language);
            search::index_chat(&mut tx, app.store().backend(), *id, &terms).await?;
        }
        hearth_store::commit(tx).await?;
        done += batch.len() as u64;
        after = last;
    }
    if done > 0 {
        tracing::info!(
            indexed = done,
            language = language.as_str(),
            "search index rebuilt"
        );
    }
    Ok(done)
}

/// What someone typed into the search form.
#[derive(Clone, Debug, Default)]
pub struct SearchInput {
    pub q: String,
    /// A space's slug.
    pub space: String,
    /// An author's alias.
    pub author: String,
    /// `YYYY-MM-DD`, inclusive.
    pub from: String,
    pub until: String,
    /// 1-based.
    pub page: i64,
}

/// What a search looks through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    /// Topics, replies, blog entries and their comments.
    #[default]
    Posts,
    /// Messages in chat rooms (never private conversations).
    Chat,
}

impl Scope {
    pub fn parse(text: &str) -> Option<Scope> {
        match text.trim() {
            "" | "posts" => Some(Scope::Posts),
            "chat" => Some(Scope::Chat),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Posts => "posts",
            Scope::Chat => "chat",
        }
    }
}

pub struct Found {
    pub post_id: PostId,
    pub topic_id: hearth_core::model::TopicId,
    pub topic_title: String,
    pub space_slug: String,
    pub space_name: String,
    pub author: Option<String>,
    pub guest_name: Option<String>,
    /// Escaped HTML with the matched words in `<mark>`.
    pub snippet_html: String,
    pub created_at: i64,
}

/// A chat message found.
pub struct FoundChat {
    pub message_id: i64,
    pub room_slug: String,
    pub room_name: String,
    pub author: Option<String>,
    /// Escaped HTML with the matched words in `<mark>`.
    pub snippet_html: String,
    pub created_at: i64,
}

pub struct Results<H = Found> {
    pub hits: Vec<H>,
    /// Matches the searcher may read, in all.
    pub total: i64,
    pub page: i64,
    /// Nothing searchable was typed (only symbols or common words).
    pub empty_query: bool,
}

fn day_start(text: &str) -> Result<Option<i64>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, &format).map_err(|_| ())?;
    Ok(Some(date.midnight().assume_utc().unix_timestamp() * 1000))
}

impl<H> Results<H> {
    /// The same results, each hit made into something else.
    pub fn map<V>(self, f: impl FnMut(H) -> V) -> Results<V> {
        Results {
            hits: self.hits.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            empty_query: self.empty_query,
        }
    }
}

/// A search's checked criteria, or the reason to show no results.
struct Criteria {
    query: Query,
    tiers: Vec<Tier>,
    space: Option<hearth_core::model::SpaceId>,
    author: Option<hearth_core::model::AccountId>,
    from: Option<i64>,
    until: Option<i64>,
    page: i64,
}

impl Criteria {
    fn filter(&self) -> search::Filter<'_> {
        search::Filter {
            stems: &self.query.stems,
            tiers: &self.tiers,
            space: self.space,
            author: self.author,
            from: self.from,
            until: self.until,
        }
    }

    fn offset(&self) -> i64 {
        (self.page - 1) * PER_PAGE
    }
}

/// Checks what was typed. `Ok(Err(page))`: nothing searchable was typed.
async fn criteria(
    app: &App,
    actor: &Actor,
    conn: &mut Conn,
    input: &SearchInput,
) -> ServiceResult<Result<Criteria, i64>> {
    let language = app.config().search_language;
    let mut problems = Problems::default();
    let from = day_start(&input.from).unwrap_or_else(|()| {
        problems.add("from", "Write the date as year-month-day, like 2026-03-01.");
        None
    });
    let until = day_start(&input.until)
        .unwrap_or_else(|()| {
            problems.add(
                "until",
                "Write the date as year-month-day, like 2026-03-31.",
            );
            None
        })
        .map(|start| start + super::DAY_MS);
    let tiers: Vec<Tier> = super::readable_tiers(actor);
    let space = match input.space.trim() {
        "" => None,
        slug => {
            // A space the searcher may not read is as unknown as one that is not there.
            let found = spaces::by_slug(conn, slug).await?.filter(|s| {
                s.kind != hearth_core::model::SpaceKind::Conversation && tiers.contains(&s.tier)
            });
            if found.is_none() {
                problems.add("space", "There is no such space.");
            }
            found.map(|s| s.id)
        }
    };
    let author = match input.author.trim() {
        "" => None,
        alias => {
            let found = accounts::by_alias(conn, alias).await?;
            if found.is_none() {
                problems.add("author", "No member has that alias.");
            }
            found.map(|a| a.id)
        }
    };
    problems.into_result()?;
    let page = input.page.clamp(1, 500);
    let Some(query) = Query::parse(&input.q, language) else {
        return Ok(Err(page));
    };
    Ok(Ok(Criteria {
        query,
        tiers,
        space,
        author,
        from,
        until,
        page,
    }))
}

fn nothing_typed<H>(page: i64) -> Results<H> {
    Results {
        hits: Vec::new(),
        total: 0,
        page,
        empty_query: true,
    }
}

/// Checks what was typed, finds one page with `find`, and makes each hit
/// into what is shown with `show` (given its snippet).
async fn run<S, H>(
    app: &App,
    actor: &Actor,
    input: &SearchInput,
    find: impl AsyncFnOnce(&mut Conn, &search::Filter<'_>, i64) -> hearth_store::Result<(Vec<S>, i64)>,
    show: impl Fn(S, &Query) -> H,
) -> ServiceResult<Results<H>> {
    let mut conn = app.store().read().await?;
    let c = match criteria(app, actor, &mut conn, input).await? {
        Ok(c) => c,
        Err(page) => return Ok(nothing_typed(page)),
    };
    let (hits, total) = find(&mut conn, &c.filter(), c.offset())
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "search failed");
            ServiceError::from(e)
        })?;
    Ok(Results {
        hits: hits.into_iter().map(|h| show(h, &c.query)).collect(),
        total,
        page: c.page,
        empty_query: false,
    })
}

/// Searches posts: topics, replies, blog entries and comments.
pub async fn search(app: &App, actor: &Actor, input: &SearchInput) -> ServiceResult<Results> {
    let (backend, now) = (app.store().backend(), app.now());
    let language = app.config().search_language;
    run(
        app,
        actor,
        input,
        async |conn, filter, offset| {
            search::search(conn, backend, filter, now, PER_PAGE, offset).await
        },
        |h, query| Found {
            snippet_html: snippet(&h.body_md, query, language, SNIPPET_CHARS),
            post_id: h.post_id,
            topic_id: h.topic_id,
            topic_title: h.topic_title,
            space_slug: h.space_slug,
            space_name: h.space_name,
            author: h.author_alias,
            guest_name: h.guest_name,
            created_at: h.created_at,
        },
    )
    .await
}

/// Searches the messages of the chat rooms the searcher may read.
pub async fn search_chat(
    app: &App,
    actor: &Actor,
    input: &SearchInput,
) -> ServiceResult<Results<FoundChat>> {
    let (backend, now) = (app.store().backend(), app.now());
    let language = app.config().search_language;
    run(
        app,
        actor,
        input,
        async |conn, filter, offset| {
            search::search_chat(conn, backend, filter, now, PER_PAGE, offset).await
        },
        |h, query| FoundChat {
            snippet_html: snippet(&h.body_md, query, language, SNIPPET_CHARS),
            message_id: h.message_id,
            room_slug: h.room_slug,
            room_name: h.room_name,
            author: h.author_alias,
            created_at: h.created_at,
        },
    )
    .await
}
