use std::sync::Arc;

use hearth_core::model::Role;
use hearth_server::jobs::Tuning;
use hearth_server::mail::SmtpConfig;
use hearth_server::services::accounts;
use hearth_server::{App, Config, Server};
use hearth_store::jobs::Backoff;
use reqwest::StatusCode;
use reqwest::cookie::{CookieStore, Jar};
use sqlx::Connection;

/// A running server with its own database.
pub struct TestApp {
    pub server: Server,
    pub base: String,
    _dir: TempDir,
    pg: Option<(String, String)>,
}

/// A temporary directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unique() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// A server whose post rate limits are out of the way (tests post fast);
/// `spawn_app_with_default_limits` keeps the shipped limits.
pub async fn spawn_app() -> TestApp {
    let t = spawn_app_with_default_limits().await;
    let mut tx = t.app().store().write().await.unwrap();
    for key in [
        "safety.posts_per_minute",
        "safety.new_member_posts_per_minute",
    ] {
        hearth_store::settings::set(&mut tx, key, "1000")
            .await
            .unwrap();
    }
    hearth_store::settings::set(&mut tx, "safety.version", "tests")
        .await
        .unwrap();
    hearth_store::commit(tx).await.unwrap();
    t
}

pub async fn spawn_app_with_default_limits() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// What a test app is started with, beyond a fresh database.
#[derive(Clone, Default)]
pub struct Options {
    /// The mail server; without one, mail jobs wait in the queue.
    pub smtp: Option<SmtpConfig>,
    /// How much load is taken before it is shed (the defaults if `None`).
    pub overload: Option<hearth_server::overload::Limits>,
}

impl Options {
    /// Mail goes to this test SMTP server.
    pub fn mail(sink: &SmtpSink) -> Self {
        Self {
            smtp: Some(sink.config()),
            ..Self::default()
        }
    }

    /// Mail goes to loopback port `port`, where nothing may be listening yet.
    pub fn mail_to_port(port: u16) -> Self {
        Self {
            smtp: Some(smtp_config(port)),
            ..Self::default()
        }
    }
}

/// Job timings short enough for tests: retries come back within a second.
pub fn test_tuning() -> Tuning {
    Tuning {
        poll: std::time::Duration::from_millis(100),
        retry: Backoff {
            base_ms: 200,
            cap_ms: 1000,
        },
        ..Tuning::default()
    }
}

/// Live chat timings short enough for tests: a signed-out socket closes
/// within a second, a quiet node is forgotten within two. (The session
/// check also pings, so not much more often: `drain` waits for a pause.)
pub fn test_live_tuning() -> hearth_server::realtime::Tuning {
    hearth_server::realtime::Tuning {
        session_check: std::time::Duration::from_secs(1),
        presence_every: std::time::Duration::from_millis(300),
        presence_stale: std::time::Duration::from_millis(1500),
        presence_news: std::time::Duration::from_millis(300),
    }
}

