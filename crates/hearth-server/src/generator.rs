//! `hearth demo --scale N`: a realistic community of N posts for measuring
//! speed at scale. Spaces of every tier, members, topics of varied length,
//! replies, likes, kept counters and the search index, written a batch at a
//! time (the services would take hours for ten million posts). Generated
//! members have no password: they exist to be read, not to sign in.

use std::time::Instant;

use hearth_core::model::Tier;
use hearth_core::text::escape_html;
use hearth_core::text::search::index_terms;
use hearth_store::bulk::{self, Value};
use hearth_store::{Backend, settings};
use indicatif::{ProgressBar, ProgressStyle};

use crate::App;
use crate::app::BoxError;

pub const MAX_POSTS: i64 = 20_000_000;
/// Posts written per transaction.
const BATCH: usize = 5_000;
const SPACES: &[(&str, Tier)] = &[
    ("Living with cancer", Tier::PublicRead),
    ("Ask a nurse", Tier::PublicRead),
    ("Newly diagnosed", Tier::Open),
    ("Treatment and side effects", Tier::PublicRead),
    ("Members' lounge", Tier::MembersOnly),
    ("Carers and family", Tier::MembersOnly),
    ("Bereavement", Tier::MembersOnly),
    ("Site feedback", Tier::Open),
];

const TITLES: &[&str] = &[
    "First round of chemo next week",
    "Scanxiety before my results",
    "Tips for mouth ulcers",
    "Going back to work after treatment",
    "How do you cope with fatigue?",
    "Hair loss and cold caps",
    "Supporting my mum through radiotherapy",
    "Questions for my oncologist",
    "Eating well when nothing tastes right",
    "Feeling low after surgery",
    "Lymphoedema sleeves",
    "Sleep during treatment",
];

const SENTENCES: &[&str] = &[
    "I start chemotherapy next month and I am trying to prepare.",
    "The nurses on the ward were wonderful and explained everything.",
    "Ginger biscuits helped with the nausea in the first week.",
    "My oncologist suggested gentle walks every day to help with fatigue.",
    "I found it hard to concentrate at work, so I asked for shorter days.",
    "Waiting for scan results is the hardest part for me.",
    "A cold cap saved some of my hair, although it was uncomfortable.",
    "Salt water rinses four times a day kept the ulcers under control.",
    "My partner came to every appointment and took notes.",
    "The radiotherapy team told me to moisturise the skin twice a day.",
    "I keep a diary of symptoms to show the nurse at each cycle.",
    "It helped to talk to someone who had been through the same treatment.",
    "Some days I just rest, and that is fine.",
    "The hospital pharmacy explained how to take the steroids with food.",
    "I was worried about infections, so I checked my temperature every evening.",
    "Our local support centre runs a relaxation group on Thursdays.",
    "Thank you all for the kind words, they mean a lot.",
    "My children ask questions and I try to answer them honestly.",
    "Small meals every few hours worked better than three big ones.",
    "I bought a soft toothbrush and it made a real difference.",
];

