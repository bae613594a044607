//! One error type for the whole server. Handlers answer with Mastodon's `{"error": "…"}`;
//! internal details go to the log, never to the client.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};

/// The reason given when federation policy refuses a domain; errors carrying it answer 403.
pub const REFUSED_BY_POLICY: &str = "domain refused by this instance's federation policy";

/// An object its own server says it does not have (a fetch answered 404).
#[derive(Debug, thiserror::Error)]
#[error("{0} is not found at its origin")]
pub struct NotFoundAtOrigin(pub String);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400: the request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no or invalid credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: understood, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such thing (or not visible to the caller).
    #[error("Record not found")]
    NotFound,
    /// 410: it existed and was deleted.
    #[error("Record deleted")]
    Gone,
    /// 409: conflicts with existing state, such as a taken username.
    #[error("{0}")]
    Conflict(String),
    /// 422: well-formed but invalid values, as Mastodon reports validation failures.
    #[error("{0}")]
    Unprocessable(String),
    /// 502: another server could not be reached or gave something unreadable.
    #[error("{0}")]
    Upstream(String),
    /// 413: a body larger than any accepted.
    #[error("{0}")]
    TooLarge(String),
    /// 429: over the rate limit.
    /// 503: not now (shutting down).
    #[error("{0}")]
    Unavailable(String),
    #[error("Too many requests")]
    TooManyRequests,
    /// 429 with `Retry-After`: too many failed sign-ins; seconds to wait.
    #[error("Too many failed sign-ins: try again in {0} seconds")]
    SlowDown(u64),
    /// 500: a fault of ours. The cause, with what caused it in turn, is logged, not shown.
    #[error("{0:#}")]
    Internal(anyhow::Error),
}

impl Error {
    /// A fault of ours described in words.
    pub fn internal(message: impl Into<String>) -> Error {
        Error::Internal(anyhow::Error::msg(message.into()))
    }

    /// A fault of ours caused by `cause`, which is kept (and logged) with its own causes.
    pub fn caused_by(
        what: &'static str,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error::Internal(anyhow::Error::new(cause).context(what))
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Error {
        match e {
            diesel::result::Error::NotFound => Error::NotFound,
            // Two requests making the same thing at once: the second is told, not failed.
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => Error::Conflict("it was made at the same moment by another request".into()),
            e => Error::caused_by("database error", e),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::caused_by("JSON error", e)
    }
}

impl From<openssl::error::ErrorStack> for Error {
    fn from(e: openssl::error::ErrorStack) -> Error {
        Error::caused_by("OpenSSL error", e)
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
            // An object its own server does not have will not appear by retrying.
            Federation::ReqwestMiddleware(reqwest_middleware::Error::Middleware(cause))
                if cause.is::<NotFoundAtOrigin>() =>
            {
                Error::Unprocessable(cause.to_string())
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
            Error::TooManyRequests | Error::SlowDown(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Upstream(_) => StatusCode::BAD_GATEWAY,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            Error::Internal(cause) => {
                tracing::error!("{cause:#}");
                "Internal server error".to_string()
            }
            e => e.to_string(),
        };
        let mut response = HttpResponse::build(self.status_code());
        if let Error::SlowDown(seconds) = self {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(serde_json::json!({ "error": message }))
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn internal_errors_keep_their_cause_and_show_clients_nothing_of_it() {
        let cause = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let error = Error::from(cause);
        let Error::Internal(inner) = &error else {
            panic!("a JSON failure of ours is internal: {error:?}");
        };
        assert_eq!(inner.chain().count(), 2, "context and cause: {inner:#}");
        assert!(error.to_string().starts_with("JSON error: EOF"), "{error}");
        let body = actix_web::ResponseError::error_response(&error);
        assert_eq!(body.status(), 500);
    }
}
