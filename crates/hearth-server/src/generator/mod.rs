//! `hearth demo --scale N`: a realistic community of N posts for measuring
//! speed at scale. Forums and blogs of every tier, busy and quiet; members,
//! a few of them staff and moderators, some far more talkative than others;
//! topics from a single post to thousands of replies, running side by side
//! so that a topic's posts are spread through the table as in a real forum;
//! replies to earlier posts, likes, watches, kept counters and the search
//! index. Written a batch at a time on one tuned connection, with the
//! secondary indexes built at the end (the services would take days for
//! ten million posts). Generated members have no password: they exist to
//! be read, not to sign in.

mod text;

use std::time::Instant;

use hearth_core::model::{Role, SpaceKind, Tier};
use hearth_core::text::escape_html;
use hearth_store::bulk::{self, Rows, Value};
use hearth_store::{Backend, settings};

use crate::App;
use crate::app::BoxError;
use indicatif::HumanDuration;

use crate::progress::{self, Progress};
pub use text::VOCABULARY;

pub const MAX_POSTS: i64 = 20_000_000;
/// Posts written per transaction.
const BATCH: usize = 20_000;

struct SpacePlan {
    name: &'static str,
    tier: Tier,
    kind: SpaceKind,
    /// Share of new topics that start here.
    weight: u64,
    medical: bool,
}

const fn space(name: &'static str, tier: Tier, kind: SpaceKind, weight: u64) -> SpacePlan {
    SpacePlan {
        name,
        tier,
        kind,
        weight,
        medical: false,
    }
}

const SPACES: &[SpacePlan] = &[
    space(
        "Living with cancer",
        Tier::PublicRead,
        SpaceKind::Forum,
        240,
    ),
    SpacePlan {
        medical: true,
        ..space("Ask a nurse", Tier::PublicRead, SpaceKind::Forum, 140)
    },
    space("Newly diagnosed", Tier::Open, SpaceKind::Forum, 120),
    SpacePlan {
        medical: true,
        ..space(
            "Treatment and side effects",
            Tier::PublicRead,
            SpaceKind::Forum,
            180,
        )
    },
    space("Members' lounge", Tier::MembersOnly, SpaceKind::Forum, 120),
    space("Carers and family", Tier::MembersOnly, SpaceKind::Forum, 90),
    space("Bereavement", Tier::MembersOnly, SpaceKind::Forum, 50),
    space("Site feedback", Tier::Open, SpaceKind::Forum, 40),
    space("News from the nurses", Tier::PublicRead, SpaceKind::Blog, 6),
    space("Members' diaries", Tier::MembersOnly, SpaceKind::Blog, 4),
];

fn slug(name: &str) -> String {
    name.to_lowercase()
        .replace(['\'', '’'], "")
        .replace(' ', "-")
}

/// A small, fast, deterministic generator (the data need to look varied,
/// not to be unpredictable).
pub(crate) struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // Any seed, 0 included, gives a non-zero state.
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

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

    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
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

/// What each next post is: the start of a topic, or a reply to one of the
/// topics running. A number of topics run at once (more in a bigger
/// community), each until the replies drawn for it are written.
struct Schedule {
    rng: Rng,
    /// (topic index, replies still to come)
    running: Vec<(u32, u32)>,
    at_once: usize,
    topics: u32,
    weights: u64,
}

enum Step {
    Start { space: usize },
    Reply { topic: u32 },
}

impl Schedule {
    fn new(seed: u64, posts: i64) -> Self {
        Self {
            rng: Rng::new(seed),
            running: Vec::new(),
            at_once: (posts / 2_000).clamp(5, 300) as usize,
            topics: 0,
            weights: SPACES.iter().map(|s| s.weight).sum(),
        }
    }

