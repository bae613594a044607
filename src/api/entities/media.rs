//! Mastodon's MediaAttachment entity.

use crate::store::media::Attachment;
use serde_json::{json, Value};

fn size(width: Option<i32>, height: Option<i32>) -> Option<Value> {
    let (width, height) = (width?, height?);
    (width > 0 && height > 0).then(|| {
        json!({
            "width": width,
            "height": height,
            "size": format!("{width}x{height}"),
            "aspect": f64::from(width) / f64::from(height),
        })
    })
}

/// An attachment as apps show it. A file kept here is served from this server; a remote
/// one is linked where it lives (`remote_url`, and `url` too, since Guild keeps no copy).
pub fn attachment_json(a: &Attachment, base_url: &str) -> Value {
    let (url, preview_url) = (a.url(base_url), a.preview_url(base_url));
    let mut meta = serde_json::Map::new();
    if let Some(original) = size(a.width, a.height) {
        meta.insert("original".into(), original);
    }
    if let Some(small) = size(a.preview_width, a.preview_height) {
        meta.insert("small".into(), small);
    }
    if let (Some(x), Some(y)) = (a.focus_x, a.focus_y) {
        meta.insert("focus".into(), json!({ "x": x, "y": y }));
    }
    json!({
        "id": a.id.to_string(),
        "type": a.kind,
        "url": url,
        "preview_url": preview_url,
        "remote_url": a.remote_url,
        "preview_remote_url": null,
        "text_url": null,
        "meta": meta,
        "description": a.description,
        "blurhash": a.blurhash,
    })
}
