//! Files in a bucket of an S3-compatible store (Amazon S3, MinIO, Garage, Ceph, …), through
//! its REST API: objects are addressed by path (`{endpoint}/{bucket}/{key}`), which every
//! such store serves, and each request is signed with AWS Signature Version 4 by OpenSSL.

use super::Streamed;
use crate::config::S3Settings;
use crate::crypto::hex;
use crate::error::Error;
use bytes::Bytes;
use futures::stream::{StreamExt, TryStreamExt};
use reqwest::{header, Method, StatusCode};
use std::{ops::Range, time::Duration};

/// Tries of one request when the store is unreachable or answers that it is busy.
const TRIES: u32 = 3;

pub struct Bucket {
    /// A client of its own: the shared one refuses private networks, where a store often is.
    http: reqwest::Client,
    /// `{endpoint}/{bucket}`.
    base: url::Url,
    /// The `Host` header as sent, which the signature covers.
    host: String,
    region: String,
    access_key_id: String,
    secret_access_key: String,
}

impl Bucket {
    pub fn new(settings: &S3Settings) -> Result<Bucket, Error> {
        let endpoint = match &settings.endpoint {
            Some(endpoint) => endpoint.as_str().trim_end_matches('/').to_string(),
            None => format!("https://s3.{}.amazonaws.com", settings.region),
        };
        let unusable = |e: &dyn std::fmt::Display| {
            Error::internal(format!("the S3 settings are not usable: {e}"))
        };
        let base = url::Url::parse(&format!("{endpoint}/{}", settings.bucket))
            .map_err(|e| unusable(&e))?;
        let host = match (base.host_str(), base.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            (None, _) => return Err(unusable(&"the endpoint names no host")),
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| unusable(&e))?;
        Ok(Bucket {
            http,
            base,
            host,
            region: settings.region.clone(),
            access_key_id: settings.access_key_id.clone(),
            secret_access_key: settings.secret_access_key.0.clone(),
        })
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), Error> {
        self.send(Method::PUT, Some(key), &[], None, bytes).await?;
        Ok(())
    }

    pub async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<Streamed, Error> {
        // HTTP ranges name their last byte; an empty range cannot be asked, and holds nothing.
        let range = match range {
            Some(range) if range.is_empty() => {
                let bytes = futures::stream::empty().boxed();
                return Ok(Streamed { bytes, len: 0 });
            }
            Some(range) => Some(format!("bytes={}-{}", range.start, range.end - 1)),
            None => None,
        };
        let ranged = range.is_some();
        let response = self
            .send(Method::GET, Some(key), &[], range, Bytes::new())
            .await?;
        // A store that ignored the range would send the whole file as the part asked for.
        if ranged && response.status() != StatusCode::PARTIAL_CONTENT {
            return Err(Error::internal(
                "the S3 store answered a range with the whole file",
            ));
        }
        let len = length(&response)?;
        let bytes = response
            .bytes_stream()
            .map_err(|e| Error::caused_by("cannot read a media file", e))
            .boxed();
        Ok(Streamed { bytes, len })
    }

