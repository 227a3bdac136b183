//! Hand-rolled `--name value` / `--flag` parsing: the interface is small and fixed, so a
//! parser crate would weigh more than it saves.

use std::collections::BTreeMap;

use crate::Failure;

/// Parsed options of one subcommand.
pub struct Opts {
    values: BTreeMap<&'static str, String>,
    flags: Vec<&'static str>,
}

impl Opts {
    /// Parses `args` against the options the subcommand knows; anything else is an error.
    pub fn parse(
        args: &[String],
        valued: &[&'static str],
        boolean: &[&'static str],
    ) -> Result<Self, Failure> {
        let mut values = BTreeMap::new();
        let mut flags = Vec::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let name = arg
                .strip_prefix("--")
                .ok_or_else(|| Failure::input(format!("unexpected argument `{arg}`")))?;
            // `--name=value` is accepted as well as `--name value`.
            let (name, inline) = match name.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (name, None),
            };
            if let Some(n) = valued.iter().find(|v| **v == name) {
                let value = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| Failure::input(format!("--{n}: missing value")))?,
                };
                if values.insert(*n, value).is_some() {
                    return Err(Failure::input(format!("--{n}: given more than once")));
                }
            } else if let Some(f) = boolean.iter().find(|b| **b == name) {
                if inline.is_some() {
                    return Err(Failure::input(format!("--{f}: takes no value")));
                }
                flags.push(*f);
            } else {
                return Err(Failure::input(format!("unknown option `--{name}`")));
            }
        }
        Ok(Self { values, flags })
    }

    pub fn required(&self, name: &'static str) -> Result<&str, Failure> {
        self.values
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| Failure::input(format!("--{name}: required")))
    }

    pub fn optional(&self, name: &'static str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn flag(&self, name: &'static str) -> bool {
        self.flags.contains(&name)
    }

    /// A required or optional unsigned integer option.
    pub fn u64_opt(&self, name: &'static str) -> Result<Option<u64>, Failure> {
        self.optional(name)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    Failure::input(format!("--{name}: `{v}` is not a non-negative integer"))
                })
            })
            .transpose()
    }

    pub fn u64_req(&self, name: &'static str) -> Result<u64, Failure> {
        self.required(name)?;
        self.u64_opt(name)?
            .ok_or_else(|| Failure::input(format!("--{name}: required")))
    }
}
