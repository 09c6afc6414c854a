use std::borrow::Cow;
use std::fmt;

/// A set of checks served together by one probe endpoint.
///
/// `Liveness` is `/healthz`, `Readiness` is `/ready`, `Startup` is `/startupz`, and
/// `Custom("name")` is `/health/name`.
///
/// ```
/// use vitals::HealthGroup;
/// assert_eq!(HealthGroup::parse("ready"), HealthGroup::Readiness);
/// assert_eq!(HealthGroup::parse("billing"), HealthGroup::custom("billing"));
/// assert_eq!(HealthGroup::Liveness.as_str(), "liveness");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HealthGroup {
    /// Is the process alive? Must not depend on external systems.
    Liveness,
    /// Can the process take traffic? May include databases and other dependencies.
    Readiness,
    /// Has the process finished starting?
    Startup,
    /// A named group of the operator's or module's choosing.
    Custom(Cow<'static, str>),
}

impl HealthGroup {
    /// A custom group.
    pub fn custom(name: impl Into<Cow<'static, str>>) -> Self {
        Self::Custom(name.into())
    }

    /// Parses a group name; `liveness`/`live`/`healthz`, `readiness`/`ready`, `startup`/`startupz`
    /// name the built-in groups, anything else is custom.
    pub fn parse(name: &str) -> Self {
        match name {
            "liveness" | "live" | "livez" | "healthz" => Self::Liveness,
            "readiness" | "ready" | "readyz" => Self::Readiness,
            "startup" | "startupz" => Self::Startup,
            other => Self::Custom(Cow::Owned(other.to_owned())),
        }
    }

    /// The group's name as used in labels and URLs.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Liveness => "liveness",
            Self::Readiness => "readiness",
            Self::Startup => "startup",
            Self::Custom(name) => name,
        }
    }
}

impl fmt::Display for HealthGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
