//! The service level pages in a real headless Chromium: the tenant
//! administrator creates a calendar from the working-hours preset, a P2
//! target counted in it, and reads on the page when a P2 ticket opened now
//! would be due. Runs when `VIGIE_TEST_CHROMEDRIVER` is set, like
//! `browser_tickets.rs`.

use crate::browser_support::{Browser, chromedriver, set_password, wait_for, wait_for_text};
use crate::support::World;
use thirtyfour::prelude::*;

const PASSWORD: &str = "browser-test-password";

/// Picks the option `value` of the select `id`.
async fn choose(driver: &WebDriver, id: &str, value: &str) {
    wait_for(driver, By::Css(format!("#{id} option[value='{value}']")))
        .await
        .click()
        .await
        .expect("choose");
}

/// Types into the field `id`, emptied first.
async fn type_in(driver: &WebDriver, id: &str, text: &str) {
    let field = wait_for(driver, By::Id(id)).await;
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_builds_a_calendar_and_a_target_and_previews_it() {
    let Some(chromedriver) = chromedriver() else {
        return;
    };
    let world = World::sqlite().await;
    let a = &world.alpha;
    set_password(&world, a.admin.id, PASSWORD).await;
    let browser = Browser::start(&world, &chromedriver, "sla").await;
    let driver = &browser.driver;
    let base = browser.base.clone();

    driver.goto(format!("{base}/login")).await.expect("goto");
    type_in(driver, "login", &a.admin.login).await;
    let password = driver.find(By::Id("password")).await.expect("password");
    password.send_keys(PASSWORD).await.expect("type");
    password.send_keys(Key::Enter).await.expect("enter");
    wait_for(driver, By::Id("home-tickets")).await;

    // A calendar from the working-hours preset.
    driver
        .goto(format!("{base}/admin/sla"))
        .await
        .expect("goto");
    type_in(driver, "calendar-name", "Bureau Lyon").await;
    choose(driver, "calendar-preset", "working-hours").await;
    driver
        .find(By::Id("calendar-create-submit"))
        .await
        .expect("create")
        .click()
        .await
        .expect("click");
    let monday = wait_for(driver, By::Id("cal-hours_monday")).await;
    assert_eq!(
        monday.value().await.expect("value").as_deref(),
        Some("08:00-18:00")
    );
    let calendar = world
        .store
        .list_calendars(a.tenant.id)
        .await
        .expect("calendars")
        .into_iter()
        .find(|c| c.name == "Bureau Lyon")
        .expect("the calendar was created")
        .id;

    // A P2 target for the mail service, counted in it.
    driver
        .find(By::LinkText("Back to service levels"))
        .await
        .expect("back")
        .click()
        .await
        .expect("click");
    wait_for(driver, By::Id("target-new"))
        .await
        .click()
        .await
        .expect("click");
    type_in(driver, "tg-name", "P2 messagerie").await;
    choose(driver, "tg-priority", "P2").await;
    type_in(driver, "tg-service", "messagerie").await;
    choose(driver, "tg-calendar", &calendar.to_string()).await;
    type_in(driver, "tg-own", "60").await;
    type_in(driver, "tg-resolve", "480").await;
    type_in(driver, "tg-escalations", "75 notify").await;
    driver
        .find(By::Id("target-save"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    wait_for_text(driver, By::Css("#targets-table tbody"), "P2 messagerie").await;

    // Opened now (1 January, a holiday): due on Friday, Paris time.
    choose(driver, "preview-priority", "P2").await;
    type_in(driver, "preview-service", "messagerie").await;
    driver
        .find(By::Id("preview-submit"))
        .await
        .expect("preview")
        .click()
        .await
        .expect("click");
    let result = wait_for(driver, By::Id("sla-preview-result")).await;
    let text = result.text().await.expect("text");
    assert!(text.contains("P2 messagerie"), "{text}");
    let resolve = wait_for(driver, By::Id("sla-preview-resolve")).await;
    assert_eq!(
        resolve.text().await.expect("text"),
        "2026-01-02 16:00 (Europe/Paris)"
    );
    assert_eq!(
        resolve.attr("datetime").await.expect("attr").as_deref(),
        Some("2026-01-02T15:00:00Z")
    );
    let own = driver.find(By::Id("sla-preview-own")).await.expect("own");
    assert_eq!(
        own.text().await.expect("text"),
        "2026-01-02 09:00 (Europe/Paris)"
    );
    browser.finish().await;
}
