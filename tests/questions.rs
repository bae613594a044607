//! Questions and answers across instances: a person on one instance asks a question in a
//! community on another, accepts a reply as the answer from home, and both instances show it
//! first and marked, through the client API and the web; the community's open questions and
//! health follow.

mod common;

use common::{api::Client, arrived, backends, eventually, forms::FormClient, Backend, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

const PASSWORD_GRANT: (&str, &str) = ("GUILD_OAUTH_PASSWORD_GRANT", "true");

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_string()
}

/// The `guild` object of the status `id` as `client` sees it.
async fn guild_of(client: &Client<'_>, id: &str) -> Value {
    client.get(&format!("/api/v1/statuses/{id}")).await["guild"].clone()
}

/// The question `id` has no accepted answer and heads `community`'s open questions.
async fn assert_open(client: &Client<'_>, community: &str, id: &str) {
    assert_eq!(guild_of(client, id).await["answer_id"], Value::Null);
    let open = client
        .get(&format!("/api/v1/guild/communities/{community}/questions"))
        .await;
    assert_eq!(open[0]["id"], id, "{open}");
}

#[actix_web::test]
async fn a_question_is_asked_and_answered_across_instances() {
    for backend in backends() {
        eprintln!("questions with alpha on {}", backend.name());
        questions_on(&backend).await;
    }
}

