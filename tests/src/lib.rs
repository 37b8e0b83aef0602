//! Test harness: the local AWS (DynamoDB Local for DynamoDB, moto for KMS
//! and the rest) that `make test` runs for the whole run, or one per test
//! binary run alone; for each test its own tables, KMS key and API server
//! on a free port.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::types::AttributeValue;
use mailkeys::config::Settings;
use mailkeys::domain::permission::{Permission, PermissionSet};
use mailkeys::http::api_router;
use mailkeys::store::{Item, Store, Tables};
use mailkeys::AppState;
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub use mailkeys;
use mailkeys::domain::secret::ExposeSecret;

pub mod servers;

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// `N` distinct free ports: each is held until all are chosen (ports
/// chosen one after another can repeat, and a server given the same port
/// twice refuses to start).
pub fn free_ports<const N: usize>() -> [u16; N] {
    let held: Vec<TcpListener> = (0..N).map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port")).collect();
    std::array::from_fn(|i| held[i].local_addr().expect("a bound port").port())
}

/// A local service process (DynamoDB Local, or moto for the rest).
pub struct LocalService {
    pub endpoint: String,
    pub process: servers::TiedProcess,
}

impl LocalService {
    /// DynamoDB Local (`scripts/dynamodb-local.sh` installs it), in memory,
    /// bounded heap, on a free port.
    pub fn dynamodb_local() -> LocalService {
        let home = workspace_root().join(".local/dynamodb-local");
        assert!(home.join("DynamoDBLocal.jar").exists(), "no DynamoDB Local in {}: run `make test`", home.display());
        let port = free_port();
        let args: Vec<String> = [
            format!("-Djava.library.path={}", home.join("DynamoDBLocal_lib").display()),
            "-Xmx64m".into(),
            "-XX:+UseSerialGC".into(),
            "-XX:TieredStopAtLevel=1".into(),
            "-jar".into(),
            home.join("DynamoDBLocal.jar").display().to_string(),
            "-inMemory".into(),
            "-sharedDb".into(),
            "-disableTelemetry".into(),
            "-port".into(),
            port.to_string(),
        ]
        .into();
        let process = servers::TiedProcess::spawn("java", &args);
        servers::wait_for_port(port, &process);
        LocalService { endpoint: format!("http://127.0.0.1:{port}"), process }
    }

    /// moto's server, for what DynamoDB Local does not speak (KMS, SESv2,
    /// EventBridge, SQS).
    pub fn moto() -> LocalService {
        let server = workspace_root().join(".local/venv/bin/moto_server");
        assert!(server.exists(), "no moto in {}: run `make test` (it installs it)", server.display());
        let port = free_port();
        let args = ["-H".to_string(), "127.0.0.1".into(), "-p".into(), port.to_string()];
        let process = servers::TiedProcess::spawn(&server.display().to_string(), &args);
        servers::wait_for_port(port, &process);
        LocalService { endpoint: format!("http://127.0.0.1:{port}"), process }
    }
}

/// Where the tests' AWS is: the endpoints the service reads from
/// `AWS_ENDPOINT_URL_DYNAMODB` (DynamoDB and its streams) and
/// `AWS_ENDPOINT_URL` (everything else).
#[derive(Clone, Debug)]
pub struct Endpoints {
    pub dynamodb: String,
    pub aws: String,
}

impl Endpoints {
    /// The environment a server process needs to reach these endpoints.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.aws.clone()),
            ("AWS_ENDPOINT_URL_DYNAMODB", self.dynamodb.clone()),
            ("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", self.dynamodb.clone()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ]
    }
}