    pub async fn size(&self, key: &str) -> Result<u64, Error> {
        let response = self
            .send(Method::HEAD, Some(key), &[], None, Bytes::new())
            .await?;
        length(&response)
    }

    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        match self
            .send(Method::DELETE, Some(key), &[], None, Bytes::new())
            .await
        {
            Err(Error::NotFound) | Ok(_) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Every object in the bucket, a thousand at a time (`ListObjectsV2`).
    pub async fn usage(&self) -> Result<(u64, u64), Error> {
        let (mut files, mut bytes) = (0, 0);
        let mut next: Option<String> = None;
        loop {
            let mut query = vec![("list-type", "2".to_string())];
            if let Some(token) = next.take() {
                query.push(("continuation-token", token));
            }
            let response = self
                .send(Method::GET, None, &query, None, Bytes::new())
                .await?;
            let listing = response
                .text()
                .await
                .map_err(|e| Error::caused_by("cannot list media files", e))?;
            for size in elements(&listing, "Size") {
                files += 1;
                bytes += size.parse::<u64>().unwrap_or(0);
            }
            next = elements(&listing, "NextContinuationToken").next();
            if next.is_none() || elements(&listing, "IsTruncated").next().as_deref() != Some("true")
            {
                return Ok((files, bytes));
            }
        }
    }

    /// Send a signed request, tried again while the store cannot be reached or is busy; an
    /// answer that is not a success becomes an error naming what the store said.
    async fn send(
        &self,
        method: Method,
        key: Option<&str>,
        query: &[(&str, String)],
        range: Option<String>,
        body: Bytes,
    ) -> Result<reqwest::Response, Error> {
        let mut url = self.base.clone();
        if let Some(key) = key {
            url.path_segments_mut()
                .map_err(|()| Error::internal("the S3 endpoint cannot hold a path"))?
                .push(key);
        }
        let query = canonical_query(query);
        url.set_query((!query.is_empty()).then_some(query.as_str()));
        let payload = hex(&openssl::sha::sha256(&body));
        let mut tries = 0;
        loop {
            tries += 1;
            let now = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
            let mut headers = vec![
                ("host", self.host.clone()),
                ("x-amz-content-sha256", payload.clone()),
                ("x-amz-date", now),
            ];
            if let Some(range) = &range {
                headers.push(("range", range.clone()));
            }
            headers.sort();
            let authorization = self.authorization(&method, url.path(), &query, &headers)?;
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .header(header::AUTHORIZATION, authorization);
            for (name, value) in headers.iter().filter(|(name, _)| *name != "host") {
                request = request.header(*name, value);
            }
            if method == Method::PUT {
                request = request.body(body.clone());
            }
            let busy = match request.send().await {
                Ok(response) if response.status().is_success() => return Ok(response),
                // A missing file; a missing bucket (or a PUT's 404) is the operator's to fix.
                Ok(response)
                    if response.status() == StatusCode::NOT_FOUND
                        && key.is_some()
                        && method != Method::PUT =>
                {
                    return Err(Error::NotFound)
                }
                Ok(response) if !retried(response.status()) || tries == TRIES => {
                    return Err(refused(&method, key, response).await)
                }
                Err(e) if !(e.is_connect() || e.is_timeout()) || tries == TRIES => {
                    return Err(Error::caused_by("cannot reach the S3 store", e))
                }
                Ok(response) => response.status().to_string(),
                Err(e) => e.to_string(),
            };
            tracing::debug!(%method, ?key, busy, "S3 request tried again");
            tokio::time::sleep(Duration::from_millis(200 << tries)).await;
        }
    }

    /// The `Authorization` header of AWS Signature Version 4 for a request to S3.
    fn authorization(
        &self,
        method: &Method,
        path: &str,
        query: &str,
        headers: &[(&str, String)],
    ) -> Result<String, Error> {
        let value = |name: &str| {
            let found = headers.iter().find(|(n, _)| *n == name);
            found.map(|(_, v)| v.as_str()).unwrap_or_default()
        };
        let when = value("x-amz-date");
        let day = when.get(..8).unwrap_or_default();
        let scope = format!("{day}/{}/s3/aws4_request", self.region);
        let names: Vec<&str> = headers.iter().map(|(name, _)| *name).collect();
        let names = names.join(";");
        let mut request = format!("{method}\n{path}\n{query}\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}:{}\n", value.trim()));
        }
        request.push_str(&format!("\n{names}\n{}", value("x-amz-content-sha256")));
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{when}\n{scope}\n{}",
            hex(&openssl::sha::sha256(request.as_bytes()))
        );
        let mut key = format!("AWS4{}", self.secret_access_key).into_bytes();
        for part in [
            day,
            self.region.as_str(),
            "s3",
            "aws4_request",
            to_sign.as_str(),
        ] {
            key = hmac(&key, part.as_bytes())?;
        }
        Ok(format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={names}, Signature={}",
            self.access_key_id,
            hex(&key)
        ))
    }
}

/// The body's length, which the store always sends for an object.
fn length(response: &reqwest::Response) -> Result<u64, Error> {
    let value = response.headers().get(header::CONTENT_LENGTH);
    value
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .ok_or_else(|| Error::internal("the S3 store sent no length for a media file"))
}

