//! JSON: the report as pretty-printed JSON, fields in declaration order.

use std::io::Write;

use serde::Serialize;

use super::RenderError;

/// Pretty JSON with a final newline.
pub(super) fn render<T: Serialize>(report: &T) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::new();
    write(report, &mut out)?;
    Ok(out)
}

/// [`render`] written to `out` as it is rendered.
pub(super) fn write<T: Serialize>(report: &T, mut out: impl Write) -> Result<(), RenderError> {
    let failed = |e: &dyn std::fmt::Display| RenderError::Failed(e.to_string());
    serde_json::to_writer_pretty(&mut out, report).map_err(|e| failed(&e))?;
    out.write_all(b"\n").map_err(|e| failed(&e))?;
    out.flush().map_err(|e| failed(&e))
}
