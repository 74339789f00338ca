//! `user`: the tracker's users, one listing page per call.

use connector_sdk::{
    AccountStatus, AccountType, ConnectorError, Page, ResourceId, ResourceInfo, ResourceSyncer,
    ResourceTrait, ResourceType, UserTrait, listing_page, profile,
};

use crate::Tickets;
use crate::api::{EP_USERS, PER_PAGE, User};

/// The type id.
pub const USER: &str = "user";

/// The syncer of `user`.
pub struct UserSyncer;

impl ResourceSyncer<Tickets> for UserSyncer {
    fn resource_type(&self) -> ResourceType {
        ResourceType::new(
            USER,
            "User",
            "A user of the ticket tracker.",
            &[ResourceTrait::User],
        )
    }

    /// One page of `/users`. Token: `users|<next url>`.
    fn list(
        &self,
        c: &mut Tickets,
        parent: Option<&ResourceId>,
        page_token: &str,
    ) -> Result<Page<ResourceInfo>, ConnectorError> {
        if parent.is_some() {
            return Ok(Page::last(vec![]));
        }
        let first_url = || c.client.url(&["users"], &[("per_page", PER_PAGE)]);
        let page = listing_page::<User>(&c.client, "users", page_token, first_url, EP_USERS)?;
        Ok(page.map(|u| resource(&u)))
    }
}

/// A user resource; a user known only by id (a project member) has only its id.
pub fn resource(u: &User) -> ResourceInfo {
    let name = u.name.clone().unwrap_or_else(|| u.id.clone());
    let email = u.email.clone().unwrap_or_default();
    let status = match u.active {
        Some(true) => AccountStatus::Enabled,
        Some(false) => AccountStatus::Disabled,
        None => AccountStatus::Unspecified,
    };
    ResourceInfo {
        id: ResourceId::new(USER, u.id.clone()),
        parent: None,
        display_name: name.clone(),
        description: format!("The ticket tracker account of {name}."),
        user: Some(UserTrait {
            login: u.id.clone(),
            status,
            status_details: u.active.map(|a| a.to_string()).unwrap_or_default(),
            account_type: AccountType::Human,
            given_name: String::new(),
            family_name: String::new(),
            emails: u.email.iter().cloned().collect(),
        }),
        group: None,
        child_resource_types: vec![],
        profile: profile(&[("user_id", &u.id), ("email", &email)]),
    }
}
