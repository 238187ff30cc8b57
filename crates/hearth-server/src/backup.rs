//! `hearth backup DIR` and `hearth restore DIR`: a consistent copy of the
//! site taken while it serves, with the key file that opens its sealed
//! personal details, and putting such a copy back.
//!
//! SQLite: `VACUUM INTO` writes one read transaction's snapshot to a new
//! file while writers go on (WAL). PostgreSQL: `pg_dump --format=custom`,
//! which reads one snapshot too, and `pg_restore` in a single transaction;
//! both must be installed (the PostgreSQL client tools of the server's
//! version or newer). Long work shows its progress on standard error.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use hearth_store::{Backend, Sealer, SecretKey, Store};

use crate::app::BoxError;
use crate::progress::Progress;
use crate::{App, Config};

const DATABASE: &str = "hearth.db";
const DUMP: &str = "hearth.pgdump";
const KEY: &str = "secret.key";

/// Copies the database (and the key file, when the key is one) into `dir`;
/// returns the file written.
pub async fn backup(config: Config, dir: &Path) -> Result<PathBuf, BoxError> {
    if dir.is_file() {
        return Err(format!("{} is a file; give a folder for the backup", dir.display()).into());
    }
    if dir.join(DATABASE).exists() || dir.join(DUMP).exists() {
        return Err(format!(
            "{} already holds a backup; choose an empty folder",
            dir.display()
        )
        .into());
    }
    let backend = backend_of(&config)?;
    if backend == Backend::Postgres {
        tool_present("pg_dump")?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let app = App::open(config.clone()).await?;
    let target = match backend {
        Backend::Sqlite => {
            let target = dir.join(DATABASE);
            snapshot_sqlite(app.store(), &target).await?;
            target
        }
        Backend::Postgres => {
            let target = dir.join(DUMP);
            let sizes = app.store().postgres_table_sizes().await?;
            let url = config.database_url.clone();
            let out = target.clone();
            tokio::task::spawn_blocking(move || pg_dump(&url, &out, &sizes)).await??;
            target
        }
    };
    app.store().close().await;
    sync(&target)?;
    let key = config.data_dir.join(KEY);
    if std::env::var_os("HEARTH_SECRET_KEY").is_none() && key.exists() {
        std::fs::copy(&key, dir.join(KEY)).map_err(|e| format!("cannot copy the key file: {e}"))?;
        sync(&dir.join(KEY))?;
    } else {
        eprintln!("The key comes from HEARTH_SECRET_KEY: keep it with this backup.");
    }
    Ok(target)
}

/// Puts a backup in place of the site's database (the server must be
/// stopped); refuses to overwrite a database unless `force`.
pub async fn restore(config: Config, dir: &Path, force: bool) -> Result<(), BoxError> {
    let backend = backend_of(&config)?;
    let (file, other) = match backend {
        Backend::Sqlite => (DATABASE, DUMP),
        Backend::Postgres => (DUMP, DATABASE),
    };
    let source = dir.join(file);
    if !source.is_file() {
        let hint = if dir.join(other).exists() {
            format!(
                " (it holds {other}, a backup of a {} site)",
                if other == DUMP {
                    "PostgreSQL"
                } else {
                    "SQLite"
                }
            )
        } else {
            String::new()
        };
        return Err(format!("{} holds no {file}{hint}", dir.display()).into());
    }
    match backend {
        Backend::Sqlite => restore_sqlite(&config, &source, force)?,
        Backend::Postgres => {
            tool_present("pg_restore")?;
            // The key is checked against the database when it opens: no key
            // to check with here, so a throwaway one (nothing is unsealed).
            let store =
                Store::connect(&config.database_url, Sealer::new(&SecretKey::generate())).await?;
            let blank = store.is_blank().await?;
            store.close().await;
            if !blank && !force {
                return Err("the database already holds a site; stop the server and add --force to replace it".into());
            }
            let url = config.database_url.clone();
            tokio::task::spawn_blocking(move || pg_restore(&url, &source, !blank)).await??;
        }
    }
    if dir.join(KEY).exists() {
        config.ensure_data_dir()?;
        std::fs::copy(dir.join(KEY), config.data_dir.join(KEY))
            .map_err(|e| format!("cannot copy the key file: {e}"))?;
    }
    // Opening checks the key against the database and migrates it if needed.
    App::open(config).await?.store().close().await;
    Ok(())
}

fn backend_of(config: &Config) -> Result<Backend, BoxError> {
    Backend::from_url(&config.database_url)
        .ok_or_else(|| "DATABASE_URL must start with sqlite: or postgres:".into())
}

fn tool_present(tool: &str) -> Result<(), BoxError> {
    match Command::new(tool).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        _ => Err(format!(
            "{tool} is needed to back up and restore a PostgreSQL site: install the PostgreSQL \
             client tools (Debian: postgresql-client) of the server's version or newer"
        )
        .into()),
    }
}

