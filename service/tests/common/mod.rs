//! Helpers the CloudWatch tests share: a client of the emulator, as the tests read back.
use aws_sdk_cloudwatch::config::{BehaviorVersion, Credentials, Region};
use vitals_judges::TempMoto;

/// A CloudWatch client of `moto` with its fake credentials, for reading back.
pub(crate) fn reader(moto: &TempMoto) -> aws_sdk_cloudwatch::Client {
    let conf = aws_sdk_cloudwatch::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(moto.url())
        .build();
    aws_sdk_cloudwatch::Client::from_conf(conf)
}
