//! The HTTP routes, one `router()` per area.

pub mod erase;
pub mod events;
pub mod health;
pub mod proofs;
pub mod reads;
pub mod reports;

use std::sync::Arc;

use crate::{ApiError, AppState};

/// Runs blocking ledger work (sled reads, fsync) off the async workers.
pub(crate) async fn blocking<R: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&AppState) -> Result<R, ApiError> + Send + 'static,
) -> Result<R, ApiError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || f(&state))
        .await
        .map_err(ApiError::internal)?
}
