//! The `hearth` binary's commands, run as an operator would.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::TempDir;

/// Runs `hearth ARGS` against a fresh data directory (and a fresh PostgreSQL
/// database when the suite runs on PostgreSQL); returns (success, stdout, stderr).
struct Operator {
    dir: TempDir,
    database_url: Option<String>,
}

impl Operator {
    async fn new() -> Self {
        let dir = TempDir(std::env::temp_dir().join(format!(
            "hearth-cli-{}-{}",
            std::process::id(),
            rand_suffix()
        )));
        std::fs::create_dir_all(&dir.0).unwrap();
        let database_url = match std::env::var("HEARTH_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(admin) => {
                use sqlx::Connection;
                let name = format!("cli_{}", rand_suffix());
                let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut c)
                    .await
                    .unwrap();
                Some(format!("{}/{name}", admin.rsplit_once('/').unwrap().0))
            }
            None => None,
        };
        Self { dir, database_url }
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
        hearth(&self.dir.0, self.database_url.as_deref(), args, stdin)
    }
}

/// Runs `hearth ARGS` on the site in `dir` (and `database_url`, else the
/// SQLite database in `dir`); returns (success, stdout, stderr).
fn hearth(
    dir: &std::path::Path,
    database_url: Option<&str>,
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hearth"));
    cmd.args(args)
        .env("HEARTH_DATA_DIR", dir)
        .env("HEARTH_BASE_URL", "http://hearth.example")
        .env_remove("DATABASE_URL")
        .env_remove("HEARTH_SECRET_KEY")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    let mut child = cmd.spawn().unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}

#[tokio::test]
async fn operators_manage_accounts_from_the_command_line() {
    let op = Operator::new().await;
    let (ok, out, err) = op.run(&["migrate"], None);
    assert!(ok, "{err}");
    assert!(out.contains("up to date"));
    if op.database_url.is_none() {
        assert!(
            op.dir.0.join("secret.key").exists(),
            "a key file is created on first run"
        );
    }

    let (ok, out, err) = op.run(
        &[
            "admin",
            "create-user",
            "--alias",
            "NurseAnna",
            "--email",
            "anna@example.org",
            "--role",
            "staff",
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("Created NurseAnna (staff)"));
    assert!(
        out.contains("http://hearth.example/password-reset/"),
        "a link to choose a password, no default one: {out}"
    );

    let (ok, out, _) = op.run(
        &[
            "admin",
            "set-role",
            "--alias",
            "nurseanna",
            "--role",
            "moderator",
        ],
        None,
    );
    assert!(ok && out.contains("is now moderator"), "{out}");
    let (ok, out, _) = op.run(
        &[
            "admin",
            "reset-password",
            "--alias",
            "NurseAnna",
            "--password-stdin",
        ],
        Some("a brand new passphrase\n"),
    );
    assert!(ok && out.contains("password of NurseAnna is set"), "{out}");

    let (ok, _, err) = op.run(
        &[
            "admin",
            "set-role",
            "--alias",
            "NurseAnna",
            "--role",
            "queen",
        ],
        None,
    );
    assert!(!ok && err.contains("unknown role"), "{err}");
    let (ok, _, err) = op.run(
        &[
            "admin",
            "create-user",
            "--alias",
            "x@y.z",
            "--email",
            "nope",
        ],
        None,
    );
    assert!(
        !ok && err.contains("alias:") && err.contains("email:"),
        "{err}"
    );
    let (ok, _, err) = op.run(&["admin", "reset-password", "--alias", "nobody"], None);
    assert!(!ok && err.contains("no such account"), "{err}");

    let (ok, out, err) = op.run(&["demo"], None);
    assert!(ok, "{err}");
    assert!(out.contains("Loaded the demo community"));
    let (ok, out, _) = op.run(&["demo"], None);
    assert!(ok && out.contains("already loaded"), "{out}");
    op.cleanup().await;
}

#[tokio::test]
async fn bad_configuration_is_explained() {
    let op = Operator::new().await;
    std::fs::write(op.dir.0.join("hearth.toml"), "bind = \"not an address\"\n").unwrap();
    let (ok, _, err) = op.run(&["migrate"], None);
    assert!(!ok);
    assert!(
        err.contains("HEARTH_BIND must be an address and port"),
        "{err}"
    );
    std::fs::write(op.dir.0.join("hearth.toml"), "colour = \"blue\"\n").unwrap();
    let (ok, _, err) = op.run(&["migrate"], None);
    assert!(!ok && err.contains("hearth.toml is not valid"), "{err}");
    op.cleanup().await;
}

impl Operator {
    async fn cleanup(self) {
        if let (Some(url), Ok(admin)) = (
            &self.database_url,
            std::env::var("HEARTH_TEST_DATABASE_URL"),
        ) {
            use sqlx::Connection;
            let name = url.rsplit('/').next().unwrap();
            if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c)
                    .await;
            }
        }
    }
}

