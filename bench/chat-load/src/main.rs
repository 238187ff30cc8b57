//! The chat load benchmark's generator, run by `bench/chat.sh` (see
//! `bench/README.md`).
//!
//! `chat-load setup` makes the benchmark's members in a stopped server's
//! database, through the server's own services: accounts without a password
//! (as `hearth demo` makes its people, so no password hash is computed ten
//! thousand times), the senders having accepted the terms, and one live
//! session each, written to a file as `alias<TAB>session` lines.
//!
//! `chat-load run` opens one live connection per session to
//! `/r/{room}/live`, as a browser on the site does (the site's `Origin`, the
//! session cookie), measures the server's resident memory before and after
//! the connections are open and idle, then has the first `senders` members
//! send `rate` messages a second in turn for `duration` seconds over their
//! own sockets. Each message carries its send time; every connection
//! records when each message reached it. It prints a JSON report on
//! standard output and its progress on standard error.

// The report is one `json!` literal with many fields.
#![recursion_limit = "256"]

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, Stream, StreamExt};
use hearth_core::model::Role;
use hearth_server::services::{Actor, accounts, legal};
use hearth_server::{App, Config};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A member who sends: their socket's sending half, and the send times of
/// the messages not yet answered (`sent` or `error`), oldest first.
struct Sender {
    sink: tokio::sync::Mutex<SplitSink<Ws, Message>>,
    waiting: Mutex<VecDeque<u64>>,
}

#[derive(Parser)]
#[command(name = "chat-load", about = "Many live members in one chat room.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make the members, each with a session, in the database that
    /// HEARTH_DATA_DIR or DATABASE_URL names (the server stopped).
    Setup {
        /// How many members.
        #[arg(long)]
        members: usize,
        /// The first this many accept the terms, to be able to send.
        #[arg(long)]
        senders: usize,
        /// Where to write `alias<TAB>session` lines.
        #[arg(long)]
        sessions: PathBuf,
    },
    /// Connect, measure memory, send, measure delivery.
    Run(RunArgs),
}

#[derive(Args)]
struct RunArgs {
    /// The server's base URL, like http://127.0.0.1:8080 (also the Origin sent).
    #[arg(long)]
    url: String,
    /// The room's slug.
    #[arg(long)]
    room: String,
    /// The file `setup` wrote.
    #[arg(long)]
    sessions: PathBuf,
    /// Live connections, one member each.
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// Members who send (the first ones in the file).
    #[arg(long, default_value_t = 200)]
    senders: usize,
    /// Messages a second, all senders together.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 60.0)]
    duration: f64,
    /// The server's process id, for its memory and CPU time.
    #[arg(long)]
    server_pid: u32,
    /// The CPU the server is pinned to, to see what else ran on it.
    #[arg(long, default_value_t = 0)]
    server_cpu: usize,
    /// Seconds to wait once all are connected before memory is read.
    #[arg(long, default_value_t = 5.0)]
    settle: f64,
    /// Seconds to wait after the last send for deliveries still on their way.
    #[arg(long, default_value_t = 15.0)]
    drain: f64,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 64)]
    connect_at_once: usize,
}

fn main() -> Result<(), BoxError> {
    let cli = Cli::parse();
    // One thread: the script pins this process to one CPU, the server to the other.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Setup {
            members,
            senders,
            sessions,
        } => runtime.block_on(setup(members, senders, sessions)),
        Command::Run(args) => {
            let report = runtime.block_on(run(args))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
    }
}

// --- setup ---------------------------------------------------------------------------

