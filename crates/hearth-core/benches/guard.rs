//! What the safety checks cost per post, and how often they are right.
//!
//! Every post a member sends passes through the same pipeline before it is
//! stored (`hearth-server`'s `services::safety::screen`): watched words on the
//! title and the body, the personal-detail guard on both, the crisis phrases,
//! and the spam filter on "title\nbody". This binary times that pipeline per
//! post, split by check, on posts built from Hearth's own labelled corpora, and
//! reports the spam filter's and the personal-detail guard's precision and
//! recall on their held-out sentences.
//!
//! Run it with `bash bench/guard.sh` (release build); bench/README.md explains
//! the figures. A plain `main`: std only, no harness.

use std::hint::black_box;
use std::time::{Duration, Instant};

use hearth_core::guard::crisis::CrisisPhrases;
use hearth_core::guard::personal;
use hearth_core::guard::spam::{self, Action, Signals, SpamModel};
use hearth_core::guard::words::{WatchedWords, WordCheck, WordLists};

const PERSONAL_DEV: &str = include_str!("../corpus/personal/dev.tsv");
const PERSONAL_HELD_OUT: &str = include_str!("../corpus/personal/heldout.tsv");

/// A post "of ordinary length", in characters: the target applies to these.
const ORDINARY_MIN_CHARS: usize = 300;
const ORDINARY_MAX_CHARS: usize = 1_500;
/// Lengths the ordinary posts aim for, in turn, so every length is represented.
const ORDINARY_TARGETS: [usize; 5] = [300, 550, 800, 1_100, 1_400];
/// The long posts (a life story, a pasted letter), reported on their own.
const LONG_CHARS: usize = 5_000;
const LONG_POSTS_PER_KIND: usize = 2;

/// Passes over every post before and while timing. Posts are visited in turn,
/// not one post many times over, so caches see a realistic mix.
const WARM_UP_ROUNDS: usize = 20;
const ROUNDS: usize = 300;
/// Passes of the uninstrumented loop that gives posts per second.
const THROUGHPUT_ROUNDS: usize = 100;

/// The target for a post of ordinary length.
const TARGET_P99: Duration = Duration::from_micros(200);

/// A community's watched words as an admin might keep them on a cancer forum:
/// spam and scams refused, dangerous "cures" and off-site contact held for a
/// moderator, conflict flagged, mild swearing softened. English, German and
/// French, with leading, trailing, inner and whole-word `*` wildcards.
const BLOCK: &str = "\
# Spam and scams
casino*
viagra
cialis
levitra
payday loan*
crypto giveaway
bitcoin doubl*
onlyfans
escort*
buy followers
*porn*
work from home * per day
guaranteed cure
c*sino bonus
heilung garantiert
guérison garantie
";
const REQUIRE_APPROVAL: &str = "\
# Dangerous \"cures\" and taking people off the forum
cure cancer naturally
alternative cure*
apricot kernel*
laetrile
vitamin b17
hydrogen peroxide therap*
mms
chlorine dioxide
gerson therap*
essiac
cannabis oil
rick simpson oil
black salve
whatsapp
telegram
wire transfer
western union
investment opportunit*
wundermittel*
remède miracle
";
const FLAG: &str = "\
# Conflict and accusations, for a moderator's eye
idiot*
stupid
shut up
liar*
scam*
quack*
fraud*
sue the hospital
lawyer*
negligen*
big pharma
they are hiding the cure
dm me
private message me
anwalt*
arnaque*
";
const REPLACE: &str = "\
damn => darn
crap => rubbish
bloody => very
sh*t => s**t
f*ck* => f***
pissed off => fed up
wtf => what on earth
bollocks => nonsense
scheiße => Mist
merde => zut
";

