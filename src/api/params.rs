//! Request parameters as Mastodon clients send them: JSON, form-encoded or no content type,
//! Rails-style arrays (`id[]=1&id[]=2`), in the body or the query string.

use crate::error::Error;
use actix_web::{dev::Payload, http::header, web::Bytes, FromRequest, HttpRequest};
use futures::future::LocalBoxFuture;
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::{Map, Value};

/// Form pairs to a JSON object: `key[]` collects an array; numbers and booleans stay
/// strings, which the deserialisers below accept.
fn pairs_to_object(pairs: Vec<(String, String)>) -> Value {
    let mut object = Map::new();
    for (key, value) in pairs {
        match key.strip_suffix("[]") {
            Some(name) => {
                let entry = object
                    .entry(name.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = entry {
                    items.push(Value::String(value));
                }
            }
            None => {
                object.insert(key, Value::String(value));
            }
        }
    }
    Value::Object(object)
}

fn parse_form(text: &str) -> Value {
    pairs_to_object(
        url::form_urlencoded::parse(text.as_bytes())
            .into_owned()
            .collect(),
    )
}

/// Where `needle` first occurs in `haystack` at or after `from`.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// A `multipart/form-data` body as a JSON object: text fields as strings (`name[]` collects
/// an array), file parts as `{"filename", "content_type", "base64"}` objects.
fn parse_multipart(body: &[u8], boundary: &str) -> Result<Value, Error> {
    use base64::Engine;
    let malformed = || Error::BadRequest("malformed multipart body".into());
    let delimiter = format!("--{boundary}");
    let mut pairs = Vec::new();
    let mut files = Map::new();
    let mut at = find(body, delimiter.as_bytes(), 0).ok_or_else(malformed)? + delimiter.len();
    while !body[at..].starts_with(b"--") {
        let start = at + 2; // the line break after the delimiter
        let headers_end = find(body, b"\r\n\r\n", start).ok_or_else(malformed)?;
        let next = find(body, delimiter.as_bytes(), headers_end).ok_or_else(malformed)?;
        let headers = String::from_utf8_lossy(&body[start..headers_end]);
        let data = &body[headers_end + 4..next.saturating_sub(2).max(headers_end + 4)];
        let header = |name: &str| {
            headers
                .split("\r\n")
                .find(|h| h.to_ascii_lowercase().starts_with(name))
                .map(|h| h[name.len()..].trim().to_string())
        };
        let disposition = header("content-disposition:").ok_or_else(malformed)?;
        let param = |key: &str| {
            disposition
                .split(';')
                .filter_map(|p| p.trim().strip_prefix(key))
                .next()
                .map(|v| v.trim_matches('"').to_string())
        };
        let name = param("name=").ok_or_else(malformed)?;
        match param("filename=") {
            Some(filename) => {
                let file = serde_json::json!({
                    "filename": filename,
                    "content_type": header("content-type:").unwrap_or_default(),
                    "base64": base64::engine::general_purpose::STANDARD.encode(data),
                });
                files.insert(name, file);
            }
            None => pairs.push((name, String::from_utf8_lossy(data).into_owned())),
        }
        at = next + delimiter.len();
    }
    let mut object = pairs_to_object(pairs);
    if let Value::Object(fields) = &mut object {
        fields.extend(files);
    }
    Ok(object)
}

/// A file sent in a multipart body.
#[derive(Debug, Deserialize)]
pub struct Upload {
    pub filename: String,
    pub content_type: String,
    base64: String,
}

impl Upload {
    pub fn bytes(&self) -> Result<Vec<u8>, Error> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(&self.base64)
            .map_err(|_| Error::BadRequest("unreadable file part".into()))
    }
}

/// The boundary of a `multipart/form-data` content type.
fn multipart_boundary(content_type: &str) -> Option<String> {
    if !content_type.starts_with("multipart/form-data") {
        return None;
    }
    content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"').to_string())
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

/// Parameters from the body (JSON or form) merged over the query string.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Params<T> {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let query = parse_form(req.query_string());
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let is_json = content_type.starts_with("application/json");
        let boundary = multipart_boundary(content_type);
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body
                .await
                .map_err(|e| Error::BadRequest(format!("unreadable body: {e}")))?;
            let mut merged = query;
            let from_body = if body.is_empty() {
                Value::Object(Map::new())
            } else if is_json {
                serde_json::from_slice(&body)
                    .map_err(|e| Error::BadRequest(format!("malformed JSON: {e}")))?
            } else if let Some(boundary) = boundary {
                parse_multipart(&body, &boundary)?
            } else {
                parse_form(&String::from_utf8_lossy(&body))
            };
            if let (Value::Object(merged), Value::Object(body)) = (&mut merged, from_body) {
                merged.extend(body);
            }
            decode(merged).map(Params)
        })
    }
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

/// Deserialise a string list sent as array, or as one string split on whitespace.
pub fn string_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    })
}

/// An id from a path or a form: ids are numbers, so anything else names nothing (404).
pub fn parse_id(id: &str) -> Result<i64, Error> {
    id.parse().map_err(|_| Error::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_fields_and_files() {
        let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=\"status\"\r\n\r\nline one\r\nline two\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"media_ids[]\"\r\n\r\n7\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\n\
                    Content-Type: image/png\r\n\r\n"
            .to_vec();
        body.extend([0x89, 0xff, 0x00, 0x0d]);
        body.extend(b"\r\n--XyZ--\r\n");
        let boundary = multipart_boundary("multipart/form-data; boundary=XyZ").unwrap();
        let value = parse_multipart(&body, &boundary).unwrap();
        assert_eq!(value["status"], "line one\r\nline two");
        assert_eq!(value["media_ids"], serde_json::json!(["7"]));
        let file: Upload = serde_json::from_value(value["avatar"].clone()).unwrap();
        assert_eq!(
            (file.filename.as_str(), file.content_type.as_str()),
            ("a.png", "image/png")
        );
        assert_eq!(file.bytes().unwrap(), vec![0x89, 0xff, 0x00, 0x0d]);
        assert!(parse_multipart(b"--XyZ\r\nno headers", "XyZ").is_err());
    }

    #[test]
    fn rails_arrays_and_plain_keys() {
        let value = parse_form("id[]=1&id[]=2&limit=5");
        assert_eq!(value, serde_json::json!({"id": ["1", "2"], "limit": "5"}));
    }
}
