//! Where uploaded files are kept: a directory on local disk (`data_dir/media`), by a key
//! that Guild makes (`{id}-{random}.{ext}`). Every file is written once and never changed, so
//! it can be served with long, immutable caching.

use crate::config::Config;
use crate::error::Error;
use std::path::PathBuf;

pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    pub fn new(config: &Config) -> FileStore {
        FileStore {
            dir: config.data_dir.join("media"),
        }
    }

    /// Keep `bytes` under `key`: written beside it first and renamed, so that a crash leaves
    /// no half-written file under a served name.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), Error> {
        let path = self.dir.join(key);
        let partial = self.dir.join(format!(".{key}.partial"));
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| Error::caused_by("cannot create the media directory", e))?;
        tokio::fs::write(&partial, bytes)
            .await
            .map_err(|e| Error::caused_by("cannot write a media file", e))?;
        tokio::fs::rename(&partial, &path)
            .await
            .map_err(|e| Error::caused_by("cannot write a media file", e))
    }

    /// Where the file under `key` is on disk, for serving it as it is read.
    pub fn path_of(&self, key: &str) -> PathBuf {
        self.dir.join(key)
    }

    /// Remove the file under `key`; one already gone is no error.
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        match tokio::fs::remove_file(self.dir.join(key)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::caused_by("cannot remove a media file", e))
            }
            _ => Ok(()),
        }
    }

    /// How many files are kept, and their bytes.
    pub async fn usage(&self) -> Result<(u64, u64), Error> {
        let mut entries = match tokio::fs::read_dir(&self.dir).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, 0)),
            Err(e) => return Err(Error::caused_by("cannot read the media directory", e)),
        };
        let (mut files, mut bytes) = (0, 0);
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| Error::caused_by("cannot read the media directory", e))?
        {
            if let Ok(meta) = entry.metadata().await {
                if meta.is_file() {
                    files += 1;
                    bytes += meta.len();
                }
            }
        }
        Ok((files, bytes))
    }
}
