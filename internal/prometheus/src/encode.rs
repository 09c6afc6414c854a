use prometheus::proto::MetricFamily;
use prometheus::{Encoder, TextEncoder};
use std::io::Write;

/// `Content-Type` of the Prometheus text format 0.0.4.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Encodes families (already sorted) in the text format, gzip-compressed when asked.
///
/// # Errors
/// Encoding or compression failures (not expected for valid families).
pub fn encode_text(families: &[MetricFamily], gzip: bool) -> std::io::Result<Vec<u8>> {
    let mut text = Vec::with_capacity(16 * 1024);
    TextEncoder::new()
        .encode(families, &mut text)
        .map_err(std::io::Error::other)?;
    if !gzip {
        return Ok(text);
    }
    let mut gz = flate2::write::GzEncoder::new(
        Vec::with_capacity(text.len() / 4),
        flate2::Compression::fast(),
    );
    gz.write_all(&text)?;
    gz.finish()
}

/// Orders each family's series by their label values, as the registry's own `gather` does (a
/// collected family comes in hash order): the same families always give the same text.
pub(crate) fn sort_series(families: &mut [MetricFamily]) {
    for family in families {
        family.mut_metric().sort_by(|a, b| {
            let values = |m: &prometheus::proto::Metric| {
                m.get_label()
                    .iter()
                    .map(|l| l.value().to_owned())
                    .collect::<Vec<_>>()
            };
            values(a).cmp(&values(b))
        });
    }
}