/// Where a post's text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Ordinary documents of the spam corpus.
    Ham,
    /// Spam documents of the spam corpus.
    Spam,
    /// Sentences of the personal-detail corpora: about half of them carry a
    /// detail, so these posts are the guard's hardest case.
    Personal,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Ham, Kind::Spam, Kind::Personal];

    fn name(self) -> &'static str {
        match self {
            Kind::Ham => "ham",
            Kind::Spam => "spam",
            Kind::Personal => "personal",
        }
    }
}

struct Post {
    kind: Kind,
    long: bool,
    title: String,
    body: String,
    signals: Signals,
}

impl Post {
    fn chars(&self) -> usize {
        self.title.chars().count() + self.body.chars().count()
    }
}

/// The checks, in the order the server runs them.
const CHECKS: [&str; 4] = [
    "watched words",
    "personal details",
    "crisis phrases",
    "spam filter",
];

/// One timed pass of one post: nanoseconds per check.
struct Sample {
    post: usize,
    checks: [u64; 4],
}

impl Sample {
    fn total(&self) -> u64 {
        self.checks.iter().sum()
    }
}

/// What the server holds in memory for screening.
struct Rules {
    words: WatchedWords,
    crisis: CrisisPhrases,
    model: SpamModel,
}

fn main() {
    let setup = Instant::now();
    let lists = WordLists {
        block: BLOCK.to_owned(),
        require_approval: REQUIRE_APPROVAL.to_owned(),
        flag: FLAG.to_owned(),
        replace: REPLACE.to_owned(),
    };
    let words = WatchedWords::compile(&lists).expect("the benchmark's watched words compile");
    let words_took = setup.elapsed();
    let started = Instant::now();
    let crisis = CrisisPhrases::defaults();
    let crisis_took = started.elapsed();
    let started = Instant::now();
    let model = SpamModel::starter();
    let model_took = started.elapsed();
    let rules = Rules {
        words,
        crisis,
        model,
    };

    let posts = build_posts();
    println!("Hearth guard benchmark (std::time::Instant, one thread)");
    println!();
    println!(
        "set-up, once per process: watched words ({} entries) compiled in {}, \
         default crisis phrases in {}, starter spam model trained in {}",
        entry_count(&lists),
        ms(words_took),
        ms(crisis_took),
        ms(model_took),
    );
    describe_posts(&posts);
    describe_findings(&rules, &posts);

    for _ in 0..WARM_UP_ROUNDS {
        for post in &posts {
            black_box(screen_timed(&rules, post));
        }
    }
    let mut samples = Vec::with_capacity(ROUNDS * posts.len());
    for _ in 0..ROUNDS {
        for (index, post) in posts.iter().enumerate() {
            samples.push(Sample {
                post: index,
                checks: screen_timed(&rules, post),
            });
        }
    }

    let ordinary: Vec<&Sample> = samples.iter().filter(|s| !posts[s.post].long).collect();
    let long: Vec<&Sample> = samples.iter().filter(|s| posts[s.post].long).collect();
    println!();
    println!(
        "## Posts of ordinary length ({ORDINARY_MIN_CHARS}-{ORDINARY_MAX_CHARS} characters), \
         {} timed passes after {WARM_UP_ROUNDS} warm-up rounds",
        ordinary.len()
    );
    report(&ordinary);
    by_kind(&posts, &ordinary);
    let medians = post_medians(&ordinary);
    slowest(&posts, &medians);
    target(&ordinary, &medians);

    println!();
    println!(
        "## Long posts (~{LONG_CHARS} characters), {} timed passes",
        long.len()
    );
    report(&long);
    let long_medians = post_medians(&long);

    println!();
    println!("## Throughput, one core (no per-check timers)");
    throughput(&rules, &posts, false, &medians);
    throughput(&rules, &posts, true, &long_medians);

    println!();
    println!("## Accuracy");
    accuracy();
}

