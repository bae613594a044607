//! Posts as other servers send them: `Note`, `Page`, `Article`, `Question` and `Video`, read
//! for what Guild keeps (text, audience, attachments, polls, mentions, tags, links, and
//! Guild's question extension), whatever else they hold kept as it came.

use super::note::{ACCEPTED_ANSWER, ASKS};
use super::PUBLIC;
use crate::domain::{MediaKind, Visibility};
use crate::error::Error;
use activitypub_federation::protocol::helpers::{deserialize_one_or_many, deserialize_skip_error};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

/// Object types read as posts.
pub const POST_TYPES: &[&str] = &["Note", "Page", "Article", "Question", "Video"];

/// A poll of a post from another server, as its `Question` document says.
#[derive(Clone, Debug, PartialEq)]
pub struct RemotePoll {
    pub multiple: bool,
    /// Titles with their counts, in order.
    pub options: Vec<(String, i32)>,
    pub expires_at: Option<chrono::NaiveDateTime>,
    pub voters_count: i32,
}

/// Options a received poll may have; more are not kept.
const MAX_REMOTE_POLL_OPTIONS: usize = 20;

/// A count a peer sends, within what any poll could have: sums of them stay far from
/// overflowing.
fn count(n: i64) -> i32 {
    n.clamp(0, 10_000_000) as i32
}

/// An attachment of a post from another server, as read from its document.
#[derive(Clone, Debug, PartialEq)]
pub struct RemoteAttachment {
    pub kind: MediaKind,
    pub media_type: String,
    /// An http(s) URL: the file stays where it is and is linked.
    pub url: String,
    pub description: Option<String>,
    pub blurhash: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub focus: Option<(f32, f32)>,
}

/// A blurhash is a short string of base 83 digits; anything else is no blurhash.
fn is_blurhash(text: &str) -> bool {
    const DIGITS: &str = "#$%*+,-.:;=?@[]^_{|}~";
    (6..=100).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || DIGITS.contains(c))
}

/// At most this many attachments of a received post are kept.
pub const MAX_REMOTE_ATTACHMENTS: usize = 8;

/// The kind apps show a file as, by its media type (or the object's type when none is given).
fn kind_of(media_type: &str, object_type: &str) -> MediaKind {
    match media_type.split('/').next().unwrap_or_default() {
        "image" => MediaKind::Image,
        "video" => MediaKind::Video,
        "audio" => MediaKind::Audio,
        "" => match object_type {
            "Image" => MediaKind::Image,
            "Video" => MediaKind::Video,
            "Audio" => MediaKind::Audio,
            _ => MediaKind::Unknown,
        },
        _ => MediaKind::Unknown,
    }
}