async fn setup(members: usize, senders: usize, path: PathBuf) -> Result<(), BoxError> {
    let app = App::open(Config::load(None)?).await?;
    let started = Instant::now();
    let made: Vec<Result<String, BoxError>> = futures_util::stream::iter(0..members)
        .map(|i| {
            let app = app.clone();
            async move { make_member(&app, i, i < senders).await }
        })
        .buffered(8)
        .collect()
        .await;
    let lines = made.into_iter().collect::<Result<Vec<_>, _>>()?;
    std::fs::write(&path, lines.concat())?;
    eprintln!(
        "made {members} members ({senders} senders) with sessions in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    app.store().close().await;
    Ok(())
}

/// One member: an account without a password (it cannot sign in, as the
/// demo's people), a session, and for a sender the terms accepted.
async fn make_member(app: &App, i: usize, sender: bool) -> Result<String, BoxError> {
    let alias = format!("bench_{i:05}");
    let email = format!("{alias}@bench.invalid");
    let account = accounts::create_by_operator(app, &alias, &email, Role::Member, None)
        .await
        .map_err(|e| format!("making {alias}: {e}"))?;
    let id = account.id;
    if sender {
        let actor = Actor::member(account);
        let documents: Vec<i64> = legal::awaiting(app, &actor)
            .await?
            .iter()
            .map(|d| d.id)
            .collect();
        legal::accept(app, &actor, &documents).await?;
    }
    let mut tx = app.store().write().await?;
    let session = accounts::start_session(&mut tx, id, app.now()).await?;
    hearth_store::commit(tx).await?;
    Ok(format!("{alias}\t{session}\n"))
}

// --- what a message carries ------------------------------------------------------------

/// Numbers are written in consonants: digits could look like a phone number
/// to the personal-detail guard, and consonants spell no watched word.
const DIGITS: &[u8; 16] = b"bcdfghjklmnpqrst";

fn encode(mut n: u64) -> String {
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 16) as usize]);
        n /= 16;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn decode(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0u64, |n, c| {
        let digit = DIGITS.iter().position(|&d| d == c)? as u64;
        n.checked_mul(16)?.checked_add(digit)
    })
}

fn body(number: u64, stamp_us: u64) -> String {
    format!(
        "Bench note {} stamp {} end",
        encode(number),
        encode(stamp_us)
    )
}

/// The message number and send time in a `message` frame's text.
fn stamp_in(frame: &str) -> Option<(u64, u64)> {
    let rest = &frame[frame.find("Bench note ")? + "Bench note ".len()..];
    let (number, rest) = rest.split_once(" stamp ")?;
    let (stamp, _) = rest.split_once(" end")?;
    Some((decode(number)?, decode(stamp)?))
}

// --- measuring ---------------------------------------------------------------------------

/// Latencies in buckets: 10 µs wide below 100 ms, 1 ms below 10 s, then
/// 100 ms up to 120 s (the last bucket holds anything longer).
struct Histogram {
    buckets: Vec<AtomicU64>,
}

impl Histogram {
    const FINE: u64 = 10_000;
    const MEDIUM: u64 = 9_900;
    const COARSE: u64 = 1_100;

    fn new() -> Self {
        Self {
            buckets: (0..Self::FINE + Self::MEDIUM + Self::COARSE)
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }

    fn bucket(us: u64) -> u64 {
        if us < 100_000 {
            us / 10
        } else if us < 10_000_000 {
            Self::FINE + (us - 100_000) / 1_000
        } else {
            (Self::FINE + Self::MEDIUM + (us - 10_000_000) / 100_000)
                .min(Self::FINE + Self::MEDIUM + Self::COARSE - 1)
        }
    }

    /// The upper edge of a bucket, in µs.
    fn upper(bucket: u64) -> u64 {
        if bucket < Self::FINE {
            (bucket + 1) * 10
        } else if bucket < Self::FINE + Self::MEDIUM {
            100_000 + (bucket - Self::FINE + 1) * 1_000
        } else {
            10_000_000 + (bucket - Self::FINE - Self::MEDIUM + 1) * 100_000
        }
    }

    fn record(&self, us: u64) {
        self.buckets[Self::bucket(us) as usize].fetch_add(1, Relaxed);
    }

    /// The latency (ms) that a share `q` of the deliveries stayed within.
    fn quantile_ms(&self, q: f64) -> f64 {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return 0.0;
        }
        let rank = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, n) in counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Self::upper(i as u64) as f64 / 1000.0;
            }
        }
        0.0
    }
}

