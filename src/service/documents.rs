//! The ActivityPub documents of local posts (`Note`, `Page`, `Question`), built from what the
//! store keeps: the same whether served at a post's id, sent in an activity or exported.

use crate::db::DbConn;
use crate::error::Error;
use crate::protocol::note;
use crate::service::text;
use crate::store::{
    accounts::{self as account_store, Account},
    statuses::{self as status_store, Status},
};
use std::collections::HashMap;

/// The ActivityPub document of a local status: the same whether it is served at its id or
/// sent in an activity.
pub fn document(conn: &mut DbConn, status: &Status) -> Result<serde_json::Value, Error> {
    documents(conn, std::slice::from_ref(status))?
        .remove(&status.id)
        .ok_or(Error::NotFound)
}

/// [`document`] of each of `list` (by local authors) by status id, with one query per kind
/// of part for them all; statuses whose author is no longer kept are left out.
pub fn documents(
    conn: &mut DbConn,
    list: &[Status],
) -> Result<HashMap<i64, serde_json::Value>, Error> {
    let ids: Vec<i64> = list.iter().map(|s| s.id).collect();
    let roots: Vec<i64> = list
        .iter()
        .filter(|s| s.in_reply_to_id.is_none())
        .map(|s| s.id)
        .collect();
    let questions: HashMap<i64, Option<i64>> = crate::store::questions::among(conn, &roots)?
        .into_iter()
        .map(|q| (q.status_id, q.answer_id))
        .collect();
    let linked: Vec<i64> = list
        .iter()
        .filter_map(|s| s.in_reply_to_id)
        .chain(questions.values().flatten().copied())
        .collect();
    let ap_ids: HashMap<i64, String> = status_store::ap_ids_of_statuses(conn, &linked)?
        .into_iter()
        .collect();
    let mentions = crate::store::mentions::of_statuses(conn, &ids)?;
    let account_ids: Vec<i64> = list
        .iter()
        .flat_map(|s| [Some(s.account_id), s.community_id])
        .flatten()
        .chain(mentions.iter().map(|(_, a)| *a))
        .collect();
    let accounts: HashMap<i64, Account> = account_store::by_ids(conn, &account_ids)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut mentioned: HashMap<i64, Vec<Account>> = HashMap::new();
    for (status, account) in mentions {
        if let Some(account) = accounts.get(&account) {
            mentioned.entry(status).or_default().push(account.clone());
        }
    }
    let mut attachments: HashMap<i64, Vec<_>> = HashMap::new();
    for attachment in crate::store::media::of_statuses(conn, &ids)? {
        let status = attachment.status_id.unwrap_or_default();
        attachments.entry(status).or_default().push(attachment);
    }
    let polls: HashMap<i64, _> = crate::store::polls::of_statuses(conn, &ids)?
        .into_iter()
        .map(|p| (p.status_id, p))
        .collect();
    let poll_ids: Vec<i64> = polls.keys().copied().collect();
    let mut options: HashMap<i64, Vec<_>> = HashMap::new();
    for option in crate::store::polls::options_of(conn, &poll_ids)? {
        options.entry(option.status_id).or_default().push(option);
    }
    let parts = |status: &Status| -> Option<(i64, serde_json::Value)> {
        let question = questions
            .get(&status.id)
            .map(|answer| answer.and_then(|id| ap_ids.get(&id)).map(String::as_str));
        let poll = polls.get(&status.id).map(|p| {
            (
                p,
                options
                    .get(&status.id)
                    .map(Vec::as_slice)
                    .unwrap_or_default(),
            )
        });
        let note = note::note(&note::NoteParts {
            question,
            attachments: attachments
                .get(&status.id)
                .map(Vec::as_slice)
                .unwrap_or_default(),
            poll,
            status,
            author: accounts.get(&status.account_id)?,
            community: status.community_id.and_then(|id| accounts.get(&id)),
            parent: status
                .in_reply_to_id
                .and_then(|id| ap_ids.get(&id))
                .map(String::as_str),
            mentioned: mentioned
                .get(&status.id)
                .map(Vec::as_slice)
                .unwrap_or_default(),
            hashtags: &text::hashtags(&status.source),
        });
        Some((status.id, note))
    };
    Ok(list.iter().filter_map(parts).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Visibility;
    use crate::protocol::PUBLIC;
    use crate::service::statuses::{create, NewPost};
    use crate::testing::Fixture;

    #[test]
    fn a_thread_in_a_community_is_a_page_addressed_to_it_with_nothing_null() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let ann = f.person(conn, "ann");
        let practice = f.community(conn, "practice", &ann);
        let thread = f.post(
            conn,
            &ann,
            "How do we #deploy?",
            Some(&practice),
            Some("Deploys"),
        );
        let doc = document(conn, &thread).unwrap();
        assert_eq!(doc["type"], "Page");
        assert_eq!(doc["name"], "Deploys");
        assert_eq!(doc["audience"], practice.ap_id);
        assert_eq!(doc["to"], serde_json::json!([PUBLIC, practice.ap_id]));
        assert_eq!(doc["tag"][0]["name"], "#deploy");
        assert_eq!(doc["source"]["content"], "How do we #deploy?");
        let fields = doc.as_object().unwrap();
        assert!(fields.values().all(|v| !v.is_null()), "{doc}");
        assert!(!fields.contains_key("inReplyTo") && !fields.contains_key("updated"));
    }

    #[test]
    fn documents_of_many_posts_are_each_as_alone() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let (ann, bob) = (f.person(conn, "ann"), f.person(conn, "bob"));
        let practice = f.community(conn, "practice", &ann);
        f.follow(conn, &bob, &practice);
        let thread = f.post(conn, &ann, "Which CI?", Some(&practice), Some("CI"));
        let reply = NewPost {
            text: "@ann the shared runners".into(),
            in_reply_to_id: Some(thread.id),
            mentions: vec![ann.clone()],
            ..NewPost::new(Visibility::Public)
        };
        let reply = create(conn, &f.config, &bob, reply).unwrap();
        let poll = NewPost {
            text: "Lunch?".into(),
            poll: Some(super::super::polls::NewPoll {
                options: vec!["Yes".into(), "No".into()],
                expires_in: 3600,
                multiple: false,
                hide_totals: false,
            }),
            ..NewPost::new(Visibility::Public)
        };
        let poll = create(conn, &f.config, &bob, poll).unwrap();
        let list = [thread.clone(), reply.clone(), poll.clone()];
        crate::store::questions::ask(conn, thread.id, practice.id).unwrap();
        let now = crate::time::now();
        crate::store::questions::set_answer(conn, thread.id, Some(reply.id), now).unwrap();

        let docs = documents(conn, &list).unwrap();
        assert_eq!(docs.len(), 3);
        for status in &list {
            assert_eq!(docs[&status.id], document(conn, status).unwrap());
        }
        assert_eq!(docs[&reply.id]["inReplyTo"], thread.ap_id);
        assert_eq!(docs[&reply.id]["tag"][0]["href"], ann.ap_id);
        assert_eq!(docs[&thread.id]["audience"], practice.ap_id);
        assert_eq!(docs[&thread.id]["guild:acceptedAnswer"], reply.ap_id);
        assert_eq!(docs[&poll.id]["type"], "Question");
        assert_eq!(docs[&poll.id]["oneOf"][1]["name"], "No");
        // Nothing of one post strays into another's document.
        assert!(docs[&thread.id].get("inReplyTo").is_none());
        assert!(docs[&poll.id].get("inReplyTo").is_none());
        assert!(docs[&thread.id].get("oneOf").is_none());
        assert!(docs[&poll.id].get("audience").is_none());
        assert!(docs[&poll.id].get("guild:question").is_none());
    }
}
