//! A component's fields as command-line flags: `--<name>` with `BATON_<NAME>`, and for a secret
//! `--<name>-file` with `BATON_<NAME>_FILE`, grouped in the help by what they are for.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches};

use super::schema::{ConfigSchema, env_var, file_field};
use super::values::Given;
use crate::runtime::types;

/// Help heading of connection and credential fields.
pub const CONNECTION_HEADING: &str = "Connection and credentials";
/// Help heading of fields that choose what to sync.
pub const SYNC_HEADING: &str = "What to sync";

/// Clap ids of component fields are prefixed so they never meet the host's own ids.
const ID_PREFIX: &str = "component:";

fn id(name: &str) -> String {
    format!("{ID_PREFIX}{name}")
}

fn heading(group: types::FieldGroup) -> &'static str {
    match group {
        types::FieldGroup::Connection => CONNECTION_HEADING,
        types::FieldGroup::Sync => SYNC_HEADING,
    }
}

/// The flags of every field of `schema`.
pub fn args(schema: &ConfigSchema) -> Vec<Arg> {
    let mut out = Vec::new();
    for (i, f) in schema.fields.iter().enumerate() {
        // After the host's own connection flags (`--plugin`), before its limits (100 and on).
        let order = match f.group {
            types::FieldGroup::Connection => 10 + i,
            types::FieldGroup::Sync => 50 + i,
        };
        let mut arg = Arg::new(id(&f.name))
            .display_order(order)
            .long(f.name.clone())
            .env(env_var(&f.name))
            .help(f.description.clone())
            .help_heading(heading(f.group))
            .required(false);
        arg = match f.field_type {
            types::FieldType::Boolean => arg
                .action(ArgAction::SetTrue)
                .value_parser(clap::builder::FalseyValueParser::new()),
            types::FieldType::TextList => arg
                .action(ArgAction::Append)
                .value_delimiter(',')
                .value_name("LIST"),
            types::FieldType::Integer => arg
                .action(ArgAction::Set)
                .value_parser(clap::value_parser!(i64))
                .value_name("N"),
            types::FieldType::Text => arg.action(ArgAction::Set).value_name("VALUE"),
        };
        if let Some(d) = &f.default_value
            && f.field_type != types::FieldType::Boolean
        {
            arg = arg.default_value(d.clone());
        }
        if f.secret {
            arg = arg.hide_env_values(true);
            let file = file_field(&f.name);
            out.push(arg);
            out.push(
                Arg::new(id(&file))
                    .long(file.clone())
                    .env(env_var(&file))
                    .help(format!(
                        "File holding --{} (for mounted secrets, such as Kubernetes').",
                        f.name
                    ))
                    .help_heading(heading(f.group))
                    .display_order(order)
                    .value_name("PATH")
                    .value_parser(clap::value_parser!(PathBuf))
                    .conflicts_with(id(&f.name)),
            );
        } else {
            out.push(arg);
        }
    }
    out
}

fn given_by_operator(matches: &ArgMatches, id: &str) -> bool {
    matches!(
        matches.value_source(id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

/// The values the operator gave (defaults are left to `ComponentConfig`).
pub fn given(schema: &ConfigSchema, matches: &ArgMatches) -> BTreeMap<String, Given> {
    let mut out = BTreeMap::new();
    for f in &schema.fields {
        let key = id(&f.name);
        if given_by_operator(matches, &key) {
            let value = match f.field_type {
                types::FieldType::Boolean => matches.get_flag(&key).to_string(),
                types::FieldType::TextList => matches
                    .get_many::<String>(&key)
                    .map(|v| v.cloned().collect::<Vec<_>>().join(","))
                    .unwrap_or_default(),
                types::FieldType::Integer => matches
                    .get_one::<i64>(&key)
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                types::FieldType::Text => {
                    matches.get_one::<String>(&key).cloned().unwrap_or_default()
                }
            };
            out.insert(f.name.clone(), Given::Text(value));
        }
        if f.secret {
            let file = id(&file_field(&f.name));
            if given_by_operator(matches, &file)
                && let Some(path) = matches.get_one::<PathBuf>(&file)
            {
                out.insert(f.name.clone(), Given::SecretFile(path.clone()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::schema::tests::{bearer, metadata, text};
    use super::*;

    fn schema() -> ConfigSchema {
        let fields = vec![
            text("api-url", false, Some("https://api.example.com")),
            text("api-key", true, None),
            types::ConfigField {
                field_type: types::FieldType::TextList,
                group: types::FieldGroup::Sync,
                ..text("projects", false, None)
            },
            types::ConfigField {
                field_type: types::FieldType::Boolean,
                ..text("verbose", false, Some("false"))
            },
        ];
        ConfigSchema::new("p", &metadata(fields, vec![bearer("api-key")]), &[]).unwrap()
    }

    fn parse(argv: &[&str]) -> Result<BTreeMap<String, Given>, clap::Error> {
        let s = schema();
        let cmd = clap::Command::new("t").args(args(&s));
        let m = cmd.try_get_matches_from(std::iter::once("t").chain(argv.iter().copied()))?;
        Ok(given(&s, &m))
    }

    #[test]
    fn flags_give_values_and_defaults_stay_unsaid() {
        let g = parse(&[
            "--api-key",
            "k",
            "--projects",
            "a,b",
            "--projects",
            "c",
            "--verbose",
        ])
        .unwrap();
        let text = |k: &str| match &g[k] {
            Given::Text(t) => t.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(text("api-key"), "k");
        assert_eq!(text("projects"), "a,b,c");
        assert_eq!(text("verbose"), "true");
        assert!(!g.contains_key("api-url"), "a default is not given");
        let g = parse(&["--api-key-file", "/run/key"]).unwrap();
        assert!(
            matches!(&g["api-key"], Given::SecretFile(p) if p == std::path::Path::new("/run/key"))
        );
        assert!(parse(&["--api-key", "k", "--api-key-file", "/x"]).is_err());
    }

    #[test]
    fn help_groups_fields_and_names_their_variables() {
        let s = schema();
        let help = clap::Command::new("t")
            .args(args(&s))
            .render_help()
            .to_string();
        assert!(
            help.contains(CONNECTION_HEADING) && help.contains(SYNC_HEADING),
            "{help}"
        );
        for env in [
            "BATON_API_URL",
            "BATON_API_KEY",
            "BATON_API_KEY_FILE",
            "BATON_PROJECTS",
        ] {
            assert!(help.contains(env), "{env} in {help}");
        }
    }
}
