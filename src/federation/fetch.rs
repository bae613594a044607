//! The client the federation library fetches remote objects with. An origin's `404` stops
//! here with an error that says so: the library would read the error page as the object and
//! report a fault to retry, when the object is simply not there.

use crate::error::NotFoundAtOrigin;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};

struct NotFoundCheck;

#[async_trait::async_trait]
impl Middleware for NotFoundCheck {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let response = next.run(req, extensions).await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            let url = response.url().to_string();
            return Err(reqwest_middleware::Error::Middleware(
                NotFoundAtOrigin(url).into(),
            ));
        }
        Ok(response)
    }
}

/// The fetching client over Guild's HTTP client (which refuses private addresses).
pub fn client(http: reqwest::Client) -> ClientWithMiddleware {
    ClientBuilder::new(http).with(NotFoundCheck).build()
}
