//! Which web pages may call a floe server from a browser: Cross-Origin Resource Sharing, decided
//! once here for every server ([`Cors`], one option per server) and answered by tower-http's
//! CORS layer around the whole service, so preflights (`OPTIONS` with
//! `Access-Control-Request-Method`) are answered before routing, and error answers (404, 413,
//! floe's JSON errors) carry the same headers, letting a page read why it was refused.
//!
//! floe's APIs take no cookies or credentials, so an allowed origin may send any method and
//! header (Seal's SDK sends `Client-Sdk-Version`, `Request-Id`, ...) and read every answer header
//! (`X-KeyServer-Version`, which Seal's SDK checks, is not a CORS-safelisted header).

use std::time::Duration;

use axum::http::{HeaderValue, Method, Uri};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

/// How long a browser may cache a preflight answer.
pub const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(3600);

/// The methods floe's servers answer (a preflight names one of them).
const METHODS: [Method; 6] = [Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS];

/// Which origins a server admits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Cors {
    /// No CORS headers: browsers keep pages of other origins from reading answers (the default
    /// for a production server until its operator lists origins).
    #[default]
    Off,
    /// Every origin (the localnet, and public read-only services).
    AnyOrigin,
    /// Only these origins, each `scheme://host[:port]`.
    Origins(Vec<HeaderValue>),
}

/// An origin that is not `scheme://host[:port]`.
#[derive(Debug, thiserror::Error)]
#[error(
    "{origin:?} is not a web origin (scheme://host[:port], no path), e.g. https://explorer.example or http://localhost:5173"
)]
pub struct InvalidOrigin {
    /// What was given.
    pub origin: String,
}

impl Cors {
    /// The policy of a server's `--cors-origin` flags: none given is [`Cors::Off`], `*` among them
    /// is [`Cors::AnyOrigin`], otherwise exactly the origins given (checked).
    pub fn from_origins<S: AsRef<str>>(origins: &[S]) -> Result<Self, InvalidOrigin> {
        if origins.is_empty() {
            return Ok(Self::Off);
        }
        if origins.iter().any(|o| o.as_ref().trim() == "*") {
            return Ok(Self::AnyOrigin);
        }
        origins.iter().map(|o| parse_origin(o.as_ref())).collect::<Result<_, _>>().map(Self::Origins)
    }

    /// The layer answering for this policy, or none when CORS is off.
    pub(crate) fn layer(&self) -> Option<CorsLayer> {
        let allow = match self {
            Self::Off => return None,
            Self::AnyOrigin => AllowOrigin::any(),
            Self::Origins(origins) => AllowOrigin::list(origins.iter().cloned()),
        };
        Some(
            CorsLayer::new()
                .allow_origin(allow)
                .allow_methods(METHODS)
                .allow_headers(Any)
                .expose_headers(Any)
                .max_age(PREFLIGHT_MAX_AGE),
        )
    }
}

fn parse_origin(text: &str) -> Result<HeaderValue, InvalidOrigin> {
    let invalid = || InvalidOrigin { origin: text.to_owned() };
    let trimmed = text.trim().trim_end_matches('/');
    let uri: Uri = trimmed.parse().map_err(|_| invalid())?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let bare = uri.authority().is_some() && uri.path_and_query().is_none_or(|p| matches!(p.as_str(), "" | "/"));
    if !scheme_ok || !bare {
        return Err(invalid());
    }
    HeaderValue::from_str(trimmed).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked_and_star_means_any() {
        assert_eq!(Cors::from_origins::<&str>(&[]).unwrap(), Cors::Off);
        assert_eq!(Cors::from_origins(&["http://a.example", "*"]).unwrap(), Cors::AnyOrigin);
        assert_eq!(
            Cors::from_origins(&["https://a.example/", "http://localhost:5173"]).unwrap(),
            Cors::Origins(vec![
                HeaderValue::from_static("https://a.example"),
                HeaderValue::from_static("http://localhost:5173")
            ])
        );
        for bad in ["a.example", "ftp://a.example", "https://a.example/path", "https://"] {
            let error = Cors::from_origins(&[bad]).unwrap_err();
            assert_eq!(error.origin, bad);
        }
    }
}