    fn next(&mut self) -> Step {
        if self.running.len() >= self.at_once {
            let i = self.rng.below(self.running.len() as u64) as usize;
            let topic = self.running[i].0;
            self.running[i].1 -= 1;
            if self.running[i].1 == 0 {
                self.running.swap_remove(i);
            }
            return Step::Reply { topic };
        }
        let mut pick = self.rng.below(self.weights);
        let space = SPACES
            .iter()
            .position(|s| {
                let here = pick < s.weight;
                pick = pick.saturating_sub(s.weight);
                here
            })
            .unwrap_or(0);
        // Most topics are short; some run to hundreds of replies, a few to
        // thousands. Blog entries get a few comments.
        let replies = if SPACES[space].kind == SpaceKind::Blog {
            self.rng.below(20)
        } else {
            match self.rng.below(1000) {
                0..600 => self.rng.below(8),
                600..920 => 8 + self.rng.below(40),
                920..999 => 48 + self.rng.below(200),
                _ => 500 + self.rng.below(4_500),
            }
        } as u32;
        if replies > 0 {
            self.running.push((self.topics, replies));
        }
        self.topics += 1;
        Step::Start { space }
    }
}

/// Where a topic's posts fall, known before any is written (the topic's
/// row carries its last post and counts).
#[derive(Clone, Copy)]
struct TopicPlan {
    space: usize,
    first: i64,
    last: i64,
    posts: i64,
}

fn plan(seed: u64, posts: i64) -> Vec<TopicPlan> {
    let mut schedule = Schedule::new(seed, posts);
    let mut topics: Vec<TopicPlan> = Vec::new();
    for post in 1..=posts {
        match schedule.next() {
            Step::Start { space } => topics.push(TopicPlan {
                space,
                first: post,
                last: post,
                posts: 1,
            }),
            Step::Reply { topic } => {
                let t = &mut topics[topic as usize];
                t.last = post;
                t.posts += 1;
            }
        }
    }
    topics
}

/// The generated members: who writes, and how much.
struct People {
    first: i64,
    count: i64,
}

impl People {
    fn role(&self, id: i64) -> Role {
        match (id - self.first) % 2_000 {
            0 | 500 | 1_000 | 1_500 => Role::Staff,
            1 => Role::Moderator,
            _ => Role::Member,
        }
    }

    /// Anyone, the first members far more often (a few people write much
    /// of a forum).
    fn anyone(&self, rng: &mut Rng) -> i64 {
        let u = rng.unit();
        self.first + ((self.count as f64) * u * u) as i64
    }

    /// A staff member (blog writers).
    fn staff(&self, rng: &mut Rng) -> i64 {
        let staff = ((self.count + 499) / 500).max(1);
        self.first + 500 * rng.below(staff as u64) as i64
    }
}

/// The tables the load writes to, whose indexes are built at the end.
const LOADED: &[&str] = &[
    "topics",
    "posts",
    "post_terms",
    "likes",
    "watches",
    "entries",
];

