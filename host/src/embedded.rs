//! The Bitbucket component, built from `guest/` by the build script and embedded in the binary.

/// The component's bytes.
pub const BITBUCKET_COMPONENT: &[u8] = include_bytes!(env!("BITBUCKET_COMPONENT_PATH"));

/// The name used for it in logs and errors.
pub const BITBUCKET_PLUGIN_NAME: &str = "bitbucket";