/// The local AWS the tests of one test binary share: the one `make test`
/// runs for the whole run (its endpoints in the environment), or, for a
/// test binary run alone, its own.
pub fn shared_endpoints() -> &'static Endpoints {
    static SHARED: OnceLock<(Endpoints, Vec<LocalService>)> = OnceLock::new();
    let (endpoints, _running) = SHARED.get_or_init(|| {
        let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let mut running = Vec::new();
        let mut start = |service: fn() -> LocalService| {
            let started = service();
            let endpoint = started.endpoint.clone();
            running.push(started);
            endpoint
        };
        let dynamodb = from_env("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_else(|| start(LocalService::dynamodb_local));
        let aws = from_env("AWS_ENDPOINT_URL").unwrap_or_else(|| start(LocalService::moto));
        // Never dropped: what was started here stops when the test process ends.
        (Endpoints { dynamodb, aws }, running)
    });
    endpoints
}

/// SDK configuration for the shared local AWS.
pub async fn local_aws_sdk_config() -> SdkConfig {
    sdk_config_for(shared_endpoints()).await
}

/// SDK configuration for a local AWS: dummy credentials, fixed region, the
/// non-DynamoDB endpoint, and the service's own bounds on every call, so
/// that a broken emulator fails a test instead of hanging it.
pub async fn sdk_config_for(endpoints: &Endpoints) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(&endpoints.aws)
        .timeout_config(mailkeys::aws::timeout_config())
        .retry_config(mailkeys::aws::retry_config())
        .load()
        .await
}

/// A DynamoDB client of `sdk` on the DynamoDB endpoint.
pub fn dynamodb_config(sdk: &SdkConfig, endpoints: &Endpoints) -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::config::Builder::from(sdk).endpoint_url(&endpoints.dynamodb)
}

pub struct Response {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// The `error.message` of the documented error body, after checking its shape.
    pub fn error_message(&self) -> String {
        let body = self.json();
        assert_eq!(body["success"], Value::Bool(false), "not an error body: {}", self.text);
        assert!(body["error"]["code"].is_string(), "no error code: {}", self.text);
        body["error"]["message"].as_str().unwrap_or_default().to_string()
    }
}

/// Counts the calls a client makes (DynamoDB or KMS), and adds them to the
/// round trips of the app they belong to.
#[derive(Debug, Default, Clone)]
pub struct CallCounter(Arc<AtomicUsize>, RoundTrips, Arc<std::sync::Mutex<Vec<Option<i32>>>>);

impl CallCounter {
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// The `Limit` of every DynamoDB Query so far (`None`: no limit).
    pub fn query_limits(&self) -> Vec<Option<i32>> {
        self.2.lock().unwrap().clone()
    }

    fn counting_round_trips(round_trips: &RoundTrips) -> CallCounter {
        CallCounter(Arc::default(), round_trips.clone(), Arc::default())
    }
}

/// Sequential AWS round trips: a call that starts while no other call of
/// the app is under way begins one; calls made concurrently share it.
#[derive(Debug, Default, Clone)]
pub struct RoundTrips(Arc<std::sync::Mutex<(usize, usize)>>);

impl RoundTrips {
    pub fn get(&self) -> usize {
        self.0.lock().unwrap().1
    }

    fn start(&self) {
        let mut state = self.0.lock().unwrap();
        if state.0 == 0 {
            state.1 += 1;
        }
        state.0 += 1;
    }

    fn end(&self) {
        let mut state = self.0.lock().unwrap();
        state.0 = state.0.saturating_sub(1);
    }
}

impl aws_sdk_dynamodb::config::Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_execution(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        if let Some(query) = context.input().downcast_ref::<aws_sdk_dynamodb::operation::query::QueryInput>() {
            self.2.lock().unwrap().push(query.limit);
        }
        self.1.start();
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &aws_sdk_dynamodb::config::interceptors::FinalizerInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.1.end();
        Ok(())
    }
}