async fn questions_on(backend: &Backend) {
    let alpha = TestServer::start_with(backend, &[PASSWORD_GRANT]).await;
    let beta = TestServer::start_with(&Backend::Sqlite, &[PASSWORD_GRANT]).await;
    for name in ["ann", "carl", "dan"] {
        alpha.create_user(name, false).await;
    }
    beta.create_user("bob", false).await;
    let ann = Client::password(&alpha, "ann").await;
    let carl = Client::password(&alpha, "carl").await;
    let dan = Client::password(&alpha, "dan").await;
    let bob = Client::password(&beta, "bob").await;

    // Ann runs the help community on alpha; bob joins from beta.
    let help = ann
        .post(
            "/api/v1/guild/communities",
            json!({"name": "help", "display_name": "Help", "posting_policy": "anyone"}),
        )
        .await;
    let help_id = id(&help);
    let help_acct = format!("help@{}", alpha.domain);
    let on_beta = id(&bob
        .get(&format!("/api/v1/accounts/lookup?acct={help_acct}"))
        .await);
    bob.post(&format!("/api/v1/accounts/{on_beta}/follow"), json!({}))
        .await;

    // Only a titled thread in a community can be a question.
    let (status, body, _) = bob
        .call(
            Method::POST,
            "/api/v1/statuses",
            Some(json!({"status": "just thinking aloud", "question": true})),
        )
        .await;
    assert_eq!(status, 422, "{body}");

    // Bob asks from beta.
    let question = bob
        .post(
            "/api/v1/statuses",
            json!({"status": format!("@{help_acct} which linter do we use?"),
                   "title": "Which linter?", "question": "true"}),
        )
        .await;
    assert_eq!(question["guild"]["question"], true);
    assert_eq!(question["guild"]["answer_id"], Value::Null);
    let question_uri = question["uri"].as_str().unwrap().to_string();
    let question_on_alpha = arrived(&alpha, &question_uri).await.to_string();
    assert_eq!(guild_of(&ann, &question_on_alpha).await["question"], true);
    let open = ann
        .get(&format!("/api/v1/guild/communities/{help_id}/questions"))
        .await;
    assert_eq!(open[0]["id"], question_on_alpha.as_str(), "{open}");

    // Ann answers first, carl second; both replies reach beta.
    let first = ann
        .post(
            "/api/v1/statuses",
            json!({"status": "Whatever the README says.", "in_reply_to_id": question_on_alpha}),
        )
        .await;
    let best = carl
        .post(
            "/api/v1/statuses",
            json!({"status": "clippy with -D warnings.", "in_reply_to_id": question_on_alpha}),
        )
        .await;
    let best_uri = best["uri"].as_str().unwrap().to_string();
    let best_on_beta = arrived(&beta, &best_uri).await.to_string();
    arrived(&beta, first["uri"].as_str().unwrap()).await;

    // Neither dan nor carl, who wrote the reply, may accept an answer to bob's question.
    for client in [&dan, &carl] {
        let path = format!("/api/v1/guild/statuses/{}/accept", id(&best));
        let status = client.status_of(Method::POST, &path, Some(json!({}))).await;
        assert_eq!(status, 403);
    }

    // Bob accepts carl's reply from beta; the community applies it and tells beta.
    bob.post(
        &format!("/api/v1/guild/statuses/{best_on_beta}/accept"),
        json!({}),
    )
    .await;
    let best_id = id(&best);
    eventually("alpha marks the answer", || async {
        guild_of(&ann, &question_on_alpha).await["answer_id"] == best_id.as_str()
    })
    .await;
    eventually("beta marks the answer", || async {
        guild_of(&bob, &id(&question)).await["answer_id"] == best_on_beta.as_str()
    })
    .await;
    assert_eq!(guild_of(&ann, &best_id).await["accepted_answer"], true);
    assert_eq!(guild_of(&ann, &id(&first)).await["accepted_answer"], false);

    // The accepted answer comes first under the question, though it was written second.
    let context = ann
        .get(&format!("/api/v1/statuses/{question_on_alpha}/context"))
        .await;
    assert_eq!(context["descendants"][0]["id"], best_id.as_str());
    assert_eq!(context["descendants"][1]["id"], id(&first).as_str());
    let context = bob
        .get(&format!("/api/v1/statuses/{}/context", id(&question)))
        .await;
    assert_eq!(context["descendants"][0]["id"], best_on_beta.as_str());

    // No longer open; the health figures count it answered.
    let open = ann
        .get(&format!("/api/v1/guild/communities/{help_id}/questions"))
        .await;
    assert_eq!(open, json!([]));
    let health = ann
        .get(&format!("/api/v1/guild/communities/{help_id}/health"))
        .await;
    assert_eq!(health["questions"], 1, "{health}");
    assert_eq!(health["answered_share"], 1.0);
    assert!(health["median_first_answer_seconds"].as_i64().is_some());
    let log = ann
        .get(&format!(
            "/api/v1/guild/communities/{help_id}/moderation_log"
        ))
        .await;
    assert_eq!(log[0]["action"], "accept_answer", "{log}");

    // The web shows the answer first and marked, and offers the moderator to take it back.
    let browser = FormClient::signed_in(&alpha, "ann").await;
    let page = browser
        .get(&format!("/statuses/{question_on_alpha}"))
        .await
        .body;
    assert!(page.contains("Answered question"), "{page}");
    let marked = page.find("Accepted answer").expect("the answer is marked");
    let answer_text = page.find("clippy with -D warnings.").unwrap();
    let other_text = page.find("Whatever the README says.").unwrap();
    assert!(marked < answer_text && answer_text < other_text);
    let answer = browser
        .submit(&format!("/statuses/{best_id}/unaccept"), &[])
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    eventually("beta learns the answer was taken back", || async {
        guild_of(&bob, &id(&question)).await["answer_id"] == Value::Null
    })
    .await;
    let community_page = browser.get("/c/help?sort=questions").await.body;
    assert!(community_page.contains("Which linter?"), "{community_page}");

    // Accepted again by the moderator, then removed and restored, then deleted by its
    // author: the question is open again.
    ann.post(
        &format!("/api/v1/guild/statuses/{best_id}/accept"),
        json!({}),
    )
    .await;
    assert_eq!(
        guild_of(&ann, &question_on_alpha).await["answer_id"],
        best_id.as_str()
    );

    // Removed by the moderator, the answer is none while removed, here and on beta; restored,
    // it is the answer again.
    let moderate = |action: &str| format!("/api/v1/guild/statuses/{best_id}/{action}");
    ann.post(&moderate("remove"), json!({"reason": "checking"}))
        .await;
    assert_open(&ann, &help_id, &question_on_alpha).await;
    eventually("beta learns the answer was removed", || async {
        guild_of(&bob, &id(&question)).await["answer_id"] == Value::Null
    })
    .await;
    ann.post(&moderate("restore"), json!({})).await;
    assert_eq!(
        guild_of(&ann, &question_on_alpha).await["answer_id"],
        best_id.as_str()
    );
    eventually("beta learns the answer was restored", || async {
        guild_of(&bob, &id(&question)).await["answer_id"] == best_on_beta.as_str()
    })
    .await;

    let (status, _, _) = carl
        .call(Method::DELETE, &format!("/api/v1/statuses/{best_id}"), None)
        .await;
    assert_eq!(status, 200);
    assert_open(&ann, &help_id, &question_on_alpha).await;

    // A thread posted as a plain thread is asked as a question by an edit, and beta learns it.
    let later = ann
        .post(
            "/api/v1/statuses",
            json!({"status": format!("@{help_acct} Where do the release notes live?"),
                   "title": "Release notes"}),
        )
        .await;
    assert_eq!(later["guild"]["question"], false);
    let (status, edited, _) = ann
        .call(
            Method::PUT,
            &format!("/api/v1/statuses/{}", id(&later)),
            Some(json!({"question": true})),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["guild"]["question"], true);
    let later_on_beta = arrived(&beta, later["uri"].as_str().unwrap())
        .await
        .to_string();
    eventually("beta learns the thread became a question", || async {
        guild_of(&bob, &later_on_beta).await["question"] == true
    })
    .await;

    // A question fetched from its origin carries the extension.
    let asked = beta
        .get_json(
            &format!("/statuses/{}", id(&question)),
            "application/activity+json",
        )
        .await;
    assert_eq!(asked["guild:question"], true, "{asked}");
}