/// What every connection adds to.
struct Shared {
    t0: Instant,
    /// Messages planned: the size of each connection's seen-set.
    planned: u64,
    /// Send to each delivery.
    latency: Histogram,
    /// Send to the server's answer (`sent`) at the sender.
    answer: Histogram,
    /// Per message: when it was sent, first received and last received (µs).
    sent_at: Vec<AtomicU64>,
    first_at: Vec<AtomicU64>,
    last_at: Vec<AtomicU64>,
    max_us: AtomicU64,
    received: AtomicU64,
    duplicates: AtomicU64,
    acked: AtomicU64,
    held: AtomicU64,
    refused: AtomicU64,
    presence_frames: AtomicU64,
    presence_bytes: AtomicU64,
    other_frames: AtomicU64,
    /// Connections that ended while the benchmark ran.
    dropped: AtomicU64,
    reasons: Mutex<BTreeMap<String, u64>>,
    finished: AtomicBool,
}

impl Shared {
    fn now_us(&self) -> u64 {
        self.t0.elapsed().as_micros() as u64
    }

    fn problem(&self, reason: String) {
        if let Ok(mut reasons) = self.reasons.lock() {
            *reasons.entry(reason).or_default() += 1;
        }
    }
}

/// VmRSS of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    status_field(pid, "VmRSS:")
}

fn status_field(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// User and system CPU time of a process, in seconds.
fn cpu_secs(pid: &str) -> f64 {
    let (user, system) = user_and_system_secs(pid);
    user + system
}

/// User and system CPU time of a process, in seconds, apart.
fn user_and_system_secs(pid: &str) -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return (0.0, 0.0);
    };
    // The fields after the command name, which is in parentheses.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return (0.0, 0.0);
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // SAFETY: sysconf only reads a constant of the system.
    let per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    (ticks(11) as f64 / per_sec, ticks(12) as f64 / per_sec)
}

/// Time (seconds) the server's threads were ready to run but waited for a
/// CPU, from each thread's schedstat.
fn run_delay_secs(pid: u32) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    let ns: u64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum();
    ns as f64 / 1e9
}

/// A CPU's time so far from /proc/stat, in ticks: (busy, steal, total).
fn cpu_ticks(cpu: usize) -> (u64, u64, u64) {
    let name = format!("cpu{cpu}");
    let Some(fields) = std::fs::read_to_string("/proc/stat").ok().and_then(|s| {
        s.lines()
            .find(|l| l.split_whitespace().next() == Some(name.as_str()))
            .map(|l| {
                l.split_whitespace()
                    .skip(1)
                    .filter_map(|v| v.parse::<u64>().ok())
                    .collect::<Vec<_>>()
            })
    }) else {
        return (0, 0, 0);
    };
    let get = |i: usize| fields.get(i).copied().unwrap_or(0);
    // user nice system idle iowait irq softirq steal
    let total: u64 = (0..8).map(get).sum();
    let steal = get(7);
    (total - get(3) - get(4) - steal, steal, total)
}

// --- connections --------------------------------------------------------------------------