/// One test's world: its own tables and KMS key, an API server on a free
/// port, and an account with an admin key.
pub struct TestApp {
    pub base_url: String,
    /// Where its local AWS is.
    pub endpoints: Endpoints,
    pub state: AppState,
    pub sdk: SdkConfig,
    pub account_id: mailkeys::domain::ids::AccountId,
    pub admin_key: String,
    /// DynamoDB calls made by the API server of this test.
    pub ddb_calls: CallCounter,
    /// KMS calls made by the API server of this test.
    pub kms_calls: CallCounter,
    /// The server's sequential AWS round trips (DynamoDB and KMS).
    pub round_trips: RoundTrips,
    http: reqwest::Client,
}

impl TestApp {
    pub async fn start() -> TestApp {
        Self::start_with(|_| {}).await
    }

    /// A test app whose settings `configure` adjusts first.
    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
        Self::start_at(shared_endpoints(), configure).await
    }

    /// A test app on the local AWS at `endpoints` (one of the test's own,
    /// to freeze or break).
    pub async fn start_at(endpoints: &Endpoints, configure: impl FnOnce(&mut Settings)) -> TestApp {
        // Server-side errors show in a failing test's output.
        mailkeys::logging::init();
        let sdk = sdk_config_for(endpoints).await;
        let unique = ulid::Ulid::new().to_string().to_lowercase();
        let tables = Tables { main: format!("t-{unique}"), audit: format!("t-{unique}-audit") };
        let store =
            Store::new(aws_sdk_dynamodb::Client::from_conf(dynamodb_config(&sdk, endpoints).build()), tables.clone());
        let kms = aws_sdk_kms::Client::new(&sdk);
        let kms_key_id =
            mailkeys::bootstrap::bootstrap(&store, &kms, &format!("alias/t-{unique}")).await.expect("bootstrap");
        let round_trips = RoundTrips::default();
        let ddb_calls = CallCounter::counting_round_trips(&round_trips);
        let counted = dynamodb_config(&sdk, endpoints).interceptor(ddb_calls.clone()).build();
        let mut settings =
            Settings::local(tables, kms_key_id, Some(servers::test_ca().ca_pem.as_bytes())).expect("settings");
        configure(&mut settings);
        let kms_calls = CallCounter::counting_round_trips(&round_trips);
        let counted_kms = aws_sdk_kms::config::Builder::from(&sdk).interceptor(kms_calls.clone()).build();
        let state = AppState::with_clients(
            settings,
            &sdk,
            aws_sdk_dynamodb::Client::from_conf(counted),
            aws_sdk_kms::Client::from_conf(counted_kms),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let router = api_router(state.clone());
        // The client's address reaches the key checks as on `mailkeys-local`.
        let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, service).await.expect("serve") });
        let (account, created) = state.accounts.create_account("test account").await.expect("account");
        TestApp {
            base_url,
            endpoints: endpoints.clone(),
            sdk,
            account_id: account.account_id,
            admin_key: created.key.plaintext.expose_secret().to_string(),
            state,
            ddb_calls,
            kms_calls,
            round_trips,
            http: reqwest::Client::new(),
        }
    }

    /// Another account, with its admin key.
    pub async fn other_account(&self) -> (mailkeys::domain::ids::AccountId, String) {
        let (account, created) = self.state.accounts.create_account("other account").await.expect("account");
        (account.account_id, created.key.plaintext.expose_secret().to_string())
    }

    /// A key of this test's account holding exactly `permissions`.
    pub async fn key_with(&self, permissions: &[Permission]) -> String {
        let set: PermissionSet = permissions.iter().copied().collect();
        let created = self.state.accounts.create_key(&self.account_id, set, Some("test key")).await.expect("key");
        created.key.plaintext.expose_secret().to_string()
    }

    /// The HTTP client, for a request the helpers here do not build.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.http
    }

    pub async fn call(&self, method: Method, path: &str, key: Option<&str>, body: Option<&Value>) -> Response {
        self.call_at(&self.base_url, method, path, key, body).await
    }

    /// A request to another server (such as a [`LocalServer`]).
    pub async fn call_at(
        &self,
        base_url: &str,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut req = self.http.request(method, format!("{base_url}{path}"));
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        self.send(req).await
    }

    /// A request with a raw body.
    pub async fn call_raw(&self, method: Method, path: &str, key: &str, body: impl Into<reqwest::Body>) -> Response {
        let req = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(key)
            .header("content-type", "application/json")
            .body(body);
        self.send(req).await
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Response {
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        Response { status, headers, text }
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Response {
        self.call(method, path, Some(&self.admin_key), body).await
    }

    /// A resource's whole audit trail, newest first, every page.
    pub async fn trail(&self, resource_id: &str) -> Vec<Value> {
        let mut events = Vec::new();
        let mut cursor = String::new();
        loop {
            let path = format!("/api/audit-events?resource_id={resource_id}&limit=100{cursor}");
            let page = self.admin(Method::GET, &path, None).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.text);
            let page = page.json();
            events.extend(page["events"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => return events,
            }
        }
    }

    /// Environment for a separate `mailkeys-local` process on this test's
    /// tables.
    pub fn server_env(&self) -> Vec<(&'static str, String)> {
        let mut env = self.endpoints.env();
        env.extend([
            ("MAILKEYS_TABLE", self.tables().main.clone()),
            ("MAILKEYS_AUDIT_TABLE", self.tables().audit.clone()),
            ("MAILKEYS_KMS_KEY_ID", self.state.settings.kms_key_id.clone()),
            ("MAILKEYS_STAGE", "test".into()),
        ]);
        env
    }

    /// A DynamoDB client of its own (not counted).
    pub fn ddb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::from_conf(dynamodb_config(&self.sdk, &self.endpoints).build())
    }

    pub fn tables(&self) -> &Tables {
        &self.state.settings.tables
    }

    /// Every item of both tables, read straight from DynamoDB.
    pub async fn all_items(&self) -> Vec<Item> {
        let mut items = Vec::new();
        for table in [&self.tables().main, &self.tables().audit] {
            let out = self.ddb().scan().table_name(table).send().await.expect("scan");
            items.extend(out.items().iter().cloned());
        }
        items
    }

    /// The stored item of an email provider, as DynamoDB holds it.
    pub async fn stored_provider(&self, account_id: &mailkeys::domain::ids::AccountId, id: u64) -> Option<Item> {
        self.ddb()
            .get_item()
            .table_name(&self.tables().main)
            .key("pk", AttributeValue::S(format!("ACCOUNT#{account_id}")))
            .key("sk", AttributeValue::S(format!("EMAIL_PROVIDER#{id:020}")))
            .consistent_read(true)
            .send()
            .await
            .expect("get item")
            .item
    }

    /// The new images carried by the audit table's stream, oldest first.
    pub async fn audit_stream_images(&self) -> Vec<Item> {
        use aws_sdk_dynamodbstreams::types::ShardIteratorType;
        let table = self.ddb().describe_table().table_name(&self.tables().audit).send().await.expect("describe");
        let arn = table.table().and_then(|t| t.latest_stream_arn()).expect("the audit table has a stream").to_string();
        let streams = aws_sdk_dynamodbstreams::Client::from_conf(
            aws_sdk_dynamodbstreams::config::Builder::from(&self.sdk).endpoint_url(&self.endpoints.dynamodb).build(),
        );
        let description = streams.describe_stream().stream_arn(&arn).send().await.expect("describe stream");
        let mut images = Vec::new();
        for shard in description.stream_description().map(|d| d.shards()).unwrap_or_default() {
            let iterator = streams
                .get_shard_iterator()
                .stream_arn(&arn)
                .shard_id(shard.shard_id().unwrap_or_default())
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await
                .expect("shard iterator");
            let records = streams
                .get_records()
                .shard_iterator(iterator.shard_iterator().unwrap_or_default())
                .send()
                .await
                .expect("records");
            for record in records.records() {
                if let Some(image) = record.dynamodb().and_then(|d| d.new_image()) {
                    images.push(image.iter().map(|(k, v)| (k.clone(), from_stream_value(v))).collect());
                }
            }
        }
        images
    }
}

