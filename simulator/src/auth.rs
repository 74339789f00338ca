//! Authentication: Basic (e-mail + API token), Bearer (workspace access token or OAuth token).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;

use crate::render::ApiError;
use crate::{AppState, lock};

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A user credential: an API token (Basic), or an OAuth token (`oauth`) acting as its owner.
    User {
        /// The user's uuid.
        uuid: String,
        /// Whether the request came with an OAuth bearer token (no permission changes allowed).
        oauth: bool,
    },
    /// The workspace access token: one workspace, no permission endpoints.
    AccessToken,
}

/// Decodes `Authorization: Basic` into `(user, password)`.
pub fn basic(header: &str) -> Option<(String, String)> {
    let b64 = header
        .strip_prefix("Basic ")
        .or_else(|| header.strip_prefix("basic "))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

impl Caller {
    /// Resolves the caller from an `Authorization` header value.
    pub(crate) fn from_header(state: &AppState, header: Option<&str>) -> Result<Caller, ApiError> {
        let Some(h) = header else {
            return Err(ApiError::unauthorized());
        };
        if let Some((user, pass)) = basic(h) {
            let c = &state.creds;
            if user.eq_ignore_ascii_case(&c.admin_email) && pass == c.api_token {
                return Ok(Caller::User {
                    uuid: c.admin_uuid.clone(),
                    oauth: false,
                });
            }
            if user.eq_ignore_ascii_case(&c.user_email) && pass == c.user_api_token {
                return Ok(Caller::User {
                    uuid: c.user_uuid.clone(),
                    oauth: false,
                });
            }
            return Err(ApiError::unauthorized());
        }
        if let Some(tok) = h
            .strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
        {
            let tok = tok.trim();
            if tok == state.creds.access_token {
                return Ok(Caller::AccessToken);
            }
            let oauth = lock(&state.oauth);
            if let Some(exp) = oauth.access.get(tok)
                && *exp > Instant::now()
            {
                return Ok(Caller::User {
                    uuid: state.creds.admin_uuid.clone(),
                    oauth: true,
                });
            }
            return Err(ApiError::unauthorized());
        }
        Err(ApiError::unauthorized())
    }

    /// The user uuid, if a user credential.
    pub fn user(&self) -> Option<&str> {
        match self {
            Caller::User { uuid, .. } => Some(uuid),
            Caller::AccessToken => None,
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let h = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        Caller::from_header(state, h)
    }
}
