//! `user`: Bitbucket accounts, listed per workspace from its members. No entitlements.

use std::collections::HashSet;

use connector_sdk::{
    AccountStatus, AccountType, ConnectorError, Entitlement, Grant, GrantOutcome, Page, ResourceId,
    ResourceInfo, ResourceSyncer, ResourceTrait, ResourceType, RevokeOutcome, UserTrait,
    listed_under, profile,
};

use crate::api::{Account, nonblank};
use crate::ids::norm;
use crate::instance::Bitbucket;
use crate::type_ids::{USER, WORKSPACE};

/// The syncer of `user`.
pub struct UserSyncer;

impl ResourceSyncer<Bitbucket> for UserSyncer {
    fn resource_type(&self) -> ResourceType {
        ResourceType::new(
            USER,
            "User",
            "A Bitbucket Cloud account that is a member of a synced workspace.",
            &[ResourceTrait::User],
        )
    }

    /// The members of a workspace, as users (one page).
    fn list(
        &self,
        c: &mut Bitbucket,
        parent: Option<&ResourceId>,
        _page_token: &str,
    ) -> Result<Page<ResourceInfo>, ConnectorError> {
        let Some(parent) = listed_under(USER, parent, WORKSPACE)? else {
            return Ok(Page::last(vec![]));
        };
        let ws = c.workspace(&parent.id)?;
        let members = c.members(&ws, true)?;
        let parent = ResourceId::new(WORKSPACE, ws.uuid.clone());
        let mut seen = HashSet::new();
        let items = members
            .members
            .iter()
            .filter(|m| seen.insert(norm(&m.user.uuid)))
            .map(|m| {
                let status = c.status_of(&m.user.uuid);
                resource(&m.user, status.as_deref(), Some(parent.clone()))
            })
            .collect();
        Ok(Page::last(items))
    }

    fn grant(
        &self,
        _c: &mut Bitbucket,
        _principal: &ResourceInfo,
        _entitlement: &Entitlement,
    ) -> Result<GrantOutcome, ConnectorError> {
        Err(ConnectorError::InvalidArgument(
            "users have no entitlements to grant".to_string(),
        ))
    }

    fn revoke(&self, _c: &mut Bitbucket, _grant: &Grant) -> Result<RevokeOutcome, ConnectorError> {
        Err(ConnectorError::InvalidArgument(
            "users have no entitlements to revoke".to_string(),
        ))
    }
}

/// Splits a display name on its first space: `("Mary", "Ann Smith")`.
pub fn split_name(display_name: &str) -> (String, String) {
    let d = display_name.trim();
    match d.split_once(char::is_whitespace) {
        Some((given, family)) => (given.to_string(), family.trim().to_string()),
        None => (d.to_string(), String::new()),
    }
}

/// `account_status` → status: active → enabled, inactive → disabled, closed → deleted,
/// anything else or unknown → unspecified. The details keep Bitbucket's word.
pub fn map_status(account_status: Option<&str>) -> (AccountStatus, String) {
    let word = account_status.unwrap_or("").trim();
    let status = match word.to_ascii_lowercase().as_str() {
        "active" => AccountStatus::Enabled,
        "inactive" => AccountStatus::Disabled,
        "closed" => AccountStatus::Deleted,
        _ => AccountStatus::Unspecified,
    };
    (status, word.to_string())
}

/// A user resource. `status` overrides the account's own `account_status` when given.
pub fn resource(
    account: &Account,
    status: Option<&str>,
    parent: Option<ResourceId>,
) -> ResourceInfo {
    let display = nonblank(&account.display_name)
        .or(nonblank(&account.nickname))
        .unwrap_or(&account.uuid)
        .to_string();
    let login = nonblank(&account.nickname)
        .or(nonblank(&account.username))
        .or(nonblank(&account.account_id))
        .unwrap_or(&account.uuid)
        .to_string();
    let (given, family) = split_name(nonblank(&account.display_name).unwrap_or(""));
    let (st, details) = map_status(status.or(nonblank(&account.account_status)));
    let account_type = match account.kind.as_deref() {
        Some("user") | None => AccountType::Human,
        Some("app_user") => AccountType::Service,
        _ => AccountType::Unspecified,
    };
    let account_id = nonblank(&account.account_id).unwrap_or("");
    let nickname = nonblank(&account.nickname).unwrap_or("");
    let description = if login != display {
        format!("The Bitbucket account of {display} ({login}).")
    } else {
        format!("The Bitbucket account {display}.")
    };
    ResourceInfo {
        id: ResourceId::new(USER, account.uuid.clone()),
        parent,
        display_name: display.clone(),
        description,
        user: Some(UserTrait {
            login: login.clone(),
            status: st,
            status_details: details,
            account_type,
            given_name: given.clone(),
            family_name: family.clone(),
            emails: vec![],
        }),
        group: None,
        child_resource_types: vec![],
        profile: profile(&[
            ("first_name", &given),
            ("last_name", &family),
            ("login", &login),
            ("user_id", &account.uuid),
            ("account_id", account_id),
            ("nickname", nickname),
            ("display_name", &display),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_on_first_space() {
        assert_eq!(
            split_name("Ilka Guigova"),
            ("Ilka".into(), "Guigova".into())
        );
        assert_eq!(
            split_name("Mary Ann  Smith "),
            ("Mary".into(), "Ann  Smith".into())
        );
        assert_eq!(split_name("Cher"), ("Cher".into(), "".into()));
        assert_eq!(split_name(""), ("".into(), "".into()));
    }

    #[test]
    fn statuses_map() {
        assert_eq!(map_status(Some("active")).0, AccountStatus::Enabled);
        assert_eq!(map_status(Some("inactive")).0, AccountStatus::Disabled);
        assert_eq!(
            map_status(Some("closed")),
            (AccountStatus::Deleted, "closed".into())
        );
        assert_eq!(
            map_status(Some("weird")),
            (AccountStatus::Unspecified, "weird".into())
        );
        assert_eq!(map_status(None), (AccountStatus::Unspecified, "".into()));
    }

    #[test]
    fn user_resource_keeps_go_profile_keys() {
        let a: Account = serde_json::from_str(
            r#"{"type":"user","uuid":"{u1}","account_id":"557058:x","display_name":"Alice Smith","nickname":"alice","account_status":"inactive"}"#,
        )
        .unwrap();
        let r = resource(&a, None, None);
        assert_eq!(r.id, ResourceId::new("user", "{u1}"));
        let u = r.user.as_ref().unwrap();
        assert_eq!(u.login, "alice");
        assert_eq!(u.status, AccountStatus::Disabled);
        assert_eq!(
            (u.given_name.as_str(), u.family_name.as_str()),
            ("Alice", "Smith")
        );
        for k in [
            "first_name",
            "last_name",
            "login",
            "user_id",
            "account_id",
            "nickname",
        ] {
            assert!(r.profile_value(k).is_some(), "{k}");
        }
        assert_eq!(r.profile_value("user_id"), Some("{u1}"));
        // A status from a lookup wins over the (absent) listing one.
        let b: Account = serde_json::from_str(r#"{"uuid":"{u2}"}"#).unwrap();
        let r = resource(&b, Some("closed"), None);
        assert_eq!(r.user.unwrap().status, AccountStatus::Deleted);
        assert_eq!(r.display_name, "{u2}");
    }
}