/// Fills an empty community with `posts` posts; shows progress on
/// standard error and prints a summary.
pub async fn generate(app: &App, posts: i64, seed: u64) -> Result<(), BoxError> {
    if !(1..=MAX_POSTS).contains(&posts) {
        return Err(format!("--scale takes a number of posts from 1 to {MAX_POSTS}").into());
    }
    let store = app.store();
    let backend = store.backend();
    // One connection does the whole load, tuned for it.
    let mut conn = store.read().await?;
    if bulk::any_rows(&mut conn, "spaces").await? || bulk::any_rows(&mut conn, "posts").await? {
        return Err(
            "this database already has posts or spaces: --scale fills an empty one (use a fresh data directory or an empty database)"
                .into(),
        );
    }
    let started = Instant::now();
    bulk::tune_for_loading(&mut conn, backend).await?;
    let topic_plans = plan(seed, posts);
    let language = app.config().search_language;
    let now = app.now();
    let span_ms: i64 = 3 * 365 * 24 * 3600 * 1000;
    let begin = now - span_ms;
    // Posts are spread evenly over three years, in id order.
    let at = |post: i64| begin + span_ms * (post - 1) / posts;

    let people = People {
        first: bulk::max_id(&mut conn, "accounts").await? + 1,
        count: (posts / 100).clamp(20, 100_000),
    };
    progress::step(&format!(
        "Generating {posts} posts in {} topics by {} members (seed {seed})…",
        topic_plans.len(),
        people.count
    ));
    bulk::begin(&mut conn).await?;
    let set_aside = bulk::set_aside_indexes(&mut conn, backend, LOADED).await?;
    write_spaces_and_people(&mut conn, app, &people, begin).await?;
    bulk::commit(&mut conn).await?;

    let mut rng = Rng::new(seed ^ 0x5EED_F00D);
    let mut writer = text::Writer::new(language);
    let mut schedule = Schedule::new(seed, posts);
    let mut last_post = vec![0i64; topic_plans.len()];
    let mut batch = Batch::new(backend);
    let bar = Progress::count("generate", posts as u64, "posts");
    let mut likes = 0u64;
    let mut started_topics = 0usize;
    for post in 1..=posts {
        let created = at(post);
        let (topic, author, reply_to, title) = match schedule.next() {
            Step::Start { .. } => {
                started_topics += 1;
                let topic = started_topics;
                let plan = topic_plans[topic - 1];
                let space = &SPACES[plan.space];
                let author = match space.kind {
                    SpaceKind::Blog => people.staff(&mut rng),
                    _ => people.anyone(&mut rng),
                };
                let title = writer.title(&mut rng);
                batch.topic(
                    topic as i64,
                    &plan,
                    author,
                    &title.text,
                    at(plan.first),
                    at(plan.last),
                );
                (topic, author, None, Some(title))
            }
            Step::Reply { topic } => {
                let topic = topic as usize + 1;
                let previous = last_post[topic - 1];
                let reply_to = (rng.below(100) < 15).then_some(previous);
                (topic, people.anyone(&mut rng), reply_to, None)
            }
        };
        last_post[topic - 1] = post;
        let body = writer.body(&mut rng);
        let like_count = match rng.below(100) {
            0..80 => 0,
            80..94 => 1,
            94..99 => 2 + rng.below(4),
            _ => 6 + rng.below(25),
        }
        .min(people.count as u64 / 2);
        let mut fans: Vec<i64> = Vec::new();
        while (fans.len() as u64) < like_count {
            let fan = people.anyone(&mut rng);
            if fan != author && !fans.contains(&fan) {
                fans.push(fan);
            }
        }
        likes += like_count;
        if title.is_some() && SPACES[topic_plans[topic - 1].space].kind == SpaceKind::Blog {
            batch.entry(
                topic as i64,
                topic_plans[topic - 1].space,
                &body.text,
                created,
            );
        }
        let indexed = match &title {
            Some(t) => t.terms_with(&body),
            None => body.terms,
        };
        batch.post(
            post,
            topic as i64,
            author,
            reply_to,
            body.text,
            &fans,
            created,
            indexed,
        );
        if batch.posts.len() >= BATCH || post == posts {
            batch.write(&mut conn).await?;
            bar.set(post as u64);
        }
    }
    bar.finish();

    let loaded = started.elapsed();
    progress::step(&format!(
        "Rows written in {}; building {} indexes…",
        HumanDuration(loaded),
        set_aside.len()
    ));
    for index in &set_aside {
        let clock = Instant::now();
        bulk::rebuild(&mut conn, index).await?;
        progress::step(&format!(
            "  {} ({})",
            index.name,
            HumanDuration(clock.elapsed())
        ));
    }
    bulk::begin(&mut conn).await?;
    let mut counters = hearth_store::Batch::new();
    for i in 0..SPACES.len() {
        let mine = topic_plans.iter().filter(|t| t.space == i);
        let (topics, posts_here, last) = mine.fold((0, 0, 0), |(n, p, l), t| {
            (n + 1, p + t.posts, l.max(at(t.last)))
        });
        let id = hearth_core::model::SpaceId(i as i64 + 1);
        hearth_store::spaces::bump(&mut counters, id, topics, posts_here, last);
    }
    counters.run(&mut conn).await?;
    bulk::fix_sequences(
        &mut conn,
        backend,
        &["spaces", "accounts", "topics", "posts"],
    )
    .await?;
    settings::set(
        &mut conn,
        settings::ORGANIZATION_NAME,
        "Generated community",
    )
    .await?;
    bulk::commit(&mut conn).await?;
    progress::step("Gathering the planner's statistics…");
    bulk::analyze(&mut conn, backend).await?;
    app.set_site_name("Generated community");
    println!(
        "Generated {posts} posts in {} topics ({} blog entries), {likes} likes, by {} members in {} spaces in {} ({} for the rows, {:.0} posts a second).",
        topic_plans.len(),
        topic_plans
            .iter()
            .filter(|t| SPACES[t.space].kind == SpaceKind::Blog)
            .count(),
        people.count,
        SPACES.len(),
        HumanDuration(started.elapsed()),
        HumanDuration(loaded),
        posts as f64 / loaded.as_secs_f64().max(0.001),
    );
    Ok(())
}

