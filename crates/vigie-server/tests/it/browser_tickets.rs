//! The service desk in a real headless Chromium, driven through
//! ChromeDriver: an agent logs in, opens the queue, opens a ticket whose
//! title and description carry script payloads (none runs, the title shows
//! as text), uses the keyboard shortcuts, takes the ticket, replies and
//! resolves it. Runs when `VIGIE_TEST_CHROMEDRIVER` (and optionally
//! `VIGIE_TEST_CHROMIUM`) are set, like `browser.rs`, whose approach this
//! copies.

use crate::support::{World, t0};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use thirtyfour::prelude::*;
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::priority::{Level, Priority};
use vigie_core::ticket::{Channel, TicketAccess, TicketType};
use vigie_server::{AppState, ServerConfig};
use vigie_store::{NewTicket, UserChanges};

const PASSWORD: &str = "browser-test-password";

/// A title whose markup would set `window.__pwned` if it ran.
const TITLE: &str = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">";

/// A description with the same, and more ways in.
const DESCRIPTION: &str = "Le **serveur** ne répond plus.\n\n\
<script>window.__pwned=3</script>\n\n\
<img src=x onerror=\"window.__pwned=4\">\n\n\
<svg onload=\"window.__pwned=5\"></svg>\n\n\
[lien](javascript:window.__pwned=6) <a href=\"javascript:window.__pwned=7\" id=\"evil\">x</a>";

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

/// Waits (bounded) for an element whose text contains `text`: the page
/// after a form, not the one before it.
async fn wait_for_text(driver: &WebDriver, by: By, text: &str) -> WebElement {
    let wanted = text.to_owned();
    driver
        .query(by)
        .with_text(move |t: &str| t.contains(wanted.as_str()))
        .wait(Duration::from_secs(10), Duration::from_millis(50))
        .first()
        .await
        .unwrap_or_else(|e| panic!("no element with {text:?} within 10 s: {e}"))
}

/// Fails if any payload ran or an alert is open.
async fn assert_nothing_ran(driver: &WebDriver, when: &str) {
    assert!(
        driver.get_alert_text().await.is_err(),
        "{when}: an alert is open"
    );
    let pwned = driver
        .execute("return window.__pwned === undefined", Vec::new())
        .await
        .expect("script")
        .convert::<bool>()
        .expect("bool");
    assert!(pwned, "{when}: a payload ran");
}

