//! One error type for the whole server. Handlers answer with Mastodon's `{"error": "…"}`;
//! internal details go to the log, never to the client.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use std::fmt;

/// The reason given when federation policy refuses a domain; errors carrying it answer 403.
pub const REFUSED_BY_POLICY: &str = "domain refused by this instance's federation policy";

#[derive(Debug)]
pub enum Error {
    /// 400: the request is malformed.
    BadRequest(String),
    /// 401: no or invalid credentials.
    Unauthorized(String),
    /// 403: understood, but not allowed.
    Forbidden(String),
    /// 404: no such thing (or not visible to the caller).
    NotFound,
    /// 410: it existed and was deleted.
    Gone,
    /// 409: conflicts with existing state, such as a taken username.
    Conflict(String),
    /// 422: well-formed but invalid values, as Mastodon reports validation failures.
    Unprocessable(String),
    /// 502: another server could not be reached or gave something unreadable.
    Upstream(String),
    /// 429: over the rate limit.
    TooManyRequests,
    /// 500: a fault of ours; the message is logged, not shown.
    Internal(String),
}

impl Error {
    pub fn internal(message: impl Into<String>) -> Error {
        Error::Internal(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadRequest(m)
            | Error::Unauthorized(m)
            | Error::Forbidden(m)
            | Error::Conflict(m)
            | Error::Unprocessable(m)
            | Error::Upstream(m)
            | Error::Internal(m) => f.write_str(m),
            Error::NotFound => f.write_str("Record not found"),
            Error::Gone => f.write_str("Record deleted"),
            Error::TooManyRequests => f.write_str("Too many requests"),
        }
    }
}

impl std::error::Error for Error {}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Error {
        match e {
            diesel::result::Error::NotFound => Error::NotFound,
            e => Error::Internal(format!("database error: {e}")),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::Internal(format!("JSON error: {e}"))
    }
}

impl From<openssl::error::ErrorStack> for Error {
    fn from(e: openssl::error::ErrorStack) -> Error {
        Error::Internal(format!("OpenSSL error: {e}"))
    }
}

impl From<activitypub_federation::error::Error> for Error {
    fn from(e: activitypub_federation::error::Error) -> Error {
        use activitypub_federation::error::Error as Federation;
        match e {
            // The library reports malformed, expired or unverifiable signatures as `Other`.
            Federation::ActivitySignatureInvalid | Federation::Other(_) => {
                Error::Unauthorized(format!("HTTP signature does not verify: {e}"))
            }
            // Failures to fetch from another server are temporary as far as the sender can
            // tell: a 5xx makes it retry instead of dropping the activity.
            Federation::Reqwest(_)
            | Federation::ReqwestMiddleware(_)
            | Federation::FetchInvalidContentType(_)
            | Federation::ParseFetchedObject(..)
            | Federation::RequestLimit
            | Federation::ResponseBodyLimit
            | Federation::DomainResolveError(_) => Error::Upstream(format!("fetch failed: {e}")),
            Federation::UrlVerificationError(REFUSED_BY_POLICY) => {
                Error::Forbidden(REFUSED_BY_POLICY.into())
            }
            Federation::NotFound => Error::NotFound,
            Federation::ObjectDeleted(_) => Error::Gone,
            e => Error::BadRequest(format!("federation error: {e}")),
        }
    }
}

/// A value outside a domain type, given by a client or the operator.
impl From<crate::domain::UnknownValue> for Error {
    fn from(e: crate::domain::UnknownValue) -> Error {
        Error::Unprocessable(e.to_string())
    }
}

impl From<url::ParseError> for Error {
    fn from(e: url::ParseError) -> Error {
        Error::BadRequest(format!("invalid URL: {e}"))
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::Gone => StatusCode::GONE,
            Error::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Upstream(_) => StatusCode::BAD_GATEWAY,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            Error::Internal(m) => {
                tracing::error!("{m}");
                "Internal server error".to_string()
            }
            e => e.to_string(),
        };
        HttpResponse::build(self.status_code()).json(serde_json::json!({ "error": message }))
    }
}
