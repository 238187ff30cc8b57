//! Where uploaded files live: the one storage interface. Today a folder (the
//! data directory's `uploads/`, which several nodes may share over a network
//! file system); object storage would be a second kind of `Storage` here, and
//! nothing else would change.

use std::io;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Storage {
    root: PathBuf,
}

impl Storage {
    pub fn in_folder(root: PathBuf) -> Self {
        Self { root }
    }

    /// Keys are made by Hearth (random letters and digits, a dot, an
    /// extension), never taken from a request, so a path is never built
    /// from what someone typed.
    fn path(&self, key: &str) -> io::Result<PathBuf> {
        let safe = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            && !key.starts_with('.');
        if safe {
            Ok(self.root.join(key))
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "bad storage key",
            ))
        }
    }

    /// Stores the bytes under `key`, written whole or not at all.
    pub async fn put(&self, key: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.path(key)?;
        tokio::fs::create_dir_all(&self.root).await?;
        let partial = self.root.join(format!(".{key}.partial"));
        tokio::fs::write(&partial, bytes).await?;
        tokio::fs::rename(&partial, &path).await
    }

    /// The bytes under `key`, or `None` if there are none.
    pub async fn get(&self, key: &str) -> io::Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}
