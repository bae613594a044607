//! Keyword filters: a person's words to warn about or hide, per context (home,
//! notifications, public, thread, account), as Mastodon's v2 filters.

use crate::db::DbConn;
use crate::error::Error;
use crate::ids::next_id;
use crate::store::{
    filters::{self as filter_store, Filter, Keyword},
    statuses::Status,
};
use chrono::NaiveDateTime;
use regex::Regex;
use std::collections::HashMap;

pub const CONTEXTS: &[&str] = &["home", "notifications", "public", "thread", "account"];
const ACTIONS: &[&str] = &["warn", "hide"];
const MAX_KEYWORDS: usize = 50;

/// A keyword to add, change (`id`) or delete (`destroy`).
#[derive(Clone, Debug, Default)]
pub struct KeywordChange {
    pub id: Option<i64>,
    pub keyword: Option<String>,
    pub whole_word: Option<bool>,
    pub destroy: bool,
}

/// What a person sets on a filter; `None` keeps a value. `expires_at: Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct FilterChange {
    pub title: Option<String>,
    pub context: Option<Vec<String>>,
    pub filter_action: Option<String>,
    pub expires_at: Option<Option<NaiveDateTime>>,
    pub keywords: Vec<KeywordChange>,
}

fn apply(filter: &mut Filter, change: &FilterChange) -> Result<(), Error> {
    if let Some(title) = &change.title {
        if title.trim().is_empty() || title.chars().count() > 100 {
            return Err(Error::Unprocessable(
                "title must be 1 to 100 characters".into(),
            ));
        }
        filter.title = title.trim().to_string();
    }
    if let Some(context) = &change.context {
        if context.is_empty() || context.iter().any(|c| !CONTEXTS.contains(&c.as_str())) {
            return Err(Error::Unprocessable(format!(
                "context must list some of {}",
                CONTEXTS.join(", ")
            )));
        }
        filter.context = serde_json::to_string(context)?;
    }
    if let Some(action) = &change.filter_action {
        if !ACTIONS.contains(&action.as_str()) {
            return Err(Error::Unprocessable(
                "filter_action must be warn or hide".into(),
            ));
        }
        filter.filter_action = action.clone();
    }
    if let Some(expires_at) = change.expires_at {
        filter.expires_at = expires_at;
    }
    Ok(())
}

fn change_keywords(
    conn: &mut DbConn,
    filter_id: i64,
    changes: &[KeywordChange],
) -> Result<(), Error> {
    for change in changes {
        match change.id {
            Some(id) => {
                let mut keyword = filter_store::keyword(conn, id)?
                    .filter(|k| k.filter_id == filter_id)
                    .ok_or(Error::NotFound)?;
                if change.destroy {
                    filter_store::delete_keyword(conn, id)?;
                    continue;
                }
                keyword.keyword = change.keyword.clone().unwrap_or(keyword.keyword);
                keyword.whole_word = change.whole_word.unwrap_or(keyword.whole_word);
                check_keyword(&keyword.keyword)?;
                filter_store::update_keyword(conn, &keyword)?;
            }
            None if change.destroy => {}
            None => {
                let text = change.keyword.clone().unwrap_or_default();
                check_keyword(&text)?;
                filter_store::insert_keyword(
                    conn,
                    &Keyword {
                        id: next_id(),
                        filter_id,
                        keyword: text,
                        whole_word: change.whole_word.unwrap_or(true),
                    },
                )?;
            }
        }
    }
    if filter_store::keywords_of(conn, &[filter_id])?.len() > MAX_KEYWORDS {
        return Err(Error::Unprocessable(format!(
            "a filter holds at most {MAX_KEYWORDS} keywords"
        )));
    }
    Ok(())
}

fn check_keyword(keyword: &str) -> Result<(), Error> {
    if keyword.trim().is_empty() || keyword.chars().count() > 100 {
        return Err(Error::Unprocessable(
            "keyword must be 1 to 100 characters".into(),
        ));
    }
    Ok(())
}

