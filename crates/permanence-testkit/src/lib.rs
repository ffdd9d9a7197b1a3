//! The PostgreSQL the tests run on, and a fresh database per test. Its one job: a test that
//! needs PostgreSQL gets one, on any machine where PostgreSQL is installed, and nothing is
//! left running afterwards. It is a dev-dependency only and never part of the server.
//!
//! The server is found once per test process, in this order:
//! 1. `PERMANENCE_TEST_POSTGRES_URL`, when set (used as it is: CI and developers who run
//!    their own server);
//! 2. `postgres://postgres@127.0.0.1:5432/postgres`, when something answers there and lets
//!    the tests in (the address probed is `PERMANENCE_TEST_POSTGRES_PROBE`);
//! 3. a private cluster of the tests' own, made with the installed `initdb` and `pg_ctl`
//!    and shared by every test process of a run (see `shared`); it stops by itself a few
//!    seconds after the last of them ends.
//!
//! When none of these is possible the test fails with one line that says what to install.
//! `PrivateCluster` is a separate cluster for one test that needs to stop and start its own
//! database. This crate talks to databases only through `permanence-store`.

mod binaries;
mod cluster;
mod database;
mod error;
mod locate;
mod lock;
mod private;
mod server_user;
mod shared;
mod url;
mod watchdog;

pub use database::FreshDatabase;
pub use database::TEST_DATABASE_PREFIX;
pub use error::TestkitError;
pub use locate::{DEFAULT_PROBE, PROBE_VAR, URL_VAR, postgres_admin_url};
pub use private::{PrivateCluster, PrivateClusterHandle};
pub use shared::{DIR_VAR, IDLE_SECONDS_VAR};
pub use url::with_database;
