//! The dispatcher, on a connector of two resource types: exports go to the syncer of their
//! resource type, the metadata's provisioning comes from the syncers, and the connector's state
//! is made from the configuration on the first call that needs it, again after a failure.

use std::cell::Cell;
use std::rc::Rc;

use connector_sdk::{
    Component, Config, ConfigField, Connector, ConnectorError, Dispatcher, Entitlement,
    EntitlementPurpose, FieldGroup, FieldType, Grant, GrantOutcome, HttpError, HttpRequest,
    HttpResponse, LogLevel, Metadata, Page, ProvisionChange, Provisioning, Provisions, ResourceId,
    ResourceInfo, ResourceSyncer, ResourceType, Transport, listed_under,
};

thread_local! {
    /// How many times the connector's state was made.
    static MADE: Cell<usize> = const { Cell::new(0) };
}

/// Teams (top level) and their members (a child type); team membership can be granted.
struct Teams {
    teams: Vec<String>,
}

struct TeamSyncer;
struct MemberSyncer;

fn resource(t: &str, id: &str, children: &[&str]) -> ResourceInfo {
    ResourceInfo {
        id: ResourceId::new(t, id),
        parent: None,
        display_name: id.to_string(),
        description: String::new(),
        user: None,
        group: None,
        child_resource_types: children.iter().map(|c| c.to_string()).collect(),
        profile: vec![],
    }
}

impl ResourceSyncer<Teams> for TeamSyncer {
    fn resource_type(&self) -> ResourceType {
        ResourceType::new("team", "Team", "A team.", &[])
    }
    fn provisions(&self) -> Option<Provisions> {
        Some(Provisions {
            slugs: &["member"],
            principal_types: &["member"],
        })
    }
    fn list(
        &self,
        c: &mut Teams,
        parent: Option<&ResourceId>,
        _: &str,
    ) -> Result<Page<ResourceInfo>, ConnectorError> {
        if parent.is_some() {
            return Ok(Page::last(vec![]));
        }
        let items = c
            .teams
            .iter()
            .map(|t| resource("team", t, &["member"]))
            .collect();
        Ok(Page::last(items))
    }
    fn grant(
        &self,
        _: &mut Teams,
        principal: &ResourceInfo,
        entitlement: &Entitlement,
    ) -> Result<GrantOutcome, ConnectorError> {
        Ok(GrantOutcome {
            change: ProvisionChange::Applied,
            grants: vec![Grant::new(
                &entitlement.resource_ref,
                &entitlement.slug,
                principal.clone(),
            )],
            message: format!(
                "added {} to {}",
                principal.id.id, entitlement.resource_ref.id
            ),
        })
    }
}

impl ResourceSyncer<Teams> for MemberSyncer {
    fn resource_type(&self) -> ResourceType {
        ResourceType::new("member", "Member", "A member of a team.", &[])
    }
    fn list(
        &self,
        _: &mut Teams,
        parent: Option<&ResourceId>,
        _: &str,
    ) -> Result<Page<ResourceInfo>, ConnectorError> {
        let Some(team) = listed_under("member", parent, "team")? else {
            return Ok(Page::last(vec![]));
        };
        Ok(Page::last(vec![resource(
            "member",
            &format!("{}-lead", team.id),
            &[],
        )]))
    }
}

impl Connector for Teams {
    fn metadata() -> Metadata {
        Metadata {
            config_fields: vec![ConfigField::new(
                "teams",
                FieldType::TextList,
                FieldGroup::Sync,
                "The teams.",
            )],
            ..Metadata::new("Teams", "Teams and their members.", "1.2.3")
        }
    }
    fn syncers() -> &'static [&'static dyn ResourceSyncer<Self>] {
        &[&TeamSyncer, &MemberSyncer]
    }
    fn new(_: Rc<dyn Transport>, config: &Config) -> Result<Self, ConnectorError> {
        MADE.with(|m| m.set(m.get() + 1));
        let teams = config.list("teams");
        if teams.is_empty() {
            return Err(ConnectorError::InvalidArgument(
                "teams is empty: name at least one team with --teams".into(),
            ));
        }
        Ok(Teams { teams })
    }
}

/// The host for a connector that sends nothing.
struct NoNetwork;

