//! Error texts of client libraries, which may quote the URL they were given, made safe to show.
use crate::masked;

/// `text` with `url` replaced by its masked form and any remaining occurrence of its password
/// (as written, or percent-decoded) replaced by `***`.
pub(crate) fn scrubbed(text: &str, url: &str) -> String {
    let mut out = text.replace(url, &masked(url));
    let start = url.find("://").map_or(0, |i| i + 3);
    if let Some(at) = url[start..].rfind('@') {
        let userinfo = &url[start..start + at];
        let secret = userinfo.split_once(':').map_or(userinfo, |(_, pw)| pw);
        for form in [secret.to_owned(), decoded(secret)] {
            if !form.is_empty() {
                out = out.replace(&form, "***");
            }
        }
    }
    out
}

/// `s` with `%XX` escapes decoded (invalid ones kept as written).
pub(crate) fn decoded(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::scrubbed;

    #[test]
    fn the_url_is_masked_and_the_password_hidden_in_any_form() {
        let url = "amqp://app:p%40ss@mq:5672/%2f";
        assert_eq!(
            scrubbed(&format!("cannot reach {url}: p@ss refused, p%40ss"), url),
            "cannot reach amqp://mq:5672/%2f: *** refused, ***"
        );
        assert_eq!(scrubbed("refused", "nats://h:4222"), "refused");
    }
}
