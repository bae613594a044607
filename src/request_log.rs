//! The request log: one line per request with its method, route, target, status and time.
//! Query parameters that carry secrets (an `access_token` in a streaming URL, an OAuth
//! `code`, a client secret, a password) are written as `[redacted]`.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    Error,
};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};

pub struct RequestLog;

/// Parameters never written to the log.
const SECRET_PARAMETERS: &[&str] = &[
    "access_token",
    "code",
    "client_secret",
    "password",
    "refresh_token",
    "token",
];

impl RootSpanBuilder for RequestLog {
    fn on_request_start(request: &ServiceRequest) -> Span {
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %request.match_pattern().unwrap_or_else(|| "default".into()),
            http.target = %redacted(request.path(), request.query_string()),
            http.client_ip = %request.connection_info().realip_remote_addr().unwrap_or(""),
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// `path?query` with the values of secret parameters replaced.
pub fn redacted(path: &str, query: &str) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let parts: Vec<String> = query
        .split('&')
        .map(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            let decoded: String = url::form_urlencoded::parse(name.as_bytes())
                .map(|(k, _)| k.into_owned())
                .collect();
            match SECRET_PARAMETERS.contains(&decoded.as_str()) {
                true => format!("{name}=[redacted]"),
                false => pair.to_string(),
            }
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn secrets_in_query_strings_are_redacted() {
        assert_eq!(
            redacted("/api/v1/streaming", "stream=user&access_token=abc123"),
            "/api/v1/streaming?stream=user&access_token=[redacted]"
        );
        assert_eq!(
            redacted("/oauth/authorize", "client_id=x&%63ode=secret"),
            "/oauth/authorize?client_id=x&%63ode=[redacted]"
        );
        assert_eq!(redacted("/about", ""), "/about");
    }
}
