//! The web UI in a real headless Chromium, driven through ChromeDriver:
//! log in, see the navigation, switch the language, switch the entity, use
//! an admin page, log out. Runs when `VIGIE_TEST_CHROMEDRIVER` (and
//! optionally `VIGIE_TEST_CHROMIUM`) are set; `.ci/run` sets them.

use crate::support::{World, t0};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use thirtyfour::prelude::*;
use vigie_core::tenancy::{Actor, Scope};
use vigie_server::{AppState, ServerConfig};
use vigie_store::UserChanges;

const PASSWORD: &str = "browser-test-password";

/// Kills ChromeDriver when the test ends, however it ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts ChromeDriver and waits (bounded) until it accepts connections.
async fn start_chromedriver(path: &str) -> (Driver, u16) {
    let port = free_port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return (driver, port);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on port {port} within 10 s");
}

/// Serves the world's app on a real socket.
async fn serve(world: &World) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
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
async fn wait_for(driver: &WebDriver, by: By) -> WebElement {
    driver
        .query(by)
        .wait(Duration::from_secs(10), Duration::from_millis(50))
        .first()
        .await
        .expect("the element appears within 10 s")
}

async fn text_of(driver: &WebDriver, by: By) -> String {
    wait_for(driver, by).await.text().await.expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_switch_language_and_entity_and_log_out() {
    let Some(chromedriver) = std::env::var("VIGIE_TEST_CHROMEDRIVER")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        assert!(
            std::env::var_os(vigie_store::testing::REQUIRE_ALL_VAR).is_none(),
            "VIGIE_TEST_CHROMEDRIVER is not set but VIGIE_REQUIRE_ALL_SUITES requires the browser suite"
        );
        return;
    };
    let world = World::sqlite().await;
    let admin = &world.alpha.admin;
    let hash = vigie_server::auth::hash_password(PASSWORD).expect("hash");
    let changes = UserChanges {
        password_hash: Some(hash),
        ..Default::default()
    };
    world
        .store
        .update_user(&Actor::system(), &Scope::Platform, t0(), admin.id, &changes)
        .await
        .expect("password");
    let (addr, stop) = serve(&world).await;
    let (_chromedriver, port) = start_chromedriver(&chromedriver).await;

    let mut caps = DesiredCapabilities::chrome();
    if let Ok(bin) = std::env::var("VIGIE_TEST_CHROMIUM")
        && !bin.is_empty()
    {
        caps.set_binary(&bin).expect("binary");
    }
    let profile = std::env::temp_dir().join(format!("vigie-chromium-{}", std::process::id()));
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
        "--window-size=1366,800",
        &format!("--user-data-dir={}", profile.display()),
    ] {
        caps.add_arg(arg).expect("arg");
    }
    let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps)
        .await
        .expect("browser session");
    let base = format!("http://{addr}");

    // The login page, in the browser's language.
    driver.goto(format!("{base}/")).await.expect("goto");
    assert!(
        driver
            .current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/login")
    );
    assert!(driver.title().await.expect("title").starts_with("Log in"));
    driver
        .find(By::Id("login"))
        .await
        .expect("login")
        .send_keys(&admin.login)
        .await
        .expect("type");
    driver
        .find(By::Id("password"))
        .await
        .expect("password")
        .send_keys(PASSWORD)
        .await
        .expect("type");
    // Submit with the keyboard.
    driver
        .find(By::Id("password"))
        .await
        .expect("password")
        .send_keys(Key::Enter)
        .await
        .expect("enter");

    // Logged in: the navigation shows the admin's sections.
    let nav = text_of(&driver, By::Css("nav.side")).await;
    for item in [
        "Home",
        "Entities",
        "Users",
        "Groups",
        "Audit log",
        "API tokens",
    ] {
        assert!(nav.contains(item), "{item} missing from {nav:?}");
    }

    // Switch to French: the navigation and the page follow.
    driver
        .find(By::Css("#lang-switcher button[value='fr']"))
        .await
        .expect("fr")
        .click()
        .await
        .expect("click");
    // Finds poll: wait for the French page before reading it.
    wait_for(&driver, By::Css("html[lang='fr']")).await;
    let nav = text_of(&driver, By::Css("nav.side")).await;
    for item in ["Accueil", "Entités", "Utilisateurs", "Journal d'audit"] {
        assert!(nav.contains(item), "{item} missing from {nav:?}");
    }
    let lang = driver
        .find(By::Css("html"))
        .await
        .expect("html")
        .attr("lang")
        .await
        .expect("attr");
    assert_eq!(lang.as_deref(), Some("fr"));

    // Switch the entity to the Nord region: the switcher remembers it.
    let nord = world.alpha.nord.0.to_string();
    let select = driver
        .find(By::Id("entity-select"))
        .await
        .expect("switcher");
    select
        .find(By::Css(format!("option[value='{nord}']")))
        .await
        .expect("option")
        .click()
        .await
        .expect("pick");
    driver
        .find(By::Css("#entity-switcher button"))
        .await
        .expect("apply")
        .click()
        .await
        .expect("click");
    let selected = wait_for(
        &driver,
        By::Css(format!("#entity-select option[value='{nord}'][selected]")),
    )
    .await
    .attr("value")
    .await
    .expect("attr");
    assert_eq!(selected.as_deref(), Some(nord.as_str()));

    // An admin page, reached through the navigation.
    driver
        .find(By::LinkText("Entités"))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    wait_for(&driver, By::Id("entities-table")).await;

    // Log out: back to the login page, in French now.
    driver
        .find(By::Id("logout"))
        .await
        .expect("logout")
        .click()
        .await
        .expect("click");
    // Wait for the login form (finds poll) before reading the address.
    wait_for(&driver, By::Id("login-submit")).await;
    let url = driver.current_url().await.expect("url");
    assert!(
        url.path().ends_with("/login"),
        "{url}: {}",
        driver.source().await.unwrap_or_default()
    );
    assert!(
        driver
            .title()
            .await
            .expect("title")
            .starts_with("Connexion")
    );

    driver.quit().await.expect("quit");
    let _ = stop.send(());
    let _ = std::fs::remove_dir_all(profile);
}
