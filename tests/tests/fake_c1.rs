//! Self-tests of the fake ConductorOne (tests/src/fake_c1): a minimal client written here, from
//! the protocol (a hand-made JWT assertion, reqwest for the token, tonic with the fake's own
//! protos), proves the fake accepts what the protocol allows and refuses what it does not,
//! before the real client exists.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use connector_tests::fake_c1::pb::c1::connector::v2 as c1v2;
use connector_tests::fake_c1::pb::c1::connectorapi::baton::v1 as api;
use connector_tests::fake_c1::pb::google::rpc;
use connector_tests::fake_c1::{
    ClientIdentity, FakeC1, FakeC1Config, FullSync, IdleAnswer, MAX_CHUNK, TaskSpec, UploadOutcome,
    audience_of, parse_client_id, transcode,
};
use ed25519_dalek::{Signer, SigningKey};
use prost::Message;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tonic::Code;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

use api::baton_service_client::BatonServiceClient;
use api::baton_service_finish_task_request::{Error as FinishError, FinalState, Success};
use api::baton_service_upload_asset_request::{Msg, UploadData, UploadEof, UploadMetadata};
use api::task::TaskType;

const WAIT: Duration = Duration::from_secs(10);
const HOST_ID: &str = "self-test-host";

/// Adds an `authorization` value to every request.
#[derive(Clone)]
struct Authorization(Option<AsciiMetadataValue>);

impl Interceptor for Authorization {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

type Grpc = BatonServiceClient<InterceptedService<Channel, Authorization>>;

/// The minimal service-mode client: its credentials, parsed as baton-sdk parses them.
struct TestClient {
    client_id: String,
    key: SigningKey,
    /// The host the client connects to (the fake), which may differ from the tenant host.
    connect_host: String,
    ca_pem: String,
    http: reqwest::Client,
}

impl TestClient {
    /// A client of `identity` that connects to `fake`.
    fn new(fake: &FakeC1, identity: &ClientIdentity) -> Self {
        let http = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(fake.ca_pem().as_bytes()).unwrap())
            .build()
            .unwrap();
        Self {
            client_id: identity.client_id().to_string(),
            key: key_from_secret(identity.client_secret()),
            connect_host: fake.host().to_string(),
            ca_pem: fake.ca_pem().to_string(),
            http,
        }
    }

    /// The assertion baton-sdk would sign now, after `edit` changes its header and claims.
    fn assertion_with(&self, edit: impl FnOnce(&mut Value, &mut Value)) -> String {
        let (_, tenant) = parse_client_id(&self.client_id).unwrap();
        let now = unix_now();
        let mut header = json!({"alg": "EdDSA", "nonce": hex(&rand::random::<[u8; 16]>())});
        let mut claims = json!({
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience_of(tenant),
            "exp": now + 120,
            "iat": now,
            "nbf": now - 120,
        });
        edit(&mut header, &mut claims);
        sign(&self.key, &header, &claims)
    }

    fn assertion(&self) -> String {
        self.assertion_with(|_, _| {})
    }

    /// The form baton-sdk posts, with `assertion`.
    fn form(&self, assertion: &str) -> Vec<(String, String)> {
        [
            ("client_id", self.client_id.as_str()),
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// Posts a form to the token endpoint; the status and the JSON answer.
    async fn post_token(&self, form: &[(String, String)]) -> (u16, Value) {
        let response = self
            .http
            .post(format!("https://{}/auth/v1/token", self.connect_host))
            .form(form)
            .send()
            .await
            .expect("the token endpoint answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON answer"))
    }

    /// A fresh access token, checked for the answer's shape.
    async fn token(&self) -> String {
        let (status, answer) = self.post_token(&self.form(&self.assertion())).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["token_type"], "bearer");
        assert!(answer["expires_in"].as_u64().unwrap() >= 1, "{answer}");
        answer["access_token"].as_str().unwrap().to_string()
    }