/// Answers worth trying again: the store is busy or failed for the moment.
fn retried(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

/// An error naming the store's own error code (`SignatureDoesNotMatch`, `NoSuchBucket`, …),
/// which tells the operator what to change.
async fn refused(method: &Method, key: Option<&str>, response: reqwest::Response) -> Error {
    let status = response.status();
    let said = response.text().await.unwrap_or_default();
    let code = elements(&said, "Code").next().unwrap_or_default();
    Error::internal(format!(
        "the S3 store answered {status} {code} to {method} {}",
        key.unwrap_or("(the bucket)")
    ))
}

/// The text of each `<name>` element in an S3 answer. The answers are flat, generated XML, so
/// finding the tags is enough; the five predefined entities are unescaped.
fn elements<'a>(xml: &'a str, name: &str) -> impl Iterator<Item = String> + 'a {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut rest = xml;
    std::iter::from_fn(move || {
        let start = rest.find(&open)? + open.len();
        let end = start + rest[start..].find(&close)?;
        let text = &rest[start..end];
        rest = &rest[end + close.len()..];
        Some(
            text.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        )
    })
}

/// Query parameters sorted by name and encoded as Signature Version 4 encodes them; the URL
/// is sent with exactly this query, so what is signed is what the store sees.
fn canonical_query(query: &[(&str, String)]) -> String {
    let mut pairs: Vec<String> = query
        .iter()
        .map(|(name, value)| format!("{}={}", encoded(name), encoded(value)))
        .collect();
    pairs.sort();
    pairs.join("&")
}

/// Every byte but the unreserved characters percent-encoded, in upper-case hex.
fn encoded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn hmac(key: &[u8], data: &[u8]) -> Result<Vec<u8>, Error> {
    use openssl::{hash::MessageDigest, pkey::PKey, sign::Signer};
    let failed = |e| Error::caused_by("cannot sign an S3 request", e);
    let key = PKey::hmac(key).map_err(failed)?;
    let mut signer = Signer::new(MessageDigest::sha256(), &key).map_err(failed)?;
    signer.update(data).map_err(failed)?;
    signer.sign_to_vec().map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    /// Amazon's published examples of signed S3 requests (the S3 API reference, "Signature
    /// Calculations for the Authorization Header"): the same keys and time give the same
    /// signatures.
    #[test]
    fn requests_are_signed_as_amazon_signs_them() {
        let bucket = Bucket::new(&S3Settings {
            endpoint: Some("https://examplebucket.s3.amazonaws.com".parse().unwrap()),
            region: "us-east-1".into(),
            bucket: String::new(),
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into()),
        })
        .unwrap();
        assert_eq!(bucket.host, "examplebucket.s3.amazonaws.com");
        let empty = hex(&openssl::sha::sha256(b""));
        assert_eq!(
            empty,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let headers = |extra: Option<(&'static str, &str)>| {
            let mut headers = vec![
                ("host", bucket.host.clone()),
                ("x-amz-content-sha256", empty.clone()),
                ("x-amz-date", "20130524T000000Z".to_string()),
            ];
            headers.extend(extra.map(|(n, v)| (n, v.to_string())));
            headers.sort();
            headers
        };
        let get = bucket
            .authorization(
                &Method::GET,
                "/test.txt",
                "",
                &headers(Some(("range", "bytes=0-9"))),
            )
            .unwrap();
        assert_eq!(
            get,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/\
             aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
        let query = canonical_query(&[("prefix", "J".into()), ("max-keys", "2".into())]);
        assert_eq!(query, "max-keys=2&prefix=J");
        let list = bucket
            .authorization(&Method::GET, "/", &query, &headers(None))
            .unwrap();
        assert!(
            list.ends_with(
                "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
            ),
            "{list}"
        );
    }

    #[test]
    fn answers_are_read_and_queries_encoded() {
        let listing = "<ListBucketResult><IsTruncated>true</IsTruncated>\
            <Contents><Key>a.jpg</Key><Size>12</Size></Contents>\
            <Contents><Key>b.jpg</Key><Size>30</Size></Contents>\
            <NextContinuationToken>1&amp;x/y=</NextContinuationToken></ListBucketResult>";
        let sizes: Vec<String> = elements(listing, "Size").collect();
        assert_eq!(sizes, ["12", "30"]);
        let token = elements(listing, "NextContinuationToken").next().unwrap();
        assert_eq!(token, "1&x/y=");
        assert_eq!(
            canonical_query(&[("list-type", "2".into()), ("continuation-token", token)]),
            "continuation-token=1%26x%2Fy%3D&list-type=2"
        );
        assert_eq!(elements(listing, "Missing").next(), None);
    }
}
