//! How a checker names what it checks: its URL without credentials.

/// `url` without a password or user (`redis://:secret@h:6379` → `redis://h:6379`): the form
/// every reason and detail uses.
///
/// ```
/// assert_eq!(vitals_module_checks::masked("redis://u:pw@cache:6379/0"), "redis://cache:6379/0");
/// assert_eq!(vitals_module_checks::masked("redis://cache:6379"), "redis://cache:6379");
/// ```
pub fn masked(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    match url[start..].rfind('@') {
        Some(at) => format!("{}{}", &url[..start], &url[start + at + 1..]),
        None => url.to_owned(),
    }
}
