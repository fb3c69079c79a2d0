//! JSON: the report as pretty-printed JSON, fields in declaration order.

use serde::Serialize;

use super::RenderError;

/// Pretty JSON with a final newline.
pub(super) fn render<T: Serialize>(report: &T) -> Result<Vec<u8>, RenderError> {
    let mut out =
        serde_json::to_vec_pretty(report).map_err(|e| RenderError::Failed(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}
