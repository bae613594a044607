//! A browser's side of Guild's forms without a browser: it keeps cookies, reads the form token
//! from its cookie as the pages' forms carry it, and does not follow redirects, so tests see
//! where a form sends the browser.

use super::TestServer;
use std::{collections::BTreeMap, sync::Mutex};

pub struct FormClient<'a> {
    server: &'a TestServer,
    http: reqwest::Client,
    cookies: Mutex<BTreeMap<String, String>>,
}

/// What a request answered.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl<'a> FormClient<'a> {
    pub fn new(server: &'a TestServer) -> FormClient<'a> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        FormClient {
            server,
            http,
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    /// A browser signed in as `name` (whose password is the harness's).
    pub async fn signed_in(server: &'a TestServer, name: &str) -> FormClient<'a> {
        let browser = FormClient::new(server);
        browser.get("/sign-in").await;
        let fields = [("username", name), ("password", "password123")];
        let answer = browser.submit("/sign-in", &fields).await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        browser
    }

    fn cookie_header(&self) -> String {
        let cookies = self.cookies.lock().unwrap();
        let pairs: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.join("; ")
    }

    async fn answer(&self, response: reqwest::Response) -> Answer {
        for set in response.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let mut cookies = self.cookies.lock().unwrap();
            if set.contains("Max-Age=0") || value.is_empty() {
                cookies.remove(name);
            } else {
                cookies.insert(name.to_string(), value.to_string());
            }
        }
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        Answer {
            status: response.status().as_u16(),
            location,
            body: response.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        let response = self
            .http
            .get(self.server.url(path))
            .header("accept", "text/html")
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.answer(response).await
    }

    /// A file the browser downloads: the status and the bytes as sent.
    pub async fn download(&self, path: &str) -> (u16, Vec<u8>) {
        let response = self
            .http
            .get(self.server.url(path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.bytes().await.unwrap().to_vec())
    }

    /// The token this browser's forms carry (after it has opened a page).
    pub fn csrf(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .get("guild_csrf")
            .cloned()
            .expect("a page set the form cookie")
    }

    /// Post `fields` with this browser's form token, as a page's form would.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let csrf = self.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, Some(&self.server.base)).await
    }

    /// Post exactly `fields`, with `origin` as the browser would send it.
    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Answer {
        let mut request = self
            .http
            .post(self.server.url(path))
            .header("cookie", self.cookie_header())
            .form(fields);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        self.answer(request.send().await.unwrap()).await
    }

    pub fn cookie(&self, name: &str) -> String {
        self.cookies
            .lock()
            .unwrap()
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    pub fn has_session(&self) -> bool {
        self.cookies.lock().unwrap().contains_key("guild_session")
    }
}
