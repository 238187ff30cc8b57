//! `hearth backup DIR` and `hearth restore DIR` for a SQLite site: a
//! consistent copy of the database taken while it serves, with the key file
//! that opens its sealed personal details. A PostgreSQL site is backed up
//! with PostgreSQL's own tools (see the README); these commands say so.

use std::path::{Path, PathBuf};

use hearth_store::Backend;

use crate::app::BoxError;
use crate::{App, Config};

const DATABASE: &str = "hearth.db";
const KEY: &str = "secret.key";

fn postgres_advice() -> BoxError {
    "this site runs on PostgreSQL: back it up with `pg_dump --format=custom` and restore with \
     `pg_restore` (see the README), and keep HEARTH_SECRET_KEY with it"
        .into()
}

/// Copies the database (and the key file, when the key is one) into `dir`.
pub async fn backup(config: Config, dir: &Path) -> Result<PathBuf, BoxError> {
    if Backend::from_url(&config.database_url) == Some(Backend::Postgres) {
        return Err(postgres_advice());
    }
    if dir.join(DATABASE).exists() {
        return Err(format!(
            "{} already holds a backup; choose an empty folder",
            dir.display()
        )
        .into());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let app = App::open(config.clone()).await?;
    let target = dir.join(DATABASE);
    app.store().snapshot_sqlite(&target).await?;
    let key = config.data_dir.join(KEY);
    if key.exists() {
        std::fs::copy(&key, dir.join(KEY)).map_err(|e| format!("cannot copy the key file: {e}"))?;
    } else {
        eprintln!("The key comes from HEARTH_SECRET_KEY: keep it with this backup.");
    }
    Ok(target)
}

/// Puts a backup in place of the data directory's database (the server
/// must be stopped); refuses to overwrite a database unless `force`.
pub async fn restore(config: Config, dir: &Path, force: bool) -> Result<(), BoxError> {
    if Backend::from_url(&config.database_url) == Some(Backend::Postgres) {
        return Err(postgres_advice());
    }
    let source = dir.join(DATABASE);
    if !source.exists() {
        return Err(format!("{} holds no {DATABASE}", dir.display()).into());
    }
    let target = config.data_dir.join(DATABASE);
    if target.exists() && !force {
        return Err(format!(
            "{} already has a database; stop the server and add --force to replace it",
            config.data_dir.display()
        )
        .into());
    }
    config.ensure_data_dir()?;
    for stale in ["hearth.db-wal", "hearth.db-shm"] {
        let _ = std::fs::remove_file(config.data_dir.join(stale));
    }
    std::fs::copy(&source, &target).map_err(|e| format!("cannot copy the database: {e}"))?;
    if dir.join(KEY).exists() {
        std::fs::copy(dir.join(KEY), config.data_dir.join(KEY))
            .map_err(|e| format!("cannot copy the key file: {e}"))?;
    }
    // Opening checks the key against the database and migrates it if needed.
    App::open(config).await?;
    Ok(())
}
