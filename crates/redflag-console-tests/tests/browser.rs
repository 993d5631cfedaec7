//! The analyst console in a real browser: Debian's `chromium`, headless, driven through `chromedriver`.
//! Signs in, opens every page of the fixture population, checks that no page logs a console error
//! (a CSP violation is one), that charts are present and sized, that filters, keyboard shortcuts and a
//! case decision work end to end, that hostile data renders as text, that form fields are labelled and
//! text has enough contrast; saves a screenshot of each page under `target/console-screenshots/`.

#![allow(clippy::unwrap_used)] // test helpers: a failure should stop the test loudly

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use redflag_server::AppState;
use redflag_server::console::fixture::{self, FixtureIds, PAYLOAD_NAME};
use serde_json::{Value, json};

const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
];

fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// The chromedriver process; killed (by its own pid) when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `POST /session/{id}/se/log {"type": "browser"}`: the browser console's entries since the last call.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (axum::http::Method, Option<String>) {
        (
            axum::http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

async fn console_errors(c: &Client) -> Vec<String> {
    let log = c.issue_cmd(BrowserLog).await.unwrap();
    log.as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e["level"] == "SEVERE")
                .map(|e| e["message"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn screenshots_dir() -> PathBuf {
    let dir = std::env::var_os("REDFLAG_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/console-screenshots")
        });
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Opens `path`, checks the console stayed clean, the page has its landmarks, labels and contrast,
/// and saves a full-height screenshot named `name`.
async fn visit(c: &Client, base: &str, path: &str, name: &str) {
    c.goto(&format!("{base}{path}")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("main#main"))
        .await
        .unwrap_or_else(|e| panic!("{path}: no main landmark: {e}"));
    check_page(c, path).await;
    screenshot(c, name).await;
}

/// Clicks the element `css` matches.
async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Types `text` into the element `css` matches.
async fn type_into(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// Chooses `value` in the `<select>` `css` matches.
async fn select(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

/// The visible text of the element `css` matches.
async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// A subject id as it stands in a console path.
fn path_segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// Waits for `css`; on timeout, fails with the URL and the text the browser shows.
async fn wait_for(c: &Client, css: &str) {
    if c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .is_err()
    {
        let url = c
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let text = c.source().await.unwrap_or_default();
        panic!(
            "{css} did not appear on {url}:\n{}",
            text.chars().take(3000).collect::<String>()
        );
    }
}

/// Waits until the JavaScript expression `condition` is true (the page after a form post has loaded).
async fn wait_js(c: &Client, condition: &str) {
    for _ in 0..150 {
        let script = format!("try {{ return !!({condition}); }} catch (e) {{ return false; }}");
        if let Ok(v) = c.execute(&script, vec![]).await
            && v == json!(true)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = c
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    panic!("{condition} never held on {url}");
}

async fn check_page(c: &Client, path: &str) {
    let errors = console_errors(c).await;
    assert!(errors.is_empty(), "{path}: console errors: {errors:#?}");
    let audit = c
        .execute(
            r#"
            const unlabelled = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(el => el.labels.length === 0 && !el.getAttribute('aria-label'))
              .map(el => el.name || el.id);
            function rgb(s) { const m = s.match(/[\d.]+/g) || []; return m.map(Number); }
            function lum(c) {
              const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
              return 0.2126 * r + 0.7152 * g + 0.0722 * b;
            }
            function background(el) {
              for (; el; el = el.parentElement) {
                const c = rgb(getComputedStyle(el).backgroundColor);
                if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c;
              }
              return [255, 255, 255];
            }
            const low = [];
            for (const el of document.querySelectorAll('body *:not(svg):not(svg *)')) {
              const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
              if (!own || el.offsetParent === null) continue;
              const st = getComputedStyle(el);
              const fg = rgb(st.color), bg = background(el);
              const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
              const ratio = (a + 0.05) / (b + 0.05);
              const large = parseFloat(st.fontSize) >= 24 || (parseFloat(st.fontSize) >= 18.6 && +st.fontWeight >= 700);
              if (ratio < (large ? 3 : 4.5)) low.push(el.tagName + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
            }
            const first = document.querySelector('a[href], button, input, select, textarea');
            return { unlabelled, low: low.slice(0, 10), skip: first && first.classList.contains('skip'), title: document.title };
            "#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(audit["unlabelled"], json!([]), "{path}: unlabelled fields");
    assert_eq!(audit["low"], json!([]), "{path}: low-contrast text");
    assert_eq!(
        audit["skip"],
        json!(true),
        "{path}: the skip link must come first"
    );
    assert!(
        audit["title"]
            .as_str()
            .unwrap_or_default()
            .ends_with("redflag"),
        "{path}: {audit}"
    );
}

async fn screenshot(c: &Client, name: &str) {
    let height = c
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap_or(1000)
        .clamp(600, 5000);
    c.set_window_size(1400, height as u32).await.unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots_dir().join(format!("{name}.png")), png).unwrap();
    c.set_window_size(1400, 1000).await.unwrap();
}

/// Width, height and drawn marks of a chart.
async fn chart(c: &Client, selector: &str) -> (f64, f64, u64) {
    let v = c
        .execute(
            "const el = document.querySelector(arguments[0]); if (!el) return null;
             const r = el.getBoundingClientRect();
             return [r.width, r.height, el.querySelectorAll('.pt, .cell, .node').length];",
            vec![json!(selector)],
        )
        .await
        .unwrap();
    assert!(!v.is_null(), "chart {selector} missing");
    (
        v[0].as_f64().unwrap(),
        v[1].as_f64().unwrap(),
        v[2].as_u64().unwrap(),
    )
}

async fn start_server() -> (SocketAddr, FixtureIds, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = redflag_store::Store::open_data_dir(dir.path())
        .await
        .unwrap();
    store.ensure_console_indexes().await.unwrap();
    let engines = tokio::task::spawn_blocking(redflag_pipeline::Engines::builtin)
        .await
        .unwrap()
        .unwrap();
    let engines = std::sync::Arc::new(engines);
    let ids = fixture::populate(&store, &engines).await.unwrap();
    let hash = redflag_server::auth::hash_password("correct horse battery").unwrap();
    store
        .create_user("test", "alex", &hash, "analyst")
        .await
        .unwrap();
    let app = redflag_server::router(AppState::new(store).with_engines(engines));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    (addr, ids, dir)
}

async fn start_browser(chromium: &Path, driver: &Path) -> (Client, Driver, tempfile::TempDir) {
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let guard = Driver(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let profile = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = FLAGS.iter().map(|s| s.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": chromium, "args": args }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap_or_else(|e| panic!("cannot start a chromium session: {e}"));
    (client, guard, profile)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_a_real_browser() {
    if std::env::var("REDFLAG_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("browser test SKIPPED: REDFLAG_SKIP_BROWSER=1");
        return;
    }
    let chromium = find(&["chromium", "chromium-browser", "google-chrome"])
        .expect("no chromium on PATH: run .ci/browser.sh (or set REDFLAG_SKIP_BROWSER=1)");
    let driver = find(&["chromedriver"])
        .expect("no chromedriver on PATH: run .ci/browser.sh (or set REDFLAG_SKIP_BROWSER=1)");
    let (addr, ids, _data) = start_server().await;
    let base = format!("http://{addr}");
    let (c, _driver, _profile) = start_browser(&chromium, &driver).await;

    // Signed out, the console sends the browser to the sign-in page.
    c.goto(&format!("{base}/console")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/login"));
    type_into(&c, "input[name=username]", "alex").await;
    type_into(&c, "input[name=password]", "correct horse battery").await;
    click(&c, "button[type=submit]").await;
    wait_for(&c, "main#main").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/console");
    let _ = console_errors(&c).await; // the sign-in page is the API's, not the console's

    // Overview → the planted ring in one click.
    visit(&c, &base, "/console", "01-overview").await;
    click(&c, "a[href='/console/rings/ring-001']").await;
    wait_for(&c, "#ring-graph").await;
    check_page(&c, "ring").await;
    let (w, h, nodes) = chart(&c, "#ring-graph").await;
    assert!(w > 600.0 && h > 300.0, "ring graph {w}x{h}");
    assert!(nodes >= 5, "ring graph has {nodes} nodes");
    screenshot(&c, "02-ring").await;

    // The sanctioned member: findings, map, timeline, heatmap.
    let member = path_segment(&ids.sanctioned);
    visit(
        &c,
        &base,
        &format!("/console/subjects/{member}"),
        "03-subject",
    )
    .await;
    for (selector, min_marks) in [("#map", 3), ("#timeline", 50), ("#heatmap", 168)] {
        let (w, h, marks) = chart(&c, selector).await;
        assert!(w > 250.0 && h > 100.0, "{selector} is {w}x{h}");
        assert!(marks >= min_marks, "{selector} has {marks} marks");
    }
    let findings = c.find_all(Locator::Css("article.finding")).await.unwrap();
    assert!(findings.len() >= 2, "{} findings shown", findings.len());

    // Keyboard: "/" focuses the search box.
    c.execute(
        "document.activeElement && document.activeElement.blur()",
        vec![],
    )
    .await
    .unwrap();
    type_into(&c, "body", "/").await;
    let focused = c
        .execute("return document.activeElement.id", vec![])
        .await
        .unwrap();
    assert_eq!(focused, json!("quick-q"));

    // Open a case from the subject, assign, comment, decide.
    click(&c, "form[action='/console/cases'] button").await;
    wait_for(&c, "#case-status").await;
    let case_url = c.current_url().await.unwrap();
    assert!(case_url.path().starts_with("/console/cases/"), "{case_url}");
    let assignee = c.find(Locator::Css("#assignee")).await.unwrap();
    assignee.clear().await.unwrap();
    assignee.send_keys("alex").await.unwrap();
    click(&c, "form[action$='/assign'] button").await;
    wait_js(
        &c,
        "document.querySelector('#case-assignee').textContent === 'alex'",
    )
    .await;
    type_into(
        &c,
        "#comment",
        "Laptop serial and Payoneer account shared with two other contractors.",
    )
    .await;
    click(&c, "form[action$='/comment'] button").await;
    wait_js(
        &c,
        "document.querySelector('#case-history').textContent.includes('Payoneer account shared')",
    )
    .await;
    select(&c, "#decision", "confirmed").await;
    type_into(
        &c,
        "#reason",
        "OFAC-listed wallet on file; Astrill sign-ins at Shenyang working hours.",
    )
    .await;
    click(&c, "form[action$='/decide'] button").await;
    wait_js(&c, "document.querySelector('#case-decision') !== null").await;
    let decision = text_of(&c, "#case-decision").await;
    assert!(decision.contains("confirmed"), "{decision}");
    let history = text_of(&c, "#case-history").await;
    assert!(history.contains("Payoneer account shared"), "{history}");
    assert_eq!(text_of(&c, "#case-assignee").await, "alex");
    check_page(&c, "case").await;
    screenshot(&c, "04-case").await;

    // Filters: critical subjects only.
    visit(&c, &base, "/console/subjects", "05-subjects").await;
    select(&c, "#level", "critical").await;
    click(&c, "form.filters button[type=submit]").await;
    wait_js(
        &c,
        "location.search.includes('level=critical') && document.readyState === 'complete'",
    )
    .await;
    assert!(
        c.current_url()
            .await
            .unwrap()
            .query()
            .unwrap_or_default()
            .contains("level=critical")
    );
    let levels: Value = c
        .execute(
            "return [...document.querySelectorAll('#subjects tbody .badge')].map(b => b.textContent)",
            vec![],
        )
        .await
        .unwrap();
    let levels = levels.as_array().unwrap();
    assert!(!levels.is_empty(), "no critical subject listed");
    assert!(levels.iter().all(|l| l == "critical"), "{levels:?}");
    check_page(&c, "subjects?level=critical").await;

    // Hostile data renders as text and runs nothing.
    let hostile = path_segment(&ids.hostile);
    visit(
        &c,
        &base,
        &format!("/console/subjects/{hostile}"),
        "06-hostile",
    )
    .await;
    let name = text_of(&c, "#subject-name").await;
    assert_eq!(name, PAYLOAD_NAME);
    assert!(
        c.get_alert_text().await.is_err(),
        "a payload opened a dialog"
    );
    let injected: Value = c
        .execute(
            "return document.querySelectorAll('main script, main img[src=x], main iframe, main svg[onload]').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(injected, json!(0));

    // Screening an OFAC-listed wallet explains the exact match.
    visit(&c, &base, "/console/screen", "07-screen-form").await;
    type_into(&c, "#s-wallet", fixture::SANCTIONED_WALLET).await;
    click(&c, "form.filters button").await;
    wait_for(&c, "#screen-count").await;
    let text = text_of(&c, "main").await;
    assert!(text.to_lowercase().contains("exact identifier"), "{text}");
    check_page(&c, "screen result").await;
    screenshot(&c, "08-screen-result").await;

    // The remaining pages.
    visit(&c, &base, "/console/rings", "09-rings").await;
    visit(&c, &base, "/console/cases", "10-cases").await;
    visit(&c, &base, "/console/rules", "11-rules").await;
    visit(&c, &base, "/console/lists", "12-lists").await;

    // The evidence pack downloads as a zip.
    let fetched = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.arrayBuffer().then(b => done([r.status, r.headers.get('content-type'), b.byteLength])));",
            vec![json!(format!("/console/subjects/{member}/pack.zip"))],
        )
        .await
        .unwrap();
    assert_eq!(fetched[0], json!(200));
    assert_eq!(fetched[1], json!("application/zip"));
    assert!(fetched[2].as_u64().unwrap() > 10_000, "{fetched}");

    c.close().await.unwrap();
    eprintln!("screenshots in {}", screenshots_dir().display());
}