/// The id of the element that has the focus.
async fn focused_id(driver: &WebDriver) -> String {
    driver
        .execute("return document.activeElement.id", Vec::new())
        .await
        .expect("script")
        .convert::<String>()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_takes_replies_to_and_resolves_a_hostile_ticket() {
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
    let agent = &world.alpha.agent_sud;
    let hash = vigie_server::auth::hash_password(PASSWORD).expect("hash");
    let changes = UserChanges {
        password_hash: Some(hash),
        ..Default::default()
    };
    world
        .store
        .update_user(&Actor::system(), &Scope::Platform, t0(), agent.id, &changes)
        .await
        .expect("password");
    let system = Actor::system();
    let ticket = world
        .store
        .create_ticket(
            &system,
            &TicketAccess::of(&system),
            t0(),
            &NewTicket {
                ticket_type: TicketType::Incident,
                entity_id: world.alpha.sud,
                title: TITLE.to_owned(),
                description: DESCRIPTION.to_owned(),
                requester_id: world.alpha.worker_sud.id,
                channel: Channel::Email,
                category_id: None,
                service_ref: None,
                ci_refs: String::new(),
                impact: Level::Critique,
                urgency: Level::Critique,
                priority: Priority::Critique,
            },
        )
        .await
        .expect("ticket");
    let (number, ticket) = (ticket.number, ticket.id);
    let (addr, stop) = serve(&world).await;
    let (_chromedriver, port) = start_chromedriver(&chromedriver).await;

    let mut caps = DesiredCapabilities::chrome();
    if let Ok(bin) = std::env::var("VIGIE_TEST_CHROMIUM")
        && !bin.is_empty()
    {
        caps.set_binary(&bin).expect("binary");
    }
    let profile =
        std::env::temp_dir().join(format!("vigie-chromium-tickets-{}", std::process::id()));
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
    let base = format!("http://{addr}");

    // Log in.
    driver.goto(format!("{base}/login")).await.expect("goto");
    wait_for(&driver, By::Id("login"))
        .await
        .send_keys(&agent.login)
        .await
        .expect("type");
    driver
        .find(By::Id("password"))
        .await
        .expect("password")
        .send_keys(PASSWORD)
        .await
        .expect("type");
    driver
        .find(By::Id("password"))
        .await
        .expect("password")
        .send_keys(Key::Enter)
        .await
        .expect("enter");

    // The queue, through the navigation, then the "All open" tab.
    wait_for(&driver, By::Id("home-tickets")).await;
    driver
        .find(By::Css("nav.side a[href='/tickets']"))
        .await
        .expect("nav item")
        .click()
        .await
        .expect("click");
    wait_for(&driver, By::Id("queue-tabs")).await;
    driver
        .find(By::Id("queue-open"))
        .await
        .expect("tab")
        .click()
        .await
        .expect("click");
    let link = wait_for(
        &driver,
        By::Css(format!("#ticket-{ticket} a[href='/tickets/{ticket}']")),
    )
    .await;
    assert_eq!(
        link.text().await.expect("text"),
        TITLE,
        "the title shows as text"
    );
    assert_nothing_ran(&driver, "queue").await;
    link.click().await.expect("click");

    // The ticket: payloads inert, the title and the Markdown shown.
    let description = wait_for(&driver, By::Id("ticket-description")).await;
    let h1 = driver.find(By::Css("main h1")).await.expect("h1");
    assert_eq!(
        h1.text().await.expect("text"),
        format!("#{number} — {TITLE}"),
        "the title shows as text"
    );
    assert!(
        description
            .find(By::Tag("strong"))
            .await
            .expect("bold")
            .text()
            .await
            .expect("text")
            == "serveur"
    );
    // What ammonia left of the payloads has neither handlers nor
    // javascript: links.
    let evil_href = driver
        .execute(
            "var a = document.querySelector('#ticket-description a'); \
             return a ? (a.getAttribute('href') || '') : '';",
            Vec::new(),
        )
        .await
        .expect("script")
        .convert::<String>()
        .expect("string");
    assert!(!evil_href.contains("javascript"), "{evil_href}");
    let handlers = driver
        .execute(
            "return Array.from(document.querySelectorAll('*')).filter(function (e) { \
               return Array.from(e.attributes).some(function (a) { return a.name.indexOf('on') === 0; }); \
             }).length;",
            Vec::new(),
        )
        .await
        .expect("script")
        .convert::<i64>()
        .expect("count");
    assert_eq!(handlers, 0, "an element carries an event handler");
    // Clicking what is left of the links runs nothing either.
    for a in description.find_all(By::Tag("a")).await.expect("links") {
        let _ = a.click().await;
    }
    assert_nothing_ran(&driver, "ticket page").await;
    if !driver
        .current_url()
        .await
        .expect("url")
        .path()
        .ends_with(&format!("/tickets/{ticket}"))
    {
        driver.back().await.expect("back");
    }
    wait_for(&driver, By::Id("ticket-description")).await;

    // Keyboard shortcuts: `a` focuses the assign form, `r` the reply box.
    driver
        .find(By::Css("main h1"))
        .await
        .expect("h1")
        .click()
        .await
        .expect("click");
    driver
        .action_chain()
        .send_keys("a")
        .perform()
        .await
        .expect("keys");
    assert_eq!(focused_id(&driver).await, "assign-group");
    driver
        .find(By::Css("main h1"))
        .await
        .expect("h1")
        .click()
        .await
        .expect("click");
    driver
        .action_chain()
        .send_keys("r")
        .perform()
        .await
        .expect("keys");
    assert_eq!(focused_id(&driver).await, "reply-body");
    // Typing in the box is typing, not a shortcut.
    driver
        .action_chain()
        .send_keys("gq n")
        .perform()
        .await
        .expect("keys");
    assert!(
        driver
            .current_url()
            .await
            .expect("url")
            .path()
            .ends_with(&format!("/tickets/{ticket}"))
    );

    // Take it.
    driver
        .find(By::Id("action-take-submit"))
        .await
        .expect("take")
        .click()
        .await
        .expect("click");
    wait_for_text(&driver, By::Id("ticket-assignee"), "Person alpha.agent-sud").await;
    wait_for_text(&driver, By::Id("ticket-status"), "Assigned").await;

    // Reply.
    let reply = wait_for(&driver, By::Id("reply-body")).await;
    reply.clear().await.expect("clear");
    reply
        .send_keys("Nous regardons **maintenant**.")
        .await
        .expect("type");
    driver
        .find(By::Id("reply-submit"))
        .await
        .expect("send")
        .click()
        .await
        .expect("click");
    wait_for_text(
        &driver,
        By::Css("#timeline .tl-reply"),
        "Nous regardons maintenant.",
    )
    .await;

    // Resolve with a solution.
    let solution = wait_for(&driver, By::Id("resolve-solution")).await;
    solution
        .send_keys("Service redémarré.")
        .await
        .expect("type");
    driver
        .find(By::Css("#resolve-code option[value='workaround']"))
        .await
        .expect("code")
        .click()
        .await
        .expect("pick");
    driver
        .find(By::Id("action-resolve-submit"))
        .await
        .expect("resolve")
        .click()
        .await
        .expect("click");
    wait_for_text(&driver, By::Id("ticket-status"), "Resolved").await;
    let shown = text_of(&driver, By::Id("ticket-solution")).await;
    assert_eq!(shown, "Service redémarré.");
    assert_eq!(
        text_of(&driver, By::Id("ticket-solution-code")).await,
        "Workaround"
    );
    assert_nothing_ran(&driver, "after resolving").await;

    // `g q` goes back to the queue, where the ticket no longer waits.
    driver
        .find(By::Css("main h1"))
        .await
        .expect("h1")
        .click()
        .await
        .expect("click");
    driver
        .action_chain()
        .send_keys("gq")
        .perform()
        .await
        .expect("keys");
    wait_for(&driver, By::Id("queue-tabs")).await;
    assert!(
        driver
            .current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/tickets")
    );

    driver.quit().await.expect("quit");
    let _ = stop.send(());
    let _ = std::fs::remove_dir_all(profile);
}

async fn text_of(driver: &WebDriver, by: By) -> String {
    wait_for(driver, by).await.text().await.expect("text")
}
