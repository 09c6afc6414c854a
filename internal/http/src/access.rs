use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;
use subtle::ConstantTimeEq;

/// Who is asking, as far as detail exposure and (later) scrape access are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// No valid credentials.
    Anonymous,
    /// Presented the configured bearer token.
    Authorised,
}

/// When check reasons and details are shown in probe bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DetailPolicy {
    /// Never: failing checks are named, reasons are withheld (and logged).
    #[default]
    Never,
    /// Always.
    Always,
    /// Only to callers presenting the bearer token.
    Authorised,
}

/// The one place a request's caller is classified; every handler that serves details asks it.
#[derive(Debug, Clone, Default)]
pub struct AccessPolicy {
    token: Option<String>,
    details: DetailPolicy,
}

impl AccessPolicy {
    /// A policy with an optional bearer token and a detail policy.
    pub fn new(token: Option<String>, details: DetailPolicy) -> Self {
        Self { token, details }
    }

    /// Classifies a request: `Authorised` only for `Authorization: Bearer <token>` (the scheme
    /// in any case, RFC 9110) with the configured token, compared in constant time.
    pub fn classify(&self, req: &HttpRequest) -> Caller {
        let Some(expected) = &self.token else {
            return Caller::Anonymous;
        };
        let presented = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .and_then(|(scheme, token)| {
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| token.trim_start())
            });
        match presented {
            Some(p) if bool::from(p.as_bytes().ct_eq(expected.as_bytes())) => Caller::Authorised,
            _ => Caller::Anonymous,
        }
    }

    /// Whether `caller` may see reasons and details.
    pub fn shows_details(&self, caller: Caller) -> bool {
        match self.details {
            DetailPolicy::Never => false,
            DetailPolicy::Always => true,
            DetailPolicy::Authorised => caller == Caller::Authorised,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn bearer_token_authorises_only_when_it_matches() {
        let policy = AccessPolicy::new(Some("s3cret".into()), DetailPolicy::Authorised);
        let table = [
            (None, Caller::Anonymous),
            (Some("Bearer s3cret"), Caller::Authorised),
            (Some("bearer s3cret"), Caller::Authorised),
            (Some("BEARER  s3cret"), Caller::Authorised),
            (Some("Bearers3cret"), Caller::Anonymous),
            (Some("Bearer s3cre"), Caller::Anonymous),
            (Some("Bearer s3cretX"), Caller::Anonymous),
            (Some("Basic s3cret"), Caller::Anonymous),
        ];
        for (header, want) in table {
            let mut req = TestRequest::default();
            if let Some(h) = header {
                req = req.insert_header((AUTHORIZATION, h));
            }
            assert_eq!(policy.classify(&req.to_http_request()), want, "{header:?}");
        }
    }

    #[test]
    fn details_follow_the_policy() {
        let cases = [
            (DetailPolicy::Never, Caller::Authorised, false),
            (DetailPolicy::Always, Caller::Anonymous, true),
            (DetailPolicy::Authorised, Caller::Anonymous, false),
            (DetailPolicy::Authorised, Caller::Authorised, true),
        ];
        for (details, caller, want) in cases {
            assert_eq!(AccessPolicy::new(None, details).shows_details(caller), want);
        }
    }
}