/// A server with its own fresh database (with the shipped rate limits).
pub async fn spawn_app_with(options: Options) -> TestApp {
    let dir = TempDir(std::env::temp_dir().join(format!("hearth-test-{}", unique())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let (database_url, pg) = match std::env::var("HEARTH_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(admin_url) => {
            let name = format!("t_{}", unique());
            let mut conn = sqlx::PgConnection::connect(&admin_url)
                .await
                .expect("connect to PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let (prefix, _) = admin_url
                .rsplit_once('/')
                .expect("URL with a database name");
            (format!("{prefix}/{name}"), Some((admin_url.clone(), name)))
        }
        None => (
            format!("sqlite://{}?mode=rwc", dir.0.join("hearth.db").display()),
            None,
        ),
    };
    start(dir, database_url, pg, options).await
}

/// Serves the site already in `dir` (and `database_url`), as an operator
/// starts a restored one. A PostgreSQL database is left in place.
pub async fn spawn_app_on(dir: TempDir, database_url: String) -> TestApp {
    start(dir, database_url, None, Options::default()).await
}

/// Opens the app on `database_url` and serves it on a fresh port.
async fn start(
    dir: TempDir,
    database_url: String,
    pg: Option<(String, String)>,
    options: Options,
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config {
        bind: addr,
        data_dir: dir.0.clone(),
        database_url,
        base_url: format!("http://{addr}"),
        search_language: hearth_core::text::search::Language::English,
        smtp: options.smtp,
        jobs: test_tuning(),
        live: test_live_tuning(),
        overload: options.overload.unwrap_or_default(),
        memory_cache: true,
    };
    let app = App::open(config).await.expect("open app");
    let server = Server::start(app, listener).unwrap();
    TestApp {
        server,
        base: format!("http://{addr}"),
        _dir: dir,
        pg,
    }
}

impl TestApp {
    pub fn app(&self) -> &App {
        &self.server.app
    }

    /// The data directory (the SQLite database and the key file).
    pub fn data_dir(&self) -> &std::path::Path {
        &self._dir.0
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// Creates an account with a password, straight through the service.
    /// An established account (a few approved posts, so the checks for
    /// new members stay out of tests about other things).
    pub async fn account(&self, alias: &str, role: Role) -> String {
        let password = self.new_account(alias, role).await;
        let mut tx = self.app().store().write().await.unwrap();
        sqlx::query("UPDATE accounts SET approved_posts = 10 WHERE alias = $1")
            .bind(alias)
            .execute(&mut *tx)
            .await
            .unwrap();
        hearth_store::commit(tx).await.unwrap();
        password
    }

    /// A brand-new account: no approved posts yet.
    pub async fn new_account(&self, alias: &str, role: Role) -> String {
        let password = format!("{alias}-password-1");
        accounts::create_by_operator(
            self.app(),
            alias,
            &format!("{}@example.org", alias.to_lowercase()),
            role,
            Some(&password),
        )
        .await
        .expect("create account");
        password
    }

    /// A browser signed in as an established account with this role.
    pub async fn signed_in(&self, alias: &str, role: Role) -> Browser {
        let password = self.account(alias, role).await;
        self.sign_in(alias, &password).await
    }

    /// A browser signed in as a brand-new account.
    pub async fn signed_in_new(&self, alias: &str, role: Role) -> Browser {
        let password = self.new_account(alias, role).await;
        self.sign_in(alias, &password).await
    }

    pub async fn sign_in(&self, alias: &str, password: &str) -> Browser {
        let b = self.browser();
        let r = b
            .form(
                "/login",
                &[
                    ("email", &format!("{}@example.org", alias.to_lowercase())),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "sign-in of {alias}: {}",
            r.body
        );
        b
    }

    /// Runs a raw SQL query returning one i64 (for checking what is stored).
    pub async fn count(&self, sql: &str) -> i64 {
        let url = &self.app().config().database_url;
        if url.starts_with("postgres") {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&mut c)
                .await
                .unwrap()
        } else {
            let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&mut c)
                .await
                .unwrap()
        }
    }

    /// Runs a raw SQL statement (to set up what no door may, like an old date).
    pub async fn exec(&self, sql: &str) {
        let url = &self.app().config().database_url;
        if url.starts_with("postgres") {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        } else {
            let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        }
    }

    /// Stops this server and starts a new one on the same database (and
    /// data directory), as after a restart or on another node.
    pub async fn restart(self, options: Options) -> TestApp {
        let database_url = self.app().config().database_url.clone();
        self.server.stop().await;
        start(self._dir, database_url, self.pg, options).await
    }

    /// Stops this server, runs `work` on the site as the `hearth` command
    /// does (the app open, nothing served), and serves it again.
    pub async fn offline(self, work: impl AsyncFnOnce(&App)) -> TestApp {
        let config = self.app().config().clone();
        self.server.stop().await;
        let app = App::open(config.clone()).await.expect("open app");
        work(&app).await;
        drop(app);
        start(self._dir, config.database_url, self.pg, Options::default()).await
    }

    /// Another node on the same PostgreSQL database (`None` on SQLite, which
    /// has one node by design). It shares nothing else with this one.
    pub async fn second_node(&self) -> Option<TestApp> {
        self.pg.as_ref()?;
        let dir = TempDir(std::env::temp_dir().join(format!("hearth-test-{}", unique())));
        std::fs::create_dir_all(&dir.0).unwrap();
        // The same secret key: both nodes read the same sealed data.
        std::fs::copy(self._dir.0.join("secret.key"), dir.0.join("secret.key")).ok();
        let database_url = self.app().config().database_url.clone();
        Some(start(dir, database_url, None, Options::default()).await)
    }

    pub async fn stop(self) {
        self.server.stop().await;
        if let Some((admin_url, name)) = &self.pg
            && let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await
        {
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = sqlx::query(&drop).execute(&mut conn).await;
        }
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

/// An HTTP client with its own cookies, like one person's browser. It does
/// not follow redirects, so tests see them. A clone shares its cookies, like
/// a second tab.
#[derive(Clone)]
pub struct Browser {
    base: String,
    jar: Arc<Jar>,
    client: reqwest::Client,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            base: base.to_owned(),
            jar,
            client,
        }
    }

    async fn reply(r: reqwest::Response) -> Reply {
        let status = r.status();
        let headers = r.headers().clone();
        let location = headers
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        Reply {
            status,
            location,
            headers,
            body: r.text().await.unwrap_or_default(),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        Self::reply(
            self.client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// GET, following redirects on this site.
    pub async fn visit(&self, path: &str) -> Reply {
        let mut path = path.to_owned();
        for _ in 0..5 {
            let r = self.get(&path).await;
            match (&r.status, &r.location) {
                (s, Some(loc)) if s.is_redirection() => {
                    path = loc.trim_start_matches(&self.base).to_owned()
                }
                _ => return r,
            }
        }
        panic!("too many redirects from {path}");
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }

    /// Posts a form the way a browser does: with the CSRF token of its cookie.
    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        if self.cookie("hearth_csrf").is_none() {
            self.get("/healthz").await;
        }
        let token = self.cookie("hearth_csrf").expect("csrf cookie");
        let mut all: Vec<(&str, &str)> = vec![("csrf", &token)];
        all.extend_from_slice(fields);
        Self::reply(
            self.client
                .post(format!("{}{path}", self.base))
                .form(&all)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Posts a form with a file the way a browser does (`multipart/form-data`),
    /// with the CSRF token; `file` is (field, file name, bytes).
    pub async fn multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, Vec<u8>)>,
    ) -> Reply {
        if self.cookie("hearth_csrf").is_none() {
            self.get("/healthz").await;
        }
        let token = self.cookie("hearth_csrf").expect("csrf cookie");
        let mut form = reqwest::multipart::Form::new().text("csrf", token);
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        if let Some((field, name, bytes)) = file {
            form = form.part(
                field.to_string(),
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
            );
        }
        Self::reply(
            self.client
                .post(format!("{}{path}", self.base))
                .multipart(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Posts a form without the CSRF token (as a forging site would).
    pub async fn form_without_token(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        Self::reply(
            self.client
                .post(format!("{}{path}", self.base))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}

/// The number at the end of a redirect like `/t/42` or `/p/7`.
pub fn id_from(location: &Option<String>) -> i64 {
    let loc = location
        .as_deref()
        .expect("a redirect (the post may have been held or refused)");
    let tail = loc.rsplit('/').next().unwrap();
    tail.split(['?', '#'])
        .next()
        .unwrap()
        .parse()
        .expect("an id")
}

/// Replies to `topic` through the web form, as `b`; the new post's id.
pub async fn reply(b: &Browser, topic: i64, body: &str) -> i64 {
    let r = b
        .form(&format!("/t/{topic}/reply"), &[("body", body)])
        .await;
    assert_eq!(r.status, reqwest::StatusCode::SEE_OTHER, "{}", r.body);
    id_from(&r.location)
}

/// Creates a space as an admin (through the service), moderated after posting.
pub async fn space(t: &TestApp, slug: &str, tier: &str) {
    space_with(t, slug, tier, "post", "warn").await;
}

/// Creates a space with these moderation settings.
pub async fn space_with(t: &TestApp, slug: &str, tier: &str, moderation: &str, policy: &str) {
    use hearth_server::services::{Actor, spaces};
    let admin = accounts::create_by_operator(
        t.app(),
        &format!("admin_{}", slug.replace('-', "_")),
        &format!("{slug}@admins.example.org"),
        Role::Admin,
        None,
    )
    .await
    .unwrap();
    let form = spaces::SpaceForm {
        name: format!("Space {slug}"),
        slug: slug.into(),
        position: "1".into(),
        tier: tier.into(),
        moderation: moderation.into(),
        detail_policy: policy.into(),
        ..Default::default()
    };
    spaces::create(t.app(), &Actor::member(admin), &form)
        .await
        .unwrap();
}

/// The ids of the posts on a topic page, in order.
pub fn post_ids(html: &str) -> Vec<String> {
    html.split("<article class=\"post")
        .skip(1)
        .filter_map(|a| a.split("id=\"post-").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// A real SMTP server on loopback (`smtp_sink.py`, with Python's aiosmtpd)
/// that keeps each message it receives, parsed, for the test to read.
pub struct SmtpSink {
    pub port: u16,
    dir: TempDir,
    child: std::process::Child,
}

/// A message the test SMTP server received.
#[derive(Debug, serde::Deserialize)]
pub struct Sent {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub subject: String,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub text: Option<String>,
    pub html: Option<String>,
}

impl Sent {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn smtp_config(port: u16) -> SmtpConfig {
    SmtpConfig::parse(
        &format!("smtp://127.0.0.1:{port}?tls=none"),
        "Hearth test <community@hearth.test>",
    )
    .unwrap()
}

impl SmtpSink {
    pub async fn start() -> Self {
        Self::start_on(free_port()).await
    }

    /// Starts the server on `port`. Fails (never skips) when Python or
    /// aiosmtpd is missing: `pip install -r .ci/requirements.txt`.
    pub async fn start_on(port: u16) -> Self {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let dir = TempDir(std::env::temp_dir().join(format!("hearth-smtp-{}", unique())));
        std::fs::create_dir_all(&dir.0).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(&dir.0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 starts (the tests need Python with aiosmtpd)");
        let stdout = child.stdout.take().unwrap();
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            line
        })
        .await
        .unwrap();
        if line.trim() != "ready" {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "the test SMTP server did not start (pip install -r .ci/requirements.txt): {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Self { port, dir, child }
    }

    pub fn config(&self) -> SmtpConfig {
        smtp_config(self.port)
    }

    /// The messages received so far, in order.
    pub fn messages(&self) -> Vec<Sent> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir.0)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
            .collect()
    }

    /// Waits (up to 20 s) until `n` messages have arrived, and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Sent> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "expected {n} messages, the SMTP server has {}",
                messages.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits (up to 20 s) until `check` holds.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
