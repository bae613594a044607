//! Raw streaming clients: a WebSocket (tungstenite) and server-sent events (reqwest), each
//! giving events as Mastodon frames them.

use super::TestServer;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use std::time::Duration;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

/// One streamed event.
#[derive(Debug, Clone)]
pub struct Got {
    pub stream: Vec<String>,
    pub event: String,
    pub payload: String,
}

impl Got {
    /// The payload as JSON (statuses, notifications, conversations).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.payload).unwrap_or(Value::Null)
    }
}

/// How a WebSocket client hands over its token.
pub enum TokenIn {
    Header,
    Query,
    Protocol,
}

pub struct Ws {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    /// The subprotocol the server named back, if any.
    pub protocol: Option<String>,
}

impl Ws {
    /// Open `/api/v1/streaming?{query}`; the handshake's HTTP status if refused.
    pub async fn open(
        server: &TestServer,
        token: &str,
        via: TokenIn,
        query: &str,
    ) -> Result<Ws, u16> {
        let mut url = format!("ws://127.0.0.1:{}/api/v1/streaming?{query}", server.port());
        if let TokenIn::Query = via {
            url.push_str(&format!("&access_token={token}"));
        }
        let mut request = url.into_client_request().unwrap();
        let headers = request.headers_mut();
        match via {
            TokenIn::Header => {
                headers.insert("Authorization", format!("Bearer {token}").parse().unwrap());
            }
            TokenIn::Protocol => {
                headers.insert("Sec-WebSocket-Protocol", token.parse().unwrap());
            }
            TokenIn::Query => {}
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, response)) => Ok(Ws {
                socket,
                protocol: response
                    .headers()
                    .get("sec-websocket-protocol")
                    .map(|v| v.to_str().unwrap().to_string()),
            }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(e) => panic!("WebSocket failed: {e}"),
        }
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    /// The next event (or error message), within ten seconds; None once the server closed.
    pub async fn next(&mut self) -> Option<Got> {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("a streamed event within 10 s");
            match message {
                Some(Ok(Message::Text(text))) => {
                    let frame: Value = serde_json::from_str(&text).unwrap();
                    if frame.get("error").is_some() {
                        return Some(Got {
                            stream: vec![],
                            event: "error".into(),
                            payload: text.to_string(),
                        });
                    }
                    return Some(got(&frame));
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => continue,
            }
        }
    }
}

fn got(frame: &Value) -> Got {
    Got {
        stream: frame["stream"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect(),
        event: frame["event"].as_str().unwrap().to_string(),
        payload: frame["payload"].as_str().unwrap_or_default().to_string(),
    }
}

pub struct Sse {
    body: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

impl Sse {
    /// Open `/api/v1/streaming/{path}`; the HTTP status if refused.
    pub async fn open(base: &str, token: &str, path: &str) -> Result<Sse, u16> {
        let response = reqwest::Client::new()
            .get(format!("{base}/api/v1/streaming/{path}"))
            .bearer_auth(token)
            .header("Accept-Encoding", "gzip, br")
            .send()
            .await
            .unwrap();
        if !response.status().is_success() {
            return Err(response.status().as_u16());
        }
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Ok(Sse {
            body: response.bytes_stream().boxed(),
            buffer: String::new(),
        })
    }

    /// The next event within ten seconds (comments skipped); None once the server ended it.
    pub async fn next(&mut self) -> Option<Got> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut event, mut data) = (None, String::new());
                for line in block.lines() {
                    if let Some(name) = line.strip_prefix("event: ") {
                        event = Some(name.to_string());
                    } else if let Some(text) = line.strip_prefix("data: ") {
                        data.push_str(text);
                    }
                }
                if let Some(event) = event {
                    return Some(Got {
                        stream: vec![],
                        event,
                        payload: data,
                    });
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.body.next())
                .await
                .expect("a streamed event within 10 s");
            match chunk {
                Some(Ok(bytes)) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }
}
