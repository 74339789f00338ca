//! Generates the Baton messages of the file format (`c1z::pb`) from our own `.proto` files in
//! `proto/`, with protox and prost-build (no system protoc).

/// The packages of the format, by file (imports are found under the same root).
const PROTOS: &[&str] = &[
    "c1/connector/v2/annotation_grant.proto",
    "c1/connector/v2/annotation_resource.proto",
    "c1/connector/v2/annotation_trait.proto",
    "c1/connector/v2/asset.proto",
    "c1/connector/v2/connector.proto",
    "c1/connector/v2/entitlement.proto",
    "c1/connector/v2/grant.proto",
    "c1/connector/v2/resource.proto",
];

fn main() {
    if let Err(e) =
        proto_build::Protos::new(proto_build::PROTO_ROOT, PROTOS).generate(proto_build::config())
    {
        panic!("{e}");
    }
}