/// A small, fast, deterministic generator (the data need to look varied,
/// not to be unpredictable).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// An alias of letters only (a run of digits would look like a phone number).
fn alias_for(n: i64) -> String {
    let mut n = n as u64;
    let mut letters = String::new();
    loop {
        letters.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    format!("member_{letters}")
}

fn body(rng: &mut Rng) -> String {
    let sentences = 1 + rng.below(5) as usize;
    (0..sentences)
        .map(|_| SENTENCES[rng.below(SENTENCES.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Fills an empty community with about `posts` posts; prints progress.
pub async fn generate(app: &App, posts: i64, seed: u64) -> Result<(), BoxError> {
    if !(1..=MAX_POSTS).contains(&posts) {
        return Err(format!("--scale takes a number of posts from 1 to {MAX_POSTS}").into());
    }
    let store = app.store();
    let backend = store.backend();
    {
        let mut conn = store.read().await?;
        if bulk::max_id(&mut conn, "posts").await? > 0 {
            return Err(
                "this database already has posts: --scale fills an empty one (use a fresh data directory or database)"
                    .into(),
            );
        }
    }
    let started = Instant::now();
    let mut rng = Rng(seed.max(1));
    let language = app.config().search_language;
    let now = app.now();
    let span_ms: i64 = 3 * 365 * 24 * 3600 * 1000;
    let begin = now - span_ms;

    // Spaces and members.
    let members = (posts / 200).clamp(10, 100_000);
    let mut tx = store.write().await?;
    let mut space_rows = Vec::new();
    for (i, (name, tier)) in SPACES.iter().enumerate() {
        let slug = name
            .to_lowercase()
            .replace(['\'', '’'], "")
            .replace(' ', "-");
        space_rows.push(vec![
            Value::Int(i as i64 + 1),
            Value::Text(slug),
            Value::Text((*name).to_owned()),
            Value::Text(format!("Generated space {}.", i + 1)),
            Value::Int(i as i64 * 10),
            Value::Text(tier.as_str().to_owned()),
            Value::Int(begin),
        ]);
    }
    bulk::insert(
        &mut tx,
        "spaces",
        &[
            "id",
            "slug",
            "name",
            "description",
            "position",
            "tier",
            "created_at",
        ],
        &[],
        &space_rows,
    )
    .await?;
    let first_account = bulk::max_id(&mut tx, "accounts").await? + 1;
    let sealer = store.sealer();
    let account_rows: Vec<Vec<Value>> = (0..members)
        .map(|i| {
            let id = first_account + i;
            let alias = alias_for(id);
            let email = format!("{alias}@generated.invalid");
            vec![
                Value::Int(id),
                Value::Text(alias.clone()),
                Value::Text(alias),
                Value::Bytes(sealer.seal(&email)),
                Value::Bytes(sealer.blind_index(&email)),
                Value::Text(String::new()),
                Value::Int(begin),
                Value::Int(10),
            ]
        })
        .collect();
    bulk::insert(
        &mut tx,
        "accounts",
        &[
            "id",
            "alias",
            "alias_folded",
            "email_sealed",
            "email_index",
            "password_hash",
            "created_at",
            "approved_posts",
        ],
        &[],
        &account_rows,
    )
    .await?;
    hearth_store::commit(tx).await?;

    // Topics and posts, a batch at a time, in time order.
    let bar = ProgressBar::new(posts as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} posts, {per_sec}, about {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let terms_table = match backend {
        Backend::Sqlite => ("post_terms", ["rowid", "terms"], None),
        Backend::Postgres => (
            "post_terms",
            ["post_id", "terms"],
            Some("to_tsvector('simple', {})"),
        ),
    };
    let mut space_counts = vec![(0i64, 0i64, 0i64); SPACES.len()];
    let (mut post_id, mut topic_id) = (0i64, 0i64);
    while post_id < posts {
        let mut topics = Vec::new();
        let mut post_rows = Vec::new();
        let mut term_rows = Vec::new();
        let mut like_rows = Vec::new();
        while post_rows.len() < BATCH && post_id < posts {
            topic_id += 1;
            let space = rng.below(SPACES.len() as u64) as usize;
            // Most topics are short; some run to hundreds of replies.
            let replies = match rng.below(100) {
                0..=59 => rng.below(8),
                60..=94 => 8 + rng.below(40),
                _ => 48 + rng.below(400),
            } as i64;
            let count = (replies + 1).min(posts - post_id);
            let title = format!(
                "{} ({topic_id})",
                TITLES[rng.below(TITLES.len() as u64) as usize]
            );
            let topic_start = begin + span_ms * post_id / posts;
            let mut last_at = topic_start;
            for k in 0..count {
                post_id += 1;
                let at = topic_start + k * 60_000 + rng.below(60_000) as i64;
                last_at = at;
                let author = first_account + rng.below(members as u64) as i64;
                let text = body(&mut rng);
                let html = format!("<p>{}</p>", escape_html(&text));
                // One post in ten has a like, from someone other than its author.
                let fan = first_account + rng.below(members as u64) as i64;
                let liked = rng.below(10) == 0 && fan != author;
                let indexed = if k == 0 {
                    format!("{title}\n{text}")
                } else {
                    text.clone()
                };
                term_rows.push(vec![
                    Value::Int(post_id),
                    Value::Text(index_terms(&indexed, language)),
                ]);
                if liked {
                    like_rows.push(vec![Value::Int(post_id), Value::Int(fan), Value::Int(at)]);
                }
                post_rows.push(vec![
                    Value::Int(post_id),
                    Value::Int(topic_id),
                    Value::Int(author),
                    Value::Text(text),
                    Value::Text(html),
                    Value::Int(i64::from(liked)),
                    Value::Int(at),
                    Value::Int(hearth_store::posts::fingerprint(&post_id.to_string())),
                ]);
            }
            topics.push(vec![
                Value::Int(topic_id),
                Value::Int(space as i64 + 1),
                Value::Int(first_account + rng.below(members as u64) as i64),
                Value::Text(title),
                Value::Int(topic_start),
                Value::Int(topic_start),
                Value::Int(last_at),
                Value::Int(post_id),
                Value::Int(count - 1),
            ]);
            let c = &mut space_counts[space];
            c.0 += 1;
            c.1 += count;
            c.2 = c.2.max(last_at);
        }
        let mut tx = store.write_private().await?;
        bulk::insert(
            &mut tx,
            "topics",
            &[
                "id",
                "space_id",
                "author_id",
                "title",
                "created_at",
                "publish_at",
                "last_activity_at",
                "last_post_id",
                "reply_count",
            ],
            &[],
            &topics,
        )
        .await?;
        bulk::insert(
            &mut tx,
            "posts",
            &[
                "id",
                "topic_id",
                "author_id",
                "body_md",
                "body_html",
                "like_count",
                "created_at",
                "fingerprint",
            ],
            &[],
            &post_rows,
        )
        .await?;
        bulk::insert(
            &mut tx,
            terms_table.0,
            &terms_table.1,
            &[None, terms_table.2],
            &term_rows,
        )
        .await?;
        bulk::insert(
            &mut tx,
            "likes",
            &["post_id", "account_id", "created_at"],
            &[],
            &like_rows,
        )
        .await?;
        hearth_store::commit(tx).await?;
        bar.set_position(post_id as u64);
    }
    bar.finish();

    let mut tx = store.write().await?;
    for (i, (topics, posts, last)) in space_counts.iter().enumerate() {
        let space = hearth_core::model::SpaceId(i as i64 + 1);
        hearth_store::spaces::bump(&mut tx, space, *topics, *posts, *last).await?;
    }
    bulk::fix_sequences(&mut tx, backend, &["spaces", "accounts", "topics", "posts"]).await?;
    settings::set(&mut tx, settings::ORGANIZATION_NAME, "Generated community").await?;
    hearth_store::commit(tx).await?;
    app.set_site_name("Generated community");
    println!(
        "Generated {posts} posts in {topic_id} topics by {members} members in {} spaces in {:.1} s.",
        SPACES.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
