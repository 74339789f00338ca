//! Editing the grants of a sync already in a .c1z file (after a grant or revoke), then saving it atomically.
//!
//! The file is decompressed to a private temp database; `save` recomputes the edited syncs' stats and writes the
//! result with the store's envelope writer (`<path>.<random>.tmp`, fsync, rename), so the file is either the old one
//! or the complete new one. Edits made by another process between `open` and `save` are overwritten.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use prost::Message;
use rusqlite::{Connection, params};

use crate::envelope;
use crate::error::{C1zError, SqlContext};
use crate::pb;
use crate::rows::{self, GrantFilter, decode, stats_json};
use crate::store::{suffixed, write_grants};
use crate::sync_runs;

/// An open, editable copy of a .c1z file.
pub struct C1zEditor {
    // Declared before `_tmp` so the connection closes before the temp dir is removed.
    conn: Connection,
    path: PathBuf,
    db: PathBuf,
    edited: BTreeSet<String>,
    _tmp: tempfile::TempDir,
}

/// What `remove_grant` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// The grant row was deleted.
    Deleted,
    /// The grant is also held through expansion: its direct source was dropped, the row kept.
    KeptInherited,
    /// The sync held no such grant.
    Absent,
}

impl C1zEditor {
    /// Opens `path` (a v1 .c1z) for editing.
    pub fn open(path: &Path) -> Result<C1zEditor, C1zError> {
        let envelope::Decompressed { conn, db, tmp } = envelope::open_copy(path, "c1z-edit-")?;
        conn.execute_batch("BEGIN").ctx("beginning the edit")?;
        Ok(C1zEditor {
            conn,
            path: path.to_path_buf(),
            db,
            edited: BTreeSet::new(),
            _tmp: tmp,
        })
    }

    /// The file being edited.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The id of the latest finished full sync (the one `inspect` shows by default).
    pub fn latest_full_sync(&self) -> Result<String, C1zError> {
        sync_runs::finished_full(&self.conn)?
            .into_iter()
            .next()
            .map(|s| s.id)
            .ok_or_else(|| C1zError::NoFinishedSync {
                path: self.path.clone(),
            })
    }

