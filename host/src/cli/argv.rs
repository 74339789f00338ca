//! Flags written before a subcommand (`connector-host -p -f sync.c1z grant ...`) belong to it when
//! it has them: the subcommand is moved in front of those, so each subcommand can own exactly the
//! flags it uses and the command lines of earlier releases, where every flag was global, keep
//! working. Flags it does not have stay with the top-level command, which ignores them there, as
//! before.

use std::ffi::OsString;

/// `argv` with the first subcommand moved before the preceding flags it has. Values of flags that
/// take one are skipped, so a value equal to a subcommand's name is not taken for it.
pub fn hoist_subcommand(root: &clap::Command, argv: Vec<OsString>) -> Vec<OsString> {
    // Each leading flag with its value (if separate), and whether the subcommand has it.
    let mut leading: Vec<(std::ops::Range<usize>, Flag)> = Vec::new();
    let takes_value = |arg: &clap::Arg| arg.get_action().takes_values();
    let long = |name: &str| {
        root.get_arguments()
            .find(|a| a.get_long() == Some(name))
            .map(takes_value)
    };
    let short = |c: char| {
        root.get_arguments()
            .find(|a| a.get_short() == Some(c))
            .map(takes_value)
    };
    let mut i = 1;
    while i < argv.len() {
        let Some(token) = argv[i].to_str() else {
            return argv;
        };
        if token == "--" {
            return argv;
        }
        let start = i;
        if let Some(name) = token.strip_prefix("--") {
            // `--name=value` carries its value; `--name value` takes the next token.
            let name = name.split('=').next().unwrap_or(name);
            if !token.contains('=') && long(name) == Some(true) {
                i += 1;
            }
            leading.push((start..i + 1, Flag::Long(name.to_string())));
        } else if let Some(cluster) = token.strip_prefix('-').filter(|c| !c.is_empty()) {
            // `-pf x`: the first letter that takes a value ends the cluster, with the rest (or the
            // next token) its value.
            for (at, c) in cluster.char_indices() {
                if short(c) == Some(true) {
                    if at + c.len_utf8() == cluster.len() {
                        i += 1;
                    }
                    break;
                }
            }
            leading.push((start..i + 1, Flag::Shorts(cluster.chars().collect())));
        } else if let Some(sub) = root.find_subcommand(token) {
            let has = |flag: &Flag| match flag {
                Flag::Long(name) => sub.get_arguments().any(|a| a.get_long() == Some(name)),
                Flag::Shorts(cs) => cs
                    .iter()
                    .all(|c| sub.get_arguments().any(|a| a.get_short() == Some(*c))),
            };
            let mut stay = vec![argv[0].clone()];
            let mut moved = vec![argv[i].clone()];
            for (range, flag) in &leading {
                let into = if has(flag) { &mut moved } else { &mut stay };
                into.extend(argv[range.clone()].iter().cloned());
            }
            stay.extend(moved);
            stay.extend(argv[i + 1..].iter().cloned());
            return stay;
        } else {
            // A positional value of the default command: no subcommand follows.
            return argv;
        }
        i += 1;
    }
    argv
}

/// A leading flag, by name.
enum Flag {
    /// `--name` or `--name=value`.
    Long(String),
    /// `-x` or a cluster `-xy` (with a value at its end or next).
    Shorts(Vec<char>),
}

#[cfg(test)]
mod tests {
    use clap::{Arg, ArgAction, Command};

    use super::*;

    fn root() -> Command {
        Command::new("c")
            .arg(Arg::new("file").short('f').long("file"))
            .arg(Arg::new("p").short('p').action(ArgAction::SetTrue))
            .arg(Arg::new("workspaces").long("workspaces"))
            .arg(Arg::new("base-url").long("base-url"))
            .subcommand(
                Command::new("grant")
                    .arg(Arg::new("file").short('f').long("file"))
                    .arg(Arg::new("p").short('p').action(ArgAction::SetTrue))
                    .arg(Arg::new("workspaces").long("workspaces")),
            )
            .subcommand(Command::new("demo"))
    }

    fn hoisted(args: &[&str]) -> Vec<String> {
        let argv = std::iter::once("c")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        hoist_subcommand(&root(), argv)
            .into_iter()
            .map(|s| s.into_string().unwrap())
            .collect()
    }

    #[test]
    fn the_subcommand_moves_in_front_of_its_flags() {
        assert_eq!(
            hoisted(&["-p", "-f", "x.c1z", "grant", "--entitlement", "e"]),
            ["c", "grant", "-p", "-f", "x.c1z", "--entitlement", "e"]
        );
        assert_eq!(hoisted(&["-pf", "x", "grant"]), ["c", "grant", "-pf", "x"]);
        assert_eq!(hoisted(&["--file=x", "grant"]), ["c", "grant", "--file=x"]);
        assert_eq!(hoisted(&["grant", "-p"]), ["c", "grant", "-p"]);
    }

    #[test]
    fn flags_the_subcommand_lacks_stay_with_the_top_level_command() {
        assert_eq!(
            hoisted(&["--base-url", "u", "-p", "grant", "-x"]),
            ["c", "--base-url", "u", "grant", "-p", "-x"]
        );
        assert_eq!(hoisted(&["-p", "demo"]), ["c", "-p", "demo"]);
    }

    #[test]
    fn a_flag_value_named_like_a_subcommand_is_a_value() {
        assert_eq!(
            hoisted(&["--workspaces", "demo", "-p"]),
            ["c", "--workspaces", "demo", "-p"]
        );
        assert_eq!(hoisted(&["-f", "grant"]), ["c", "-f", "grant"]);
        assert_eq!(hoisted(&["--", "grant"]), ["c", "--", "grant"]);
    }
}