    /// A gRPC client sending `authorization` verbatim (None: no header).
    async fn grpc_raw(&self, authorization: Option<&str>) -> Grpc {
        let tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&self.ca_pem));
        let channel = Channel::from_shared(format!("https://{}", self.connect_host))
            .unwrap()
            .tls_config(tls)
            .unwrap()
            .connect()
            .await
            .expect("TLS to the fake");
        let value = authorization.map(|a| MetadataValue::try_from(a).unwrap());
        BatonServiceClient::with_interceptor(channel, Authorization(value))
    }

    /// A gRPC client with a fresh token.
    async fn grpc(&self) -> Grpc {
        let token = self.token().await;
        self.grpc_raw(Some(&format!("Bearer {token}"))).await
    }
}

fn key_from_secret(secret: &str) -> SigningKey {
    let parts: Vec<&str> = secret.splitn(4, ':').collect();
    assert_eq!(parts[..3], ["secret-token", "conductorone.com", "v1"]);
    let jwk: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[3]).unwrap()).unwrap();
    assert_eq!(
        (jwk["kty"].as_str(), jwk["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    let d: [u8; 32] = URL_SAFE_NO_PAD
        .decode(jwk["d"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let key = SigningKey::from_bytes(&d);
    let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
    assert_eq!(x, key.verifying_key().as_bytes(), "x is d's public key");
    key
}

fn sign(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hello(host_id: &str, task_id: &str) -> api::BatonServiceHelloRequest {
    api::BatonServiceHelloRequest {
        host_id: host_id.to_string(),
        task_id: task_id.to_string(),
        build_info: Some(api::baton_service_hello_request::BuildInfo {
            lang_version: "rust".into(),
            package: "connector-tests".into(),
            package_version: "0.0.0".into(),
        }),
        os_info: None,
        connector_metadata: Some(c1v2::ConnectorMetadata {
            display_name: "Self-test".into(),
            ..Default::default()
        }),
        annotations: vec![],
    }
}

fn get_task() -> api::BatonServiceGetTaskRequest {
    api::BatonServiceGetTaskRequest {
        host_id: HOST_ID.into(),
    }
}

fn heartbeat(task_id: &str) -> api::BatonServiceHeartbeatRequest {
    api::BatonServiceHeartbeatRequest {
        host_id: HOST_ID.into(),
        task_id: task_id.into(),
        ..Default::default()
    }
}

fn success(
    task_id: &str,
    response: Option<prost_types::Any>,
) -> api::BatonServiceFinishTaskRequest {
    api::BatonServiceFinishTaskRequest {
        host_id: HOST_ID.into(),
        task_id: task_id.into(),
        status: None,
        final_state: Some(FinalState::Success(Success {
            annotations: vec![],
            response,
        })),
    }
}

/// The messages of an upload of `content` in `chunk`-byte pieces, ending with `checksum`.
fn upload_messages(
    task_id: &str,
    content: &[u8],
    chunk: usize,
    checksum: Vec<u8>,
) -> Vec<api::BatonServiceUploadAssetRequest> {
    let message = |msg| api::BatonServiceUploadAssetRequest { msg: Some(msg) };
    let mut messages = vec![message(Msg::Metadata(UploadMetadata {
        host_id: HOST_ID.into(),
        task_id: task_id.into(),
        annotations: vec![],
    }))];
    messages.extend(
        content
            .chunks(chunk)
            .map(|c| message(Msg::Data(UploadData { data: c.to_vec() }))),
    );
    messages.push(message(Msg::Eof(UploadEof {
        sha256_checksum: checksum,
        annotations: vec![],
    })));
    messages
}

async fn upload(
    grpc: &mut Grpc,
    messages: Vec<api::BatonServiceUploadAssetRequest>,
) -> Result<(), tonic::Status> {
    grpc.upload_asset(tonic::codegen::tokio_stream::iter(messages))
        .await
        .map(|_| ())
}

/// Content that spans several chunks, the last one short.
fn content() -> Vec<u8> {
    (0..(2 * MAX_CHUNK + 1000))
        .map(|i| (i % 251) as u8)
        .collect()
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

/// A client that has said Hello and holds the task the fake handed it.
async fn hello_and_take(fake: &FakeC1, spec: TaskSpec) -> (Grpc, String, api::Task) {
    let client = TestClient::new(fake, &fake.new_client("self-test"));
    let mut grpc = client.grpc().await;
    grpc.hello(hello(HOST_ID, "")).await.expect("Hello");
    let id = fake.push_task(spec);
    let task = grpc
        .get_task(get_task())
        .await
        .expect("GetTask")
        .into_inner()
        .task
        .expect("a task");
    assert_eq!(task.id, id);
    (grpc, id, task)
}

#[tokio::test]
async fn the_identity_has_the_formats_baton_sdk_parses() {
    let fake = FakeC1::start().await.unwrap();
    let identity = fake.new_client("bitbucket");
    let (name, tenant) = parse_client_id(identity.client_id()).expect("name@host/suffix");
    assert_eq!((name, tenant), ("bitbucket", fake.host()));
    assert!(fake.host().starts_with("127.0.0.1:"), "{}", fake.host());
    assert_eq!(identity.audience(), "127.0.0.1");
    // key_from_secret checks the secret's prefix, the JWK's kty and crv, and x against d.
    let key = key_from_secret(identity.client_secret());
    assert_eq!(key.verifying_key(), identity.verifying_key());
    assert_eq!(audience_of("[::1]:8443"), "::1");
    assert_eq!(audience_of("tenant.invalid"), "tenant.invalid");
    assert!(
        std::fs::read_to_string(fake.ca_file())
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
}

#[tokio::test]
async fn the_token_endpoint_accepts_a_good_assertion_and_refuses_bad_ones() {
    let fake = FakeC1::start().await.unwrap();
    let identity = fake.new_client("self-test");
    let client = TestClient::new(&fake, &identity);
    client.token().await;
    assert_eq!(fake.tokens_issued(), 1);

    let other = TestClient::new(&fake, &fake.new_client("other"));
    let now = unix_now();
    let replayed = client.assertion();
    assert_eq!(client.post_token(&client.form(&replayed)).await.0, 200);
    let wrong_key = {
        let mut forged = TestClient::new(&fake, &identity);
        forged.key = other.key.clone();
        forged.assertion()
    };
    let cases: Vec<(&str, String, &str)> = vec![
        ("signed with another key", wrong_key, "signature"),
        ("replayed", replayed, "nonce"),
        (
            "aud with its port",
            client.assertion_with(|_, c| c["aud"] = json!(fake.host())),
            "aud",
        ),
        (
            "the nonce among the claims",
            client.assertion_with(|h, c| {
                c["nonce"] = h["nonce"].take();
                h.as_object_mut().unwrap().remove("nonce");
            }),
            "nonce",
        ),
        (
            "alg HS256",
            client.assertion_with(|h, _| h["alg"] = json!("HS256")),
            "alg",
        ),
        (
            "expired",
            client.assertion_with(|_, c| {
                c["exp"] = json!(now - 10);
                c["iat"] = json!(now - 130);
            }),
            "expired",
        ),
        (
            "valid for an hour",
            client.assertion_with(|_, c| c["exp"] = json!(now + 3600)),
            "short-lived",
        ),
        (
            "sub of another client",
            client.assertion_with(|_, c| c["sub"] = json!("x@y/z")),
            "sub",
        ),
        (
            "no nbf",
            client.assertion_with(|_, c| c["nbf"] = Value::Null),
            "nbf",
        ),
    ];
    for (what, assertion, reason) in cases {
        let (status, answer) = client.post_token(&client.form(&assertion)).await;
        assert_eq!(status, 401, "{what}: {answer}");
        assert_eq!(answer["error"], "invalid_client", "{what}");
        let description = answer["error_description"].as_str().unwrap();
        assert!(description.contains(reason), "{what}: {description}");
    }

    let mut wrong_grant = client.form(&client.assertion());
    wrong_grant[1].1 = "password".into();
    let (status, answer) = client.post_token(&wrong_grant).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let mut missing = client.form(&client.assertion());
    missing.retain(|(k, _)| k != "client_assertion_type");
    assert_eq!(client.post_token(&missing).await.0, 400);
    let as_json = client
        .http
        .post(fake.token_url())
        .json(&serde_json::Map::from_iter(
            client
                .form(&client.assertion())
                .into_iter()
                .map(|(k, v)| (k, Value::String(v))),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        as_json.status().as_u16(),
        400,
        "a JSON body is not the form"
    );

    assert_eq!(
        fake.tokens_issued(),
        2,
        "only the two good assertions got tokens"
    );
    assert_eq!(fake.token_requests().len(), 2 + 9 + 3);
}

#[tokio::test]
async fn a_client_of_another_tenant_reaches_the_fake_through_the_api_host_override() {
    let fake = FakeC1::start().await.unwrap();
    let identity = fake.new_client_for_tenant("self-test", "tenant.invalid");
    assert_eq!(identity.audience(), "tenant.invalid");
    let client = TestClient::new(&fake, &identity);
    // aud stays the client id's tenant host, as baton-sdk signs it.
    let mut grpc = client.grpc().await;
    grpc.hello(hello(HOST_ID, "")).await.expect("Hello");
    let host_as_aud = client.assertion_with(|_, c| c["aud"] = json!("127.0.0.1"));
    assert_eq!(client.post_token(&client.form(&host_as_aud)).await.0, 401);
}

#[tokio::test]
async fn a_sync_task_is_handed_out_heartbeated_uploaded_and_finished() {
    let fake = FakeC1::start_with(FakeC1Config {
        next_poll: Duration::from_millis(150),
        next_heartbeat: Duration::from_secs(2),
        ..FakeC1Config::default()
    })
    .await
    .unwrap();
    let flags = FullSync {
        skip_grants: true,
        sync_resource_type_ids: vec!["user".into(), "group".into()],
        ..FullSync::default()
    };
    let (mut grpc, id, task) = hello_and_take(&fake, TaskSpec::full_sync(flags)).await;
    let Some(TaskType::SyncFull(sync)) = task.task_type else {
        panic!("a sync_full task, got {task:?}");
    };
    assert!(sync.skip_grants && !sync.skip_expand_grants && !sync.skip_entitlements_and_grants);
    assert_eq!(sync.sync_resource_type_ids, ["user", "group"]);

    let beat = grpc.heartbeat(heartbeat(&id)).await.unwrap().into_inner();
    assert!(!beat.cancelled);
    assert_eq!(beat.next_heartbeat.unwrap().seconds, 2);
    let data = content();
    let messages = upload_messages(&id, &data, MAX_CHUNK, sha256(&data));
    upload(&mut grpc, messages).await.expect("the upload");
    grpc.finish_task(success(&id, None))
        .await
        .expect("FinishTask");

    let finish = fake.wait_finished(&id, WAIT).await.unwrap();
    assert!(
        finish.is_success() && finish.code() == Code::Ok,
        "{finish:?}"
    );
    assert_eq!(finish.kind, "sync_full");
    assert_eq!(fake.uploaded(&id).as_deref(), Some(&data[..]));
    let attempts = fake.upload_attempts(&id);
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].chunk_sizes, [MAX_CHUNK, MAX_CHUNK, 1000]);
    assert_eq!(fake.heartbeats(&id).len(), 1);
    let hellos = fake.hellos();
    assert_eq!(hellos.len(), 1);
    assert_eq!(hellos[0].request.host_id, HOST_ID);
    assert_eq!(
        hellos[0]
            .request
            .connector_metadata
            .as_ref()
            .unwrap()
            .display_name,
        "Self-test"
    );

    // The queue is empty: no task, the configured poll interval.
    let idle = grpc.get_task(get_task()).await.unwrap().into_inner();
    assert!(idle.task.is_none());
    assert_eq!(idle.next_poll.unwrap().nanos, 150_000_000);
    fake.set_config(FakeC1Config {
        idle: IdleAnswer::NoneTask,
        ..fake.config()
    });
    let idle = grpc.get_task(get_task()).await.unwrap().into_inner();
    assert!(matches!(
        idle.task.unwrap().task_type,
        Some(TaskType::None(_))
    ));
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    let path = tempfile::NamedTempFile::new().unwrap();
    fake.save_upload(&id, path.path()).unwrap();
    assert_eq!(std::fs::read(path.path()).unwrap(), data);
}

#[tokio::test]
async fn provisioning_tasks_finish_with_the_connectors_response_or_an_error() {
    let fake = FakeC1::start().await.unwrap();
    let principal = c1v2::Resource {
        id: Some(c1v2::ResourceId {
            resource_type: "user".into(),
            resource: "alice".into(),
            baton_resource: false,
        }),
        ..Default::default()
    };
    // An entitlement as a sync file holds it, carried over into the fake's type.
    let stored = c1z::pb::Entitlement {
        id: "group:eng:member".into(),
        slug: "member".into(),
        ..Default::default()
    };
    let entitlement: c1v2::Entitlement = transcode(&stored).unwrap();
    assert_eq!(entitlement.id, "group:eng:member");
    let (mut grpc, id, task) =
        hello_and_take(&fake, TaskSpec::grant(entitlement, principal.clone())).await;
    let Some(TaskType::Grant(grant)) = task.task_type else {
        panic!("a grant task, got {task:?}");
    };
    assert_eq!(grant.principal, Some(principal));

    // A grant's success must carry the GrantManagerService response.
    let refused = grpc.finish_task(success(&id, None)).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    let response = prost_types::Any {
        type_url: "type.googleapis.com/c1.connector.v2.GrantManagerServiceGrantResponse".into(),
        value: c1v2::GrantManagerServiceGrantResponse::default().encode_to_vec(),
    };
    grpc.finish_task(success(&id, Some(response.clone())))
        .await
        .unwrap();
    let finish = fake.wait_finished(&id, WAIT).await.unwrap();
    assert_eq!(finish.response(), Some(&response));
    let twice = grpc
        .finish_task(success(&id, Some(response)))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);

    // An unsupported kind, finished as baton-sdk does: an error, code Unknown, retryable.
    let unsupported = fake.push_task(TaskSpec::create_account("user"));
    let task = grpc
        .get_task(get_task())
        .await
        .unwrap()
        .into_inner()
        .task
        .unwrap();
    assert!(matches!(task.task_type, Some(TaskType::CreateAccount(_))));
    let no_status = api::BatonServiceFinishTaskRequest {
        host_id: HOST_ID.into(),
        task_id: unsupported.clone(),
        status: None,
        final_state: Some(FinalState::Error(FinishError::default())),
    };
    let refused = grpc.finish_task(no_status.clone()).await.unwrap_err();
    assert_eq!(
        refused.code(),
        Code::InvalidArgument,
        "an error needs its status"
    );
    grpc.finish_task(api::BatonServiceFinishTaskRequest {
        status: Some(rpc::Status {
            code: Code::Unknown as i32,
            message: "unsupported task type".into(),
            details: vec![],
        }),
        ..no_status
    })
    .await
    .unwrap();
    let finish = fake.wait_finished(&unsupported, WAIT).await.unwrap();
    assert!(!finish.is_success() && !finish.non_retryable());
    assert_eq!(finish.code(), Code::Unknown);
    assert_eq!(finish.status().unwrap().message, "unsupported task type");
    assert_eq!(fake.violations().len(), 3, "{:?}", fake.violations());
}

#[tokio::test]
async fn a_hello_task_is_answered_by_a_hello_with_its_id() {
    let fake = FakeC1::start().await.unwrap();
    let (mut grpc, id, task) = hello_and_take(&fake, TaskSpec::hello()).await;
    assert!(matches!(task.task_type, Some(TaskType::Hello(_))));
    grpc.hello(hello(HOST_ID, &id)).await.unwrap();
    let answer = fake.wait_hello_task(&id, WAIT).await.unwrap();
    assert_eq!(answer.request.task_id, id);
    let unknown = grpc
        .hello(hello(HOST_ID, &connector_tests::fake_c1::new_task_id()))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}

#[tokio::test]
async fn an_upload_with_a_wrong_checksum_is_refused() {
    let fake = FakeC1::start().await.unwrap();
    let (mut grpc, id, _) = hello_and_take(&fake, TaskSpec::full_sync(FullSync::default())).await;
    grpc.heartbeat(heartbeat(&id)).await.unwrap();
    let data = content();
    let mut wrong = sha256(&data);
    wrong[0] ^= 1;
    let refused = upload(&mut grpc, upload_messages(&id, &data, MAX_CHUNK, wrong))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("SHA-256"), "{refused:?}");
    let attempts = fake.upload_attempts(&id);
    assert!(matches!(
        &attempts[0].outcome,
        UploadOutcome::Rejected(Code::InvalidArgument, _)
    ));
    assert!(fake.uploaded(&id).is_none());
    // Without a complete upload the sync cannot succeed.
    let finish = grpc.finish_task(success(&id, None)).await.unwrap_err();
    assert_eq!(finish.code(), Code::FailedPrecondition, "{finish:?}");
    assert_eq!(fake.violations().len(), 2);
}

#[tokio::test]
async fn uploads_out_of_order_or_oversized_are_refused() {
    let fake = FakeC1::start().await.unwrap();
    let (mut grpc, id, _) = hello_and_take(&fake, TaskSpec::full_sync(FullSync::default())).await;
    let data = content();
    let early = upload(
        &mut grpc,
        upload_messages(&id, &data, MAX_CHUNK, sha256(&data)),
    )
    .await
    .unwrap_err();
    assert!(early.message().contains("heartbeat"), "{early:?}");
    grpc.heartbeat(heartbeat(&id)).await.unwrap();
    let oversized = upload(
        &mut grpc,
        upload_messages(&id, &data, MAX_CHUNK + 1, sha256(&data)),
    )
    .await
    .unwrap_err();
    assert!(oversized.message().contains("chunk"), "{oversized:?}");
    let mut no_metadata = upload_messages(&id, &data, MAX_CHUNK, sha256(&data));
    no_metadata.remove(0);
    let headless = upload(&mut grpc, no_metadata).await.unwrap_err();
    assert!(headless.message().contains("metadata"), "{headless:?}");
    let mut no_eof = upload_messages(&id, &data, MAX_CHUNK, sha256(&data));
    no_eof.pop();
    let endless = upload(&mut grpc, no_eof).await.unwrap_err();
    assert!(endless.message().contains("eof"), "{endless:?}");
    assert!(fake.uploaded(&id).is_none());
    assert_eq!(fake.violations().len(), 4);
    assert_eq!(
        fake.upload_attempts(&id).len(),
        3,
        "the headless one named no task"
    );
}

#[tokio::test]
async fn a_scripted_drop_breaks_the_first_upload_and_the_retry_goes_through() {
    let fake = FakeC1::start().await.unwrap();
    let spec = TaskSpec::full_sync(FullSync::default()).drop_upload_once_after_chunks(1);
    let (mut grpc, id, _) = hello_and_take(&fake, spec).await;
    grpc.heartbeat(heartbeat(&id)).await.unwrap();
    let data = content();
    let dropped = upload(
        &mut grpc,
        upload_messages(&id, &data, MAX_CHUNK, sha256(&data)),
    )
    .await
    .unwrap_err();
    // A broken transport (a status with an underlying error), not an answer from the service.
    assert!(
        std::error::Error::source(&dropped).is_some()
            && !dropped.message().contains("fake ConductorOne"),
        "the client saw a status, not a drop: {dropped:?}"
    );
    let attempts = fake.upload_attempts(&id);
    assert!(
        matches!(
            attempts[0].outcome,
            UploadOutcome::Dropped { after_chunks: 1 }
        ),
        "{attempts:?}"
    );
    upload(
        &mut grpc,
        upload_messages(&id, &data, MAX_CHUNK, sha256(&data)),
    )
    .await
    .expect("the retry");
    grpc.finish_task(success(&id, None)).await.unwrap();
    assert_eq!(fake.uploaded(&id).as_deref(), Some(&data[..]));
    assert_eq!(fake.upload_attempts(&id).len(), 2);
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
}

#[tokio::test]
async fn a_heartbeat_cancels_the_task_as_scripted() {
    let fake = FakeC1::start().await.unwrap();
    let spec = TaskSpec::full_sync(FullSync::default()).cancelled_after_heartbeats(2);
    let (mut grpc, id, _) = hello_and_take(&fake, spec).await;
    let first = grpc.heartbeat(heartbeat(&id)).await.unwrap().into_inner();
    let second = grpc.heartbeat(heartbeat(&id)).await.unwrap().into_inner();
    assert!(!first.cancelled && second.cancelled);
    assert_eq!(second.cancelled_task_ids, std::slice::from_ref(&id));
    let cancelled = api::BatonServiceFinishTaskRequest {
        host_id: HOST_ID.into(),
        task_id: id.clone(),
        status: Some(rpc::Status {
            code: Code::Cancelled as i32,
            message: "task was cancelled".into(),
            details: vec![],
        }),
        final_state: Some(FinalState::Error(FinishError::default())),
    };
    grpc.finish_task(cancelled).await.unwrap();
    let late = grpc.heartbeat(heartbeat(&id)).await.unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);
    let beats = fake.heartbeats(&id);
    assert_eq!(
        beats
            .iter()
            .map(|b| (b.answered_cancelled, b.late))
            .collect::<Vec<_>>(),
        [(false, false), (true, false), (false, true)]
    );
    let unknown = grpc
        .heartbeat(heartbeat(&connector_tests::fake_c1::new_task_id()))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(fake.violations().len(), 1, "the late beat is no violation");
}

#[tokio::test]
async fn an_expired_token_is_refused_and_a_fresh_one_works() {
    let fake = FakeC1::start_with(FakeC1Config {
        token_lifetime: Duration::from_millis(800),
        ..FakeC1Config::default()
    })
    .await
    .unwrap();
    let client = TestClient::new(&fake, &fake.new_client("self-test"));
    let mut grpc = client.grpc().await;
    grpc.hello(hello(HOST_ID, ""))
        .await
        .expect("a fresh token works");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let expired = grpc.get_task(get_task()).await.unwrap_err();
    assert_eq!(expired.code(), Code::Unauthenticated);
    assert!(expired.message().contains("expired"), "{expired:?}");
    let mut refreshed = client.grpc().await;
    refreshed
        .get_task(get_task())
        .await
        .expect("a new token works");
    assert_eq!(fake.tokens_issued(), 2);
    let failures = fake.auth_failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].rpc, "GetTask");
}

#[tokio::test]
async fn rpcs_need_a_bearer_token() {
    let fake = FakeC1::start().await.unwrap();
    let client = TestClient::new(&fake, &fake.new_client("self-test"));
    let token = client.token().await;
    for authorization in [
        None,
        Some(format!("bearer {token}")),
        Some("Bearer made-up".into()),
    ] {
        let mut grpc = client.grpc_raw(authorization.as_deref()).await;
        let refused = grpc.hello(hello(HOST_ID, "")).await.unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated, "{authorization:?}");
    }
    let mut grpc = client.grpc_raw(Some(&format!("Bearer {token}"))).await;
    grpc.hello(hello(HOST_ID, "")).await.unwrap();
    assert_eq!(fake.auth_failures().len(), 3);
    assert!(fake.hellos().len() == 1);
}

