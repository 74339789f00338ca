//! A component's configuration, driven by its declaration: the schema (fields, credential kinds,
//! origins), the values an operator gives for it (flags and `BATON_*` variables, tenant files,
//! tasks), the credential among them, and the origins the guest may reach.

pub mod cli_args;
pub mod credential;
pub mod origins;
pub mod schema;
pub mod values;

pub use credential::{ChosenCredential, CredentialError};
pub use schema::{ConfigSchema, SchemaError};
pub use values::{ComponentConfig, Given, ValueError};
