//! Page tokens `<phase>|<url>`: the phase of a multi-listing walk and the absolute URL of its
//! next page (empty for the phase's first page). Self-contained, so a fresh instance (a resumed
//! sync) can continue from one without any state.

use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::error::ConnectorError;
use crate::model::Page;

/// A parsed page token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageToken {
    /// Which listing of the walk the page belongs to, for example `users`.
    pub phase: String,
    /// The page's URL on the configured base URL; empty for the phase's first page.
    pub url: String,
}

impl PageToken {
    /// The token of `phase`'s page at `url` (its first page when `None`).
    pub fn make(phase: &str, url: Option<String>) -> String {
        format!("{phase}|{}", url.unwrap_or_default())
    }

    /// Parses a token this connector issued for a listing with these `phases`; `None` for the
    /// empty (first) token. The URL is put back on the configured base URL, whatever the token
    /// says, so a token can never send a request elsewhere.
    pub fn parse(
        token: &str,
        phases: &[&str],
        client: &Client,
    ) -> Result<Option<PageToken>, ConnectorError> {
        if token.is_empty() {
            return Ok(None);
        }
        let bad = || {
            ConnectorError::InvalidArgument(format!(
                "page token '{token}' was not issued by this connector for this listing"
            ))
        };
        let (phase, url) = token.split_once('|').ok_or_else(bad)?;
        if !phases.contains(&phase) {
            return Err(bad());
        }
        let url = if url.is_empty() {
            String::new()
        } else {
            client.resolve_next(url, "page token").map_err(|_| bad())?
        };
        Ok(Some(PageToken {
            phase: phase.to_string(),
            url,
        }))
    }
}

/// One page of a paged listing walked in a single phase: the page `token` names (the first page,
/// `first_url()`, for the empty token or the phase's first-page token), with the token of the
/// next page (`<phase>|<next url>`, empty after the last page).
pub fn listing_page<D: DeserializeOwned>(
    client: &Client,
    phase: &str,
    token: &str,
    first_url: impl FnOnce() -> String,
    endpoint: &str,
) -> Result<Page<D>, ConnectorError> {
    let url = match PageToken::parse(token, &[phase], client)? {
        Some(t) if !t.url.is_empty() => t.url,
        _ => first_url(),
    };
    let (items, next) = client.get_page::<D>(&url, endpoint)?;
    Ok(Page {
        items,
        next_token: next
            .map(|n| PageToken::make(phase, Some(n)))
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;
    use crate::service::Service;
    use crate::transport::{HttpError, HttpRequest, HttpResponse, LogLevel, Transport};

    /// Answers `?page=2` with the last page and anything else with a first page linking to it.
    struct TwoPages;
    impl Transport for TwoPages {
        fn send(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
            let body = if req.url.ends_with("?page=2") {
                r#"{"values":[3]}"#.to_string()
            } else {
                r#"{"values":[1,2],"next":"https://elsewhere.example/2.0/n?page=2"}"#.to_string()
            };
            Ok(HttpResponse {
                status: 200,
                headers: vec![],
                body: body.into_bytes(),
            })
        }
        fn log(&self, _: LogLevel, _: &str) {}
    }

    #[test]
    fn a_listing_is_paged_through_its_tokens() {
        let c = Client::new(Rc::new(TwoPages), "https://api.example.com", Api).unwrap();
        let first = || "https://api.example.com/2.0/n".to_string();
        let p1 = listing_page::<u32>(&c, "n", "", first, "GET /2.0/n").unwrap();
        assert_eq!(p1.items, vec![1, 2]);
        assert_eq!(p1.next_token, "n|https://api.example.com/2.0/n?page=2");
        let p2 = listing_page::<u32>(&c, "n", &p1.next_token, first, "GET /2.0/n").unwrap();
        assert_eq!((p2.items, p2.next_token), (vec![3], String::new()));
        // The phase's first-page token is the first page.
        assert_eq!(
            listing_page::<u32>(&c, "n", "n|", first, "GET /2.0/n").unwrap(),
            p1
        );
        assert!(listing_page::<u32>(&c, "n", "m|", first, "GET /2.0/n").is_err());
    }

    struct Nothing;
    impl Transport for Nothing {
        fn send(&self, _: &HttpRequest) -> Result<HttpResponse, HttpError> {
            Err(HttpError::Connection("x".into()))
        }
        fn log(&self, _: LogLevel, _: &str) {}
    }

    struct Api;
    impl Service for Api {
        fn name(&self) -> &str {
            "Example"
        }
        fn url_field(&self) -> &str {
            "base-url"
        }
        fn url_example(&self) -> &str {
            "https://api.example.com"
        }
        fn is_page_path(&self, path: &str) -> bool {
            path.starts_with("/2.0/")
        }
    }

    #[test]
    fn tokens_round_trip_and_are_checked() {
        let c = Client::new(Rc::new(Nothing), "https://api.example.com", Api).unwrap();
        let t = PageToken::make("users", Some("https://api.example.com/2.0/x?page=2".into()));
        assert_eq!(t, "users|https://api.example.com/2.0/x?page=2");
        let p = PageToken::parse(&t, &["users", "groups"], &c)
            .unwrap()
            .unwrap();
        assert_eq!(p.phase, "users");
        assert_eq!(p.url, "https://api.example.com/2.0/x?page=2");
        let g = PageToken::parse(&PageToken::make("groups", None), &["users", "groups"], &c)
            .unwrap()
            .unwrap();
        assert_eq!(g.url, "");
        assert!(PageToken::parse("", &["users"], &c).unwrap().is_none());
        assert!(PageToken::parse("nope|", &["users"], &c).is_err());
        assert!(PageToken::parse("garbage", &["users"], &c).is_err());
        // A token naming another host still pages the configured one.
        let moved = PageToken::parse("users|https://evil.example/2.0/x", &["users"], &c)
            .unwrap()
            .unwrap();
        assert_eq!(moved.url, "https://api.example.com/2.0/x");
        assert_eq!(
            PageToken::parse("users|https://evil.example/steal", &["users"], &c),
            Err(ConnectorError::InvalidArgument(
                "page token 'users|https://evil.example/steal' was not issued by this connector for this listing".into()
            ))
        );
    }
}
