//! Every environment variable of the kernel, the database and the signals module through one
//! parser each (durations, bucket lists, networks, choices, counts, URLs, JSON dimensions):
//! never panics, an error always names the variable.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitals::settings::Environment;

const VARS: &[&str] = &[
    "VITALS_BIND",
    "VITALS_CHECK_TIMEOUT",
    "VITALS_DETAILS",
    "VITALS_TOKEN",
    "VITALS_BACKGROUND_INTERVAL",
    "VITALS_MAX_STALENESS",
    "VITALS_READY_FAILURES",
    "VITALS_SHUTDOWN_DELAY",
    "VITALS_HTTP_BUCKETS",
    "VITALS_METRICS_PREFIX",
    "VITALS_SERIES_BUDGET",
    "VITALS_METRICS_TOKEN",
    "VITALS_METRICS_TRUSTED_CIDRS",
    "VITALS_TRUSTED_PROXIES",
    "VITALS_FORWARDED_HEADER",
    "VITALS_SERVICE_VERSION",
    "DATABASE_URL",
    "VITALS_AGGREGATE_MODE",
    "VITALS_AGGREGATE_POOL_SIZE",
    "VITALS_AGGREGATE_STORE_TIMEOUT",
    "VITALS_AGGREGATE_DATABASE_URL",
    "VITALS_DB_CHECK_CACHE_TTL",
    "VITALS_SIGNALS_REDIS_URL",
    "VITALS_TENANT",
    "VITALS_SIGNALS_REDIS_CLUSTER_URLS",
    "VITALS_SIGNALS_MAX_AGE",
    "VITALS_SIGNALS_MAX_NAMES",
    "VITALS_SIGNALS_RECONNECT_AFTER",
    "VITALS_SIGNALS_PUSHGATEWAY_URL",
    "VITALS_SIGNALS_PROXY_URLS",
    "VITALS_SIGNALS_PROXY_HEADER",
    "VITALS_SIGNALS_CLOUDWATCH_NAMESPACE",
    "VITALS_SIGNALS_CLOUDWATCH_DIMENSIONS",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, value)) = data.split_first() else {
        return;
    };
    let var = VARS[pick as usize % VARS.len()];
    let value = String::from_utf8_lossy(value).into_owned();
    // Variables that are read only beside another one get it.
    let companion = match var {
        v if v.starts_with("VITALS_SIGNALS_PROXY_H") => {
            Some(("VITALS_SIGNALS_PROXY_URLS", "http://a/s"))
        }
        v if v.starts_with("VITALS_SIGNALS_") || v == "VITALS_TENANT" => {
            Some(("VITALS_SIGNALS_REDIS_URL", "redis://a"))
        }
        _ => None,
    };
    let (v2, val2) = (var.to_owned(), value.clone());
    let env = Environment::from_lookup(move |k| {
        if k == v2 {
            return Some(val2.clone());
        }
        companion
            .filter(|(c, _)| *c == k)
            .map(|(_, v)| v.to_owned())
    });
    let named = |e: String| assert!(e.contains(var), "{var}: {e}");
    if let Err(e) = vitals_kernel::Config::from_environment(&env) {
        named(e.to_string());
    }
    if let Err(e) = vitals_module_database::DatabaseConfig::from_environment(&env) {
        if var == "DATABASE_URL"
            || var.starts_with("VITALS_AGGREGATE")
            || var.starts_with("VITALS_DB_")
        {
            named(e.to_string());
        }
    }
    if let Err(e) = vitals_module_signals::SignalsConfig::from_environment(&env) {
        named(e.to_string());
    }
});