async fn write_spaces_and_people(
    conn: &mut hearth_store::Conn,
    app: &App,
    people: &People,
    begin: i64,
) -> Result<(), BoxError> {
    let backend = app.store().backend();
    let mut spaces = Rows::new(
        backend,
        "spaces",
        &[
            "id",
            "slug",
            "name",
            "description",
            "position",
            "kind",
            "tier",
            "medical",
            "created_at",
        ],
    );
    for (i, s) in SPACES.iter().enumerate() {
        spaces.push(vec![
            Value::Int(i as i64 + 1),
            Value::Text(slug(s.name)),
            Value::Text(s.name.to_owned()),
            Value::Text(format!(
                "Generated {} {}.",
                s.tier.as_str(),
                s.kind.as_str()
            )),
            Value::Int(i as i64 * 10),
            Value::Text(s.kind.as_str().to_owned()),
            Value::Text(s.tier.as_str().to_owned()),
            Value::Int(i64::from(s.medical)),
            Value::Int(begin),
        ]);
    }
    spaces.insert(conn).await?;
    let sealer = app.store().sealer();
    let mut accounts = Rows::new(
        backend,
        "accounts",
        &[
            "id",
            "alias",
            "alias_folded",
            "email_sealed",
            "email_index",
            "password_hash",
            "role",
            "email_verified_at",
            "created_at",
            "last_seen_at",
            "approved_posts",
        ],
    );
    let mut writers = Rows::new(backend, "blog_writers", &["space_id", "account_id"]);
    for id in people.first..people.first + people.count {
        let alias = alias_for(id);
        let email = format!("{alias}@generated.invalid");
        let role = people.role(id);
        accounts.push(vec![
            Value::Int(id),
            Value::Text(alias.clone()),
            Value::Text(alias),
            Value::Bytes(sealer.seal(&email)),
            Value::Bytes(sealer.blind_index(&email)),
            Value::Text(String::new()),
            Value::Text(role.as_str().to_owned()),
            Value::Int(begin),
            Value::Int(begin),
            Value::Int(begin),
            Value::Int(10),
        ]);
        if role == Role::Staff {
            for (i, _) in SPACES
                .iter()
                .enumerate()
                .filter(|(_, s)| s.kind == SpaceKind::Blog)
            {
                writers.push(vec![Value::Int(i as i64 + 1), Value::Int(id)]);
            }
        }
    }
    accounts.insert(conn).await?;
    writers.insert(conn).await?;
    Ok(())
}

/// The rows of one transaction.
struct Batch {
    topics: Rows,
    entries: Rows,
    watches: Rows,
    posts: Rows,
    terms: Rows,
    likes: Rows,
}

impl Batch {
    fn new(backend: Backend) -> Self {
        Self {
            topics: Rows::new(
                backend,
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
            ),
            entries: Rows::new(
                backend,
                "entries",
                &["topic_id", "space_id", "slug", "excerpt", "updated_at"],
            ),
            watches: Rows::new(backend, "watches", &["account_id", "topic_id"]),
            posts: Rows::new(
                backend,
                "posts",
                &[
                    "id",
                    "topic_id",
                    "author_id",
                    "reply_to_id",
                    "body_md",
                    "body_html",
                    "like_count",
                    "created_at",
                    "fingerprint",
                ],
            ),
            terms: match backend {
                Backend::Sqlite => Rows::new(backend, "post_terms", &["rowid", "terms"]),
                Backend::Postgres => Rows::new(backend, "post_terms", &["post_id", "terms"])
                    .wrap("terms", "to_tsvector('simple', {})"),
            },
            likes: Rows::new(backend, "likes", &["post_id", "account_id", "created_at"]),
        }
    }

