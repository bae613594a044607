//! Collections: followers, following and outboxes are paged (newest first, keyset on an
//! id); featured posts and moderators are short and given whole.

use super::{AS_CONTEXT, PUBLIC};
use serde_json::{json, Value};

/// The root of a paged collection: its size and where its first page is.
pub fn root(collection: &str, total: i64) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": collection,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": format!("{collection}?page=true"),
    })
}

/// One page of a collection, after `before` (the cursor it was asked for); `next_cursor` is
/// given when the page is full, so a next page may exist.
pub fn page(
    collection: &str,
    before: Option<i64>,
    items: Vec<Value>,
    next_cursor: Option<i64>,
) -> Value {
    let id = match before {
        Some(max_id) => format!("{collection}?page=true&max_id={max_id}"),
        None => format!("{collection}?page=true"),
    };
    let mut page = json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": "OrderedCollectionPage",
        "partOf": collection,
        "orderedItems": items,
    });
    if let Some(last) = next_cursor {
        page["next"] = json!(format!("{collection}?page=true&max_id={last}"));
    }
    page
}

/// A short collection given whole, such as featured posts or moderators.
pub fn whole(collection: &str, items: &[impl serde::Serialize]) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": collection,
        "type": "OrderedCollection",
        "totalItems": items.len(),
        "orderedItems": items,
    })
}

/// An outbox entry: a person's post (`Create`) or boost, or a community's relay of a post
/// (`Announce`), naming the object by id.
pub fn outbox_item(id: &str, kind: &str, actor: &str, object: &str, published: &str) -> Value {
    json!({
        "id": id,
        "type": kind,
        "actor": actor,
        "to": [PUBLIC],
        "object": object,
        "published": published,
    })
}
