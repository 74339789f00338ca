//! KSUIDs: 27 base62 characters encoding a 4-byte timestamp (seconds since 2014-05-13) and 16 random bytes,
//! so sync ids sort by creation time as Baton expects.

use std::io::Read;
use std::time::{SystemTime, UNIX_EPOCH};

const EPOCH: u64 = 1_400_000_000;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A new KSUID for the current time.
pub fn new_ksuid() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(EPOCH);
    let mut payload = [0u8; 16];
    fill_random(&mut payload);
    encode(secs.saturating_sub(EPOCH) as u32, &payload)
}

/// Encodes a timestamp (seconds since the KSUID epoch) and a payload as 27 base62 characters.
pub fn encode(ts: u32, payload: &[u8; 16]) -> String {
    let mut bytes = [0u8; 20];
    bytes[..4].copy_from_slice(&ts.to_be_bytes());
    bytes[4..].copy_from_slice(payload);
    // Repeated division of the 160-bit big-endian number by 62.
    let mut num = bytes.to_vec();
    let mut out = [b'0'; 27];
    let mut pos = 27;
    while num.iter().any(|&b| b != 0) && pos > 0 {
        let mut rem: u32 = 0;
        for b in num.iter_mut() {
            let acc = (rem << 8) | *b as u32;
            *b = (acc / 62) as u8;
            rem = acc % 62;
        }
        pos -= 1;
        out[pos] = ALPHABET[rem as usize];
    }
    String::from_utf8(out.to_vec()).expect("base62 alphabet is ASCII")
}

fn fill_random(buf: &mut [u8]) {
    if let Ok(mut f) = std::fs::File::open("/dev/urandom")
        && f.read_exact(buf).is_ok()
    {
        return;
    }
    // No /dev/urandom: mix the clock, the pid and a counter; uniqueness, not secrecy, is what matters here.
    use std::hash::{BuildHasher, Hasher};
    for chunk in buf.chunks_mut(8) {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.write_u32(std::process::id());
        let v = h.finish().to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(encode(0, &[0; 16]), "000000000000000000000000000");
        assert_eq!(encode(u32::MAX, &[0xff; 16]), "aWgEPTl1tmebfsQzFP4bxwgy80V");
    }

    #[test]
    fn new_ids_are_27_chars_and_distinct() {
        let a = new_ksuid();
        let b = new_ksuid();
        assert_eq!(a.len(), 27);
        assert_ne!(a, b);
    }
}
