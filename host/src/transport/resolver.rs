//! Name resolution for the HTTP client, through the system resolver as before, but with a typed
//! error so that "this host name does not exist" can be told from other connection failures.

use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A host name (a destination or a proxy) did not resolve.
#[derive(Debug, thiserror::Error)]
#[error("cannot resolve {host}: {cause}")]
pub struct ResolveError {
    /// The name looked up.
    pub host: String,
    /// The resolver's answer (in the message, so not also a `source()`).
    pub cause: std::io::Error,
}

/// The system resolver (`getaddrinfo` on a blocking thread, as reqwest's default does).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map(|addrs| addrs.collect::<Vec<SocketAddr>>());
            match found {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as Addrs),
                Err(cause) => Err(Box::new(ResolveError { host, cause }) as _),
            }
        })
    }
}
