//! Request parameters as Mastodon clients send them: JSON, form-encoded, multipart (with
//! files) or no content type, Rails-style arrays (`id[]=1&id[]=2`), in the body or the query
//! string.

use crate::error::Error;
use crate::state::MAX_BODY_BYTES;
use actix_web::{dev::Payload, http::header, web::Bytes, FromRequest, HttpRequest};
use futures::{future::LocalBoxFuture, StreamExt};
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Form pairs to a JSON object: `key[]` collects an array, and `key[sub]` (Rails' nesting,
/// as in `poll[options][]`) makes an object; numbers and booleans stay strings, which the
/// deserialisers below accept.
fn pairs_to_object(pairs: Vec<(String, String)>) -> Value {
    let mut object = Map::new();
    for (key, value) in pairs {
        let (path, is_list) = match key.strip_suffix("[]") {
            Some(path) => (path, true),
            None => (key.as_str(), false),
        };
        let names: Vec<&str> = path.split('[').map(|n| n.trim_end_matches(']')).collect();
        // Lists of objects (`a[][b]`) are not read from forms; such keys stay as they are.
        let names = match names.iter().any(|n| n.is_empty()) {
            true => vec![path],
            false => names,
        };
        insert_at(&mut object, &names, value, is_list);
    }
    Value::Object(object)
}

fn insert_at(object: &mut Map<String, Value>, names: &[&str], value: String, is_list: bool) {
    let Some((last, parents)) = names.split_last() else {
        return;
    };
    let mut at = object;
    for name in parents {
        let entry = at
            .entry(name.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(inner) = entry else {
            return; // `a=1` and `a[b]=2` together: the first wins
        };
        at = inner;
    }
    if !is_list {
        at.insert(last.to_string(), Value::String(value));
        return;
    }
    let entry = at
        .entry(last.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(items) = entry {
        items.push(Value::String(value));
    }
}

fn parse_form(text: &str) -> Value {
    pairs_to_object(
        url::form_urlencoded::parse(text.as_bytes())
            .into_owned()
            .collect(),
    )
}

/// A file sent in a multipart body, read whole (within the upload limit).
#[derive(Debug)]
pub struct Upload {
    pub filename: String,
    /// What the client says it is; Guild goes by the bytes.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The files of a multipart body, by field name.
#[derive(Debug, Default)]
pub struct Files(HashMap<String, Upload>);

impl Files {
    pub fn take(&mut self, name: &str) -> Option<Upload> {
        self.0.remove(name)
    }
}

/// Text fields of a multipart body may add up to this much, as any other body.
const MAX_TEXT_BYTES: usize = MAX_BODY_BYTES;

/// A `multipart/form-data` body, read as it streams in: text fields as a JSON object
/// (`name[]` collects an array), files aside. Limits hold while reading: at most `max_files`
/// files of `max_file` bytes each, text to [`MAX_TEXT_BYTES`] in all, so an oversized body is
/// refused before it is all in memory.
async fn read_multipart(
    headers: &header::HeaderMap,
    payload: Payload,
    (max_files, max_file): (usize, usize),
) -> Result<(Value, Files), Error> {
    let malformed = |e: actix_multipart::MultipartError| {
        Error::BadRequest(format!("malformed multipart body: {e}"))
    };
    let mut multipart = actix_multipart::Multipart::new(headers, payload);
    let (mut pairs, mut files, mut text_bytes) = (Vec::new(), Files::default(), 0);
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(malformed)?;
        let disposition = field.content_disposition().cloned();
        let name = disposition
            .as_ref()
            .and_then(|d| d.get_name())
            .ok_or_else(|| Error::BadRequest("a multipart field has no name".into()))?
            .to_string();
        let filename = disposition
            .as_ref()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        if filename.is_some() && files.0.len() >= max_files {
            return Err(Error::Unprocessable(match max_files {
                0 => "this request takes no files".to_string(),
                n => format!("this request takes at most {n} files"),
            }));
        }
        let limit = if filename.is_some() {
            max_file
        } else {
            MAX_TEXT_BYTES - text_bytes
        };
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(malformed)?;
            if data.len() + chunk.len() > limit {
                // A file over the limit is invalid input, as Mastodon reports it; text over
                // the body limit is an oversized request.
                return Err(match filename {
                    Some(_) => Error::Unprocessable(format!(
                        "{} is too large: files are limited to {limit} bytes",
                        name
                    )),
                    None => Error::TooLarge(format!(
                        "form fields are limited to {MAX_TEXT_BYTES} bytes in all"
                    )),
                });
            }
            data.extend_from_slice(&chunk);
        }
        match filename {
            Some(filename) => {
                let content_type = field
                    .content_type()
                    .map(|m| m.to_string())
                    .unwrap_or_default();
                files.0.insert(
                    name,
                    Upload {
                        filename,
                        content_type,
                        bytes: data,
                    },
                );
            }
            None => {
                text_bytes += data.len();
                pairs.push((name, String::from_utf8_lossy(&data).into_owned()));
            }
        }
    }
    Ok((pairs_to_object(pairs), files))
}

fn decode<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    serde_json::from_value(value)
        .map_err(|e| Error::Unprocessable(format!("invalid parameters: {e}")))
}

/// Parameters from the query string.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Query<T> {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(decode(parse_form(req.query_string())).map(Query))
    }
}