/// The server's pipeline for one post. `lap` is called after each check with
/// its index in [`CHECKS`]. Every check runs on every post: the server stops
/// early only for a blocked word, and a member asked to confirm a personal
/// detail or shown the crisis message sends the post again, through all of it.
fn screen(rules: &Rules, post: &Post, mut lap: impl FnMut(usize)) -> Found {
    let title_words = rules.words.check(&post.title);
    let body_words = rules.words.check(&post.body);
    // Later checks see the text after replacements, as the server's do.
    let title = title_words.replaced.as_deref().unwrap_or(&post.title);
    let body = body_words.replaced.as_deref().unwrap_or(&post.body);
    lap(0);
    let details = (personal::find(title), personal::find(body));
    lap(1);
    let crisis = !rules.crisis.find(title).is_empty() || !rules.crisis.find(body).is_empty();
    lap(2);
    let text = format!("{title}\n{body}");
    let verdict = spam::judge(&rules.model, &text, &post.signals);
    lap(3);
    let words = |check: &WordCheck| {
        !(check.blocked.is_empty()
            && check.require_approval.is_empty()
            && check.flagged.is_empty()
            && check.replaced.is_none())
    };
    Found {
        words: words(&title_words) || words(&body_words),
        details: !(details.0.is_empty() && details.1.is_empty()),
        crisis,
        spam: verdict.action != Action::Allow,
    }
}

/// Which checks had something to say about a post, so the report can show
/// that the posts exercise the paths that find things, not only the misses.
#[derive(Debug, Clone, Copy)]
struct Found {
    /// A watched word of any list, or a replacement.
    words: bool,
    details: bool,
    crisis: bool,
    /// Held or rejected.
    spam: bool,
}

/// [`screen`] with a clock read between checks: nanoseconds per check.
fn screen_timed(rules: &Rules, post: &Post) -> [u64; 4] {
    let mut checks = [0; 4];
    let mut last = Instant::now();
    black_box(screen(rules, post, |check| {
        let now = Instant::now();
        checks[check] = now.duration_since(last).as_nanos() as u64;
        last = now;
    }));
    checks
}

// ---------------------------------------------------------------------------
// The posts.

/// The documents of one kind, in corpus order.
fn lines_of(kind: Kind) -> Vec<&'static str> {
    match kind {
        Kind::Ham | Kind::Spam => {
            let label = if kind == Kind::Ham { "ham" } else { "spam" };
            spam::STARTER_CORPUS
                .lines()
                .filter(|line| !line.starts_with('#'))
                .filter_map(|line| line.split_once('\t'))
                .filter(|(l, text)| *l == label && !text.trim().is_empty())
                .map(|(_, text)| text)
                .collect()
        }
        Kind::Personal => [PERSONAL_DEV, PERSONAL_HELD_OUT]
            .into_iter()
            .flat_map(str::lines)
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
            .filter_map(|line| line.split_once('\t').map(|(_, sentence)| sentence))
            .collect(),
    }
}

/// Consecutive documents joined as paragraphs, so a post stays in one
/// language and one register; every ordinary post is 300–1,500 characters,
/// and a few long ones start at staggered places in the same documents.
fn build_posts() -> Vec<Post> {
    let mut posts = Vec::new();
    for kind in Kind::ALL {
        let lines = lines_of(kind);
        let mut next = 0;
        let mut targets = ORDINARY_TARGETS.iter().cycle();
        while next < lines.len() {
            let target = *targets.next().unwrap_or(&ORDINARY_MIN_CHARS);
            // The title counts towards the post's length.
            let title = title_from(lines[next]);
            let mut body = String::new();
            let mut chars = title.chars().count();
            while next < lines.len() && chars < target {
                let line_chars = lines[next].chars().count();
                if !body.is_empty() && chars + 2 + line_chars > ORDINARY_MAX_CHARS {
                    break;
                }
                if !body.is_empty() {
                    body.push_str("\n\n");
                    chars += 2;
                }
                body.push_str(lines[next]);
                chars += line_chars;
                next += 1;
            }
            // The corpus's last few lines may be too short for a post.
            if chars >= ORDINARY_MIN_CHARS {
                posts.push(post(kind, false, title, body, posts.len()));
            }
        }
        for n in 0..LONG_POSTS_PER_KIND {
            let start = lines.len() * (2 * n + 1) / (2 * LONG_POSTS_PER_KIND);
            let mut body = String::new();
            for line in lines.iter().cycle().skip(start) {
                if body.chars().count() >= LONG_CHARS {
                    break;
                }
                if !body.is_empty() {
                    body.push_str("\n\n");
                }
                body.push_str(line);
            }
            posts.push(post(
                kind,
                true,
                title_from(lines[start]),
                body,
                posts.len(),
            ));
        }
    }
    posts
}

