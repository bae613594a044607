//! Where uploaded files are kept, by a key that Guild makes (`{id}-{random}.{ext}`): a
//! directory on local disk (`data_dir/media`) by default, or a bucket of an S3-compatible
//! object store when several nodes serve one instance. Every file is written once and never
//! changed, so it can be served with long, immutable caching.

mod local;
mod s3;

use crate::config::{Config, MediaStorage};
use crate::error::Error;
use bytes::Bytes;
use futures::stream::BoxStream;
use std::{ops::Range, sync::Arc};

/// One handle per process: cheap to clone, and the S3 client inside keeps its connections.
#[derive(Clone)]
pub struct FileStore {
    kept: Kept,
    /// Where files are kept, for the operator.
    pub location: String,
}

#[derive(Clone)]
enum Kept {
    Local(Arc<local::Directory>),
    S3(Arc<s3::Bucket>),
}

/// Bytes of a kept file, as they are read.
pub struct Streamed {
    pub bytes: BoxStream<'static, Result<Bytes, Error>>,
    /// How many bytes the stream holds.
    pub len: u64,
}

impl FileStore {
    pub fn open(config: &Config) -> Result<FileStore, Error> {
        match &config.media_storage {
            MediaStorage::Local => {
                let directory = local::Directory::open(config.data_dir.join("media"))?;
                Ok(FileStore {
                    location: directory.path.display().to_string(),
                    kept: Kept::Local(Arc::new(directory)),
                })
            }
            MediaStorage::S3(settings) => Ok(FileStore {
                kept: Kept::S3(Arc::new(s3::Bucket::new(settings)?)),
                location: format!("S3 bucket {}", settings.bucket),
            }),
        }
    }

    /// Keep `bytes` under `key`, whole or not at all.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), Error> {
        let key = checked(key)?;
        match &self.kept {
            Kept::Local(directory) => directory.put(key, bytes).await,
            Kept::S3(bucket) => bucket.put(key, bytes.into()).await,
        }
    }

    /// The file under `key`, or only `range` of it. Not found is [`Error::NotFound`].
    pub async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<Streamed, Error> {
        let key = checked(key)?;
        match &self.kept {
            Kept::Local(directory) => directory.get(key, range).await,
            Kept::S3(bucket) => bucket.get(key, range).await,
        }
    }

    /// The size of the file under `key`, to check a requested range before asking for it.
    pub async fn size(&self, key: &str) -> Result<u64, Error> {
        let key = checked(key)?;
        match &self.kept {
            Kept::Local(directory) => directory.size(key).await,
            Kept::S3(bucket) => bucket.size(key).await,
        }
    }

    /// Remove the file under `key`; one already gone is no error.
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        let key = checked(key)?;
        match &self.kept {
            Kept::Local(directory) => directory.delete(key).await,
            Kept::S3(bucket) => bucket.delete(key).await,
        }
    }

    /// How many files are kept, and their bytes.
    pub async fn usage(&self) -> Result<(u64, u64), Error> {
        match &self.kept {
            Kept::Local(directory) => directory.usage().await,
            Kept::S3(bucket) => bucket.usage().await,
        }
    }
}

/// `key` if it can only name a file Guild made: letters, digits, `-`, `_` and `.`, not first.
/// Keys come from request paths, and a directory or a bucket must not be left through them.
fn checked(key: &str) -> Result<&str, Error> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    match !key.is_empty() && !key.starts_with('.') && key.chars().all(allowed) {
        true => Ok(key),
        false => Err(Error::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keys_guild_makes_are_taken() {
        assert!(checked("12-a1B2_c.jpg").is_ok());
        for key in [
            "", ".hidden", "../x.jpg", "a/b.jpg", "a\\b.jpg", "a b.jpg", "é.jpg",
        ] {
            assert!(checked(key).is_err(), "{key:?}");
        }
    }
}
