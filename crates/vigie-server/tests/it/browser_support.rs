//! What the browser tests share: the gate on `VIGIE_TEST_CHROMEDRIVER`,
//! ChromeDriver and headless Chromium started for one test and stopped with
//! it, the app served on a real socket, and bounded waits for pages.

use crate::support::{World, t0};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use thirtyfour::prelude::*;
use vigie_core::ids::UserId;
use vigie_core::tenancy::{Actor, Scope};
use vigie_server::{AppState, ServerConfig};
use vigie_store::UserChanges;

/// The ChromeDriver to use, or `None` to skip the test (which fails
/// instead when `VIGIE_REQUIRE_ALL_SUITES` is set, as in CI).
pub fn chromedriver() -> Option<String> {
    let found = std::env::var("VIGIE_TEST_CHROMEDRIVER")
        .ok()
        .filter(|s| !s.is_empty());
    assert!(
        found.is_some() || std::env::var_os(vigie_store::testing::REQUIRE_ALL_VAR).is_none(),
        "VIGIE_TEST_CHROMEDRIVER is not set but VIGIE_REQUIRE_ALL_SUITES requires the browser suite"
    );
    found
}

/// Gives a user of the world a password to log in with.
pub async fn set_password(world: &World, user: UserId, password: &str) {
    let hash = vigie_server::auth::hash_password(password).expect("hash");
    let changes = UserChanges {
        password_hash: Some(hash),
        ..Default::default()
    };
    world
        .store
        .update_user(&Actor::system(), &Scope::Platform, t0(), user, &changes)
        .await
        .expect("password");
}

/// Kills ChromeDriver when the test ends, however it ends.
struct ChromeDriver(Child);

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A browser session on the world's app, served on 127.0.0.1.
pub struct Browser {
    /// The WebDriver session.
    pub driver: WebDriver,
    /// `http://127.0.0.1:PORT` of the app.
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    profile: PathBuf,
    _chromedriver: ChromeDriver,
}

impl Browser {
    /// Serves the app, starts ChromeDriver and a headless Chromium in
    /// English, with a profile of its own.
    pub async fn start(world: &World, chromedriver: &str, name: &str) -> Browser {
        let (addr, stop) = serve(world).await;
        let (process, port) = start_chromedriver(chromedriver).await;
        let mut caps = DesiredCapabilities::chrome();
        if let Ok(bin) = std::env::var("VIGIE_TEST_CHROMIUM")
            && !bin.is_empty()
        {
            caps.set_binary(&bin).expect("binary");
        }
        let profile =
            std::env::temp_dir().join(format!("vigie-chromium-{name}-{}", std::process::id()));
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--lang=en-US",
            "--window-size=1366,900",
            &format!("--user-data-dir={}", profile.display()),
        ] {
            caps.add_arg(arg).expect("arg");
        }
        let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps)
            .await
            .expect("browser session");
        Browser {
            driver,
            base: format!("http://{addr}"),
            stop,
            profile,
            _chromedriver: process,
        }
    }

    /// Closes the browser and stops the server.
    pub async fn finish(self) {
        self.driver.quit().await.expect("quit");
        let _ = self.stop.send(());
        let _ = std::fs::remove_dir_all(self.profile);
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts ChromeDriver and waits (bounded) until it accepts connections.
async fn start_chromedriver(path: &str) -> (ChromeDriver, u16) {
    let port = free_port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let process = ChromeDriver(child);
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return (process, port);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on port {port} within 10 s");
}

/// Serves the world's app on a real socket until told to stop.
pub(crate) async fn serve(world: &World) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = AppState::new(
        world.store.clone(),
        ServerConfig::default(),
        world.clock.clone(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(vigie_server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// Waits (bounded, polling) for an element of the page being loaded.
pub async fn wait_for(driver: &WebDriver, by: By) -> WebElement {
    driver
        .query(by)
        .wait(Duration::from_secs(30), Duration::from_millis(50))
        .first()
        .await
        .expect("the element appears within 30 s")
}

/// Waits (bounded) for an element whose text contains `text`: the page
/// after a form, not the one before it. An element of the old page that
/// goes stale while being read is simply looked for again.
pub async fn wait_for_text(driver: &WebDriver, by: By, text: &str) -> WebElement {
    for _ in 0..600 {
        if let Ok(found) = driver.find_all(by.clone()).await {
            for element in found {
                if element.text().await.is_ok_and(|t| t.contains(text)) {
                    return element;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no element with {text:?} within 30 s");
}