#[tokio::test]
async fn a_different_secret_key_is_refused_at_start() {
    let op = Operator::new().await;
    let (ok, _, err) = op.run(&["migrate"], None);
    assert!(ok, "{err}");
    let other = Operator {
        dir: TempDir(op.dir.0.join("elsewhere")),
        database_url: op.database_url.clone(),
    };
    std::fs::create_dir_all(&other.dir.0).unwrap();
    let sqlite = format!("sqlite://{}?mode=rwc", op.dir.0.join("hearth.db").display());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hearth"));
    cmd.arg("migrate")
        .env("HEARTH_DATA_DIR", &other.dir.0)
        .env("DATABASE_URL", other.database_url.clone().unwrap_or(sqlite))
        .env_remove("HEARTH_SECRET_KEY");
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("secret key is not the one this database was sealed with"),
        "{err}"
    );
    op.cleanup().await;
}

#[tokio::test]
async fn guard_commands_explain_findings_and_verdicts_as_json() {
    let op = Operator::new().await;
    let (ok, out, err) = op.run(
        &["guard", "check"],
        Some("My name is Jane Smith, call me on 07700 900123. I take 20 mg twice a day."),
    );
    assert!(ok, "{err}");
    let findings: serde_json::Value = serde_json::from_str(&out).unwrap();
    let kinds: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["full_name", "phone"], "{out}");
    assert_eq!(findings[1]["text"], "07700 900123");

    let (ok, out, err) = op.run(
        &["guard", "spam"],
        Some("Buy cheap viagra online without prescription!!! Best casino bonus, click https://bit.ly/cheap-pills now"),
    );
    assert!(ok, "{err}");
    let verdict: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_ne!(verdict["action"], "allow", "{out}");
    assert!(verdict["score"].as_f64().unwrap() > 0.8);
    assert!(!verdict["reasons"].as_array().unwrap().is_empty());

    let (ok, out, err) = op.run(&["admin", "spam-train"], None);
    assert!(ok, "{err}");
    assert!(out.contains("0 moderators' decisions"), "{out}");
    assert!(out.contains("precision"), "{out}");
}

#[tokio::test]
async fn demo_scale_generates_a_community_once_and_checks_its_arguments() {
    let op = Operator::new().await;
    let (ok, _, err) = op.run(&["demo", "--scale", "0"], None);
    assert!(!ok);
    assert!(err.contains("from 1 to"), "{err}");
    let (ok, out, err) = op.run(&["demo", "--scale", "1200", "--seed", "7"], None);
    assert!(ok, "{err}");
    assert!(out.contains("Generated 1200 posts"), "{out}");
    let (ok, _, err) = op.run(&["demo", "--scale", "10"], None);
    assert!(!ok);
    assert!(err.contains("already has posts"), "{err}");
}

#[tokio::test]
async fn backup_and_restore_round_trip_a_populated_site() {
    let op = Operator::new().await;
    let (ok, _, err) = op.run(&["demo", "--scale", "500"], None);
    assert!(ok, "{err}");
    let saved = op.dir.0.join("saved");
    let saved_arg = saved.to_string_lossy().into_owned();
    let (ok, out, err) = op.run(&["backup", &saved_arg], None);
    assert!(ok, "{err}");
    assert!(out.contains("Backed up"), "{out}");
    assert!(err.contains("backup: "), "progress is shown: {err}");
    let file = if op.database_url.is_some() {
        "hearth.pgdump"
    } else {
        "hearth.db"
    };
    assert!(saved.join(file).exists() && saved.join("secret.key").exists());
    let (ok, _, err) = op.run(&["backup", &saved_arg], None);
    assert!(!ok && err.contains("already holds a backup"), "{err}");
    let not_a_folder = op.dir.0.join("secret.key").to_string_lossy().into_owned();
    let (ok, _, err) = op.run(&["backup", &not_a_folder], None);
    assert!(!ok && err.contains("is a file"), "{err}");

    // Into a fresh site: the generated posts are there, and the key opens
    // the sealed details (opening checks it).
    let fresh = Operator::new().await;
    let nothing = fresh.dir.0.join("nothing").to_string_lossy().into_owned();
    let (ok, _, err) = fresh.run(&["restore", &nothing], None);
    assert!(!ok && err.contains("holds no"), "{err}");
    let (ok, _, err) = fresh.run(&["restore", &saved_arg], None);
    assert!(ok, "{err}");
    let (ok, _, err) = fresh.run(&["demo", "--scale", "10"], None);
    assert!(!ok && err.contains("already has posts"), "{err}");
    let (ok, _, err) = fresh.run(&["restore", &saved_arg], None);
    assert!(!ok && err.contains("--force"), "{err}");
    let (ok, _, err) = fresh.run(&["restore", &saved_arg, "--force"], None);
    assert!(ok, "{err}");
    let (ok, _, err) = fresh.run(&["demo", "--scale", "10"], None);
    assert!(!ok && err.contains("already has posts"), "{err}");
}

