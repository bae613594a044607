//! From what a person types to safe HTML: paragraphs and line breaks, links, mentions and
//! hashtags.

use crate::store::accounts::Account;
use regex::{Captures, Regex};
use std::sync::LazyLock;

/// A URL, a mention (`@name` or `@name@domain[:port]`) or a hashtag, each not inside a word.
static TOKENS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?P<url>https?://[^\s<]+[^\s<.,;:!?)\]'])",
        r"|(?P<mpre>^|[^\w/@])@(?P<user>[A-Za-z0-9_]+)(?:@(?P<domain>[A-Za-z0-9.\-]+[A-Za-z0-9](?::[0-9]+)?))?",
        r"|(?P<tpre>^|[^\w/&#])#(?P<tag>[\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*)",
    ))
    .expect("token pattern")
});

/// The `name` or `name@domain` of every mention in `text`, lower-cased, without repeats.
pub fn mention_handles(text: &str) -> Vec<String> {
    let mut handles: Vec<String> = TOKENS
        .captures_iter(text)
        .filter_map(|c| {
            let user = c.name("user")?.as_str();
            Some(match c.name("domain") {
                Some(domain) => format!("{user}@{domain}", domain = domain.as_str()).to_lowercase(),
                None => user.to_lowercase(),
            })
        })
        .collect();
    handles.dedup();
    handles.sort();
    handles.dedup();
    handles
}

/// Hashtags in `text`, lower-cased, without repeats.
pub fn hashtags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = TOKENS
        .captures_iter(text)
        .filter_map(|c| c.name("tag").map(|t| t.as_str().to_lowercase()))
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

/// Whether `account` is what `handle` names, from the point of view of `local_domain`.
fn names(account: &Account, handle: &str, local_domain: &str) -> bool {
    let (user, domain) = handle.split_once('@').unwrap_or((handle, local_domain));
    let account_domain = account.domain.as_deref().unwrap_or(local_domain);
    account.username.eq_ignore_ascii_case(user) && account_domain.eq_ignore_ascii_case(domain)
}

/// HTML from another server made safe to show: ammonia's defaults (no script, styles or
/// event handlers; links made `rel="noopener noreferrer"`), keeping the classes apps use to
/// show mentions and hashtags as such (`h-card`, `mention`, `hashtag`, `u-url`).
pub fn sanitise(html: &str) -> String {
    ammonia::Builder::default()
        .add_allowed_classes("a", ["mention", "hashtag", "u-url"])
        .add_allowed_classes("span", ["h-card", "mention"])
        .clean(html)
        .to_string()
}

/// The text of HTML that Guild rendered from text (paragraphs and line breaks, links), for a
/// form that edits it again: breaks become newlines, tags go, entities are read.
pub fn plain(html: &str) -> String {
    let spaced = html
        .replace("</p><p>", "\n\n")
        .replace("<br>", "\n")
        .replace("<br />", "\n");
    let mut text = String::with_capacity(spaced.len());
    let mut in_tag = false;
    for c in spaced.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Escape the characters that mean something in HTML text and attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One paragraph of plain text as HTML: escaped, with links, known mentions and hashtags.
fn render_paragraph(
    text: &str,
    mentions: &[Account],
    base_url: &str,
    local_domain: &str,
) -> String {
    let mut out = String::new();
    let mut last = 0;
    for c in TOKENS.captures_iter(text) {
        let whole = c.get(0).expect("match");
        out.push_str(&escape_html(&text[last..whole.start()]));
        out.push_str(&token_html(&c, mentions, base_url, local_domain));
        last = whole.end();
    }
    out.push_str(&escape_html(&text[last..]));
    out.replace('\n', "<br>")
}

fn token_html(c: &Captures, mentions: &[Account], base_url: &str, local_domain: &str) -> String {
    if let Some(url) = c.name("url") {
        let url = escape_html(url.as_str());
        return format!(
            "<a href=\"{url}\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">{url}</a>"
        );
    }
    if let Some(user) = c.name("user") {
        let prefix = escape_html(c.name("mpre").map_or("", |m| m.as_str()));
        let handle = match c.name("domain") {
            Some(domain) => format!("{}@{}", user.as_str(), domain.as_str()),
            None => user.as_str().to_string(),
        };
        return match mentions.iter().find(|a| names(a, &handle, local_domain)) {
            Some(account) => {
                let href = escape_html(account.url.as_deref().unwrap_or(&account.ap_id));
                format!(
                    "{prefix}<span class=\"h-card\"><a href=\"{href}\" class=\"u-url mention\">@<span>{}</span></a></span>",
                    escape_html(&account.username)
                )
            }
            None => format!("{prefix}@{}", escape_html(&handle)),
        };
    }
    let prefix = escape_html(c.name("tpre").map_or("", |m| m.as_str()));
    let tag = c.name("tag").map_or("", |m| m.as_str());
    format!(
        "{prefix}<a href=\"{base_url}/tags/{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
        escape_html(&tag.to_lowercase()),
        escape_html(tag)
    )
}

/// Plain text to HTML: paragraphs at blank lines, line breaks kept, links, mentions of
/// `mentions` and hashtags linked; everything else escaped.
pub fn render(text: &str, mentions: &[Account], base_url: &str, local_domain: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            format!(
                "<p>{}</p>",
                render_paragraph(p, mentions, base_url, local_domain)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_comes_back_from_rendered_html() {
        let text = "Platform people.\n\nAsk about <builds> & \"caches\"\nhttps://example.org/x";
        let html = render(text, &[], "https://guild.example", "guild.example");
        assert_eq!(plain(&html), text);
    }

    #[test]
    fn received_html_keeps_mention_markup_and_loses_script() {
        let html = r#"<p><span class="h-card"><a href="https://m.example/@ann" class="u-url mention evil">@<span>ann</span></a></span> hi<script>x()</script><a href="https://x" class="hashtag" onclick="y()">#t</a></p>"#;
        let clean = sanitise(html);
        assert!(clean.contains(r#"<span class="h-card">"#), "{clean}");
        assert!(clean.contains(r#"class="u-url mention""#), "{clean}");
        assert!(clean.contains(r#"class="hashtag""#), "{clean}");
        assert!(!clean.contains("script") && !clean.contains("onclick") && !clean.contains("evil"));
    }

    #[test]
    fn handles_tags_and_escaping() {
        let text = "Hi @Alice and @bob@other.example:8443, see https://x.example/@carol?a=1&b=2. #Rust #2024 email a@b.c";
        assert_eq!(mention_handles(text), ["alice", "bob@other.example:8443"]);
        assert_eq!(hashtags(text), ["rust"]);
        let html = render(
            "<b>x</b> & 'y'\nnext\n\n#Tag",
            &[],
            "https://g.example",
            "g.example",
        );
        assert_eq!(
            html,
            "<p>&lt;b&gt;x&lt;/b&gt; &amp; &#39;y&#39;<br>next</p><p><a href=\"https://g.example/tags/tag\" class=\"mention hashtag\" rel=\"tag\">#<span>Tag</span></a></p>"
        );
        let linked = render(
            "see https://x.example/a?b=1&c=2.",
            &[],
            "https://g.example",
            "g.example",
        );
        assert_eq!(
            linked,
            "<p>see <a href=\"https://x.example/a?b=1&amp;c=2\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">https://x.example/a?b=1&amp;c=2</a>.</p>"
        );
        assert_eq!(
            render("@nobody hi", &[], "https://g.example", "g.example"),
            "<p>@nobody hi</p>"
        );
    }
}
