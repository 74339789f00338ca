//! Loading secrets from flags and files, and the credential helpers the HTTP capability uses.

use std::io::Write as _;

use connector_host::credentials::Credential;
use connector_host::secrets::{Secret, SecretError};
use url::Url;

fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    f
}

#[test]
fn neither_value_nor_file_is_none() {
    assert!(
        Secret::from_value_or_file(None, None, "token")
            .unwrap()
            .is_none()
    );
}

#[test]
fn inline_value_is_kept_verbatim() {
    let s = Secret::from_value_or_file(Some("abc\n".into()), None, "token")
        .unwrap()
        .unwrap();
    assert_eq!(s.expose(), "abc\n");
}

#[test]
fn file_contents_lose_only_the_trailing_newline() {
    let f = file_with(b"  s3cr3t value \r\n");
    let s = Secret::from_value_or_file(None, Some(f.path().into()), "app-password")
        .unwrap()
        .unwrap();
    assert_eq!(s.expose(), "  s3cr3t value ");
}

#[test]
fn both_value_and_file_is_an_error_naming_both_flags() {
    let f = file_with(b"x");
    let err =
        Secret::from_value_or_file(Some("y".into()), Some(f.path().into()), "--token").unwrap_err();
    assert!(matches!(err, SecretError::Both { .. }));
    let message = err.to_string();
    assert!(
        message.contains("--token ") && message.contains("--token-file"),
        "{message}"
    );
}

#[test]
fn empty_file_and_empty_value_are_errors() {
    let f = file_with(b"\n");
    let err =
        Secret::from_value_or_file(None, Some(f.path().into()), "consumer-secret").unwrap_err();
    assert!(matches!(err, SecretError::EmptyFile { .. }));
    let message = err.to_string();
    assert!(
        message.contains("--consumer-secret-file")
            && message.contains(&f.path().display().to_string())
    );
    let err = Secret::from_value_or_file(Some(String::new()), None, "token").unwrap_err();
    assert!(matches!(err, SecretError::EmptyValue { .. }), "{err}");
}

#[test]
fn unreadable_file_errors_name_flag_and_path_but_never_the_contents() {
    let missing = std::env::temp_dir().join("connector-host-no-such-secret-file");
    let err = Secret::from_value_or_file(None, Some(missing.clone()), "token").unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("--token-file") && message.contains(&missing.display().to_string()),
        "{message}"
    );

    // Not UTF-8: unreadable as text, and the bytes must not be quoted.
    let f = file_with(b"hunter2-secret\xff\xfe");
    let err = Secret::from_value_or_file(None, Some(f.path().into()), "token").unwrap_err();
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}

#[test]
fn secret_and_credential_debug_are_redacted() {
    let s = Secret::new("hunter2");
    assert_eq!(format!("{s}"), "[redacted]");
    assert_eq!(format!("{s:?}"), "[redacted]");
    let c = Credential::Basic {
        username: "me@example.com".into(),
        password: s.clone(),
    };
    let shown = format!("{c:?} {c:#?}");
    assert!(
        shown.contains("me@example.com") && !shown.contains("hunter2"),
        "{shown}"
    );
    assert_eq!(c.kind(), "basic");
    assert_eq!(Credential::Bearer(s.clone()).kind(), "bearer");
    let o = Credential::OAuthClientCredentials {
        key: "k".into(),
        secret: s,
        token_url: Url::parse("https://bitbucket.org/site/oauth2/access_token").unwrap(),
    };
    assert_eq!(o.kind(), "oauth");
    assert!(!format!("{o:?}").contains("hunter2"));
}