/// `VACUUM INTO` with its progress read from the size of the file it writes.
async fn snapshot_sqlite(store: &Store, target: &Path) -> Result<(), BoxError> {
    let progress = Progress::bytes("backup", store.sqlite_bytes_in_use().await?);
    let snapshot = store.snapshot_sqlite(target);
    tokio::pin!(snapshot);
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            done = &mut snapshot => {
                done?;
                break;
            }
            _ = tick.tick() => {
                progress.set(std::fs::metadata(target).map(|m| m.len()).unwrap_or(0));
            }
        }
    }
    progress.finish();
    Ok(())
}

/// Copies the backup beside the database, then renames it into place, so
/// that an interrupted restore leaves the old database whole.
fn restore_sqlite(config: &Config, source: &Path, force: bool) -> Result<(), BoxError> {
    let target = sqlite_file(&config.database_url)?;
    if target.exists() && !force {
        return Err(format!(
            "{} is already there; stop the server and add --force to replace it",
            target.display()
        )
        .into());
    }
    config.ensure_data_dir()?;
    if let Some(folder) = target.parent().filter(|f| !f.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    let partial = suffixed(&target, ".restoring");
    let copy_error = |e: std::io::Error| format!("cannot copy the database: {e}");
    let mut from = std::fs::File::open(source).map_err(copy_error)?;
    let mut to = std::fs::File::create(&partial).map_err(copy_error)?;
    let progress = Progress::bytes("restore", from.metadata().map_err(copy_error)?.len());
    let mut buffer = vec![0u8; 1 << 20];
    let mut copied = 0u64;
    loop {
        let n = from.read(&mut buffer).map_err(copy_error)?;
        if n == 0 {
            break;
        }
        to.write_all(&buffer[..n]).map_err(copy_error)?;
        copied += n as u64;
        progress.set(copied);
    }
    to.sync_all().map_err(copy_error)?;
    progress.finish();
    for stale in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(suffixed(&target, stale));
    }
    std::fs::rename(&partial, &target).map_err(copy_error)?;
    Ok(())
}

/// The database file a `sqlite:` URL names (`sqlite://path?mode=rwc`).
fn sqlite_file(url: &str) -> Result<PathBuf, BoxError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Err(format!("DATABASE_URL {url:?} names no database file to restore into").into());
    }
    Ok(PathBuf::from(path))
}

/// `path` with `suffix` added to its name (`hearth.db-wal`).
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// `pg_dump` in its custom format; progress in bytes of the tables dumped,
/// from its `--verbose` lines.
fn pg_dump(url: &str, target: &Path, sizes: &[(String, u64)]) -> Result<(), BoxError> {
    let progress = Progress::bytes("backup", sizes.iter().map(|(_, s)| s).sum());
    let mut done = 0u64;
    let mut current: Option<u64> = None;
    let mut child = Command::new("pg_dump")
        .args(["--format=custom", "--verbose", "--no-owner", "--file"])
        .arg(target)
        .arg("--dbname")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run pg_dump: {e}"))?;
    let lines = read_lines(&mut child, |line| {
        if let Some(table) = table_named(line, "dumping contents of table ") {
            done += current.take().unwrap_or(0);
            current = sizes.iter().find(|(n, _)| *n == table).map(|(_, s)| *s);
            progress.set(done);
        }
    });
    finish(child, "pg_dump", lines)?;
    progress.finish();
    Ok(())
}

