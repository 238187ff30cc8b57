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
    let language = app.config().search_language;
    let text = match title {
        Some(t) => format!("{t}\n{body}"),
        None => body.to_owned(),
    };
    search::index(
        conn,
        app.store().backend(),
        post,
        &index_terms(&text, language),
    )
    .await?;
    Ok(())
}

/// Rebuilds the index when it was made in another language (or never);
/// returns how many posts were indexed.
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
    let mut after = 0;
    let mut done = 0;
    loop {
        let mut tx = app.store().write_private().await?;
        let batch = search::posts_after(&mut tx, after, 1000).await?;
        let Some(last) = batch.last().map(|(id, _, _)| id.0) else {
            settings::set(&mut tx, INDEX_LANGUAGE, language.as_str()).await?;
            hearth_store::commit(tx).await?;
            break;
        };
        for (id, title, body) in &batch {
            index_post(app, &mut tx, *id, title.as_deref(), body).await?;
        }
        hearth_store::commit(tx).await?;
        done += batch.len() as u64;
        after = last;
    }
    if done > 0 {
        tracing::info!(
            posts = done,
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

pub struct Results {
    pub hits: Vec<Found>,
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

pub async fn search(app: &App, actor: &Actor, input: &SearchInput) -> ServiceResult<Results> {
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
    let mut conn = app.store().read().await?;
    let space = match input.space.trim() {
        "" => None,
        slug => {
            // A space the searcher may not read is as unknown as one that is not there.
            let found = spaces::by_slug(&mut conn, slug).await?.filter(|s| {
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
            let found = accounts::by_alias(&mut conn, alias).await?;
            if found.is_none() {
                problems.add("author", "No member has that alias.");
            }
            found.map(|a| a.id)
        }
    };
    problems.into_result()?;
    let page = input.page.clamp(1, 500);
    let Some(query) = Query::parse(&input.q, language) else {
        return Ok(Results {
            hits: Vec::new(),
            total: 0,
            page,
            empty_query: true,
        });
    };
    let filter = search::Filter {
        stems: &query.stems,
        tiers: &tiers,
        space,
        author,
        from,
        until,
    };
    let (hits, total) = search::search(
        &mut conn,
        app.store().backend(),
        &filter,
        app.now(),
        PER_PAGE,
        (page - 1) * PER_PAGE,
    )
    .await
    .map_err(|e| {
        tracing::warn!(error = %e, "search failed");
        ServiceError::from(e)
    })?;
    Ok(Results {
        hits: hits
            .into_iter()
            .map(|h| Found {
                snippet_html: snippet(&h.body_md, &query, language, SNIPPET_CHARS),
                post_id: h.post_id,
                topic_id: h.topic_id,
                topic_title: h.topic_title,
                space_slug: h.space_slug,
                space_name: h.space_name,
                author: h.author_alias,
                guest_name: h.guest_name,
                created_at: h.created_at,
            })
            .collect(),
        total,
        page,
        empty_query: false,
    })
}