    /// One resource of `sync`.
    pub fn resource(
        &self,
        sync: &str,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<pb::Resource>, C1zError> {
        rows::resource(&self.conn, sync, resource_type, id)
    }

    /// One entitlement of `sync`.
    pub fn entitlement(&self, sync: &str, id: &str) -> Result<Option<pb::Entitlement>, C1zError> {
        rows::entitlement(&self.conn, sync, id)
    }

    /// One grant of `sync`.
    pub fn grant(&self, sync: &str, id: &str) -> Result<Option<pb::Grant>, C1zError> {
        rows::grant(&self.conn, sync, id)
    }

    /// The principal's grants of `sync` on the resource `(resource_type, resource)`, direct or inherited.
    pub fn grants_on_resource_for(
        &self,
        sync: &str,
        resource: &pb::ResourceId,
        principal: &pb::ResourceId,
    ) -> Result<Vec<pb::Grant>, C1zError> {
        let filter = GrantFilter {
            resource_type: Some(&resource.resource_type),
            resource: Some(&resource.resource),
            principal_type: Some(&principal.resource_type),
            principal: Some(&principal.resource),
            ..GrantFilter::default()
        };
        rows::grants(&self.conn, sync, filter)
    }

    /// Whether some grant of `sync` expands from `entitlement_id` (its holders inherit other grants through it).
    pub fn is_expansion_source(&self, sync: &str, entitlement_id: &str) -> Result<bool, C1zError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT external_id, expansion FROM v1_grants WHERE sync_id = ?1 AND expansion IS NOT NULL",
            )
            .ctx("reading grant expansions")?;
        let rows = stmt
            .query_map([sync], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .ctx("reading grant expansions")?;
        for row in rows {
            let (id, data) = row.ctx("reading grant expansions")?;
            let exp: pb::GrantExpandable = decode("GrantExpandable", &id, &data)?;
            if exp.entitlement_ids.iter().any(|e| e == entitlement_id) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Upserts direct grants into `sync`. A grant already held through expansion keeps its inherited sources and
    /// gains its own entitlement as a direct source (Baton's merge of a direct and an expanded grant).
    pub fn upsert_grants(&mut self, sync: &str, grants: &[pb::Grant]) -> Result<(), C1zError> {
        let mut merged = Vec::with_capacity(grants.len());
        for g in grants {
            let mut g = g.clone();
            let existing_sources = self
                .grant(sync, &g.id)?
                .and_then(|old| old.sources)
                .filter(|s| !s.sources.is_empty());
            if let Some(mut sources) = existing_sources {
                let own = g
                    .entitlement
                    .as_ref()
                    .map(|e| e.id.clone())
                    .unwrap_or_default();
                sources
                    .sources
                    .insert(own, pb::GrantSource { is_direct: true });
                g.sources = Some(sources);
            }
            merged.push(g);
        }
        write_grants(&self.conn, sync, &merged)?;
        self.edited.insert(sync.to_string());
        Ok(())
    }

    /// Removes the direct grant `id` from `sync`. A grant also held through expansion loses only its direct source.
    pub fn remove_grant(&mut self, sync: &str, id: &str) -> Result<Removal, C1zError> {
        let Some(mut grant) = self.grant(sync, id)? else {
            return Ok(Removal::Absent);
        };
        let own = grant
            .entitlement
            .as_ref()
            .map(|e| e.id.clone())
            .unwrap_or_default();
        let inherited = grant
            .sources
            .as_ref()
            .is_some_and(|s| s.sources.keys().any(|k| *k != own));
        self.edited.insert(sync.to_string());
        if inherited {
            if let Some(s) = grant.sources.as_mut() {
                s.sources.remove(&own);
            }
            self.conn
                .execute(
                    "UPDATE v1_grants SET data = ?1, expansion = NULL, needs_expansion = 0 \
                     WHERE external_id = ?2 AND sync_id = ?3",
                    params![grant.encode_to_vec(), id, sync],
                )
                .ctx("updating a grant")?;
            return Ok(Removal::KeptInherited);
        }
        self.conn
            .execute(
                "DELETE FROM v1_grants WHERE external_id = ?1 AND sync_id = ?2",
                params![id, sync],
            )
            .ctx("deleting a grant")?;
        Ok(Removal::Deleted)
    }

    /// Recomputes the edited syncs' stats and writes the file atomically (temp file, fsync, rename).
    /// Without edits the file is left untouched.
    pub fn save(self) -> Result<PathBuf, C1zError> {
        let C1zEditor {
            conn,
            path,
            db,
            edited,
            _tmp,
        } = self;
        if edited.is_empty() {
            return Ok(path);
        }
        for sync in &edited {
            let stats = stats_json(&conn, sync)?;
            conn.execute(
                "UPDATE v1_sync_runs SET stats = ?1 WHERE sync_id = ?2",
                params![stats, sync],
            )
            .ctx("updating sync stats")?;
        }
        conn.execute_batch("COMMIT").ctx("committing the edit")?;
        conn.close().map_err(|(_, e)| C1zError::Sqlite {
            context: "closing the edited db".into(),
            cause: e,
        })?;
        let tmp = suffixed(&path, &format!(".{}.tmp", std::process::id()));
        let written = envelope::write_c1z(&db, &tmp, &path);
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SyncStore;

    fn res(t: &str, id: &str) -> pb::Resource {
        pb::Resource {
            id: Some(pb::ResourceId {
                resource_type: t.into(),
                resource: id.into(),
                baton_resource: false,
            }),
            ..Default::default()
        }
    }

    fn grant(ent: &str, on: &pb::Resource, who: &pb::Resource) -> pb::Grant {
        let pid = who.id.clone().unwrap();
        pb::Grant {
            id: pb::grant_id(ent, &pid.resource_type, &pid.resource),
            entitlement: Some(pb::Entitlement {
                id: ent.into(),
                resource: Some(on.clone()),
                ..Default::default()
            }),
            principal: Some(who.clone()),
            ..Default::default()
        }
    }

    #[test]
    fn edits_the_latest_sync_and_saves_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.c1z");
        let repo = res("repository", "r1");
        let alice = res("user", "a");
        let bob = res("user", "b");
        let read = "repository:r1:read";
        let write = "repository:r1:write";
        let mut store = SyncStore::open(&path).unwrap();
        store.start_or_resume().unwrap();
        store
            .put_resources(&[repo.clone(), alice.clone(), bob.clone()])
            .unwrap();
        let mut inherited = grant(write, &repo, &bob);
        inherited.sources = Some(pb::GrantSources {
            sources: [(
                "user_group:g:member".to_string(),
                pb::GrantSource { is_direct: false },
            )]
            .into_iter()
            .collect(),
        });
        store
            .put_grants(&[grant(read, &repo, &alice), inherited])
            .unwrap();
        store.finish().unwrap();

        let mut ed = C1zEditor::open(&path).unwrap();
        let sync = ed.latest_full_sync().unwrap();
        assert_eq!(
            ed.remove_grant(&sync, &grant(read, &repo, &alice).id)
                .unwrap(),
            Removal::Deleted
        );
        assert_eq!(ed.remove_grant(&sync, "nope").unwrap(), Removal::Absent);
        ed.upsert_grants(
            &sync,
            &[grant(write, &repo, &alice), grant(write, &repo, &bob)],
        )
        .unwrap();
        ed.save().unwrap();

        let ed = C1zEditor::open(&path).unwrap();
        assert!(
            ed.grant(&sync, &grant(read, &repo, &alice).id)
                .unwrap()
                .is_none()
        );
        assert!(
            ed.grant(&sync, &grant(write, &repo, &alice).id)
                .unwrap()
                .is_some()
        );
        let b = ed
            .grant(&sync, &grant(write, &repo, &bob).id)
            .unwrap()
            .unwrap();
        assert_eq!(
            b.sources.unwrap().sources.len(),
            2,
            "direct + inherited source"
        );
        let stats: String = ed
            .conn
            .query_row(
                "SELECT stats FROM v1_sync_runs WHERE sync_id = ?1",
                [&sync],
                |r| r.get(0),
            )
            .unwrap();
        assert!(stats.contains("\"grants\":2"), "{stats}");
        drop(ed);
        let mut ed = C1zEditor::open(&path).unwrap();
        assert_eq!(
            ed.remove_grant(&sync, &grant(write, &repo, &bob).id)
                .unwrap(),
            Removal::KeptInherited
        );
    }
}
