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
}
