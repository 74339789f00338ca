//! Reads shared by the instances of one sync: a GET that one instance has sent (or is sending)
//! is answered to the others from its response, so running calls on several instances, each
//! with its own cache of workspaces, members and groups, costs no more requests than one
//! instance would make. Only final answers are shared (2xx and 4xx, which a repeat would get
//! again); a 429, a 5xx or a failure is not, so whoever asks next sends the request itself.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::InboundResponse;

/// A response worth sharing, or why the request must be sent again.
pub(super) enum Outcome<E> {
    /// Final: every later asker gets it too.
    Shared(InboundResponse),
    /// Not shared: returned to this asker only.
    Own(Result<InboundResponse, E>),
}

/// Bounded, single-flight GET responses by URL and request headers.
pub(super) struct SharedReads {
    entries: Mutex<Entries>,
    max_bytes: usize,
}

#[derive(Default)]
struct Entries {
    /// Each key's response, and when it was last asked for.
    by_key: HashMap<String, (Arc<OnceCell<InboundResponse>>, u64)>,
    /// Keys by when they were last asked for, least recent first: evicted first.
    order: BTreeMap<u64, String>,
    /// The clock of `order`.
    asked: u64,
    bytes: usize,
}

impl SharedReads {
    /// Keeps responses up to `max_bytes` of bodies in all, dropping the oldest first.
    pub(super) fn new(max_bytes: usize) -> SharedReads {
        SharedReads {
            entries: Mutex::new(Entries::default()),
            max_bytes,
        }
    }

    /// The shared response for `key`, else what `send` gets (shared when it is final). Askers
    /// of the same key while it is being sent wait for it rather than send it again.
    pub(super) async fn get_or_send<E, F, Fut>(
        &self,
        key: String,
        send: F,
    ) -> Result<InboundResponse, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Outcome<E>>,
    {
        let cell = {
            let mut entries = self.entries.lock().expect("shared reads lock");
            let entries = &mut *entries;
            entries.asked += 1;
            let now = entries.asked;
            let (cell, last) = entries
                .by_key
                .entry(key.clone())
                .or_insert_with(|| (Arc::new(OnceCell::new()), now));
            // Listings every instance reads stay; one-off reads age out.
            entries.order.remove(last);
            *last = now;
            entries.order.insert(now, key);
            cell.clone()
        };
        let mut own = None;
        let mut sent = false;
        let shared = cell
            .get_or_try_init(|| async {
                match send().await {
                    Outcome::Shared(resp) => {
                        sent = true;
                        Ok(resp)
                    }
                    Outcome::Own(result) => {
                        own = Some(result);
                        Err(())
                    }
                }
            })
            .await;
        match shared {
            Ok(resp) => {
                let resp = resp.clone();
                if sent {
                    self.account(resp.body.len());
                }
                Ok(resp)
            }
            Err(()) => own.expect("an unshared outcome is kept"),
        }
    }

    /// Counts a newly shared body and evicts the oldest entries past the cap.
    fn account(&self, added: usize) {
        let mut entries = self.entries.lock().expect("shared reads lock");
        entries.bytes += added;
        while entries.bytes > self.max_bytes {
            let Some((_, oldest)) = entries.order.pop_first() else {
                break;
            };
            if let Some((cell, _)) = entries.by_key.remove(&oldest)
                && let Some(resp) = cell.get()
            {
                entries.bytes = entries.bytes.saturating_sub(resp.body.len());
            }
        }
    }
}