fn post(kind: Kind, long: bool, title: String, body: String, index: usize) -> Post {
    // A spread of what the server knows about authors: some newcomers, some
    // first posts, typing speeds from careful to pasted, the odd double submit.
    let signals = Signals {
        new_account: index.is_multiple_of(4),
        first_post: index.is_multiple_of(8),
        typing_time: (!index.is_multiple_of(5))
            .then(|| Duration::from_secs(20 + (index as u64 * 37) % 400)),
        honeypot_filled: false,
        repeats: u32::from(index.is_multiple_of(10)),
    };
    Post {
        kind,
        long,
        title,
        body,
        signals,
    }
}

/// The first words of a post's first paragraph, up to 60 characters, as its
/// title.
fn title_from(line: &str) -> String {
    let mut title = String::new();
    for word in line.split_whitespace() {
        if title.chars().count() + 1 + word.chars().count() > 60 {
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    title
}

fn describe_posts(posts: &[Post]) {
    for long in [false, true] {
        let chars: Vec<usize> = posts
            .iter()
            .filter(|p| p.long == long)
            .map(Post::chars)
            .collect();
        let counts: Vec<String> = Kind::ALL
            .iter()
            .map(|&kind| {
                let n = posts
                    .iter()
                    .filter(|p| p.long == long && p.kind == kind)
                    .count();
                format!("{n} {}", kind.name())
            })
            .collect();
        println!(
            "{} posts: {} ({}), title + body {}-{} characters, mean {}",
            if long { "long" } else { "ordinary" },
            chars.len(),
            counts.join(", "),
            chars.iter().min().unwrap_or(&0),
            chars.iter().max().unwrap_or(&0),
            chars.iter().sum::<usize>() / chars.len().max(1),
        );
    }
}

fn describe_findings(rules: &Rules, posts: &[Post]) {
    let found: Vec<Found> = posts.iter().map(|p| screen(rules, p, |_| {})).collect();
    let count = |check: fn(&Found) -> bool| found.iter().filter(|f| check(f)).count();
    println!(
        "posts with something found, of {}: watched words {}, personal details {}, \
         crisis phrases {}, spam held or rejected {}",
        posts.len(),
        count(|f| f.words),
        count(|f| f.details),
        count(|f| f.crisis),
        count(|f| f.spam),
    );
}

fn entry_count(lists: &WordLists) -> usize {
    [
        &lists.block,
        &lists.require_approval,
        &lists.flag,
        &lists.replace,
    ]
    .iter()
    .flat_map(|list| list.lines())
    .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
    .count()
}

// ---------------------------------------------------------------------------
// The figures.

/// p50, p90, p99 and max of the whole pipeline and of each check, with each
/// check's share of the total time.
fn report(samples: &[&Sample]) {
    let all_time: u64 = samples.iter().map(|s| s.total()).sum();
    println!();
    println!(
        "| {:<16} | {:>9} | {:>9} | {:>9} | {:>9} | {:>9} | {:>7} |",
        "µs per post", "p50", "p90", "p99", "max", "mean", "share"
    );
    println!(
        "| {:-<16} | {:->9}:| {:->9}:| {:->9}:| {:->9}:| {:->9}:| {:->7}:|",
        "", "", "", "", "", "", ""
    );
    let row = |name: &str, mut values: Vec<u64>| {
        values.sort_unstable();
        let sum: u64 = values.iter().sum();
        println!(
            "| {name:<16} | {:>9} | {:>9} | {:>9} | {:>9} | {:>9} | {:>6.0}% |",
            micros(percentile(&values, 50.0)),
            micros(percentile(&values, 90.0)),
            micros(percentile(&values, 99.0)),
            micros(values.last().copied().unwrap_or(0)),
            micros(sum / values.len().max(1) as u64),
            100.0 * sum as f64 / all_time.max(1) as f64,
        );
    };
    row(
        "whole pipeline",
        samples.iter().map(|s| s.total()).collect(),
    );
    for (check, name) in CHECKS.iter().enumerate() {
        row(name, samples.iter().map(|s| s.checks[check]).collect());
    }
}

/// The whole pipeline's p50 and p99 for each kind of post.
fn by_kind(posts: &[Post], samples: &[&Sample]) {
    println!();
    for kind in Kind::ALL {
        let of_kind: Vec<&Sample> = samples
            .iter()
            .copied()
            .filter(|s| posts[s.post].kind == kind)
            .collect();
        let totals = totals(&of_kind);
        let check_p50: Vec<String> = CHECKS
            .iter()
            .enumerate()
            .map(|(check, name)| {
                let mut values: Vec<u64> = of_kind.iter().map(|s| s.checks[check]).collect();
                values.sort_unstable();
                format!("{name} {}", micros(percentile(&values, 50.0)))
            })
            .collect();
        println!(
            "{:<8} posts: p50 {} µs, p99 {} µs (p50 by check: {})",
            kind.name(),
            micros(percentile(&totals, 50.0)),
            micros(percentile(&totals, 99.0)),
            check_p50.join(", ")
        );
    }
}

/// A post's median cost over its timed passes: what it costs when the
/// machine leaves it alone.
struct PostMedian {
    post: usize,
    total: u64,
    checks: [u64; 4],
}

/// Each post's median, slowest post first.
fn post_medians(samples: &[&Sample]) -> Vec<PostMedian> {
    let mut indexes: Vec<usize> = samples.iter().map(|s| s.post).collect();
    indexes.sort_unstable();
    indexes.dedup();
    let mut medians: Vec<PostMedian> = indexes
        .into_iter()
        .map(|post| {
            let mine: Vec<&Sample> = samples.iter().copied().filter(|s| s.post == post).collect();
            let mut checks = [0; 4];
            for (check, median) in checks.iter_mut().enumerate() {
                let mut values: Vec<u64> = mine.iter().map(|s| s.checks[check]).collect();
                values.sort_unstable();
                *median = percentile(&values, 50.0);
            }
            PostMedian {
                post,
                total: percentile(&totals(&mine), 50.0),
                checks,
            }
        })
        .collect();
    medians.sort_by_key(|m| std::cmp::Reverse(m.total));
    medians
}

/// The three posts with the highest median cost, and what costs most in each.
fn slowest(posts: &[Post], medians: &[PostMedian]) {
    println!();
    println!("slowest posts by median:");
    for median in medians.iter().take(3) {
        let post = &posts[median.post];
        let split: Vec<String> = CHECKS
            .iter()
            .zip(median.checks)
            .map(|(name, nanos)| format!("{name} {}", micros(nanos)))
            .collect();
        println!(
            "  {} µs: {} post, {} characters, \"{}\" ({})",
            micros(median.total),
            post.kind.name(),
            post.chars(),
            post.title,
            split.join(", ")
        );
    }
}

/// The target against every timed pass, which on a busy machine includes
/// the moments this thread was not running; and against each post's median,
/// which leaves those out and shows whether the slowest posts themselves fit.
fn target(samples: &[&Sample], medians: &[PostMedian]) {
    let verdict = |p99: u64| {
        if Duration::from_nanos(p99) < TARGET_P99 {
            "PASS"
        } else {
            "FAIL"
        }
    };
    let all = percentile(&totals(samples), 99.0);
    let mut typical: Vec<u64> = medians.iter().map(|m| m.total).collect();
    typical.sort_unstable();
    let typical = percentile(&typical, 99.0);
    println!();
    println!(
        "target: p99 < {} per post of ordinary length: {} (p99 of every timed pass {} µs)",
        us(TARGET_P99),
        verdict(all),
        micros(all)
    );
    println!(
        "        p99 of each post's median {} µs: {} (scheduling noise left out)",
        micros(typical),
        verdict(typical)
    );
}

/// Posts per second of one thread screening the posts in turn, as measured
/// by the wall clock (which counts the time the thread was not running), and
/// as the posts' medians predict it for a machine with nothing else to do.
fn throughput(rules: &Rules, posts: &[Post], long: bool, medians: &[PostMedian]) {
    let chosen: Vec<&Post> = posts.iter().filter(|p| p.long == long).collect();
    let started = Instant::now();
    for _ in 0..THROUGHPUT_ROUNDS {
        for post in &chosen {
            black_box(screen(rules, post, |_| {}));
        }
    }
    let took = started.elapsed();
    let screened = THROUGHPUT_ROUNDS * chosen.len();
    let chars: usize = chosen.iter().map(|p| p.chars()).sum();
    let median_time: u64 = medians.iter().map(|m| m.total).sum();
    println!(
        "{} posts: {:.0} posts/s ({:.1} MB/s of text), {screened} passes in {}; \
         from each post's median: {:.0} posts/s",
        if long { "long" } else { "ordinary" },
        screened as f64 / took.as_secs_f64(),
        (THROUGHPUT_ROUNDS * chars) as f64 / took.as_secs_f64() / 1e6,
        ms(took),
        medians.len() as f64 / (median_time as f64 / 1e9),
    );
}

fn accuracy() {
    let (training, held_out) = spam::split(spam::STARTER_CORPUS);
    let model = SpamModel::train(&training);
    let spam_score = spam::evaluate(&model, &held_out);
    println!();
    println!(
        "spam filter, trained on 4/5 of the starter corpus, judged on the held-out 1/5 \
         (positive = held or rejected, text only):"
    );
    println!(
        "  precision {:.3}, recall {:.3} (true pos. {}, false pos. {}, false neg. {}, true neg. {})",
        spam_score.precision(),
        spam_score.recall(),
        spam_score.true_positives,
        spam_score.false_positives,
        spam_score.false_negatives,
        spam_score.true_negatives
    );
    println!();
    println!("personal-detail guard, per sentence and kind of detail:");
    for (name, labelled) in [
        ("heldout.tsv (held out from tuning)", PERSONAL_HELD_OUT),
        ("dev.tsv (tuned against, for comparison)", PERSONAL_DEV),
    ] {
        let score = personal::evaluate(labelled);
        println!(
            "  {name}: precision {:.3}, recall {:.3} \
             (true pos. {}, false pos. {}, false neg. {}, true neg. {})",
            score.precision(),
            score.recall(),
            score.true_positives,
            score.false_positives,
            score.false_negatives,
            score.true_negatives
        );
    }
}

fn totals(samples: &[&Sample]) -> Vec<u64> {
    let mut totals: Vec<u64> = samples.iter().map(|s| s.total()).collect();
    totals.sort_unstable();
    totals
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn micros(nanos: u64) -> String {
    format!("{:.1}", nanos as f64 / 1_000.0)
}

fn us(duration: Duration) -> String {
    format!("{} µs", micros(duration.as_nanos() as u64))
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1_000.0)
}
