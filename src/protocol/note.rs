//! Local posts as ActivityStreams objects: `Note` for posts and comments, `Page` (with
//! `name`) for threads that have a title, `Question` for posts with a poll. How other
//! servers' posts are read is `protocol::remote_post`.

use super::PUBLIC;
use crate::domain::Visibility;
use crate::store::{
    accounts::Account,
    media::Attachment,
    polls::{Poll, PollOption},
    statuses::Status,
};
use serde_json::{json, Value};
use url::Url;

/// What a post's document is built from, all loaded by the caller.
pub struct NoteParts<'a> {
    pub status: &'a Status,
    pub author: &'a Account,
    pub community: Option<&'a Account>,
    /// The id of the post it answers.
    pub parent: Option<&'a str>,
    pub mentioned: &'a [Account],
    /// Hashtag names, without `#`.
    pub hashtags: &'a [String],
    pub attachments: &'a [Attachment],
    /// Its poll and the poll's options, when it has one.
    pub poll: Option<(&'a Poll, &'a [PollOption])>,
    /// Some when the thread is asked as a question: the id of its accepted answer, if any.
    pub question: Option<Option<&'a str>>,
}

/// The document of a local post, the same whether it is served at its id or sent in an
/// activity. Absent values are left out rather than sent as `null`.
pub fn note(parts: &NoteParts) -> Value {
    let NoteParts {
        status,
        author,
        community,
        ..
    } = parts;
    let followers = author.followers_url.clone().unwrap_or_default();
    let (mut to, mut cc) = match status.visibility {
        Visibility::Public => (vec![PUBLIC.to_string()], vec![followers]),
        Visibility::Unlisted => (vec![followers], vec![PUBLIC.to_string()]),
        Visibility::Private => (vec![followers], vec![]),
        Visibility::Members => (
            community
                .iter()
                .filter_map(|c| c.followers_url.clone())
                .collect(),
            vec![],
        ),
        Visibility::Direct => (vec![], vec![]),
    };
    if let Some(community) = community {
        to.push(community.ap_id.clone());
    }
    let mut tags: Vec<Value> = Vec::new();
    for account in parts.mentioned {
        // Direct posts go to the people they mention; others copy them in, except members-only
        // posts, which reach members alone.
        match status.visibility {
            Visibility::Direct => to.push(account.ap_id.clone()),
            Visibility::Members => {}
            _ => cc.push(account.ap_id.clone()),
        }
        tags.push(json!({
            "type": "Mention",
            "href": account.ap_id,
            "name": format!("@{}", account.acct()),
        }));
    }
    let origin = origin_of(&author.ap_id);
    for tag in parts.hashtags {
        tags.push(json!({
            "type": "Hashtag",
            "href": format!("{origin}/tags/{tag}"),
            "name": format!("#{tag}"),
        }));
    }
    let mut post = json!({
        "id": status.ap_id,
        "type": if status.title.is_some() { "Page" } else { "Note" },
        "attributedTo": author.ap_id,
        "to": to,
        "cc": cc,
        "content": status.content,
        "mediaType": "text/html",
        "source": { "content": status.source, "mediaType": "text/markdown" },
        "sensitive": status.sensitive,
        "published": crate::time::rfc3339(status.created_at),
        "url": status.url.clone().unwrap_or_else(|| status.ap_id.clone()),
        "tag": tags,
        "attachment": parts.attachments.iter().map(|a| attachment(&origin, a)).collect::<Vec<_>>(),
    });
    let optional = [
        ("name", status.title.clone()),
        (
            "summary",
            Some(status.spoiler_text.clone()).filter(|s| !s.is_empty()),
        ),
        ("inReplyTo", parts.parent.map(str::to_string)),
        ("audience", community.map(|c| c.ap_id.clone())),
        ("updated", status.edited_at.map(crate::time::rfc3339)),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            post[key] = Value::from(value);
        }
    }
    if let Some((poll, options)) = parts.poll {
        question(&mut post, poll, options);
    }
    // Guild's extension, which other servers ignore: a thread asked as a question.
    if let Some(answer) = parts.question {
        post[ASKS] = Value::Bool(true);
        if let Some(answer) = answer {
            post[ACCEPTED_ANSWER] = Value::from(answer);
        }
    }
    post
}

/// Guild's properties of a thread asked as a question: `true`, and its accepted answer's id.
pub(super) const ASKS: &str = "guild:question";
pub(super) const ACCEPTED_ANSWER: &str = "guild:acceptedAnswer";

/// A post with a poll is a `Question`, as Mastodon sends it: options under `oneOf` (or
/// `anyOf` for several choices), each with its count, the end time, and once ended `closed`.
fn question(post: &mut Value, poll: &Poll, options: &[PollOption]) {
    post["type"] = "Question".into();
    let choices: Vec<Value> = options
        .iter()
        .map(|o| {
            json!({
                "type": "Note",
                "name": o.title,
                "replies": { "type": "Collection", "totalItems": o.votes_count },
            })
        })
        .collect();
    post[if poll.multiple { "anyOf" } else { "oneOf" }] = choices.into();
    post["votersCount"] = poll.voters_count.into();
    if let Some(end) = poll.expires_at {
        post["endTime"] = crate::time::rfc3339(end).into();
        if poll.expired(crate::time::now()) {
            post["closed"] = crate::time::rfc3339(end).into();
        }
    }
}

/// An attachment in Mastodon's shape: a `Document` with its type, URL, alt text as `name`,
/// blurhash, size and focal point (absent values left out).
fn attachment(origin: &str, a: &Attachment) -> Value {
    let url = a.url(origin).unwrap_or_default();
    let mut document = json!({ "type": "Document", "mediaType": a.content_type, "url": url });
    let optional = [
        ("name", a.description.clone().map(Value::from)),
        ("blurhash", a.blurhash.clone().map(Value::from)),
        ("width", a.width.map(Value::from)),
        ("height", a.height.map(Value::from)),
        (
            "focalPoint",
            a.focus_x.zip(a.focus_y).map(|(x, y)| json!([x, y])),
        ),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            document[key] = value;
        }
    }
    document
}

/// What a deleted post is replaced by, addressed as its `document` was.
pub fn tombstone(status: &Status, document: &Value) -> Value {
    let mut tombstone = json!({ "id": status.ap_id, "type": "Tombstone" });
    for key in ["to", "cc", "audience"] {
        if let Some(value) = document.get(key) {
            tombstone[key] = value.clone();
        }
    }
    tombstone
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}
