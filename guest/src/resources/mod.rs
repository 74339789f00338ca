//! One module per resource type, plus what they share: page tokens and the permission-level
//! logic of projects and repositories.

pub mod permissions;
pub mod project;
pub mod repository;
pub mod user;
pub mod user_group;
pub mod workspace;

use crate::client::{Client, Transport};
use crate::errors::ConnectorError;

/// A page token: `<phase>|<url>`, where `url` is Bitbucket's absolute `next` link (or empty
/// for the phase's first page). Self-contained, so a fresh instance can resume from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub phase: String,
    pub url: String,
}

impl Token {
    pub fn make(phase: &str, url: Option<String>) -> String {
        format!("{phase}|{}", url.unwrap_or_default())
    }

    /// Parses a token this connector issued; `None` for the empty (first) token.
    pub fn parse<T: Transport>(
        token: &str,
        phases: &[&str],
        client: &Client<T>,
    ) -> Result<Option<Token>, ConnectorError> {
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
        // A resumed sync may run against the same API under another spelling: the page goes to
        // the configured host whatever the token says.
        let url = if url.is_empty() {
            String::new()
        } else {
            client.resolve_next(url, "page token").map_err(|_| bad())?
        };
        Ok(Some(Token {
            phase: phase.to_string(),
            url,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{HttpError, HttpRequest, HttpResponse, LogLevel};
    use crate::errors::AuthKind;

    struct Nothing;
    impl Transport for Nothing {
        fn send(&self, _: &HttpRequest) -> Result<HttpResponse, HttpError> {
            Err(HttpError::Connection("x".into()))
        }
        fn log(&self, _: LogLevel, _: &str) {}
    }

    #[test]
    fn tokens_round_trip_and_are_checked() {
        let c = Client::new(Nothing, "https://api.bitbucket.org", AuthKind::Basic).unwrap();
        let t = Token::make(
            "users",
            Some("https://api.bitbucket.org/2.0/x?page=2".into()),
        );
        let p = Token::parse(&t, &["users", "groups"], &c).unwrap().unwrap();
        assert_eq!(p.phase, "users");
        assert_eq!(p.url, "https://api.bitbucket.org/2.0/x?page=2");
        let g = Token::parse(&Token::make("groups", None), &["users", "groups"], &c)
            .unwrap()
            .unwrap();
        assert_eq!(g.url, "");
        assert!(Token::parse("", &["users"], &c).unwrap().is_none());
        assert!(Token::parse("nope|", &["users"], &c).is_err());
        assert!(Token::parse("garbage", &["users"], &c).is_err());
        // A token naming another host still pages the configured one.
        let moved = Token::parse("users|https://evil.example/2.0/x", &["users"], &c)
            .unwrap()
            .unwrap();
        assert_eq!(moved.url, "https://api.bitbucket.org/2.0/x");
        assert!(Token::parse("users|https://evil.example/steal", &["users"], &c).is_err());
    }
}