/// The backup is one consistent moment of a site that keeps taking posts
/// while it is made, and the restored site serves.
#[tokio::test]
async fn a_backup_taken_while_members_post_is_consistent_and_serves_when_restored() {
    use hearth_core::model::Role;
    use reqwest::StatusCode;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use crate::common::{id_from, space, spawn_app_on};

    let op = Operator::new().await;
    let (ok, _, err) = op.run(&["demo", "--scale", "3000"], None);
    assert!(ok, "{err}");
    let Operator { dir, database_url } = op;
    let url = database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.0.join("hearth.db").display()));
    let t = spawn_app_on(dir, url).await;
    space(&t, "living", "public_read").await;
    let nurse = t.signed_in("nurse", Role::Staff).await;
    let r = nurse
        .form(
            "/s/living/new",
            &[("title", "Evening notes"), ("body", "The first of many.")],
        )
        .await;
    let topic = id_from(&r.location);

    let acked = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let poster = tokio::spawn({
        let (acked, stop) = (acked.clone(), stop.clone());
        async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let body = format!("Note number {n} of the evening.");
                let r = nurse
                    .form(&format!("/t/{topic}/reply"), &[("body", &body)])
                    .await;
                assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
                acked.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    while acked.load(Ordering::SeqCst) < 5 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let saved = t.data_dir().join("saved");
    let before = acked.load(Ordering::SeqCst);
    let (ok, _, err) = tokio::task::spawn_blocking({
        let (dir, saved) = (t.data_dir().to_owned(), saved.clone());
        let url = database_url.clone();
        move || {
            hearth(
                &dir,
                url.as_deref(),
                &["backup", &saved.to_string_lossy()],
                None,
            )
        }
    })
    .await
    .unwrap();
    let after = acked.load(Ordering::SeqCst);
    stop.store(true, Ordering::Relaxed);
    poster.await.unwrap();
    assert!(ok, "{err}");

    let fresh = Operator::new().await;
    let (ok, _, err) = fresh.run(&["restore", &saved.to_string_lossy()], None);
    assert!(ok, "{err}");
    let Operator { dir, database_url } = fresh;
    let url = database_url
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.0.join("hearth.db").display()));
    let restored = spawn_app_on(dir, url.clone()).await;
    let replies = restored
        .count(&format!(
            "SELECT count(*) FROM posts WHERE topic_id = {topic}"
        ))
        .await
        - 1;
    assert!(
        before as i64 <= replies && replies <= after as i64,
        "the backup holds {replies} replies: at least the {before} made before it began, at most the {after} made by its end"
    );
    // One moment: each post with its counters, each with its search terms.
    let kept = restored
        .count(&format!(
            "SELECT reply_count FROM topics WHERE id = {topic}"
        ))
        .await;
    assert_eq!(kept, replies);
    let terms_key = if url.starts_with("postgres") {
        "post_id"
    } else {
        "rowid"
    };
    let unindexed = restored
        .count(&format!(
            "SELECT count(*) FROM posts p WHERE NOT EXISTS (SELECT 1 FROM post_terms t WHERE t.{terms_key} = p.id)"
        ))
        .await;
    assert_eq!(unindexed, 0);
    if url.starts_with("sqlite") {
        let damaged = restored
            .count("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'")
            .await;
        assert_eq!(damaged, 0);
        let dangling = restored
            .count("SELECT count(*) FROM pragma_foreign_key_check")
            .await;
        assert_eq!(dangling, 0);
    }
    let last = restored
        .count(&format!(
            "SELECT max(id) FROM posts WHERE topic_id = {topic}"
        ))
        .await;
    let b = restored.browser();
    assert_eq!(b.get(&format!("/t/{topic}")).await.status, StatusCode::OK);
    let r = b.get(&format!("/api/posts/{last}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("of the evening."), "{}", r.body);
    restored.stop().await;
    t.stop().await;
}