#[tokio::test]
async fn a_revoked_client_gets_no_token_and_its_tokens_are_refused() {
    let fake = FakeC1::start().await.unwrap();
    let identity = fake.new_client("self-test");
    let client = TestClient::new(&fake, &identity);
    let mut grpc = client.grpc().await;
    grpc.hello(hello(HOST_ID, "")).await.unwrap();
    fake.revoke_client(identity.client_id());
    let refused = grpc.get_task(get_task()).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert!(refused.message().contains("revoked"), "{refused:?}");
    let (status, answer) = client.post_token(&client.form(&client.assertion())).await;
    assert_eq!(status, 401, "{answer}");
    assert!(
        answer["error_description"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
}

#[tokio::test]
async fn tasks_wait_for_the_hosts_hello_and_stay_with_their_host() {
    let fake = FakeC1::start().await.unwrap();
    let client = TestClient::new(&fake, &fake.new_client("self-test"));
    let mut grpc = client.grpc().await;
    let id = fake.push_task(TaskSpec::full_sync(FullSync::default()));
    let early = grpc.get_task(get_task()).await.unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition);
    grpc.hello(hello(HOST_ID, "")).await.unwrap();
    grpc.get_task(get_task()).await.unwrap();
    let mut elsewhere = heartbeat(&id);
    elsewhere.host_id = "another-host".into();
    let refused = grpc.heartbeat(elsewhere).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let handed = fake.records().handed_out;
    assert_eq!((handed.len(), handed[0].kind), (1, "sync_full"));
    let waited = fake
        .wait_for(Duration::from_millis(300), "a FinishTask", |r| {
            r.finishes.first().cloned()
        })
        .await;
    assert!(
        waited
            .unwrap_err()
            .to_string()
            .contains("saw no a FinishTask")
    );
}