/// Stream records carry their own attribute type; the audit reader takes the
/// table's.
fn from_stream_value(value: &aws_sdk_dynamodbstreams::types::AttributeValue) -> AttributeValue {
    use aws_sdk_dynamodbstreams::types::AttributeValue as S;
    match value {
        S::S(s) => AttributeValue::S(s.clone()),
        S::N(n) => AttributeValue::N(n.clone()),
        S::Bool(b) => AttributeValue::Bool(*b),
        S::Null(b) => AttributeValue::Null(*b),
        S::B(b) => AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(b.as_ref().to_vec())),
        S::L(l) => AttributeValue::L(l.iter().map(from_stream_value).collect()),
        S::M(m) => AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), from_stream_value(v))).collect()),
        S::Ss(v) => AttributeValue::Ss(v.clone()),
        S::Ns(v) => AttributeValue::Ns(v.clone()),
        other => panic!("unexpected attribute in stream: {other:?}"),
    }
}

/// The versions of a trail of changes (newest first) are its commits,
/// numbered without a gap down to the creation: n, n - 1, …, 1.
pub fn assert_versions_gap_free(trail: &[Value], what: &str) {
    let versions: Vec<u64> = trail.iter().map(|e| e["version"].as_u64().expect("a version")).collect();
    let expected: Vec<u64> = (1..=trail.len() as u64).rev().collect();
    assert_eq!(versions, expected, "{what}: versions out of commit order or with a gap");
}

