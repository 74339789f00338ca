//! The origins a component may reach, as URLs: those of the fields it names (with their values)
//! and its fixed ones.

use url::Url;

use super::schema::flag;
use super::values::ComponentConfig;
use crate::runtime::types;

/// An origin that is not a usable URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    /// A field's value is not an absolute http(s) URL.
    #[error(
        "{flag} {value:?} is not a valid URL ({reason}); use for example https://api.example.com"
    )]
    Field {
        /// The field's flag.
        flag: String,
        /// Its value.
        value: String,
        /// Why.
        reason: String,
    },
    /// A fixed origin the component declares is not a URL.
    #[error("the component declares the origin {value:?}, which is not a valid URL ({reason})")]
    Fixed {
        /// What it declares.
        value: String,
        /// Why.
        reason: String,
    },
}

fn http_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim().trim_end_matches('/')).map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err("it needs an http(s) scheme and a host".into());
    }
    Ok(url)
}

/// The URLs whose origins the guest may reach; a field without a value contributes none.
pub fn origin_urls(config: &ComponentConfig) -> Result<Vec<Url>, OriginError> {
    let mut out = Vec::new();
    for origin in &config.schema().origins {
        match origin {
            types::Origin::FromField(name) => {
                let Some(value) = config.text(name).filter(|v| !v.trim().is_empty()) else {
                    continue;
                };
                out.push(http_url(value).map_err(|reason| OriginError::Field {
                    flag: flag(name),
                    value: value.to_string(),
                    reason,
                })?);
            }
            types::Origin::Fixed(value) => {
                out.push(http_url(value).map_err(|reason| OriginError::Fixed {
                    value: value.clone(),
                    reason,
                })?);
            }
        }
    }
    Ok(out)
}