    fn topic(
        &mut self,
        id: i64,
        plan: &TopicPlan,
        author: i64,
        title: &str,
        created: i64,
        last_at: i64,
    ) {
        self.topics.push(vec![
            Value::Int(id),
            Value::Int(plan.space as i64 + 1),
            Value::Int(author),
            Value::Text(title.to_owned()),
            Value::Int(created),
            Value::Int(created),
            Value::Int(last_at),
            Value::Int(plan.last),
            Value::Int(plan.posts - 1),
        ]);
        // Authors watch their topics (replies notify them).
        self.watches.push(vec![Value::Int(author), Value::Int(id)]);
    }

    fn entry(&mut self, topic: i64, space: usize, body: &str, created: i64) {
        let excerpt = body.split_inclusive(". ").next().unwrap_or(body).trim();
        self.entries.push(vec![
            Value::Int(topic),
            Value::Int(space as i64 + 1),
            Value::Text(format!("entry-{topic}")),
            Value::Text(excerpt.to_owned()),
            Value::Int(created),
        ]);
    }

    #[allow(clippy::too_many_arguments)]
    fn post(
        &mut self,
        id: i64,
        topic: i64,
        author: i64,
        reply_to: Option<i64>,
        body: String,
        fans: &[i64],
        created: i64,
        terms: String,
    ) {
        for fan in fans {
            self.likes
                .push(vec![Value::Int(id), Value::Int(*fan), Value::Int(created)]);
        }
        self.terms.push(vec![Value::Int(id), Value::Text(terms)]);
        let html = format!("<p>{}</p>", escape_html(&body));
        let fingerprint = hearth_store::posts::fingerprint(&body);
        self.posts.push(vec![
            Value::Int(id),
            Value::Int(topic),
            Value::Int(author),
            Value::OptInt(reply_to),
            Value::Text(body),
            Value::Text(html),
            Value::Int(fans.len() as i64),
            Value::Int(created),
            Value::Int(fingerprint),
        ]);
    }

    /// Writes the batch in one transaction, parents before children.
    async fn write(&mut self, conn: &mut hearth_store::Conn) -> Result<(), BoxError> {
        bulk::begin(conn).await?;
        for rows in [
            &mut self.topics,
            &mut self.entries,
            &mut self.watches,
            &mut self.posts,
            &mut self.terms,
            &mut self.likes,
        ] {
            rows.insert(conn).await?;
        }
        bulk::commit(conn).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_spreads_topics_through_the_posts_and_counts_every_post() {
        let topics = plan(7, 20_000);
        assert_eq!(topics.iter().map(|t| t.posts).sum::<i64>(), 20_000);
        // Topics run side by side: many end after later topics began.
        let overlapping = topics.windows(2).filter(|w| w[0].last > w[1].first).count();
        assert!(overlapping > topics.len() / 4, "{overlapping}");
        assert!(topics.iter().any(|t| t.posts == 1));
        assert!(topics.iter().any(|t| t.posts > 48));
        for (i, s) in SPACES.iter().enumerate() {
            assert!(
                topics.iter().any(|t| t.space == i),
                "no topic in {}",
                s.name
            );
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_plan() {
        let a: Vec<i64> = plan(3, 5_000).iter().map(|t| t.last).collect();
        let b: Vec<i64> = plan(3, 5_000).iter().map(|t| t.last).collect();
        let c: Vec<i64> = plan(4, 5_000).iter().map(|t| t.last).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn aliases_are_letters_only() {
        assert_eq!(alias_for(0), "member_a");
        assert_eq!(alias_for(27), "member_bb");
    }
}