impl Transport for NoNetwork {
    fn send(&self, _: &HttpRequest) -> Result<HttpResponse, HttpError> {
        Err(HttpError::Denied("this connector sends no requests".into()))
    }
    fn log(&self, _: LogLevel, _: &str) {}
}

fn instance(pairs: &[(&str, &str)]) -> Dispatcher<Teams> {
    <Dispatcher<Teams> as Component>::new(Rc::new(NoNetwork), Config::from_pairs(pairs))
}

fn entitlement(on: &ResourceId, slug: &str) -> Entitlement {
    Entitlement {
        resource_ref: on.clone(),
        slug: slug.into(),
        display_name: String::new(),
        description: String::new(),
        purpose: EntitlementPurpose::Assignment,
        grantable_to: vec![],
    }
}

#[test]
fn the_metadata_is_the_connectors_with_provisioning_from_its_syncers() {
    let m = Dispatcher::<Teams>::metadata();
    assert_eq!(
        (m.display_name.as_str(), m.version.as_str()),
        ("Teams", "1.2.3")
    );
    assert_eq!(m.config_fields[0].name, "teams");
    assert_eq!(
        m.provisioning,
        vec![Provisioning {
            resource_type: "team".into(),
            slugs: vec!["member".into()],
            principal_types: vec!["member".into()],
        }]
    );
}

#[test]
fn resource_types_need_no_configuration_and_a_bad_one_is_every_calls_answer() {
    MADE.with(|m| m.set(0));
    let mut c = instance(&[]);
    let types: Vec<String> = c
        .resource_types()
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(types, vec!["team", "member"]);
    assert_eq!(MADE.with(Cell::get), 0, "resource types made no state");
    let refused = Err(ConnectorError::InvalidArgument(
        "teams is empty: name at least one team with --teams".into(),
    ));
    assert_eq!(c.validate(), refused);
    assert_eq!(c.list_resources("team", None, "").map(|_| ()), refused);
    assert_eq!(MADE.with(Cell::get), 2, "each call tried again");
}

#[test]
fn exports_go_to_the_syncer_of_their_resource_type() {
    MADE.with(|m| m.set(0));
    let mut c = instance(&[("teams", "red, blue")]);
    c.validate().unwrap();
    let teams = c.list_resources("team", None, "").unwrap().items;
    assert_eq!(teams.len(), 2);
    assert!(
        c.list_resources("team", Some(&teams[0].id), "")
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        c.list_resources("member", None, "")
            .unwrap()
            .items
            .is_empty()
    );
    let members = c
        .list_resources("member", Some(&teams[1].id), "")
        .unwrap()
        .items;
    assert_eq!(members[0].id, ResourceId::new("member", "blue-lead"));
    assert_eq!(
        c.list_resources("member", Some(&members[0].id), ""),
        Err(ConnectorError::InvalidArgument(
            "member resources are listed per team, not per member".into()
        ))
    );
    // Defaults: no entitlements or grants, and nothing to provision on members.
    assert!(c.list_entitlements(&teams[0], "").unwrap().items.is_empty());
    assert!(c.list_grants(&members[0], "").unwrap().items.is_empty());
    let added = c
        .grant(&members[0], &entitlement(&teams[0].id, "member"))
        .unwrap();
    assert_eq!(added.message, "added blue-lead to red");
    assert_eq!(
        c.grant(&teams[0], &entitlement(&members[0].id, "member")),
        Err(ConnectorError::InvalidArgument(
            "nothing can be granted or revoked on member resources: this connector only syncs \
them (see its capabilities)"
                .into()
        ))
    );
    let unknown = Err(ConnectorError::InvalidArgument(
        "unknown resource type 'org': this connector syncs team and member".into(),
    ));
    assert_eq!(c.list_resources("org", None, "").map(|_| ()), unknown);
    let org = resource("org", "o1", &[]);
    assert_eq!(c.list_grants(&org, "").map(|_| ()), unknown);
    assert_eq!(
        c.revoke(&Grant::new(&org.id, "member", members[0].clone()))
            .map(|_| ()),
        unknown
    );
    assert_eq!(MADE.with(Cell::get), 1, "one state per instance");
}
