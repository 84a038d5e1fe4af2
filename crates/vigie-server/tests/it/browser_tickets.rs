//! The service desk in a real headless Chromium, driven through
//! ChromeDriver: an agent logs in, opens the queue, opens a ticket whose
//! title and description carry script payloads (none runs, the title shows
//! as text), uses the keyboard shortcuts, takes the ticket, replies and
//! resolves it. Runs when `VIGIE_TEST_CHROMEDRIVER` (and optionally
//! `VIGIE_TEST_CHROMIUM`) are set, like `browser.rs`, whose approach this
//! copies.

use crate::browser_support::{Browser, chromedriver, set_password, wait_for, wait_for_text};
use crate::support::{World, t0};
use thirtyfour::prelude::*;
use vigie_core::tenancy::Actor;
use vigie_core::ticket::priority::{Level, Priority};
use vigie_core::ticket::{Channel, TicketAccess, TicketType};
use vigie_store::NewTicket;

const PASSWORD: &str = "browser-test-password";

/// A title whose markup would set `window.__pwned` if it ran.
const TITLE: &str = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">";

/// A description with the same, and more ways in.
const DESCRIPTION: &str = "Le **serveur** ne répond plus.\n\n\
<script>window.__pwned=3</script>\n\n\
<img src=x onerror=\"window.__pwned=4\">\n\n\
<svg onload=\"window.__pwned=5\"></svg>\n\n\
[lien](javascript:window.__pwned=6) <a href=\"javascript:window.__pwned=7\" id=\"evil\">x</a>";

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
    let Some(chromedriver) = chromedriver() else {
        return;
    };
    let world = World::sqlite().await;
    let agent = &world.alpha.agent_sud;
    set_password(&world, agent.id, PASSWORD).await;
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
    let browser = Browser::start(&world, &chromedriver, "tickets").await;
    let driver = &browser.driver;
    let base = browser.base.clone();

    // Log in.
    driver.goto(format!("{base}/login")).await.expect("goto");
    wait_for(driver, By::Id("login"))
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
    wait_for(driver, By::Id("home-tickets")).await;
    driver
        .find(By::Css("nav.side a[href='/tickets']"))
        .await
        .expect("nav item")
        .click()
        .await
        .expect("click");
    wait_for(driver, By::Id("queue-tabs")).await;
    driver
        .find(By::Id("queue-open"))
        .await
        .expect("tab")
        .click()
        .await
        .expect("click");
    let link = wait_for(
        driver,
        By::Css(format!("#ticket-{ticket} a[href='/tickets/{ticket}']")),
    )
    .await;
    assert_eq!(
        link.text().await.expect("text"),
        TITLE,
        "the title shows as text"
    );
    assert_nothing_ran(driver, "queue").await;
    link.click().await.expect("click");

    // The ticket: payloads inert, the title and the Markdown shown.
    let description = wait_for(driver, By::Id("ticket-description")).await;
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
    assert_nothing_ran(driver, "ticket page").await;
    if !driver
        .current_url()
        .await
        .expect("url")
        .path()
        .ends_with(&format!("/tickets/{ticket}"))
    {
        driver.back().await.expect("back");
    }
    wait_for(driver, By::Id("ticket-description")).await;

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
    assert_eq!(focused_id(driver).await, "assign-group");
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
    assert_eq!(focused_id(driver).await, "reply-body");
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
    wait_for_text(driver, By::Id("ticket-assignee"), "Person alpha.agent-sud").await;
    wait_for_text(driver, By::Id("ticket-status"), "Assigned").await;

    // Reply.
    let reply = wait_for(driver, By::Id("reply-body")).await;
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
        driver,
        By::Css("#timeline .tl-reply"),
        "Nous regardons maintenant.",
    )
    .await;

    // Resolve with a solution.
    let solution = wait_for(driver, By::Id("resolve-solution")).await;
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
    wait_for_text(driver, By::Id("ticket-status"), "Resolved").await;
    let shown = text_of(driver, By::Id("ticket-solution")).await;
    assert_eq!(shown, "Service redémarré.");
    assert_eq!(
        text_of(driver, By::Id("ticket-solution-code")).await,
        "Workaround"
    );
    assert_nothing_ran(driver, "after resolving").await;

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
    wait_for(driver, By::Id("queue-tabs")).await;
    assert!(
        driver
            .current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/tickets")
    );

    browser.finish().await;
}

async fn text_of(driver: &WebDriver, by: By) -> String {
    wait_for(driver, by).await.text().await.expect("text")
}
