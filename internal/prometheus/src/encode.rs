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