pub fn create(conn: &mut DbConn, owner: i64, change: &FilterChange) -> Result<Filter, Error> {
    if change.title.is_none() || change.context.is_none() {
        return Err(Error::Unprocessable(
            "title and context are required".into(),
        ));
    }
    let mut filter = Filter {
        id: next_id(),
        account_id: owner,
        title: String::new(),
        context: "[]".to_string(),
        filter_action: "warn".to_string(),
        expires_at: None,
        created_at: crate::time::now(),
    };
    apply(&mut filter, change)?;
    crate::db::transaction(conn, |conn| {
        filter_store::insert(conn, &filter)?;
        change_keywords(conn, filter.id, &change.keywords)?;
        changed(owner);
        Ok(filter)
    })
}

pub fn owned(conn: &mut DbConn, owner: i64, id: i64) -> Result<Filter, Error> {
    filter_store::owned(conn, owner, id)?.ok_or(Error::NotFound)
}

pub fn delete(conn: &mut DbConn, owner: i64, id: i64) -> Result<(), Error> {
    let filter = owned(conn, owner, id)?;
    filter_store::delete(conn, filter.id)?;
    changed(owner);
    Ok(())
}

/// Tell the owner's streams (`filters_changed`), so apps load the filters again.
fn changed(owner: i64) {
    crate::events::record(crate::events::Event::FiltersChanged { account: owner });
}

/// The owner's keyword `id`, or 404.
pub fn owned_keyword(conn: &mut DbConn, owner: i64, id: i64) -> Result<Keyword, Error> {
    let keyword = filter_store::keyword(conn, id)?.ok_or(Error::NotFound)?;
    owned(conn, owner, keyword.filter_id)?;
    Ok(keyword)
}

pub fn delete_keyword(conn: &mut DbConn, owner: i64, id: i64) -> Result<(), Error> {
    let keyword = owned_keyword(conn, owner, id)?;
    filter_store::delete_keyword(conn, keyword.id)?;
    changed(owner);
    Ok(())
}

pub fn update(
    conn: &mut DbConn,
    owner: i64,
    id: i64,
    change: &FilterChange,
) -> Result<Filter, Error> {
    crate::db::transaction(conn, |conn| {
        let mut filter = owned(conn, owner, id)?;
        apply(&mut filter, change)?;
        filter_store::update(conn, &filter)?;
        change_keywords(conn, filter.id, &change.keywords)?;
        changed(owner);
        Ok(filter)
    })
}

/// Change keywords of a filter the person owns (the keyword endpoints).
pub fn change_keywords_of(
    conn: &mut DbConn,
    owner: i64,
    filter_id: i64,
    changes: &[KeywordChange],
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        owned(conn, owner, filter_id)?;
        change_keywords(conn, filter_id, changes)?;
        changed(owner);
        Ok(())
    })
}

/// The contexts of a filter.
pub fn contexts(filter: &Filter) -> Vec<String> {
    serde_json::from_str(&filter.context).unwrap_or_default()
}

/// A filter in force with its keywords compiled.
pub struct Active {
    pub filter: Filter,
    pub keywords: Vec<Keyword>,
    patterns: Vec<Regex>,
}

/// What matched a status: the filter and which of its keywords.
pub struct Match<'a> {
    pub active: &'a Active,
    pub keywords: Vec<&'a str>,
}

/// A viewer's filters in force, ready to hold statuses against (two queries).
#[derive(Default)]
pub struct Matcher {
    active: Vec<Active>,
}

impl Matcher {
    pub fn load(conn: &mut DbConn, viewer: i64) -> Result<Matcher, Error> {
        Ok(Matcher::load_each(conn, &[viewer])?
            .remove(&viewer)
            .unwrap_or_default())
    }

    /// The matchers of each of `viewers` (two queries for all of them); those with no filter
    /// in force are left out.
    pub fn load_each(conn: &mut DbConn, viewers: &[i64]) -> Result<HashMap<i64, Matcher>, Error> {
        let filters = filter_store::of_accounts(conn, viewers, Some(crate::time::now()))?;
        if filters.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<i64> = filters.iter().map(|f| f.id).collect();
        let mut keywords: HashMap<i64, Vec<Keyword>> = HashMap::new();
        for keyword in filter_store::keywords_of(conn, &ids)? {
            keywords.entry(keyword.filter_id).or_default().push(keyword);
        }
        let mut matchers: HashMap<i64, Matcher> = HashMap::new();
        for filter in filters {
            let keywords = keywords.remove(&filter.id).unwrap_or_default();
            let patterns = keywords.iter().filter_map(pattern).collect();
            let active = Active {
                filter,
                keywords,
                patterns,
            };
            let matcher = matchers.entry(active.filter.account_id).or_default();
            matcher.active.push(active);
        }
        Ok(matchers)
    }

