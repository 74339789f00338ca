//! Reads shared by the instances of one sync: a GET that one instance has sent (or is sending)
//! is answered to the others from its response, so running calls on several instances, each
//! with its own cache of workspaces, members and groups, costs no more requests than one
//! instance would make. Only final answers are shared (2xx and 4xx, which a repeat would get
//! again); a 429, a 5xx or a failure is not, so whoever asks next sends the request itself.
//! Bodies are kept compressed: JSON listings shrink to a tenth, so a large organisation's
//! listings all fit without holding their full size beside the instances that read them.

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

/// zstd's fastest regular level: the bodies are compressed once and read a few times.
const LEVEL: i32 = 1;

/// A shared response, its body compressed.
struct Kept {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    body_len: usize,
}

impl Kept {
    /// `resp` compressed; `None` if it cannot be (then it is not shared).
    fn of(resp: &InboundResponse) -> Option<Kept> {
        let body = zstd::bulk::compress(&resp.body, LEVEL).ok()?;
        Some(Kept {
            status: resp.status,
            headers: resp.headers.clone(),
            body,
            body_len: resp.body.len(),
        })
    }

    /// The response again; `None` if the body does not decompress (then it is sent again).
    fn response(&self) -> Option<InboundResponse> {
        let body = zstd::bulk::decompress(&self.body, self.body_len).ok()?;
        Some(InboundResponse {
            status: self.status,
            headers: self.headers.clone(),
            body,
        })
    }
}

/// Bounded, single-flight GET responses by URL and request headers.
pub(super) struct SharedReads {
    entries: Mutex<Entries>,
    max_bytes: usize,
}

#[derive(Default)]
struct Entries {
    /// Each key's response, and when it was last asked for.
    by_key: HashMap<String, (Arc<OnceCell<Kept>>, u64)>,
    /// Keys by when they were last asked for, least recent first: evicted first.
    order: BTreeMap<u64, String>,
    /// The clock of `order`.
    asked: u64,
    bytes: usize,
}

impl SharedReads {
    /// Keeps responses up to `max_bytes` of compressed bodies in all, dropping the oldest first.
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
        let mut send = Some(send);
        let shared = cell
            .get_or_try_init(|| async {
                let send = send.take().expect("the cell is filled once");
                match send().await {
                    Outcome::Shared(resp) => {
                        let kept = Kept::of(&resp);
                        own = Some(Ok(resp));
                        kept.ok_or(())
                    }
                    Outcome::Own(result) => {
                        own = Some(result);
                        Err(())
                    }
                }
            })
            .await;
        // The asker who sent it has its own copy; the others read the kept one.
        if let Some(result) = own {
            if let Ok(kept) = shared {
                self.account(kept.body.len());
            }
            return result;
        }
        match (shared.ok().and_then(Kept::response), send) {
            (Some(resp), _) => Ok(resp),
            (None, Some(send)) => match send().await {
                Outcome::Shared(resp) => Ok(resp),
                Outcome::Own(result) => result,
            },
            (None, None) => unreachable!("an asker that sent has its own result"),
        }
    }

    /// Drops every kept response: no more reads will come.
    pub(super) fn clear(&self) {
        let mut entries = self.entries.lock().expect("shared reads lock");
        *entries = Entries::default();
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use rand::rngs::StdRng;
    use rand::{RngCore, SeedableRng};

    use super::*;

    fn ok(body: Vec<u8>) -> InboundResponse {
        InboundResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        }
    }

    /// Bytes that do not compress: a seeded pseudo-random sequence.
    fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut bytes = vec![0; len];
        StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
        bytes
    }

    /// Asks `reads` for `key`, counting a send in `sends` when it has to go out.
    async fn ask(
        reads: &SharedReads,
        key: &str,
        body: &[u8],
        sends: &AtomicUsize,
    ) -> InboundResponse {
        let got: Result<InboundResponse, ()> = reads
            .get_or_send(key.to_string(), || async {
                sends.fetch_add(1, Ordering::SeqCst);
                Outcome::Shared(ok(body.to_vec()))
            })
            .await;
        got.expect("a shared response")
    }

    #[tokio::test]
    async fn a_kept_response_comes_back_whole_and_small() {
        let reads = SharedReads::new(1 << 20);
        let sends = AtomicUsize::new(0);
        let body = br#"{"type":"repository","full_name":"acme/api","slug":"api"},"#.repeat(500);
        let first = ask(&reads, "k", &body, &sends).await;
        let again = ask(&reads, "k", &body, &sends).await;
        assert_eq!(
            sends.load(Ordering::SeqCst),
            1,
            "the second asker is answered from the first"
        );
        assert_eq!(first.body, body);
        assert_eq!(again.body, body);
        assert_eq!(again.headers, first.headers);
        let kept = reads.entries.lock().unwrap().bytes;
        assert!(
            kept > 0 && kept < body.len() / 10,
            "{kept} bytes kept for {}",
            body.len()
        );
    }

    #[tokio::test]
    async fn unshared_outcomes_are_sent_again() {
        let reads = SharedReads::new(1 << 20);
        let sends = AtomicUsize::new(0);
        for _ in 0..2 {
            let got: Result<InboundResponse, ()> = reads
                .get_or_send("k".to_string(), || async {
                    sends.fetch_add(1, Ordering::SeqCst);
                    Outcome::Own(Ok(InboundResponse {
                        status: 429,
                        headers: vec![],
                        body: vec![],
                    }))
                })
                .await;
            assert_eq!(got.unwrap().status, 429);
        }
        assert_eq!(sends.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn the_least_recently_asked_go_past_the_cap_and_clear_forgets_all() {
        let reads = SharedReads::new(2_500);
        let sends = AtomicUsize::new(0);
        let (a, b, c) = (noise(1_000, 1), noise(1_000, 2), noise(1_000, 3));
        ask(&reads, "a", &a, &sends).await;
        ask(&reads, "b", &b, &sends).await;
        ask(&reads, "a", &a, &sends).await; // now b is the oldest asked
        ask(&reads, "c", &c, &sends).await; // over the cap: b goes
        assert_eq!(sends.load(Ordering::SeqCst), 3);
        ask(&reads, "a", &a, &sends).await;
        ask(&reads, "c", &c, &sends).await;
        assert_eq!(sends.load(Ordering::SeqCst), 3, "a and c stayed");
        assert_eq!(ask(&reads, "b", &b, &sends).await.body, b);
        assert_eq!(sends.load(Ordering::SeqCst), 4, "b was sent again");
        reads.clear();
        assert_eq!(reads.entries.lock().unwrap().bytes, 0);
        ask(&reads, "a", &a, &sends).await;
        assert_eq!(
            sends.load(Ordering::SeqCst),
            5,
            "nothing is kept after clear"
        );
    }
}
