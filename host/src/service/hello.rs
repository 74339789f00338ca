//! The Hello request: the host id, how the connector was built, where it runs and the
//! component's `ConnectorMetadata`. Every text field is 1–256 characters, as ConductorOne checks.

use c1z::pb as c1;

use super::pb;

/// The host id: `BATON_HOST_ID` when set, else the machine's host name (a pod's name).
pub fn host_id(given: Option<&str>) -> String {
    let id = given
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| gethostname::gethostname().to_string_lossy().into_owned());
    bounded(&id)
}

/// A Hello for `host_id` with `metadata`, answering `task_id` (empty at start).
pub fn request(
    host_id: &str,
    task_id: &str,
    metadata: &c1::ConnectorMetadata,
) -> pb::BatonServiceHelloRequest {
    pb::BatonServiceHelloRequest {
        host_id: host_id.to_string(),
        task_id: task_id.to_string(),
        build_info: Some(pb::baton_service_hello_request::BuildInfo {
            lang_version: format!("rust {}", env!("CARGO_PKG_RUST_VERSION")),
            package: env!("CARGO_PKG_NAME").to_string(),
            package_version: env!("CARGO_PKG_VERSION").to_string(),
        }),
        os_info: Some(os_info()),
        connector_metadata: Some(metadata.clone()),
        annotations: vec![],
    }
}

/// Where the process runs, from `/etc/os-release` and `/proc` when they are there.
fn os_info() -> pb::baton_service_hello_request::OsInfo {
    let release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let field = |key: &str| {
        release.lines().find_map(|line| {
            line.strip_prefix(key)
                .and_then(|rest| rest.strip_prefix('='))
                .map(|v| v.trim().trim_matches('"').to_string())
                .filter(|v| !v.is_empty())
        })
    };
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let platform = field("ID");
    let virtualization = if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        "kubernetes"
    } else if std::path::Path::new("/.dockerenv").exists() {
        "docker"
    } else {
        "none"
    };
    pb::baton_service_hello_request::OsInfo {
        hostname: bounded(&gethostname::gethostname().to_string_lossy()),
        os: std::env::consts::OS.to_string(),
        platform: bounded(platform.as_deref().unwrap_or("unknown")),
        platform_version: bounded(field("VERSION_ID").as_deref().unwrap_or("unknown")),
        platform_family: bounded(
            field("ID_LIKE")
                .or(platform.clone())
                .as_deref()
                .unwrap_or("unknown"),
        ),
        kernel_version: bounded(if kernel.is_empty() {
            "unknown"
        } else {
            &kernel
        }),
        kernel_arch: std::env::consts::ARCH.to_string(),
        virtualization_system: virtualization.to_string(),
    }
}

/// `s` cut to 256 characters; `unknown` when empty.
fn bounded(s: &str) -> String {
    let s: String = s.chars().take(256).collect();
    if s.is_empty() { "unknown".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hello_text_is_one_to_256_characters() {
        assert_eq!(host_id(Some("  pod-1 ")), "pod-1");
        assert!(!host_id(None).is_empty());
        assert_eq!(host_id(Some(&"x".repeat(300))).len(), 256);
        let hello = request("h", "", &c1::ConnectorMetadata::default());
        let b = hello.build_info.unwrap();
        let o = hello.os_info.unwrap();
        for text in [
            &b.lang_version,
            &b.package,
            &b.package_version,
            &o.hostname,
            &o.os,
            &o.platform,
            &o.platform_version,
            &o.platform_family,
            &o.kernel_version,
            &o.kernel_arch,
            &o.virtualization_system,
        ] {
            assert!((1..=256).contains(&text.chars().count()), "{text:?}");
        }
    }
}