/// Whether `needle` appears anywhere in `item`, in text or in bytes.
pub fn item_contains(item: &Item, needle: &str) -> bool {
    fn value_contains(value: &AttributeValue, needle: &str) -> bool {
        match value {
            AttributeValue::S(s) | AttributeValue::N(s) => s.contains(needle),
            AttributeValue::B(b) => b.as_ref().windows(needle.len()).any(|w| w == needle.as_bytes()),
            AttributeValue::L(l) => l.iter().any(|v| value_contains(v, needle)),
            AttributeValue::M(m) => m.iter().any(|(k, v)| k.contains(needle) || value_contains(v, needle)),
            AttributeValue::Ss(v) => v.iter().any(|s| s.contains(needle)),
            _ => false,
        }
    }
    item.iter().any(|(k, v)| k.contains(needle) || value_contains(v, needle))
}

/// A binary of the tools crate (built by `make test` before the tests run).
pub fn tool_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let binary = exe.parent().and_then(|deps| deps.parent()).expect("target dir").join(name);
    assert!(binary.exists(), "{} is missing: run `make test`", binary.display());
    binary
}

/// A separate `mailkeys-local` process on a test's tables (built by
/// `make test` before the tests run), its output kept in a file.
pub struct LocalServer {
    pub base_url: String,
    pub log_path: PathBuf,
    child: Child,
}