async fn connect(args: &RunArgs, session: &str) -> Result<Ws, BoxError> {
    let base = args.url.trim_end_matches('/');
    let ws_url = format!("{}/r/{}/live", base.replacen("http", "ws", 1), args.room);
    let mut request = ws_url.into_client_request()?;
    let headers = request.headers_mut();
    headers.insert("origin", base.parse()?);
    headers.insert("cookie", format!("hearth_session={session}").parse()?);
    // Small buffers: ten thousand of them share this process.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let (mut ws, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), true).await?;
    // The first frame says hello; anything else is a refusal.
    let first = tokio::time::timeout(Duration::from_secs(60), ws.next())
        .await
        .map_err(|_| "no hello within 60 s")?
        .ok_or("closed before hello")??;
    match first {
        Message::Text(t) if t.as_str().contains(r#""type":"hello""#) => Ok(ws),
        other => Err(format!("expected hello, got {other:?}").into()),
    }
}

/// Reads one connection's frames until it closes or the benchmark ends.
async fn read<S>(mut stream: S, shared: Arc<Shared>, sender: Option<Arc<Sender>>)
where
    S: Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let mut seen = vec![0u64; (shared.planned as usize).div_ceil(64)];
    loop {
        let Some(frame) = stream.next().await else {
            break;
        };
        let text = match frame {
            Ok(Message::Text(t)) => t,
            Ok(Message::Close(c)) => {
                if !shared.finished.load(Relaxed) {
                    shared.problem(format!("closed by the server: {c:?}"));
                }
                break;
            }
            Ok(_) => continue,
            Err(e) => {
                if !shared.finished.load(Relaxed) {
                    shared.problem(format!("connection error: {e}"));
                }
                break;
            }
        };
        let text = text.as_str();
        if text.contains(r#""type":"message""#) {
            let now = shared.now_us();
            let Some((number, stamp)) = stamp_in(text) else {
                shared.other_frames.fetch_add(1, Relaxed);
                continue;
            };
            let (word, bit) = ((number / 64) as usize, number % 64);
            if word >= seen.len() {
                shared.other_frames.fetch_add(1, Relaxed);
                continue;
            }
            if seen[word] & (1 << bit) != 0 {
                shared.duplicates.fetch_add(1, Relaxed);
                continue;
            }
            seen[word] |= 1 << bit;
            shared.first_at[number as usize].fetch_min(now, Relaxed);
            shared.last_at[number as usize].fetch_max(now, Relaxed);
            let us = now.saturating_sub(stamp);
            shared.latency.record(us);
            shared.max_us.fetch_max(us, Relaxed);
            shared.received.fetch_add(1, Relaxed);
        } else if text.contains(r#""type":"presence""#) {
            shared.presence_frames.fetch_add(1, Relaxed);
            shared.presence_bytes.fetch_add(text.len() as u64, Relaxed);
        } else if text.contains(r#""type":"sent""#) {
            answered(&shared, sender.as_deref());
            shared.acked.fetch_add(1, Relaxed);
            if text.contains(r#""held":true"#) {
                shared.held.fetch_add(1, Relaxed);
            }
        } else if text.contains(r#""type":"error""#) {
            answered(&shared, sender.as_deref());
            shared.refused.fetch_add(1, Relaxed);
            let reason = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v["reason"].as_str().map(str::to_owned))
                .unwrap_or_else(|| text.to_owned());
            shared.problem(format!("error frame: {reason}"));
        } else {
            shared.other_frames.fetch_add(1, Relaxed);
        }
    }
    if !shared.finished.load(Relaxed) {
        shared.dropped.fetch_add(1, Relaxed);
    }
}

/// The server answered a sender's oldest message still waiting.
fn answered(shared: &Shared, sender: Option<&Sender>) {
    let stamp = sender
        .and_then(|s| s.waiting.lock().ok())
        .and_then(|mut w| w.pop_front());
    if let Some(stamp) = stamp {
        shared.answer.record(shared.now_us().saturating_sub(stamp));
    }
}

/// Quantiles (ms) of per-message durations in µs.
fn quantiles_ms(mut us: Vec<u64>) -> serde_json::Value {
    us.sort_unstable();
    let at = |q: f64| {
        if us.is_empty() {
            return 0.0;
        }
        let i = (((us.len() as f64) * q).ceil() as usize).clamp(1, us.len()) - 1;
        (us[i] as f64 / 10.0).round() / 100.0
    };
    serde_json::json!({"p50": at(0.5), "p99": at(0.99), "max": at(1.0), "messages": us.len()})
}

// --- the run --------------------------------------------------------------------------------

