//! A small client-API caller for tests: JSON bodies, bearer tokens, status and `Link`.

use super::TestServer;
use serde_json::{json, Value};

pub struct Client<'a> {
    pub server: &'a TestServer,
    pub token: Option<String>,
}

impl Client<'_> {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        form: Option<Value>,
    ) -> (u16, Value, Option<String>) {
        let mut request = self.server.http.request(method, self.server.url(path));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(form) = form {
            request = request.json(&form);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let link = response
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_string());
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::Null),
            link,
        )
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, body, _) = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// POST a multipart body of `(name, filename, bytes)` parts to `path`.
    pub async fn multipart(
        &self,
        path: &str,
        parts: &[(&str, Option<&str>, &[u8])],
    ) -> (u16, Value) {
        let boundary = "guild-test-boundary";
        let mut body = Vec::new();
        for (name, filename, bytes) in parts {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").bytes(),
            );
            if let Some(filename) = filename {
                body.extend(
                    format!("; filename=\"{filename}\"\r\nContent-Type: application/octet-stream")
                        .bytes(),
                );
            }
            body.extend(b"\r\n\r\n");
            body.extend(*bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").bytes());
        let response = self
            .server
            .http
            .post(self.server.url(path))
            .bearer_auth(self.token.as_deref().unwrap())
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, form: Value) -> Value {
        let (status, body, _) = self.call(reqwest::Method::POST, path, Some(form)).await;
        assert_eq!(status, 200, "POST {path}: {body}");
        body
    }
}

impl<'a> Client<'a> {
    /// `user` signed in through the password grant (the server must enable it).
    pub async fn password(server: &'a TestServer, user: &str) -> Client<'a> {
        let anonymous = Client {
            server,
            token: None,
        };
        let app = anonymous
            .post("/api/v1/apps", json!({"client_name": "test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write follow"}))
            .await;
        let token = anonymous
            .post("/oauth/token", json!({"grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"], "username": user, "password": "password123", "scope": "read write follow"}))
            .await;
        Client {
            server,
            token: token["access_token"].as_str().map(str::to_string),
        }
    }

    /// The status code of a call, for calls expected to fail.
    pub async fn status_of(&self, method: reqwest::Method, path: &str, form: Option<Value>) -> u16 {
        self.call(method, path, form).await.0
    }
}
