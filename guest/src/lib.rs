//! Placeholder while the WIT is validated.
wit_bindgen::generate!({ world: "connector", path: "../wit" });