    /// The filters a status matches, with the keywords that matched.
    pub fn matches(&self, status: &Status) -> Vec<Match<'_>> {
        if self.active.is_empty() {
            return Vec::new();
        }
        let text = searchable_text(
            status.title.as_deref(),
            &status.spoiler_text,
            &status.content,
        );
        self.active
            .iter()
            .filter_map(|active| {
                let keywords: Vec<&str> = active
                    .keywords
                    .iter()
                    .zip(&active.patterns)
                    .filter(|(_, p)| p.is_match(&text))
                    .map(|(k, _)| k.keyword.as_str())
                    .collect();
                (!keywords.is_empty()).then_some(Match { active, keywords })
            })
            .collect()
    }

    /// Whether a `hide` filter for `context` matches the status.
    pub fn hides(&self, status: &Status, context: &str) -> bool {
        self.matches(status).iter().any(|m| {
            m.active.filter.filter_action == "hide"
                && contexts(&m.active.filter).iter().any(|c| c == context)
        })
    }
}

/// Leave out of `list` what the viewer's `hide` filters for `context` catch; a boost is
/// judged by what it boosts (loaded with one query).
pub fn retain_shown(
    conn: &mut DbConn,
    viewer: i64,
    list: &mut Vec<Status>,
    context: &str,
) -> Result<(), Error> {
    let filters = Matcher::load(conn, viewer)?;
    if filters.active.is_empty() {
        return Ok(());
    }
    let boosted_ids: Vec<i64> = list.iter().filter_map(|s| s.reblog_of_id).collect();
    let boosted: HashMap<i64, Status> = crate::store::statuses::by_ids(conn, &boosted_ids)?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    list.retain(|status| {
        let judged = status
            .reblog_of_id
            .and_then(|id| boosted.get(&id))
            .unwrap_or(status);
        !filters.hides(judged, context)
    });
    Ok(())
}

/// A keyword as a case-insensitive pattern. A whole-word keyword is bounded by word edges
/// where it begins or ends with a word character (so `#nsfw` still matches "look #nsfw").
fn pattern(keyword: &Keyword) -> Option<Regex> {
    let escaped = regex::escape(&keyword.keyword);
    let wordy = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let (start, end) = match keyword.whole_word {
        true => (
            if wordy(keyword.keyword.chars().next()) {
                r"\b"
            } else {
                ""
            },
            if wordy(keyword.keyword.chars().last()) {
                r"\b"
            } else {
                ""
            },
        ),
        false => ("", ""),
    };
    Regex::new(&format!("(?i){start}{escaped}{end}")).ok()
}

/// What a keyword is looked for in: title, content warning and the text without its HTML
/// (paragraphs and line breaks kept apart, entities decoded).
fn searchable_text(title: Option<&str>, spoiler_text: &str, content: &str) -> String {
    let spaced = content
        .replace("</p>", "</p>\n")
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n");
    let plain = ammonia::Builder::empty()
        .clean(&spaced)
        .to_string()
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    format!("{} {spoiler_text} {plain}", title.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyword(text: &str, whole_word: bool) -> Keyword {
        Keyword {
            id: 1,
            filter_id: 1,
            keyword: text.to_string(),
            whole_word,
        }
    }

    fn text_of(content: &str) -> String {
        searchable_text(None, "", content)
    }

    #[test]
    fn keywords_match_as_people_expect() {
        let matches = |k: &Keyword, text: &str| pattern(k).unwrap().is_match(text);
        assert!(matches(&keyword("finale", true), "The Finale!"));
        assert!(!matches(&keyword("finale", true), "finales"));
        assert!(matches(&keyword("finale", false), "finales"));
        assert!(matches(&keyword("#nsfw", true), "look #nsfw here"));
        assert!(
            matches(&keyword("a.b", true), "x a.b y") && !matches(&keyword("a.b", true), "axb")
        );
        let text = text_of("<p>spoilers</p><p>Next &amp; more</p>");
        assert!(matches(&keyword("spoilers", true), &text), "{text}");
        assert!(text.contains("Next & more"), "{text}");
    }
}
