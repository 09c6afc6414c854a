//! The two inline charts of a check, drawn with presentation attributes and classes only (the
//! policy blocks `style` attributes): the status strip (one rect per reading, a `<title>`
//! tooltip each) and the latency sparkline (a polyline of the durations).
//!
//! Both are `slots` readings wide, newest on the right, so the strip and the sparkline of one
//! check line up and a young check fills from the right.
use super::format::{Clock, Latency};
use super::html::{esc, fill, put};
use crate::ReadingDocument;

/// Width of one reading in the viewBox; a rect takes `STEP - 1` of it.
const STEP: usize = 4;
/// Height of the strip.
const STRIP_HEIGHT: u32 = 18;
/// Height of the sparkline.
const SPARK_HEIGHT: u32 = 28;

/// A duration usable on a chart: non-finite or negative ones count as 0.
fn seconds(r: &ReadingDocument) -> f64 {
    if r.duration_seconds.is_finite() && r.duration_seconds > 0.0 {
        r.duration_seconds
    } else {
        0.0
    }
}

/// Longest reason a tooltip shows, in bytes: the check's latest reason and the transitions show
/// it whole, a reading's tooltip only its start, and only for the first of the readings that
/// failed the same way (the others say `same reason since …`), so a failing check's strip stays
/// light.
pub(super) const TOOLTIP_REASON_BYTES: usize = 80;

/// `reason`, cut on a character boundary to [`TOOLTIP_REASON_BYTES`] with `…` appended.
fn shorten(reason: &str) -> std::borrow::Cow<'_, str> {
    if reason.len() <= TOOLTIP_REASON_BYTES {
        return reason.into();
    }
    let mut end = TOOLTIP_REASON_BYTES - '…'.len_utf8();
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &reason[..end]).into()
}

/// The longest kept duration (0 when none).
pub(super) fn max_seconds(readings: &[ReadingDocument]) -> f64 {
    readings.iter().map(seconds).fold(0.0, f64::max)
}

/// The status strip: the slots without a reading as one faint rect, then one rect per reading,
/// each run of equal statuses in a `<g>` of its colour; a reading's tooltip is
/// `time · status · duration · reason` (the time without its date on `now_ms`'s day), or
/// `… · same reason since time` when its reason is the previous reading's.
pub(super) fn strip(out: &mut String, readings: &[ReadingDocument], slots: usize, now_ms: u64) {
    let slots = slots.max(readings.len()).max(1);
    let width = slots * STEP;
    put!(
        out,
        "<svg viewBox=\"0 0 {width} {STRIP_HEIGHT}\" width=\"100%\" height=\"{STRIP_HEIGHT}\" \
         preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{} readings\">",
        readings.len()
    );
    let empty = slots - readings.len();
    if empty > 0 {
        put!(
            out,
            "<rect width=\"{}\" height=\"{STRIP_HEIGHT}\" class=\"e\"><title>{empty} slots without \
             a reading yet</title></rect>",
            empty * STEP - 1
        );
    }
    let mut run = None;
    let mut since: Option<(&String, u64)> = None;
    for (i, r) in readings.iter().enumerate() {
        if run != Some(r.status) {
            if run.is_some() {
                out.push_str("</g>");
            }
            put!(out, "<g class=\"{}\">", fill(r.status));
            run = Some(r.status);
        }
        put!(
            out,
            "<rect x=\"{}\" width=\"{}\" height=\"{STRIP_HEIGHT}\"><title>{} · {} · {}",
            (empty + i) * STEP,
            STEP - 1,
            Clock(r.at_ms, now_ms),
            r.status.as_str(),
            Latency(r.duration_seconds)
        );
        match (&r.reason, since) {
            (Some(reason), Some((same, at_ms))) if same == reason => {
                put!(out, " · same reason since {}", Clock(at_ms, now_ms));
            }
            (Some(reason), _) => {
                put!(out, " · {}", esc(&shorten(reason)));
                since = Some((reason, r.at_ms));
            }
            (None, _) => since = None,
        }
        out.push_str("</title></rect>");
    }
    if run.is_some() {
        out.push_str("</g>");
    }
    out.push_str("</svg>");
}

/// The latency sparkline: one point per reading, scaled to the longest (which the caption
/// labels); a lone reading is drawn as a short flat line.
pub(super) fn sparkline(out: &mut String, readings: &[ReadingDocument], slots: usize) {
    let slots = slots.max(readings.len()).max(1);
    let width = slots * STEP;
    put!(
        out,
        "<svg viewBox=\"0 0 {width} {SPARK_HEIGHT}\" width=\"100%\" height=\"{SPARK_HEIGHT}\" \
         preserveAspectRatio=\"none\" role=\"img\" aria-label=\"latency of the last {} readings\">",
        readings.len()
    );
    if !readings.is_empty() {
        let max = max_seconds(readings);
        let span = f64::from(SPARK_HEIGHT - 3);
        let y = |r: &ReadingDocument| {
            let share = if max > 0.0 { seconds(r) / max } else { 0.0 };
            f64::from(SPARK_HEIGHT) - 1.5 - share * span
        };
        let empty = slots - readings.len();
        out.push_str("<polyline vector-effect=\"non-scaling-stroke\" points=\"");
        if let [only] = readings {
            let x = empty * STEP;
            put!(out, "{},{:.0} {},{:.0}", x, y(only), x + STEP - 1, y(only));
        } else {
            for (i, r) in readings.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                put!(out, "{},{:.0}", (empty + i) * STEP + STEP / 2, y(r));
            }
        }
        out.push_str("\"/>");
    }
    out.push_str("</svg>");
}
