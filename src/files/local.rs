//! Files in one directory on local disk, each under its key.

use super::Streamed;
use crate::error::Error;
use bytes::Bytes;
use futures::stream::{StreamExt, TryStreamExt};
use std::io::{ErrorKind, SeekFrom};
use std::{ops::Range, path::PathBuf};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// Bytes read from disk at a time while a file is served.
const CHUNK: u64 = 128 * 1024;

pub struct Directory {
    pub path: PathBuf,
}

impl Directory {
    pub fn open(path: PathBuf) -> Result<Directory, Error> {
        std::fs::create_dir_all(&path)
            .map_err(|e| Error::caused_by("cannot create the media directory", e))?;
        Ok(Directory { path })
    }

    /// Written to a hidden name, flushed to disk and renamed: a crash leaves no half-written
    /// file under a served name, and a post that names the file does not outlive it.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), Error> {
        let kept = self.path.join(key);
        let part = self
            .path
            .join(format!(".{key}.{:016x}.part", rand::random::<u64>()));
        tokio::task::spawn_blocking(move || {
            let written = write_synced(&part, &bytes).and_then(|()| std::fs::rename(&part, &kept));
            if written.is_err() {
                let _ = std::fs::remove_file(&part);
            }
            written
        })
        .await
        .map_err(|e| Error::caused_by("cannot write a media file", e))?
        .map_err(|e| Error::caused_by("cannot write a media file", e))
    }

    pub async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<Streamed, Error> {
        let mut file = tokio::fs::File::open(self.path.join(key))
            .await
            .map_err(read_error)?;
        let size = file.metadata().await.map_err(read_error)?.len();
        let range = range.unwrap_or(0..size);
        if range.start > range.end || range.end > size {
            return Err(Error::internal(format!(
                "bytes {}..{} asked of a media file of {size}",
                range.start, range.end
            )));
        }
        file.seek(SeekFrom::Start(range.start))
            .await
            .map_err(read_error)?;
        let len = range.end - range.start;
        let bytes = futures::stream::try_unfold((file, len), |(mut file, left)| async move {
            if left == 0 {
                return Ok(None);
            }
            let mut chunk = vec![0; left.min(CHUNK) as usize];
            file.read_exact(&mut chunk).await?;
            Ok(Some((Bytes::from(chunk), (file, left - left.min(CHUNK)))))
        })
        .map_err(read_error)
        .boxed();
        Ok(Streamed { bytes, len })
    }

    pub async fn size(&self, key: &str) -> Result<u64, Error> {
        let meta = tokio::fs::metadata(self.path.join(key))
            .await
            .map_err(read_error)?;
        Ok(meta.len())
    }

    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        match tokio::fs::remove_file(self.path.join(key)).await {
            Err(e) if e.kind() != ErrorKind::NotFound => {
                Err(Error::caused_by("cannot remove a media file", e))
            }
            _ => Ok(()),
        }
    }

    /// Files being written (hidden names) are not counted.
    pub async fn usage(&self) -> Result<(u64, u64), Error> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let (mut files, mut bytes) = (0, 0);
            for entry in std::fs::read_dir(path)? {
                let entry = entry?;
                let meta = entry.metadata()?;
                if meta.is_file() && !entry.file_name().to_string_lossy().starts_with('.') {
                    files += 1;
                    bytes += meta.len();
                }
            }
            Ok((files, bytes))
        })
        .await
        .map_err(|e| Error::caused_by("cannot list media files", e))?
        .map_err(|e: std::io::Error| Error::caused_by("cannot list media files", e))
    }
}

fn write_synced(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create_new(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn read_error(e: std::io::Error) -> Error {
    match e.kind() {
        ErrorKind::NotFound => Error::NotFound,
        _ => Error::caused_by("cannot read a media file", e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(streamed: Streamed) -> Vec<u8> {
        let chunks: Vec<Bytes> = streamed.bytes.try_collect().await.unwrap();
        chunks.concat()
    }

    #[actix_web::test]
    async fn files_are_kept_read_in_ranges_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let directory = Directory::open(dir.path().join("media")).unwrap();
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        directory.put("1-a.jpg", bytes.clone()).await.unwrap();
        directory.put("2-b.png", b"png".to_vec()).await.unwrap();

        let whole = directory.get("1-a.jpg", None).await.unwrap();
        assert_eq!(whole.len, 300_000);
        assert_eq!(read(whole).await, bytes);
        let part = directory
            .get("1-a.jpg", Some(131_000..262_200))
            .await
            .unwrap();
        assert_eq!(part.len, 131_200);
        assert_eq!(read(part).await, &bytes[131_000..262_200]);
        assert!(directory.get("1-a.jpg", Some(10..300_001)).await.is_err());
        assert_eq!(directory.size("2-b.png").await.unwrap(), 3);
        assert!(matches!(
            directory.get("3-c.gif", None).await.err(),
            Some(Error::NotFound)
        ));

        // A file still being written is not counted.
        std::fs::write(dir.path().join("media/.3-c.gif.0.part"), b"half").unwrap();
        assert_eq!(directory.usage().await.unwrap(), (2, 300_003));
        directory.delete("1-a.jpg").await.unwrap();
        directory.delete("1-a.jpg").await.unwrap();
        assert_eq!(directory.usage().await.unwrap(), (1, 3));
    }
}
