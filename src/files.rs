//! Where uploaded files are kept, by a key that Guild makes (`{id}-{random}.{ext}`): a
//! directory on local disk (`data_dir/media`) by default, or a bucket of an S3-compatible
//! object store when several nodes serve one instance. Every file is written once and never
//! changed, so it can be served with long, immutable caching.

use crate::config::{Config, MediaStorage, S3Settings};
use crate::error::Error;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::{path::Path as ObjectPath, GetOptions, GetRange, ObjectStore, ObjectStoreExt};
use std::{ops::Range, sync::Arc};

/// One handle per process: cheap to clone, and the S3 client inside keeps its connections.
/// Both kinds of storage go through `object_store`, so files are written, read in ranges,
/// listed and removed by one path whatever keeps them.
#[derive(Clone)]
pub struct FileStore {
    store: Arc<dyn ObjectStore>,
    /// Where files are kept, for the operator.
    pub location: String,
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
                let dir = config.data_dir.join("media");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| Error::caused_by("cannot create the media directory", e))?;
                // Written to a temporary name and renamed: a crash leaves no half-written file
                // under a served name.
                let store = object_store::local::LocalFileSystem::new_with_prefix(&dir)
                    .map_err(|e| Error::caused_by("cannot open the media directory", e))?;
                Ok(FileStore {
                    store: Arc::new(store),
                    location: dir.display().to_string(),
                })
            }
            MediaStorage::S3(s3) => Ok(FileStore {
                store: Arc::new(s3_client(s3)?),
                location: format!("S3 bucket {}", s3.bucket),
            }),
        }
    }

    /// Keep `bytes` under `key`, whole or not at all.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), Error> {
        self.store
            .put(&ObjectPath::from(key), bytes.into())
            .await
            .map_err(|e| Error::caused_by("cannot write a media file", e))?;
        Ok(())
    }

    /// The file under `key`, or only `range` of it. Not found is [`Error::NotFound`].
    pub async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<Streamed, Error> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let got = self
            .store
            .get_opts(&ObjectPath::from(key), options)
            .await
            .map_err(read_error)?;
        let len = got.range.end - got.range.start;
        let bytes = got
            .into_stream()
            .map_err(|e| Error::caused_by("cannot read a media file", e))
            .boxed();
        Ok(Streamed { bytes, len })
    }

    /// The size of the file under `key`, to check a requested range before asking for it.
    pub async fn size(&self, key: &str) -> Result<u64, Error> {
        let meta = self
            .store
            .head(&ObjectPath::from(key))
            .await
            .map_err(read_error)?;
        Ok(meta.size)
    }

    /// Remove the file under `key`; one already gone is no error.
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        match self.store.delete(&ObjectPath::from(key)).await {
            Err(e) if !matches!(e, object_store::Error::NotFound { .. }) => {
                Err(Error::caused_by("cannot remove a media file", e))
            }
            _ => Ok(()),
        }
    }

    /// How many files are kept, and their bytes.
    pub async fn usage(&self) -> Result<(u64, u64), Error> {
        let mut listing = self.store.list(None);
        let (mut files, mut bytes) = (0, 0);
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|e| Error::caused_by("cannot list media files", e))?;
            files += 1;
            bytes += meta.size;
        }
        Ok((files, bytes))
    }
}

fn read_error(e: object_store::Error) -> Error {
    match e {
        object_store::Error::NotFound { .. } => Error::NotFound,
        e => Error::caused_by("cannot read a media file", e),
    }
}

/// The S3 client. Requests are signed with OpenSSL, the one crypto library Guild builds.
fn s3_client(s3: &S3Settings) -> Result<impl ObjectStore, Error> {
    let mut builder = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(&s3.bucket)
        .with_region(&s3.region)
        .with_access_key_id(&s3.access_key_id)
        .with_secret_access_key(&s3.secret_access_key.0)
        .with_crypto_provider(Arc::new(OpensslCrypto))
        .with_client_options(
            object_store::ClientOptions::new()
                .with_connect_timeout(std::time::Duration::from_secs(10))
                .with_timeout(std::time::Duration::from_secs(120)),
        );
    if let Some(endpoint) = &s3.endpoint {
        builder = builder
            .with_endpoint(endpoint.as_str())
            .with_allow_http(endpoint.scheme() == "http");
    }
    builder
        .build()
        .map_err(|e| Error::caused_by("the S3 settings are not usable", e))
}

/// SHA-256 and HMAC-SHA-256 for S3's request signatures, from OpenSSL.
#[derive(Debug)]
struct OpensslCrypto;

impl object_store::client::CryptoProvider for OpensslCrypto {
    fn digest(
        &self,
        _: object_store::client::DigestAlgorithm,
    ) -> object_store::Result<Box<dyn object_store::client::DigestContext>> {
        Ok(Box::new(Sha256 {
            hasher: Some(openssl::sha::Sha256::new()),
            out: [0; 32],
        }))
    }

    fn hmac(
        &self,
        _: object_store::client::DigestAlgorithm,
        secret: &[u8],
    ) -> object_store::Result<Box<dyn object_store::client::HmacContext>> {
        Ok(Box::new(HmacSha256 {
            key: secret.to_vec(),
            data: Vec::new(),
            out: Vec::new(),
        }))
    }

    fn sign(
        &self,
        _: object_store::client::SigningAlgorithm,
        _: &[u8],
    ) -> object_store::Result<Box<dyn object_store::client::Signer>> {
        Err(object_store::Error::NotSupported {
            source: "S3 signs with HMAC only".into(),
        })
    }
}

struct Sha256 {
    hasher: Option<openssl::sha::Sha256>,
    out: [u8; 32],
}

impl object_store::client::DigestContext for Sha256 {
    fn update(&mut self, data: &[u8]) {
        if let Some(hasher) = &mut self.hasher {
            hasher.update(data);
        }
    }

    fn finish(&mut self) -> object_store::Result<&[u8]> {
        if let Some(hasher) = self.hasher.take() {
            self.out = hasher.finish();
        }
        Ok(&self.out)
    }
}

/// What is signed is a few short strings, so it is gathered and signed in one call.
struct HmacSha256 {
    key: Vec<u8>,
    data: Vec<u8>,
    out: Vec<u8>,
}

impl object_store::client::HmacContext for HmacSha256 {
    fn update(&mut self, data: &[u8]) {
        self.data.extend_from_slice(data);
    }

    fn finish(&mut self) -> object_store::Result<&[u8]> {
        use openssl::{hash::MessageDigest, pkey::PKey, sign::Signer};
        let failed = |e: openssl::error::ErrorStack| object_store::Error::Generic {
            store: "S3",
            source: Box::new(e),
        };
        let key = PKey::hmac(&self.key).map_err(failed)?;
        let mut signer = Signer::new(MessageDigest::sha256(), &key).map_err(failed)?;
        signer.update(&self.data).map_err(failed)?;
        self.out = signer.sign_to_vec().map_err(failed)?;
        Ok(&self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::client::{CryptoProvider, DigestAlgorithm};

    /// RFC 4231 test case 2 and the SHA-256 of "abc", so signatures S3 checks are right.
    #[test]
    fn openssl_crypto_matches_known_values() {
        let mut mac = OpensslCrypto
            .hmac(DigestAlgorithm::Sha256, b"Jefe")
            .unwrap();
        mac.update(b"what do ya want ");
        mac.update(b"for nothing?");
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        assert_eq!(
            hex(mac.finish().unwrap()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let mut digest = OpensslCrypto.digest(DigestAlgorithm::Sha256).unwrap();
        digest.update(b"abc");
        assert_eq!(
            hex(digest.finish().unwrap()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
