/// What a probe request asks for: `?verbose` and repeatable `?exclude=name`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ProbeQuery {
    pub(crate) verbose: bool,
    pub(crate) exclude: Vec<String>,
}

impl ProbeQuery {
    /// Parses a query string; an empty `exclude` or a `verbose` value other than empty, `true`,
    /// `1`, `false` or `0` is an error naming the parameter.
    pub(crate) fn parse(query: &str) -> Result<Self, String> {
        let mut q = Self::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match &*key {
                "verbose" => {
                    q.verbose = match &*value {
                        "" | "true" | "1" => true,
                        "false" | "0" => false,
                        other => {
                            return Err(format!(
                                "invalid verbose={other:?}: use verbose, verbose=true or verbose=false"
                            ));
                        }
                    }
                }
                "exclude" if value.is_empty() => {
                    return Err("exclude needs a check name: exclude=<name>".to_owned());
                }
                "exclude" => q.exclude.push(value.into_owned()),
                _ => {}
            }
        }
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_verbose_and_repeated_excludes() {
        let table = [
            ("", Ok(ProbeQuery::default())),
            (
                "verbose",
                Ok(ProbeQuery {
                    verbose: true,
                    exclude: vec![],
                }),
            ),
            (
                "verbose=false&exclude=db&exclude=redis",
                Ok(ProbeQuery {
                    verbose: false,
                    exclude: vec!["db".into(), "redis".into()],
                }),
            ),
            ("exclude=", Err(())),
            ("verbose=maybe", Err(())),
            ("other=1", Ok(ProbeQuery::default())),
        ];
        for (input, want) in table {
            assert_eq!(ProbeQuery::parse(input).map_err(|_| ()), want, "{input}");
        }
    }
}
