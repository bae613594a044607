//! Full-text search of posts: a query read into words, prefixes (`cach*`) and phrases
//! (`"shared runners"`), matched by the store, then shown exactly as the viewer may see each
//! post (visibility, blocks, mutes, filters), paged over what they may see.

use crate::db::DbConn;
use crate::error::Error;
use crate::service::timelines;
use crate::store::{
    accounts::Account,
    search::{self, Term, Within},
    statuses::{self, Status},
};

/// Rounds of candidates read before giving up on filling a page: a viewer shown few of the
/// matches (a stranger searching a members-only community's words) gets a short page rather
/// than a scan of every match.
const ROUNDS: usize = 8;

/// Words a query may hold; more are ignored.
const MAX_TERMS: usize = 16;

/// The terms of `query`: words of letters and digits, `word*` for a prefix, quoted phrases.
/// Everything else separates words, so no input is a syntax error.
pub fn terms(query: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    for (n, part) in query.split('"').enumerate() {
        let quoted = n % 2 == 1;
        let words: Vec<(String, bool)> = part
            .split(|c: char| !(c.is_alphanumeric() || c == '*'))
            .filter_map(|w| {
                let prefix = w.ends_with('*');
                let word: String = w.chars().filter(|c| c.is_alphanumeric()).collect();
                (!word.is_empty()).then(|| (word.to_lowercase(), prefix))
            })
            .collect();
        if quoted && words.len() > 1 {
            terms.push(Term::Phrase(words.into_iter().map(|(w, _)| w).collect()));
            continue;
        }
        terms.extend(words.into_iter().map(|(word, prefix)| match prefix {
            true => Term::Prefix(word),
            false => Term::Word(word),
        }));
    }
    terms.truncate(MAX_TERMS);
    terms
}

/// Posts matching `query` that `viewer` may see, best first, `limit` of them after skipping
/// `offset` visible ones.
pub fn statuses(
    conn: &mut DbConn,
    viewer: &Account,
    query: &str,
    within: Within,
    (limit, offset): (usize, usize),
) -> Result<Vec<Status>, Error> {
    let terms = terms(query);
    if terms.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let batch = (limit * 2 + 20) as i64;
    let (mut found, mut skip, mut read) = (Vec::new(), offset, 0i64);
    for _ in 0..ROUNDS {
        let ids = search::matching(conn, &terms, viewer.id, within, (batch, read))?;
        read += ids.len() as i64;
        let mut rows = statuses::by_ids(conn, &ids)?;
        rows.sort_by_key(|s| ids.iter().position(|id| *id == s.id));
        for status in timelines::shown(conn, Some(viewer), "public", rows)? {
            match skip {
                0 => found.push(status),
                _ => skip -= 1,
            }
            if found.len() == limit {
                return Ok(found);
            }
        }
        if (ids.len() as i64) < batch {
            break;
        }
    }
    Ok(found)
}

/// Characters of a post shown around the first word a search found in it.
const SNIPPET: usize = 240;

/// An excerpt of `text` around the first of the query's words in it, cut into parts each
/// saying whether it is a found word, for a page to mark. Words count as found the way the
/// search stems them, roughly: a word found as `release` also marks `releases` and
/// `released`, a prefix every word it starts.
pub fn highlight(text: &str, query: &str) -> Vec<(String, bool)> {
    let roots: Vec<String> = terms(query)
        .into_iter()
        .flat_map(|term| match term {
            Term::Word(word) => vec![root(&word)],
            Term::Prefix(prefix) => vec![prefix],
            Term::Phrase(words) => words.iter().map(|w| root(w)).collect(),
        })
        .collect();
    let found = |word: &str| {
        let word = word.to_lowercase();
        roots.iter().any(|r| word.starts_with(r.as_str()))
    };
    // Words and what lies between them, in order.
    let mut parts: Vec<(String, bool)> = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    for c in text.chars() {
        if c.is_alphanumeric() != in_word && !current.is_empty() {
            let part = std::mem::take(&mut current);
            let hit = in_word && found(&part);
            parts.push((part, hit));
        }
        in_word = c.is_alphanumeric();
        current.push(c);
    }
    if !current.is_empty() {
        let hit = in_word && found(&current);
        parts.push((current, hit));
    }
    excerpt(parts)
}

/// The parts around the first found one, about [`SNIPPET`] characters in all, with `…` where
/// the text goes on.
fn excerpt(parts: Vec<(String, bool)>) -> Vec<(String, bool)> {
    let first = parts.iter().position(|(_, hit)| *hit).unwrap_or(0);
    let length = |n: usize| parts[n].0.chars().count();
    let (mut start, mut shown) = (first, 0);
    while start > 0 && shown < SNIPPET / 3 {
        start -= 1;
        shown += length(start);
    }
    let mut end = start;
    let mut shown = 0;
    while end < parts.len() && shown < SNIPPET {
        shown += length(end);
        end += 1;
    }
    let mut shown = Vec::with_capacity(end - start + 2);
    if start > 0 {
        shown.push(("…".to_string(), false));
    }
    shown.extend(parts[start..end].iter().cloned());
    if end < parts.len() {
        shown.push(("…".to_string(), false));
    }
    shown
}

/// A word without the common English endings, so that its forms are marked alike.
fn root(word: &str) -> String {
    for ending in ["ing", "ed", "es", "s", "ly"] {
        if let Some(stem) = word.strip_suffix(ending) {
            if stem.chars().count() >= 3 {
                return stem.to_string();
            }
        }
    }
    word.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_become_words_prefixes_and_phrases() {
        assert_eq!(
            terms(r#"Build cach* "shared  runners" -x AND'); DROP"#),
            [
                Term::Word("build".into()),
                Term::Prefix("cach".into()),
                Term::Phrase(vec!["shared".into(), "runners".into()]),
                Term::Word("x".into()),
                Term::Word("and".into()),
                Term::Word("drop".into()),
            ]
        );
        assert!(terms("*** \"\" --").is_empty());
    }

    #[test]
    fn highlights_mark_forms_of_the_words_around_the_first() {
        let text = format!(
            "{} We released it. Releasing is easy; cache* too.",
            "x ".repeat(200)
        );
        let parts = highlight(&text, "releases cach*");
        let marked: Vec<&str> = parts
            .iter()
            .filter(|(_, hit)| *hit)
            .map(|(p, _)| p.as_str())
            .collect();
        assert_eq!(marked, vec!["released", "Releasing", "cache"]);
        assert_eq!(parts[0].0, "…");
        let shown: usize = parts.iter().map(|(p, _)| p.chars().count()).sum();
        assert!(shown < 200, "an excerpt, not the whole post: {shown}");
    }
}
