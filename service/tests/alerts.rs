//! The shipped alert rules, judged by promtool: `check rules` finds no problem and the unit tests
//! in `deploy/prometheus/alerts.test.yml` see every alert fire and not fire.
use std::path::PathBuf;
use vitals_judges::run_judge;

fn deploy() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/prometheus")
}

fn promtool(args: &[&str]) -> (bool, String) {
    run_judge("promtool", args, &deploy())
}

#[test]
fn alert_rules_pass_promtool_check() {
    let (ok, text) = promtool(&["check", "rules", "alerts.yml"]);
    assert!(ok, "{text}");
    assert!(text.contains("SUCCESS: 8 rules found"), "{text}");
}

#[test]
fn every_alert_fires_and_stays_quiet_in_the_rule_unit_tests() {
    let (ok, text) = promtool(&["test", "rules", "alerts.test.yml"]);
    assert!(ok, "{text}");
    let rules = std::fs::read_to_string(deploy().join("alerts.yml")).unwrap();
    let tests = std::fs::read_to_string(deploy().join("alerts.test.yml")).unwrap();
    for alert in rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
    {
        let cases = tests.matches(&format!("alertname: {alert}\n")).count();
        assert!(
            cases >= 2,
            "{alert} has {cases} unit test cases: want firing and not firing"
        );
    }
}
