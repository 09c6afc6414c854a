//! Job timing after a known workload: exact counts per kind and status, including a job that
//! panics and one whose task is aborted.
use std::time::Duration;
use vitals::metrics::JobStatus;
use vitals_testkit::TestRecorder;

#[tokio::test]
async fn every_job_is_counted_once_with_how_it_ended() {
    let recorder = TestRecorder::new();
    let jobs = recorder.metrics().jobs(&["email", "report"]).unwrap();
    for _ in 0..3 {
        jobs.start("email").unwrap().ok();
    }
    jobs.start("email").unwrap().error();
    jobs.start("report").unwrap().timeout();
    jobs.start("report").unwrap().finish(JobStatus::Ok);
    // A job that panics: its guard is dropped while unwinding.
    let j = jobs.clone();
    let panicked = tokio::spawn(async move {
        let _guard = j.start("report").unwrap();
        panic!("report generator failed");
    })
    .await;
    assert!(panicked.unwrap_err().is_panic());
    // A job whose task is aborted while it runs.
    let j = jobs.clone();
    let running = tokio::spawn(async move {
        let _guard = j.start("email").unwrap();
        tokio::time::sleep(Duration::from_secs(3600)).await;
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        recorder.value("vitals_jobs_in_progress", &["email"]),
        Some(1.0)
    );
    running.abort();
    assert!(running.await.unwrap_err().is_cancelled());
    let count = |kind: &str, status: &str| {
        recorder
            .observations("vitals_job_duration_seconds", &[kind, status])
            .unwrap_or(0)
    };
    assert_eq!(count("email", "ok"), 3);
    assert_eq!(count("email", "error"), 1);
    assert_eq!(count("email", "cancelled"), 1);
    assert_eq!(count("report", "timeout"), 1);
    assert_eq!(count("report", "ok"), 1);
    assert_eq!(count("report", "error"), 1, "the panicking job");
    assert_eq!(count("report", "cancelled"), 0);
    assert_eq!(
        recorder.value("vitals_jobs_in_progress", &["email"]),
        Some(0.0)
    );
    assert_eq!(
        recorder.value("vitals_jobs_in_progress", &["report"]),
        Some(0.0)
    );
    assert!(jobs.start("fax").is_err());
    assert!(recorder.metrics().jobs(&["Bad-Kind"]).is_err());
}
