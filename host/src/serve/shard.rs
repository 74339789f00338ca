//! Which tenants a replica serves: replica `i` of `N` serves the tenants whose name hashes to
//! `i`, the hash being FNV-1a 64 of the name's UTF-8 bytes, modulo `N`. Stable across versions,
//! platforms and restarts, so every replica agrees without talking to the others.

use std::hash::Hasher;

/// Why the shard cannot be worked out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// No count of replicas.
    #[error("--shard-count (BATON_SHARD_COUNT) must be at least 1")]
    ZeroCount,
    /// An index past the count.
    #[error(
        "--shard-index {index} is not below --shard-count {count}; replicas are numbered from 0"
    )]
    IndexTooLarge {
        /// The index given.
        index: u32,
        /// The count given.
        count: u32,
    },
    /// Neither an index nor a host name ending in one.
    #[error(
        "with --shard-count {count}, give --shard-index (BATON_SHARD_INDEX), or run as a StatefulSet pod whose HOSTNAME ends in its ordinal (got {hostname:?})"
    )]
    NoIndex {
        /// The count given.
        count: u32,
        /// The HOSTNAME seen.
        hostname: String,
    },
}

/// This replica's part of the tenants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This replica's index, from 0.
    pub index: u32,
    /// How many replicas share the tenants.
    pub count: u32,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 0, count: 1 }
    }
}

/// FNV-1a 64 of a tenant's name.
pub fn tenant_hash(name: &str) -> u64 {
    let mut h = fnv::FnvHasher::default();
    h.write(name.as_bytes());
    h.finish()
}

/// The replica, of `count`, that serves tenant `name`.
pub fn shard_of(name: &str, count: u32) -> u32 {
    (tenant_hash(name) % u64::from(count.max(1))) as u32
}

impl Shard {
    /// The shard from the flags; without an index, from a StatefulSet pod's host name
    /// (`connector-host-3` is replica 3).
    pub fn resolve(
        index: Option<u32>,
        count: u32,
        hostname: Option<&str>,
    ) -> Result<Shard, ShardError> {
        if count == 0 {
            return Err(ShardError::ZeroCount);
        }
        let index = match index {
            Some(i) => i,
            None if count == 1 => 0,
            None => {
                let host = hostname.unwrap_or_default();
                host.rsplit_once('-')
                    .and_then(|(_, ordinal)| ordinal.parse().ok())
                    .ok_or_else(|| ShardError::NoIndex {
                        count,
                        hostname: host.to_string(),
                    })?
            }
        };
        if index >= count {
            return Err(ShardError::IndexTooLarge { index, count });
        }
        Ok(Shard { index, count })
    }

    /// Whether this replica serves tenant `name`.
    pub fn owns(&self, name: &str) -> bool {
        shard_of(name, self.count) == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_fnv1a_64() {
        // Reference values of FNV-1a 64 (offset basis, and the published test vectors).
        assert_eq!(tenant_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(tenant_hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(tenant_hash("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn every_tenant_has_exactly_one_replica() {
        let shards: Vec<Shard> = (0..3).map(|index| Shard { index, count: 3 }).collect();
        for n in 0..300 {
            let name = format!("tenant-{n}");
            assert_eq!(shards.iter().filter(|s| s.owns(&name)).count(), 1);
        }
    }

    #[test]
    fn the_index_comes_from_the_pod_name() {
        let s = Shard::resolve(None, 4, Some("connector-host-3")).unwrap();
        assert_eq!(s, Shard { index: 3, count: 4 });
        assert!(matches!(
            Shard::resolve(None, 4, Some("laptop")),
            Err(ShardError::NoIndex { .. })
        ));
        assert!(Shard::resolve(Some(4), 4, None).is_err());
        assert_eq!(Shard::resolve(None, 1, None).unwrap(), Shard::default());
    }
}
