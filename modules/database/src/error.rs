/// Errors of the database module.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL's scheme is not one this build supports.
    #[error("unsupported database URL scheme in {url:?}: use sqlite:, postgres: or postgresql:")]
    UnsupportedUrl {
        /// The URL, with any password masked.
        url: String,
    },
    /// The aggregates file cannot be read or has a bad entry.
    #[error("invalid aggregates file {path:?}: {reason}")]
    AggregatesFile {
        /// The file.
        path: String,
        /// What is wrong, naming the entry.
        reason: String,
    },
    /// Connecting failed.
    #[error("cannot connect to database {url:?}: {source}")]
    Connect {
        /// The URL, with any password masked.
        url: String,
        /// sea-orm's error.
        source: sea_orm::DbErr,
    },
}

/// Hides the password of a URL like `postgres://user:secret@host/db`.
pub(crate) fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some(parts) => parts,
        None => return url.to_owned(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_masked() {
        let table = [
            ("postgres://u:pw@h:5432/db", "postgres://u:***@h:5432/db"),
            ("postgres://u@h/db", "postgres://u@h/db"),
            ("sqlite://vitals.db?mode=rwc", "sqlite://vitals.db?mode=rwc"),
            ("sqlite::memory:", "sqlite::memory:"),
        ];
        for (url, want) in table {
            assert_eq!(super::mask_password(url), want);
        }
    }
}
