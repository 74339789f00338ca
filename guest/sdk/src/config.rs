//! The non-secret configuration an instance reads (WIT `config.get`): values of the declared
//! fields as strings (their defaults when not given), and `auth-kind`, the name of the
//! credential kind in use. Secret fields never reach the guest.

use crate::error::ConnectorError;

/// The configuration key naming the credential kind in use (a `CredentialKind` name).
pub const AUTH_KIND: &str = "auth-kind";

/// Looks a value up by field name.
type Lookup = dyn Fn(&str) -> Option<String>;

/// Reads configuration values by field name.
pub struct Config {
    get: Box<Lookup>,
}

impl Config {
    /// A configuration read through `get`.
    pub fn new(get: impl Fn(&str) -> Option<String> + 'static) -> Config {
        Config { get: Box::new(get) }
    }

    /// A configuration holding exactly these pairs (for tests).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Config {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::new(move |key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    }

    /// The raw value of a field, if given.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.get)(name)
    }

    /// A text field's value, trimmed; `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// A boolean field: `true`/`1`/`yes` or `false`/`0`/`no` (any case); absent or blank is
    /// `false`. Anything else is an invalid-argument error naming the field.
    pub fn flag(&self, name: &str) -> Result<bool, ConnectorError> {
        match self
            .get(name)
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "" | "false" | "0" | "no" => Ok(false),
            "true" | "1" | "yes" => Ok(true),
            other => Err(ConnectorError::InvalidArgument(format!(
                "{name} '{other}' must be true or false"
            ))),
        }
    }

    /// A text-list field: its comma-separated entries, trimmed, blanks dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// The name of the credential kind in use (`auth-kind`), if the host gave one.
    pub fn auth_kind(&self) -> Option<String> {
        self.get(AUTH_KIND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConnectorError;

    #[test]
    fn values_are_read_by_type() {
        let c = Config::from_pairs(&[
            ("url", "  https://x  "),
            ("blank", " "),
            ("on", " YES "),
            ("off", "0"),
            ("bad", "Maybe"),
            ("tags", " a, b ,,c "),
            ("auth-kind", "bearer"),
        ]);
        assert_eq!(c.text("url").as_deref(), Some("https://x"));
        assert_eq!(c.text("blank"), None);
        assert_eq!(c.text("missing"), None);
        assert_eq!(c.flag("on"), Ok(true));
        assert_eq!(c.flag("off"), Ok(false));
        assert_eq!(c.flag("missing"), Ok(false));
        assert_eq!(
            c.flag("bad"),
            Err(ConnectorError::InvalidArgument(
                "bad 'maybe' must be true or false".into()
            ))
        );
        assert_eq!(c.list("tags"), vec!["a", "b", "c"]);
        assert!(c.list("missing").is_empty());
        assert_eq!(c.auth_kind().as_deref(), Some("bearer"));
    }
}