/// `url` of an attachment: a string, a `Link` (with `href`), or a list of them (the first
/// http(s) one).
fn url_of(value: &Value) -> Option<String> {
    let candidates: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    candidates
        .into_iter()
        .filter_map(|c| c.as_str().or_else(|| c["href"].as_str()))
        .filter(|u| u.len() <= 2048)
        .find(|u| Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
        .map(str::to_string)
}

fn remote_attachment(item: &Value) -> Option<RemoteAttachment> {
    let object_type = item["type"].as_str().unwrap_or_default();
    // A `Link` names its target in `href`, anything else in `url`.
    let url = url_of(&item["url"]).or_else(|| url_of(&item["href"]))?;
    let media_type = item["mediaType"]
        .as_str()
        .filter(|t| t.contains('/') && t.len() < 100)
        .unwrap_or_default()
        .to_string();
    let text = |key: &str| {
        item[key]
            .as_str()
            .map(|t| {
                t.chars()
                    .take(crate::domain::MAX_ALT_TEXT_CHARS)
                    .collect::<String>()
            })
            .filter(|t| !t.trim().is_empty())
    };
    let dimension = |key: &str| {
        item[key]
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .filter(|n| *n > 0)
    };
    let focus = item["focalPoint"].as_array().and_then(|p| {
        let (x, y) = (p.first()?.as_f64()? as f32, p.get(1)?.as_f64()? as f32);
        let within = |v: f32| (-1.0..=1.0).contains(&v);
        (within(x) && within(y)).then_some((x, y))
    });
    Some(RemoteAttachment {
        kind: kind_of(&media_type, object_type),
        media_type: if media_type.is_empty() {
            "application/octet-stream".to_string()
        } else {
            media_type
        },
        url,
        description: text("name").or_else(|| text("summary")),
        blurhash: text("blurhash").filter(|b| is_blurhash(b)),
        width: dimension("width"),
        height: dimension("height"),
        focus,
    })
}

/// A post as other servers send it; only what Guild keeps is read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApPost {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    #[serde(default)]
    pub attributed_to: Value,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub to: Vec<Url>,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub cc: Vec<Url>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub content: Option<String>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub summary: Option<String>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub sensitive: Option<bool>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub in_reply_to: Option<Url>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub published: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<Url>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub audience: Option<Url>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub tag: Vec<Value>,
    /// Everything else, kept so that a post read and written again loses nothing.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl ApPost {
    /// The author: `attributedTo` as a URL, or the first actor in a list (PeerTube, Lemmy).
    pub fn author(&self) -> Result<Url, Error> {
        let first = match &self.attributed_to {
            Value::Array(items) => items
                .iter()
                .find(|i| i.is_string() || i["type"] == "Person")
                .cloned()
                .unwrap_or(Value::Null),
            other => other.clone(),
        };
        let id = first.as_str().or_else(|| first["id"].as_str());
        let id = id.ok_or_else(|| Error::BadRequest("post without attributedTo".into()))?;
        Ok(Url::parse(id)?)
    }

    /// Visibility from addressing: public in `to`, unlisted in `cc`, members-only when the
    /// community's members are addressed, followers-only when the author's followers are,
    /// direct otherwise.
    pub fn visibility(
        &self,
        author_followers: Option<&str>,
        community_members: Option<&str>,
    ) -> Visibility {
        let public = |u: &Url| matches!(u.as_str(), PUBLIC | "as:Public" | "Public");
        let addressed = |collection: Option<&str>| {
            collection.is_some_and(|c| self.to.iter().chain(&self.cc).any(|u| u.as_str() == c))
        };
        if self.to.iter().any(public) {
            Visibility::Public
        } else if self.cc.iter().any(public) {
            Visibility::Unlisted
        } else if addressed(community_members) {
            Visibility::Members
        } else if addressed(author_followers) {
            Visibility::Private
        } else {
            Visibility::Direct
        }
    }

    /// Hashtag names of the `tag` list, lowercase, without `#`, once each.
    pub fn hashtags(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .tag
            .iter()
            .filter(|t| t["type"] == "Hashtag")
            .filter_map(|t| t["name"].as_str())
            .map(|n| n.trim_start_matches('#').to_lowercase())
            .filter(|n| !n.is_empty())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The files attached to the post (`attachment`, one or many), those with an http(s)
    /// URL, up to [`MAX_REMOTE_ATTACHMENTS`].
    pub fn attachments(&self) -> Vec<RemoteAttachment> {
        let items: Vec<&Value> = match self.rest.get("attachment") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(item @ Value::Object(_)) => vec![item],
            _ => Vec::new(),
        };
        items
            .into_iter()
            .filter(|item| item["type"] != "Link") // a link thread's link: see `link`
            .filter_map(remote_attachment)
            .take(MAX_REMOTE_ATTACHMENTS)
            .collect()
    }

    /// What a link thread links to, as Lemmy sends it: a `Link` attachment's `href`, or a
    /// `Page`'s `url` on another server than the thread's; with the thumbnail (`image`).
    pub fn link(&self) -> Option<(Url, Option<String>)> {
        let attached = match self.rest.get("attachment") {
            Some(Value::Array(items)) => items.iter().find(|i| i["type"] == "Link"),
            Some(item) if item["type"] == "Link" => Some(item),
            _ => None,
        };
        let link = attached
            .and_then(|a| a["href"].as_str())
            .and_then(|href| Url::parse(href).ok())
            .or_else(|| self.url.clone().filter(|_| self.url_is_link()))?;
        let image = self
            .rest
            .get("image")
            .and_then(|i| url_of(&i["url"]).or_else(|| url_of(i)));
        Some((link, image))
    }

    /// Whether `url` is what a thread links to rather than where it can be read: a `Page`'s
    /// `url` on another server (Lemmy's link threads).
    pub fn url_is_link(&self) -> bool {
        self.kind == "Page"
            && self
                .url
                .as_ref()
                .is_some_and(|u| u.origin() != self.id.origin())
    }

    /// The poll of a `Question`: `oneOf` (one choice) or `anyOf` (several), each option a
    /// `name` with `replies.totalItems` votes.
    pub fn poll(&self) -> Option<RemotePoll> {
        if self.kind != "Question" {
            return None;
        }
        let (multiple, items) = match (self.rest.get("oneOf"), self.rest.get("anyOf")) {
            (Some(Value::Array(items)), _) => (false, items),
            (_, Some(Value::Array(items))) => (true, items),
            _ => return None,
        };
        let options: Vec<(String, i32)> = items
            .iter()
            .filter_map(|item| {
                let title = item["name"].as_str()?.chars().take(200).collect::<String>();
                let votes = item["replies"]["totalItems"].as_i64().unwrap_or(0);
                Some((title, count(votes)))
            })
            .take(MAX_REMOTE_POLL_OPTIONS)
            .collect();
        if options.is_empty() {
            return None;
        }
        let time = |key: &str| {
            self.rest
                .get(key)
                .and_then(Value::as_str)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.naive_utc())
        };
        // Without `votersCount`, a one-choice poll has a voter per vote.
        let votes: i64 = options.iter().map(|(_, n)| i64::from(*n)).sum();
        let voters = self.rest.get("votersCount").and_then(Value::as_i64);
        Some(RemotePoll {
            multiple,
            expires_at: time("endTime").or_else(|| time("closed")),
            voters_count: count(voters.unwrap_or(if multiple { 0 } else { votes })),
            options,
        })
    }

    /// Ids of the actors the post mentions.
    /// Whether a thread is asked as a question (Guild's extension).
    pub fn asks(&self) -> bool {
        self.rest.get(ASKS).and_then(Value::as_bool) == Some(true)
    }

    /// The id of a question's accepted answer (Guild's extension).
    pub fn accepted_answer(&self) -> Option<String> {
        let answer = self.rest.get(ACCEPTED_ANSWER).and_then(Value::as_str)?;
        Url::parse(answer).ok().map(String::from)
    }

    pub fn mentions(&self) -> Vec<String> {
        self.tag
            .iter()
            .filter(|t| t["type"] == "Mention")
            .filter_map(|t| t["href"].as_str().map(str::to_string))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn post(value: Value) -> ApPost {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_peers_poll_counts_stay_within_reason() {
        let question = post(json!({
            "id": "https://a.example/q/1", "type": "Question", "attributedTo": "https://a.example/u/x",
            "oneOf": [
                {"type": "Note", "name": "yes", "replies": {"totalItems": 2_147_483_647_i64}},
                {"type": "Note", "name": "no", "replies": {"totalItems": -5}},
                {"type": "Note", "name": "maybe", "replies": {"totalItems": 3}},
            ],
        }));
        let poll = question.poll().unwrap();
        assert_eq!(poll.options[0].1, 10_000_000);
        assert_eq!(poll.options[1].1, 0);
        assert_eq!(
            poll.voters_count, 10_000_000,
            "a voter per vote, within reason"
        );
        assert!(!poll.multiple);
    }

    #[test]
    fn attachments_are_web_files_and_links_are_not_attachments() {
        let page = post(json!({
            "id": "https://lemmy.example/post/1", "type": "Page", "attributedTo": "https://lemmy.example/u/x",
            "url": "https://elsewhere.example/article",
            "attachment": [
                {"type": "Link", "href": "https://elsewhere.example/article"},
                {"type": "Document", "mediaType": "image/png", "url": "javascript:alert(1)"},
                {"type": "Document", "mediaType": "image/png", "url": format!("https://a.example/{}", "x".repeat(3000))},
                {"type": "Image", "url": "https://lemmy.example/pictrs/1.jpg", "name": "a chart",
                 "blurhash": "<img src=x onerror=alert(1)>"},
            ],
            "image": {"type": "Image", "url": "https://lemmy.example/pictrs/thumb.jpg"},
        }));
        let files = page.attachments();
        assert_eq!(files.len(), 1);
        assert_eq!(
            (files[0].kind, files[0].description.as_deref()),
            (MediaKind::Image, Some("a chart"))
        );
        assert_eq!(files[0].blurhash, None, "not base 83");
        assert!(is_blurhash("LEHV6nWB2yk8pyo0adR*.7kCMdnj"));
        let (link, image) = page.link().unwrap();
        assert_eq!(link.as_str(), "https://elsewhere.example/article");
        assert_eq!(
            image.as_deref(),
            Some("https://lemmy.example/pictrs/thumb.jpg")
        );
        assert!(page.url_is_link());
    }
}
