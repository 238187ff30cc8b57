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
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hearth"));
        cmd.args(args)
            .env("HEARTH_DATA_DIR", &self.dir.0)
            .env("HEARTH_BASE_URL", "http://hearth.example")
            .env_remove("DATABASE_URL")
            .env_remove("HEARTH_SECRET_KEY")
            .current_dir(&self.dir.0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(url) = &self.database_url {
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
async fn backup_and_restore_round_trip_a_populated_sqlite_site() {
    let op = Operator::new().await;
    let (ok, _, err) = op.run(&["demo", "--scale", "500"], None);
    assert!(ok, "{err}");
    let saved = op.dir.0.join("saved");
    let saved_arg = saved.to_string_lossy().into_owned();
    let (ok, out, err) = op.run(&["backup", &saved_arg], None);
    if op.database_url.is_some() {
        // PostgreSQL sites use PostgreSQL's tools; the command says how.
        assert!(!ok && err.contains("pg_dump"), "{err}");
        return;
    }
    assert!(ok, "{err}");
    assert!(out.contains("Backed up"), "{out}");
    assert!(saved.join("hearth.db").exists() && saved.join("secret.key").exists());
    let (ok, _, err) = op.run(&["backup", &saved_arg], None);
    assert!(!ok && err.contains("already holds a backup"), "{err}");

    // Into a fresh data directory: the generated posts are there, and the
    // key opens the sealed details (opening checks it).
    let fresh = Operator::new().await;
    let (ok, _, err) = fresh.run(&["restore", &saved_arg], None);
    assert!(ok, "{err}");
    let (ok, _, err) = fresh.run(&["demo", "--scale", "10"], None);
    assert!(!ok && err.contains("already has posts"), "{err}");
    let (ok, _, err) = fresh.run(&["restore", &saved_arg], None);
    assert!(!ok && err.contains("--force"), "{err}");
    let (ok, _, err) = fresh.run(&["restore", &saved_arg, "--force"], None);
    assert!(ok, "{err}");
}