impl LocalServer {
    pub async fn spawn(app: &TestApp) -> LocalServer {
        let binary = tool_binary("mailkeys-local");
        let port = free_port();
        let log_path = std::env::temp_dir().join(format!("mailkeys-local-{}.log", ulid::Ulid::new()));
        let log = std::fs::File::create(&log_path).expect("log file");
        let child = Command::new(binary)
            .envs(app.server_env())
            .env("PORT", port.to_string())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start mailkeys-local");
        let server = LocalServer { base_url: format!("http://127.0.0.1:{port}"), log_path, child };
        let deadline = Instant::now() + Duration::from_secs(30);
        while reqwest::get(format!("{}/health", server.base_url)).await.is_err() {
            assert!(Instant::now() < deadline, "mailkeys-local did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log_path);
    }
}

/// One request a [`WebhookReceiver`] received: its `webhook-*` headers and body.
#[derive(Clone, Debug)]
pub struct ReceivedHook {
    pub headers: std::collections::BTreeMap<String, String>,
    pub body: String,
}

impl ReceivedHook {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or_default()
    }

    /// The body as JSON.
    pub fn payload(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// A webhook receiver on loopback: records every request and answers the
/// statuses it is told to, in order, then `200`.
#[derive(Clone)]
pub struct WebhookReceiver {
    pub url: String,
    received: Arc<std::sync::Mutex<Vec<ReceivedHook>>>,
    statuses: Arc<std::sync::Mutex<std::collections::VecDeque<u16>>>,
}

impl WebhookReceiver {
    pub async fn start() -> WebhookReceiver {
        let received: Arc<std::sync::Mutex<Vec<ReceivedHook>>> = Arc::default();
        let statuses: Arc<std::sync::Mutex<std::collections::VecDeque<u16>>> = Arc::default();
        let (r, s) = (received.clone(), statuses.clone());
        let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap, body: String| {
            let (r, s) = (r.clone(), s.clone());
            async move {
                let headers = headers
                    .iter()
                    .filter(|(name, _)| name.as_str().starts_with("webhook-") || name.as_str() == "content-type")
                    .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or_default().to_string()))
                    .collect();
                r.lock().unwrap().push(ReceivedHook { headers, body });
                let status = s.lock().unwrap().pop_front().unwrap_or(200);
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        WebhookReceiver { url, received, statuses }
    }

    /// The next requests are answered with these statuses.
    pub fn answer(&self, statuses: &[u16]) {
        self.statuses.lock().unwrap().extend(statuses);
    }

    pub fn received(&self) -> Vec<ReceivedHook> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to `within`) until at least `count` requests came; all of them.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<ReceivedHook> {
        let deadline = Instant::now() + within;
        loop {
            let received = self.received();
            if received.len() >= count || Instant::now() > deadline {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// What the Standard Webhooks reference library (Python, `standardwebhooks`)
/// says of each delivery under `secret`: the verified payload, or why not.
pub fn verify_with_standardwebhooks(secret: &str, hooks: &[ReceivedHook]) -> Vec<Result<Value, String>> {
    use std::io::Write;
    let input: Vec<Value> =
        hooks.iter().map(|h| serde_json::json!({"secret": secret, "headers": h.headers, "body": h.body})).collect();
    let python = workspace_root().join(".local/venv/bin/python");
    let script = workspace_root().join("tests/servers/verify_webhooks.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the verifier runs (make test installs it)");
    child.stdin.take().unwrap().write_all(serde_json::to_string(&input).unwrap().as_bytes()).unwrap();
    let out = child.wait_with_output().expect("the verifier ends");
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).expect("the verifier's answer");
    results
        .into_iter()
        .map(|r| match r["ok"].as_bool() {
            Some(true) => Ok(r["payload"].clone()),
            _ => Err(r["error"].as_str().unwrap_or_default().to_string()),
        })
        .collect()
}

impl TestApp {
    /// Runs the stream consumer's and the dispatcher's work for this app's
    /// tables, on a queue of its own, as `make dev` does; returns once every
    /// change from now on is told.
    pub async fn start_webhook_pipeline(&self) {
        let name = format!("{}-webhooks", self.tables().main);
        let url = mailkeys::webhook_queue::create_local_queue(&self.sdk, &name).await.expect("a queue");
        let queue = mailkeys::webhook_queue::WebhookQueue::new(&self.sdk, url);
        let streams = aws_sdk_dynamodbstreams::Client::from_conf(
            aws_sdk_dynamodbstreams::config::Builder::from(&self.sdk).endpoint_url(&self.endpoints.dynamodb).build(),
        );
        mailkeys::webhook_queue::spawn_local(&self.state, streams, queue).await;
    }
}
