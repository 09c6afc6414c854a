//! Who sees what: check reasons and details, `/metrics`, and which proxies name the caller.
use crate::Error;

use vitals::settings::{Environment, SettingError};
use vitals_http::{AccessPolicy, DetailPolicy, ForwardedHeader, IpNet, parse_networks};

/// The access settings, one value: every caller is judged by the [`AccessPolicy`] built from it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct AccessSettings {
    /// `VITALS_DETAILS`: who sees check reasons and details. Defaults to never.
    pub details: DetailPolicy,
    /// `VITALS_TOKEN`: bearer token that authorises a caller (details, the full status page).
    /// Defaults to none.
    pub token: Option<String>,
    /// `VITALS_METRICS_TOKEN`: bearer token a scraper must present (it also authorises, as
    /// `token` does). Defaults to none: `/metrics` is open unless networks are set.
    pub metrics_token: Option<String>,
    /// `VITALS_METRICS_TRUSTED_CIDRS`: networks that may scrape without a token. Defaults to
    /// none.
    pub metrics_networks: Vec<IpNet>,
    /// `VITALS_TRUSTED_PROXIES`: proxies whose forwarded header names the client. Defaults to
    /// none (the peer is the caller).
    pub trusted_proxies: Vec<IpNet>,
    /// `VITALS_FORWARDED_HEADER`: the header those proxies write; the other is ignored.
    /// Defaults to `X-Forwarded-For`.
    pub forwarded_header: ForwardedHeader,
}

/// The tokens are shown as set or not, never their value.
impl std::fmt::Debug for AccessSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |t: &Option<String>| t.as_ref().map(|_| "<withheld>");
        f.debug_struct("AccessSettings")
            .field("details", &self.details)
            .field("token", &shown(&self.token))
            .field("metrics_token", &shown(&self.metrics_token))
            .field("metrics_networks", &self.metrics_networks)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("forwarded_header", &self.forwarded_header)
            .finish()
    }
}

impl AccessSettings {
    /// Reads the variables above through `env`.
    pub(crate) fn read(env: &Environment) -> Result<Self, Error> {
        let mut a = Self::default();
        if let Some(d) = env.choice(
            "VITALS_DETAILS",
            &[
                ("never", DetailPolicy::Never),
                ("always", DetailPolicy::Always),
                ("authorized", DetailPolicy::Authorised),
                ("authorised", DetailPolicy::Authorised),
            ],
        )? {
            a.details = d;
        }
        a.token = env.secret("VITALS_TOKEN")?;
        if env
            .raw("VITALS_METRICS_TOKEN")
            .is_some_and(|v| v.trim().is_empty())
        {
            return Err(Error::Config(SettingError::new(
                "VITALS_METRICS_TOKEN",
                "",
                "is empty: unset it, or give the token",
            )));
        }
        a.metrics_token = env.secret("VITALS_METRICS_TOKEN")?;
        if let Some(nets) = env.parsed("VITALS_METRICS_TRUSTED_CIDRS", parse_networks)? {
            a.metrics_networks = nets;
        }
        if let Some(nets) = env.parsed("VITALS_TRUSTED_PROXIES", parse_networks)? {
            a.trusted_proxies = nets;
        }
        if let Some(h) = env.parsed("VITALS_FORWARDED_HEADER", forwarded_header)? {
            a.forwarded_header = h;
        }
        Ok(a)
    }

    /// Checks the settings as a whole: the details token set in code is held to what its
    /// variable is, and `authorized` details need it. (An empty metrics token cannot be set
    /// from the environment, and matches no caller when set in code.)
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let bad = |var: &str, value: &str, reason: &str| {
            Err(Error::Config(SettingError::new(var, value, reason)))
        };
        if let Some(t) = &self.token
            && (t.is_empty() || t.trim() != t)
        {
            return bad(
                "VITALS_TOKEN",
                "<withheld>",
                "must be non-empty, without leading or trailing whitespace",
            );
        }
        if self.details == DetailPolicy::Authorised && self.token.is_none() {
            return bad(
                "VITALS_DETAILS",
                "authorized",
                "needs VITALS_TOKEN to be set",
            );
        }
        Ok(())
    }

    /// The policy every request is judged by.
    pub(crate) fn policy(&self) -> AccessPolicy {
        AccessPolicy::new(self.token.clone(), self.details)
            .protect_scrapes(self.metrics_token.clone(), self.metrics_networks.clone())
            .trust_proxies(self.trusted_proxies.clone(), self.forwarded_header)
    }
}

/// A header name in any case, or `none`.
fn forwarded_header(v: &str) -> Result<ForwardedHeader, &'static str> {
    match v.trim().to_ascii_lowercase().as_str() {
        "x-forwarded-for" => Ok(ForwardedHeader::XForwardedFor),
        "forwarded" => Ok(ForwardedHeader::Forwarded),
        "none" => Ok(ForwardedHeader::Neither),
        _ => Err(
            "use x-forwarded-for, forwarded (RFC 7239) or none: the header the trusted proxies write",
        ),
    }
}