/// `pg_restore` in one transaction (all or nothing); `replace` drops what
/// the backup holds first. Progress in tables, from its `--verbose` lines.
fn pg_restore(url: &str, source: &Path, replace: bool) -> Result<(), BoxError> {
    let listing = Command::new("pg_restore")
        .arg("--list")
        .arg(source)
        .output()
        .map_err(|e| format!("cannot run pg_restore: {e}"))?;
    if !listing.status.success() {
        return Err(format!(
            "{} is not a backup pg_restore can read: {}",
            source.display(),
            String::from_utf8_lossy(&listing.stderr).trim()
        )
        .into());
    }
    let tables = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .filter(|l| !l.starts_with(';') && l.contains(" TABLE DATA "))
        .count();
    let progress = Progress::count("restore", tables as u64, "tables");
    let mut command = Command::new("pg_restore");
    command.args([
        "--verbose",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
    ]);
    if replace {
        command.args(["--clean", "--if-exists"]);
    }
    let mut child = command
        .arg("--dbname")
        .arg(url)
        .arg(source)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run pg_restore: {e}"))?;
    let mut done = 0;
    let lines = read_lines(&mut child, |line| {
        if table_named(line, "processing data for table ").is_some() {
            done += 1;
            progress.set(done);
        }
    });
    finish(child, "pg_restore", lines)?;
    progress.finish();
    Ok(())
}

/// Calls `each` on every line the tool writes to standard error; keeps the
/// last few to explain a failure.
fn read_lines(child: &mut std::process::Child, mut each: impl FnMut(&str)) -> Vec<String> {
    let mut last = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            each(&line);
            last.push(line);
            if last.len() > 8 {
                last.remove(0);
            }
        }
    }
    last
}

fn finish(mut child: std::process::Child, tool: &str, lines: Vec<String>) -> Result<(), BoxError> {
    let status = child
        .wait()
        .map_err(|e| format!("waiting for {tool}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{tool} failed ({status}):\n{}", lines.join("\n")).into())
    }
}

/// The table named in a verbose line like `pg_dump: dumping contents of
/// table "public.posts"` (quoted or not, with or without the schema).
fn table_named<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let rest = line.split_once(marker)?.1.trim().trim_matches('"');
    Some(
        rest.rsplit_once('.')
            .map_or(rest, |(_, t)| t)
            .trim_matches('"'),
    )
}

/// Makes a written file durable before saying it is done.
fn sync(path: &Path) -> Result<(), BoxError> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("cannot sync {}: {e}", path.display()).into())
}

#[cfg(test)]
mod tests {
    use super::{sqlite_file, table_named};

    #[test]
    fn a_sqlite_url_names_its_file() {
        assert_eq!(
            sqlite_file("sqlite:///srv/hearth/hearth.db?mode=rwc").unwrap(),
            std::path::PathBuf::from("/srv/hearth/hearth.db")
        );
        assert_eq!(
            sqlite_file("sqlite:data/hearth.db").unwrap(),
            std::path::PathBuf::from("data/hearth.db")
        );
        assert!(sqlite_file("sqlite::memory:").is_err());
    }

    #[test]
    fn verbose_lines_name_their_table() {
        let marker = "dumping contents of table ";
        assert_eq!(
            table_named(
                "pg_dump: dumping contents of table \"public.posts\"",
                marker
            ),
            Some("posts")
        );
        assert_eq!(
            table_named("pg_dump: dumping contents of table public.topics", marker),
            Some("topics")
        );
        assert_eq!(table_named("pg_dump: reading schemas", marker), None);
    }
}
