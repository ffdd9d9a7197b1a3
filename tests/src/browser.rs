//! A real browser for the pages' end-to-end tests: Debian's headless Chromium, driven over
//! WebDriver by its ChromeDriver, with axe-core (the npm package's build, committed in
//! `tests/assets/` from the web crate's lock file) injected to check accessibility.
//!
//! When ChromeDriver is not installed the test fails with one line saying what to install:
//! `.ci/run` installs it, and a browser test that silently skipped would prove nothing.

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMEDRIVER: &str = "chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// axe-core's script, injected into each page under test.
const AXE: &str = include_str!("../assets/axe.min.js");

/// A headless Chromium session; the driver process ends with it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
    /// Where the server under test is (`http://127.0.0.1:PORT`): every request a page makes
    /// must go there.
    origin: String,
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium with a new, empty profile.
    pub async fn start(origin: &str) -> anyhow::Result<Self> {
        let port = free_port()?;
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, with the browsers it starts: a failed test ends them all
            // (`end_driver`), where killing the driver alone would leave Chromium running.
            .process_group(0)
            .spawn()
            .map_err(|e| {
                anyhow::anyhow!(
                    "the browser tests need ChromeDriver and Chromium ({e}): \
                     install them with `apt-get install chromium chromium-driver`"
                )
            })?;
        let profile = std::env::temp_dir().join(format!(
            "permanence-browser-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&profile)?;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        // The driver takes a moment to listen.
        for _ in 0..50 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Ok(Self {
                        client,
                        driver,
                        profile,
                        origin: origin.trim_end_matches('/').to_owned(),
                    });
                }
                Err(e) => {
                    last_error = Some(e);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        bail!("ChromeDriver did not start a browser: {last_error:?}")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    pub async fn goto(&self, path: &str) -> anyhow::Result<()> {
        self.client.goto(&self.url(path)).await?;
        Ok(())
    }

    /// The current page's path and query.
    pub async fn path(&self) -> anyhow::Result<String> {
        let url = self.client.current_url().await?;
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        })
    }

    /// Waits (up to ten seconds) for the browser to arrive at a path starting with `prefix`,
    /// as after a form is sent: a click returns before the next page has loaded.
    pub async fn wait_for_path(&self, prefix: &str) -> anyhow::Result<String> {
        let mut path = String::new();
        for _ in 0..100 {
            path = self.path().await?;
            let loaded = self
                .client
                .execute("return document.readyState;", vec![])
                .await?;
            if path.starts_with(prefix) && loaded.as_str() == Some("complete") {
                return Ok(path);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the browser stayed at {path}, not {prefix}…")
    }

    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        Ok(self.client.find(Locator::Css(css)).await?.text().await?)
    }

    pub async fn exists(&self, css: &str) -> anyhow::Result<bool> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    pub async fn fill(&self, css: &str, value: &str) -> anyhow::Result<()> {
        let field = self.client.find(Locator::Css(css)).await?;
        field.clear().await?;
        field.send_keys(value).await?;
        Ok(())
    }

    /// Chooses the option with this value in a drop-down list.
    pub async fn choose(&self, css: &str, value: &str) -> anyhow::Result<()> {
        self.client
            .find(Locator::Css(css))
            .await?
            .select_by_value(value)
            .await?;
        Ok(())
    }

    /// Types a date into a GOV.UK date input's three boxes (`{name}-day`, ...).
    pub async fn fill_date(
        &self,
        name: &str,
        day: u32,
        month: u32,
        year: i32,
    ) -> anyhow::Result<()> {
        self.fill(&format!("#{name}-day"), &day.to_string()).await?;
        self.fill(&format!("#{name}-month"), &month.to_string())
            .await?;
        self.fill(&format!("#{name}-year"), &year.to_string()).await
    }

    /// The value a form field holds now.
    pub async fn value(&self, css: &str) -> anyhow::Result<String> {
        Ok(self
            .client
            .find(Locator::Css(css))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default())
    }

    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.client.find(Locator::Css(css)).await?.click().await?;
        Ok(())
    }

    /// Clicks what sends a form or follows a link, and waits (up to ten seconds) until the
    /// next document has loaded. A click returns as soon as it is dispatched; when the answer
    /// comes back at the same path (a form with a problem), waiting for the path alone would
    /// read the old page. The old document is marked, and the wait ends when a document
    /// without the mark is complete.
    pub async fn click_and_load(&self, css: &str) -> anyhow::Result<()> {
        self.client
            .execute("window.permanenceOldDocument = true;", vec![])
            .await?;
        self.click(css).await?;
        for _ in 0..100 {
            // While the browser is between documents a script can fail to run: not yet.
            let loaded = self
                .client
                .execute(
                    "return window.permanenceOldDocument === undefined \
                     && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            if matches!(loaded, Ok(Value::Bool(true))) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("no new page loaded after clicking {css}")
    }

    /// Presses keys on whatever has the focus, as a person at the keyboard would.
    pub async fn keys(&self, keys: &str) -> anyhow::Result<()> {
        let active = self.client.active_element().await?;
        active.send_keys(keys).await?;
        Ok(())
    }

    /// The id (or, without one, the text) of the element that has the focus.
    pub async fn focused(&self) -> anyhow::Result<String> {
        let value = self
            .client
            .execute(
                "const e = document.activeElement; return e ? (e.id || e.textContent.trim()) : '';",
                vec![],
            )
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Runs axe-core on the page and fails on any serious or critical violation, listing them.
    pub async fn assert_accessible(&self, what: &str) -> anyhow::Result<()> {
        self.client.execute(AXE, vec![]).await?;
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                    .then(r => done(r.violations.map(v => ({
                        id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map(n => n.target.join(' ')) }))))
                    .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
                vec![],
            )
            .await?;
        let violations: Vec<&Value> = result
            .as_array()
            .context("axe answered without a list")?
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        if !violations.is_empty() {
            bail!("{what}: axe-core found serious or critical violations: {violations:#?}");
        }
        Ok(())
    }

    /// Fails if the page asked any other host for anything (scripts, styles, images, fonts),
    /// or names another host in a `src`, `href` or `action`.
    pub async fn assert_nothing_from_elsewhere(&self, what: &str) -> anyhow::Result<()> {
        let found = self
            .client
            .execute(
                "const own = location.origin;
                 const loaded = performance.getEntriesByType('resource').map(e => e.name);
                 const named = [...document.querySelectorAll('[src],[href],[action]')]
                    .map(e => e.src || e.href || e.action).filter(u => typeof u === 'string');
                 return loaded.concat(named).filter(u => u && !u.startsWith(own + '/') && u !== own);",
                vec![],
            )
            .await?;
        let elsewhere = found.as_array().cloned().unwrap_or_default();
        if !elsewhere.is_empty() {
            bail!("{what}: the page refers to another host: {elsewhere:?}");
        }
        Ok(())
    }

    /// Renders the page as for `media` ("print", or "" for the screen again) through
    /// Chromium's DevTools protocol (`Emulation.setEmulatedMedia`, which ChromeDriver passes
    /// on): a test can then read the print stylesheet's computed styles.
    pub async fn emulate_media(&self, media: &str) -> anyhow::Result<()> {
        self.client
            .issue_cmd(DevTools {
                command: "Emulation.setEmulatedMedia",
                params: json!({ "media": media }),
            })
            .await?;
        Ok(())
    }

    /// Prints the page to PDF (WebDriver's Print Page, A4 portrait, backgrounds off as a
    /// browser prints by default) and saves it beside the screenshots, to look at.
    pub async fn print_pdf(&self, name: &str) -> anyhow::Result<(PathBuf, Vec<u8>)> {
        let pdf = self
            .client
            .print(
                fantoccini::wd::PrintConfiguration::builder()
                    .build()
                    .map_err(|e| anyhow::anyhow!("a print configuration: {e}"))?,
            )
            .await?;
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.pdf"));
        std::fs::write(&path, &pdf)?;
        Ok((path, pdf))
    }

    /// Saves a screenshot under the target directory (never in the repository), to look at.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let png = self.client.screenshot().await?;
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    pub async fn close(mut self) -> anyhow::Result<()> {
        let closed = self.client.clone().close().await;
        self.end_driver();
        closed?;
        Ok(())
    }

    /// Ends the driver's process group (the driver and every browser it started) and
    /// removes the profile.
    fn end_driver(&mut self) {
        if let Ok(None) = self.driver.try_wait() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.driver.id())])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A failed test must not leave a driver, its browsers or its profile behind.
        self.end_driver();
    }
}

/// A command of Chromium's DevTools protocol, sent through ChromeDriver's
/// `/session/{id}/goog/cdp/execute`.
#[derive(Debug)]
struct DevTools {
    command: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cmd": self.command, "params": self.params }).to_string()),
        )
    }
}
