//! How much a page weighs: a service with 4 checks of 120 readings stays a few tens of KB.
use super::super::style::CSS;
use super::super::{PageOptions, fleet, service};
use super::fixtures;

#[test]
fn a_service_page_with_4_checks_of_120_readings_weighs_a_few_tens_of_kb() {
    let opts = PageOptions {
        base: "/status",
        refresh_seconds: 10,
    };
    let page = service(&fixtures::service(4, 120), &opts);
    let withheld = service(&fixtures::service(4, 120).without_details(), &opts);
    let targets = (0..20)
        .map(|i| fixtures::target(&format!("t{i}")))
        .collect();
    let fleet_page = fleet(&fixtures::fleet(targets), &opts);
    println!(
        "stylesheet {} B; service page, 4 checks x 120 readings: {} B with reasons, {} B without; \
         fleet page, 20 targets: {} B",
        CSS.len(),
        page.len(),
        withheld.len(),
        fleet_page.len()
    );
    let mut worst = fixtures::service(4, 120);
    for c in &mut worst.checks {
        c.readings = fixtures::readings(120, 1, "");
        for (i, r) in c.readings.iter_mut().enumerate() {
            r.reason = Some(format!("{i:03} {}", "<refused> & \"closed\" ".repeat(12)));
        }
        c.reason = c.readings[0].reason.clone();
    }
    let worst_page = service(&worst, &opts);
    println!(
        "worst case, every reading failing with its own {}-byte reason: {} B",
        worst.checks[0].readings[0]
            .reason
            .as_ref()
            .map_or(0, String::len),
        worst_page.len()
    );
    assert!(CSS.len() < 6 * 1024);
    assert!(worst_page.len() < 128 * 1024, "{} B", worst_page.len());
    assert!(page.len() < 60 * 1024, "{} B", page.len());
    assert!(fleet_page.len() < 32 * 1024, "{} B", fleet_page.len());
}
