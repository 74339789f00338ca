//! What an access reviewer looks at first: privileged access, accounts that are not enabled yet hold access, and
//! access that exists only through groups.

use super::access::Holding;
use super::index::{AccessIndex, AccountStatus, EntitlementInfo, GrantRef, ResourceRef};
use crate::pb;

/// Whether an entitlement gives administrative control: ownership by purpose, or a slug that says admin or owner
/// (Bitbucket: workspace `owner`, project and repository `admin`).
pub fn is_privileged(e: &EntitlementInfo) -> bool {
    let slug = e.slug.to_ascii_lowercase();
    e.purpose == pb::Purpose::Ownership || slug.contains("admin") || slug.contains("owner")
}

/// An account that is not enabled but still holds grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DormantAccess {
    /// The account.
    pub account: ResourceRef,
    /// Its status (deleted, disabled, or not known).
    pub status: AccountStatus,
    /// What it still holds.
    pub grants: Vec<GrantRef>,
}

/// The review findings of a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewFindings {
    /// Grants of privileged entitlements (to accounts and to groups), by resource then principal.
    pub privileged: Vec<Holding>,
    /// Accounts whose status is not enabled and that hold at least one grant: deleted first, then disabled, then
    /// unknown status.
    pub dormant: Vec<DormantAccess>,
    /// Grants to accounts that exist only through group membership, by resource then principal.
    pub group_only: Vec<Holding>,
}

impl AccessIndex {
    /// Computes the review findings.
    pub fn review(&self) -> ReviewFindings {
        let mut privileged = Vec::new();
        let mut group_only = Vec::new();
        for (g, grant) in self.grants() {
            let is_account = self.resource(grant.principal).user.is_some();
            let privileged_here = is_privileged(self.entitlement(grant.entitlement));
            if privileged_here || (is_account && !grant.direct) {
                let h = self.holding(g);
                if is_account && !grant.direct {
                    group_only.push(h.clone());
                }
                if privileged_here {
                    privileged.push(h);
                }
            }
        }
        let order = |a: &Holding, b: &Holding| {
            self.by_entitlement(a, b)
                .then_with(|| self.by_principal(a, b))
        };
        privileged.sort_by(order);
        group_only.sort_by(order);

        let mut dormant: Vec<DormantAccess> = self
            .resources()
            .filter_map(|(r, res)| {
                let status = res.user.as_ref()?.effective_status();
                let grants = self.grants_of_principal(r);
                (status != AccountStatus::Enabled && !grants.is_empty()).then(|| DormantAccess {
                    account: r,
                    status,
                    grants: grants.to_vec(),
                })
            })
            .collect();
        dormant.sort_by(|a, b| {
            let name = |d: &DormantAccess| self.resource(d.account).name();
            a.status.cmp(&b.status).then_with(|| name(a).cmp(name(b)))
        });
        ReviewFindings {
            privileged,
            dormant,
            group_only,
        }
    }
}
