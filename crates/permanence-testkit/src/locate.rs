//! Which PostgreSQL the tests of this process use (the crate's documentation has the order).

use crate::TestkitError;
use crate::shared;
use crate::url::redacted;
use permanence_store::Store;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;
use tokio::sync::OnceCell;

/// The URL of a PostgreSQL server's admin database, used as it is when set.
pub const URL_VAR: &str = "PERMANENCE_TEST_POSTGRES_URL";
/// The address asked whether a PostgreSQL answers there (as `postgres`, with no password).
pub const PROBE_VAR: &str = "PERMANENCE_TEST_POSTGRES_PROBE";
/// Where a developer's PostgreSQL usually answers.
pub const DEFAULT_PROBE: &str = "127.0.0.1:5432";

/// A closed port refuses at once; this bounds a filtered one.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The admin URL of the PostgreSQL server the tests use, found (or started) once per process.
pub async fn postgres_admin_url() -> Result<String, TestkitError> {
    static FOUND: OnceCell<Result<String, TestkitError>> = OnceCell::const_new();
    FOUND.get_or_init(find).await.clone()
}

async fn find() -> Result<String, TestkitError> {
    if let Some(url) = non_empty_var(URL_VAR) {
        return Ok(url);
    }
    let probe = non_empty_var(PROBE_VAR).unwrap_or_else(|| DEFAULT_PROBE.to_owned());
    if answers(&probe) {
        let url = format!("postgres://postgres@{probe}/postgres");
        match lets_in(&url).await {
            Ok(()) => return Ok(url),
            // Debian's own cluster asks for a password over TCP: usable by its owner, not by us.
            Err(reason) => eprintln!(
                "PostgreSQL answers at {probe} but did not let the tests in as postgres \
                 ({reason}); the tests start a private cluster instead"
            ),
        }
    }
    tokio::task::spawn_blocking(move || shared::admin_url_starting(&probe))
        .await
        .map_err(|e| {
            TestkitError::cluster(&std::env::temp_dir(), "starting the shared cluster", e)
        })?
}

fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn answers(address: &str) -> bool {
    address
        .to_socket_addrs()
        .map(|mut addrs| addrs.any(|a| TcpStream::connect_timeout(&a, PROBE_TIMEOUT).is_ok()))
        .unwrap_or(false)
}

async fn lets_in(url: &str) -> Result<(), String> {
    let store = Store::connect(url).await.map_err(|e| e.to_string())?;
    store.ping().await.map_err(|e| e.to_string())
}

/// Connects to an admin database, with a message that says where it failed.
pub(crate) async fn connect_admin(url: &str) -> Result<Store, TestkitError> {
    Store::connect(url)
        .await
        .map_err(|e| TestkitError::Unreachable {
            url: redacted(url),
            reason: e.to_string(),
        })
}
