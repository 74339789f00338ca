//! The default component, built by the build script from `guest/bitbucket` and embedded in the
//! binary so it is self-contained; `--plugin PATH` runs any other.

/// The default component's bytes: the Bitbucket connector.
pub const DEFAULT_COMPONENT: &[u8] = include_bytes!(env!("BITBUCKET_COMPONENT_PATH"));

/// The name used for it in logs and errors.
pub const DEFAULT_PLUGIN_NAME: &str = "bitbucket";
