//! A request to stop a running sync at its next checkpoint (Ctrl-C), shared between whoever asks
//! and the engine, which checks it between steps.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Cloned handles share one flag; the default is never set.
#[derive(Clone, Debug, Default)]
pub struct StopRequest(Arc<AtomicBool>);

impl StopRequest {
    /// A flag nobody has set yet.
    pub fn new() -> StopRequest {
        StopRequest::default()
    }

    /// Asks the sync to stop at its next checkpoint.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn is_requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