/// Parameters from the body (JSON, form or multipart) merged over the query string; a file
/// in a multipart body is refused (see [`WithFiles`]).
pub struct Params<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Params<T> {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = read_params(req, payload, 0);
        Box::pin(async move {
            let (value, _) = read.await?;
            decode(value).map(Params)
        })
    }
}

/// Parameters as [`Params`] reads them, with the files of a multipart body.
pub struct WithFiles<T>(pub T, pub Files);

impl<T: DeserializeOwned + 'static> FromRequest for WithFiles<T> {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // The most any request uploads: an avatar and a header.
        let read = read_params(req, payload, 2);
        Box::pin(async move {
            let (value, files) = read.await?;
            Ok(WithFiles(decode(value)?, files))
        })
    }
}

/// The largest file a multipart body may carry (the larger media limit); registered as app
/// data by the server.
pub struct UploadLimit(pub usize);

/// The query string with the body's fields over it, and up to `max_files` files.
fn read_params(
    req: &HttpRequest,
    payload: &mut Payload,
    max_files: usize,
) -> LocalBoxFuture<'static, Result<(Value, Files), Error>> {
    let query = parse_form(req.query_string());
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if content_type.starts_with("multipart/form-data") {
        let (headers, payload) = (req.headers().clone(), payload.take());
        let max_file = req
            .app_data::<actix_web::web::Data<UploadLimit>>()
            .map_or(MAX_BODY_BYTES, |limit| limit.0);
        return Box::pin(async move {
            let limits = (max_files, max_file);
            let (body, files) = read_multipart(&headers, payload, limits).await?;
            Ok((merged(query, body), files))
        });
    }
    let body = Bytes::from_request(req, payload);
    Box::pin(async move {
        let body = body
            .await
            .map_err(|e| Error::BadRequest(format!("unreadable body: {e}")))?;
        let from_body = if body.is_empty() {
            Value::Object(Map::new())
        } else if content_type.starts_with("application/json") {
            serde_json::from_slice(&body)
                .map_err(|e| Error::BadRequest(format!("malformed JSON: {e}")))?
        } else {
            parse_form(&String::from_utf8_lossy(&body))
        };
        Ok((merged(query, from_body), Files::default()))
    })
}

/// `body`'s fields over `query`'s.
fn merged(mut query: Value, body: Value) -> Value {
    if let (Value::Object(query), Value::Object(body)) = (&mut query, body) {
        query.extend(body);
    }
    query
}

/// Longest `expires_in` taken: ten years.
const MAX_EXPIRES_IN: i64 = 10 * 365 * 24 * 3600;

/// The time `seconds` from now, for `expires_in` parameters: positive, at most ten years.
pub fn expires_in(seconds: i64) -> Result<chrono::NaiveDateTime, Error> {
    if !(1..=MAX_EXPIRES_IN).contains(&seconds) {
        return Err(Error::Unprocessable(format!(
            "expires_in must be from 1 to {MAX_EXPIRES_IN} seconds"
        )));
    }
    Ok(crate::time::now() + chrono::Duration::seconds(seconds))
}

/// Deserialise a bool sent as JSON bool or as "true"/"1"/"false"/"0".
pub fn flexible_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Bool(b)) => Some(b),
        Some(Value::String(s)) => Some(matches!(s.as_str(), "true" | "1" | "on")),
        Some(Value::Number(n)) => Some(n.as_i64() != Some(0)),
        _ => None,
    })
}

/// Deserialise a number sent as JSON number or string.
pub fn flexible_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    })
}

/// Deserialise a string list sent as array (of strings, or numbers as JSON clients send
/// indexes and ids), or as one string split on whitespace.
pub fn string_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    })
}

/// A string list that may be absent (None) rather than empty.
pub fn optional_string_list<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<String>>, D::Error> {
    string_list(d).map(Some)
}

/// An id from a path or a form: ids are numbers, so anything else names nothing (404).
pub fn parse_id(id: &str) -> Result<i64, Error> {
    id.parse().map_err(|_| Error::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rails_arrays_and_plain_keys() {
        let value = parse_form("id[]=1&id[]=2&limit=5");
        assert_eq!(value, serde_json::json!({"id": ["1", "2"], "limit": "5"}));
    }

    #[test]
    fn rails_nesting() {
        let value = parse_form("poll[options][]=a&poll[options][]=b&poll[expires_in]=300&x[][y]=1");
        assert_eq!(
            value,
            serde_json::json!({"poll": {"options": ["a", "b"], "expires_in": "300"}, "x[][y]": "1"})
        );
    }
}