async fn run(args: RunArgs) -> Result<serde_json::Value, BoxError> {
    let args = Arc::new(args);
    let text = std::fs::read_to_string(&args.sessions)?;
    let sessions: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_once('\t').map(|(_, s)| s.to_owned()))
        .collect();
    if sessions.len() < args.connections {
        return Err(format!(
            "{} has {} sessions, fewer than the {} connections asked for",
            args.sessions.display(),
            sessions.len(),
            args.connections
        )
        .into());
    }
    if args.senders == 0 || args.senders > args.connections {
        return Err("--senders must be from 1 to --connections".into());
    }
    if !(args.rate > 0.0 && args.duration > 0.0) {
        return Err("--rate and --duration must be positive".into());
    }
    let planned = (args.rate * args.duration).round() as u64;
    let shared = Arc::new(Shared {
        t0: Instant::now(),
        planned,
        latency: Histogram::new(),
        answer: Histogram::new(),
        sent_at: (0..planned).map(|_| AtomicU64::new(0)).collect(),
        first_at: (0..planned).map(|_| AtomicU64::new(u64::MAX)).collect(),
        last_at: (0..planned).map(|_| AtomicU64::new(0)).collect(),
        max_us: AtomicU64::new(0),
        received: AtomicU64::new(0),
        duplicates: AtomicU64::new(0),
        acked: AtomicU64::new(0),
        held: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        presence_frames: AtomicU64::new(0),
        presence_bytes: AtomicU64::new(0),
        other_frames: AtomicU64::new(0),
        dropped: AtomicU64::new(0),
        reasons: Mutex::new(BTreeMap::new()),
        finished: AtomicBool::new(false),
    });
    let pid = args.server_pid;
    let server = pid.to_string();

    // Idle memory before and after the connections.
    let rss_before = rss_kib(pid);
    eprintln!(
        "server RSS before: {:.1} MiB; opening {} connections",
        rss_before as f64 / 1024.0,
        args.connections
    );
    let connect_started = Instant::now();
    let gate = Arc::new(Semaphore::new(args.connect_at_once.max(1)));
    let mut ready = Vec::with_capacity(args.connections);
    for (i, session) in sessions.into_iter().take(args.connections).enumerate() {
        let (tx, rx) = oneshot::channel::<Result<Option<Arc<Sender>>, String>>();
        ready.push(rx);
        let (args, shared, gate) = (args.clone(), shared.clone(), gate.clone());
        tokio::spawn(async move {
            let permit = gate.acquire_owned().await;
            let ws = match connect(&args, &session).await {
                Ok(ws) => ws,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            drop(permit);
            if i < args.senders {
                let (sink, stream) = ws.split();
                let sender = Arc::new(Sender {
                    sink: tokio::sync::Mutex::new(sink),
                    waiting: Mutex::new(VecDeque::new()),
                });
                let _ = tx.send(Ok(Some(sender.clone())));
                read(stream, shared, Some(sender)).await;
            } else {
                let _ = tx.send(Ok(None));
                read(ws, shared, None).await;
            }
        });
    }
    let mut senders: Vec<Arc<Sender>> = Vec::new();
    let mut connected = 0u64;
    let mut connect_failures = 0u64;
    for (i, rx) in ready.into_iter().enumerate() {
        match rx.await {
            Ok(Ok(sink)) => {
                connected += 1;
                senders.extend(sink);
            }
            Ok(Err(e)) => {
                connect_failures += 1;
                shared.problem(format!("could not connect: {e}"));
            }
            Err(_) => {
                connect_failures += 1;
                shared.problem("a connection task ended".into());
            }
        }
        if (i + 1) % 1000 == 0 {
            eprintln!(
                "  {} of {} connected after {:.1} s, server RSS {:.1} MiB",
                connected,
                i + 1,
                connect_started.elapsed().as_secs_f64(),
                rss_kib(pid) as f64 / 1024.0
            );
        }
    }
    let connect_secs = connect_started.elapsed().as_secs_f64();
    eprintln!(
        "{connected} connected ({connect_failures} failed) in {connect_secs:.1} s; settling {} s",
        args.settle
    );
    tokio::time::sleep(Duration::from_secs_f64(args.settle)).await;
    let rss_idle = rss_kib(pid);
    let kib_per_connection = if connected > 0 {
        rss_idle.saturating_sub(rss_before) as f64 / connected as f64
    } else {
        0.0
    };
    eprintln!(
        "server RSS idle with {connected} connections: {:.1} MiB, {kib_per_connection:.1} KiB each",
        rss_idle as f64 / 1024.0
    );
    if senders.is_empty() {
        return Err("no sender connected".into());
    }

    // The load: message j goes out at j / rate seconds, from sender j mod S.
    let peak = Arc::new(AtomicU64::new(rss_idle));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_kib(pid), Relaxed);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    let presence_before = shared.presence_frames.load(Relaxed);
    let (server_cpu_0, own_cpu_0) = (cpu_secs(&server), cpu_secs("self"));
    let server_user_0 = user_and_system_secs(&server).0;
    let (delay_0, core_0) = (run_delay_secs(pid), cpu_ticks(args.server_cpu));
    let load_started = Instant::now();
    let sent = Arc::new(AtomicU64::new(0));
    let send_failures = Arc::new(AtomicU64::new(0));
    eprintln!(
        "sending {planned} messages at {}/s from {} senders",
        args.rate,
        senders.len()
    );
    for j in 0..planned {
        let at = load_started + Duration::from_secs_f64(j as f64 / args.rate);
        tokio::time::sleep_until(at.into()).await;
        let sender = senders[(j as usize) % senders.len()].clone();
        let (tally, sent, send_failures) = (shared.clone(), sent.clone(), send_failures.clone());
        tokio::spawn(async move {
            let mut sink = sender.sink.lock().await;
            let stamp = tally.now_us();
            tally.sent_at[j as usize].store(stamp, Relaxed);
            if let Ok(mut waiting) = sender.waiting.lock() {
                waiting.push_back(stamp);
            }
            let frame = serde_json::json!({"type": "send", "body": body(j, stamp)});
            match sink.send(Message::text(frame.to_string())).await {
                Ok(()) => {
                    sent.fetch_add(1, Relaxed);
                }
                Err(e) => {
                    send_failures.fetch_add(1, Relaxed);
                    tally.problem(format!("could not send: {e}"));
                }
            }
        });
        if (j + 1) % (args.rate.round().max(1.0) as u64 * 10) == 0 {
            eprintln!(
                "  {:.0} s: {} sent, {} deliveries so far",
                load_started.elapsed().as_secs_f64(),
                j + 1,
                shared.received.load(Relaxed)
            );
        }
    }
    let send_secs = load_started.elapsed().as_secs_f64();
    let (server_cpu_1, own_cpu_1) = (cpu_secs(&server), cpu_secs("self"));
    let server_user_1 = user_and_system_secs(&server).0;
    let (delay_1, core_1) = (run_delay_secs(pid), cpu_ticks(args.server_cpu));
    let deliveries_sending = shared.received.load(Relaxed);

    // Deliveries still on their way.
    let deadline = Instant::now() + Duration::from_secs_f64(args.drain);
    let connections_now = || connected - shared.dropped.load(Relaxed);
    loop {
        let answered = shared.acked.load(Relaxed) + shared.refused.load(Relaxed);
        let visible = shared.acked.load(Relaxed) - shared.held.load(Relaxed);
        let out = sent.load(Relaxed);
        // A held message reaches its author only.
        let done = out + send_failures.load(Relaxed) >= planned
            && answered >= out
            && shared.received.load(Relaxed)
                >= visible * connections_now() + shared.held.load(Relaxed);
        if done || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drained_secs = load_started.elapsed().as_secs_f64() - send_secs;
    shared.finished.store(true, Relaxed);
    sampler.abort();
    let (server_cpu_2, own_cpu_2) = (cpu_secs(&server), cpu_secs("self"));

    let acked = shared.acked.load(Relaxed);
    let held = shared.held.load(Relaxed);
    // Each accepted message that is not held reaches every connection,
    // its sender's included; a held one its sender only.
    let expected = (acked - held) * connected + held;
    // Per message that reached anyone: from its send to its last delivery,
    // and from its first delivery to its last.
    let mut to_all = Vec::new();
    let mut spread = Vec::new();
    for j in 0..planned as usize {
        let (sent_at, first, last) = (
            shared.sent_at[j].load(Relaxed),
            shared.first_at[j].load(Relaxed),
            shared.last_at[j].load(Relaxed),
        );
        if last > 0 {
            to_all.push(last.saturating_sub(sent_at));
            spread.push(last.saturating_sub(first));
        }
    }
    let received = shared.received.load(Relaxed);
    let reasons = shared.reasons.lock().map(|r| r.clone()).unwrap_or_default();
    let round = |v: f64| (v * 100.0).round() / 100.0;
    Ok(serde_json::json!({
        "connections": args.connections,
        "connected": connected,
        "connect_failures": connect_failures,
        "connect_seconds": round(connect_secs),
        "rss_before_kib": rss_before,
        "rss_idle_kib": rss_idle,
        "kib_per_idle_connection": round(kib_per_connection),
        "senders": senders.len(),
        "rate": args.rate,
        "duration_seconds": args.duration,
        "planned": planned,
        "sent": sent.load(Relaxed),
        "send_seconds": round(send_secs),
        "acked": acked,
        "held": held,
        "refused": shared.refused.load(Relaxed),
        "expected": expected,
        "received": received,
        "missing": expected.saturating_sub(received),
        "duplicates": shared.duplicates.load(Relaxed),
        "dropped_connections": shared.dropped.load(Relaxed),
        "drain_seconds": round(drained_secs),
        "p50_ms": shared.latency.quantile_ms(0.50),
        "p95_ms": shared.latency.quantile_ms(0.95),
        "p99_ms": shared.latency.quantile_ms(0.99),
        "max_ms": round(shared.max_us.load(Relaxed) as f64 / 1000.0),
        "answer_p50_ms": shared.answer.quantile_ms(0.50),
        "answer_p99_ms": shared.answer.quantile_ms(0.99),
        "send_to_last_delivery_ms": quantiles_ms(to_all),
        "first_to_last_delivery_ms": quantiles_ms(spread),
        "server_cpu_percent_sending": round(100.0 * (server_cpu_1 - server_cpu_0) / send_secs),
        "server_cpu_us_per_delivery": round(
            1e6 * (server_cpu_1 - server_cpu_0) / deliveries_sending.max(1) as f64
        ),
        // Hearth's own part, without the kernel's (the writes themselves).
        "server_user_us_per_delivery": round(
            1e6 * (server_user_1 - server_user_0) / deliveries_sending.max(1) as f64
        ),
        "server_waited_for_cpu_percent": round(100.0 * (delay_1 - delay_0) / send_secs),
        "server_core": args.server_cpu,
        "server_core_busy_percent": round(
            100.0 * (core_1.0 - core_0.0) as f64 / (core_1.2 - core_0.2).max(1) as f64
        ),
        "server_core_steal_percent": round(
            100.0 * (core_1.1 - core_0.1) as f64 / (core_1.2 - core_0.2).max(1) as f64
        ),
        "server_cpu_seconds_total": round(server_cpu_2 - server_cpu_0),
        "generator_cpu_percent_sending": round(100.0 * (own_cpu_1 - own_cpu_0) / send_secs),
        "generator_cpu_seconds_total": round(own_cpu_2 - own_cpu_0),
        "server_rss_peak_kib": peak.load(Relaxed),
        "server_rss_hwm_kib": status_field(pid, "VmHWM:"),
        "presence_frames_connecting": presence_before,
        "presence_frames_sending": shared.presence_frames.load(Relaxed) - presence_before,
        "presence_bytes": shared.presence_bytes.load(Relaxed),
        "other_frames": shared.other_frames.load(Relaxed),
        "problems": reasons,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_reads_back_from_the_frame_the_room_sends() {
        for (number, stamp) in [(0, 0), (1199, 61_234_567), (u64::MAX, 15)] {
            let html = format!(
                r#"{{"message":{{"html":"<p>{}</p>\n","id":5}},"type":"message"}}"#,
                body(number, stamp)
            );
            assert_eq!(stamp_in(&html), Some((number, stamp)), "{html}");
        }
        assert!(
            body(123_456_789, 987_654_321)
                .bytes()
                .all(|c| !c.is_ascii_digit())
        );
        assert_eq!(stamp_in("Bench note xyz stamp b end"), None);
    }

    #[test]
    fn quantiles_come_from_the_right_buckets() {
        let h = Histogram::new();
        for us in [5, 15, 25, 35, 150_000, 20_000_000] {
            h.record(us);
        }
        assert_eq!(h.quantile_ms(0.5), 0.03);
        assert_eq!(h.quantile_ms(5.0 / 6.0), 151.0);
        assert_eq!(h.quantile_ms(1.0), 20_100.0);
        for us in [0, 99_999, 100_000, 9_999_999, 10_000_000, 500_000_000] {
            assert!(us < Histogram::upper(Histogram::bucket(us)) || us > 120_000_000);
        }
    }
}
