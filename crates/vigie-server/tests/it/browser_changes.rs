//! Change management in a real headless Chromium: a CAB member opens the
//! change calendar, follows the planned change to its page and approves
//! it; the change manager schedules another from the page's form. Runs
//! when `VIGIE_TEST_CHROMEDRIVER` is set, like `browser_tickets.rs`.

use crate::browser_support::{Browser, chromedriver, set_password, wait_for, wait_for_text};
use crate::changes::{approved, cast, ok, prepared, raise, schedule};
use crate::support::World;
use axum::http::Method;
use serde_json::json;
use thirtyfour::prelude::*;

const PASSWORD: &str = "browser-test-password";

async fn log_in(driver: &WebDriver, base: &str, login: &str) {
    driver.goto(format!("{base}/login")).await.expect("goto");
    wait_for(driver, By::Id("login"))
        .await
        .send_keys(login)
        .await
        .expect("type");
    let password = driver.find(By::Id("password")).await.expect("password");
    password.send_keys(PASSWORD).await.expect("type");
    password.send_keys(Key::Enter).await.expect("enter");
    wait_for(driver, By::Id("home-tickets")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cab_member_approves_from_the_calendar_and_the_manager_schedules() {
    let Some(chromedriver) = chromedriver() else {
        return;
    };
    let world = World::sqlite().await;
    let cast = cast(&world).await;
    let a = &world.alpha;
    let agent = &a.agent_sud.token;
    // One change already planned (on the calendar), one waiting for votes.
    let planned = approved(&world, &cast, &[a.ci_sud]).await;
    ok(
        &world,
        &cast.manager.token,
        planned,
        schedule("2026-01-13T19:00:00Z", "2026-01-13T22:00:00Z"),
    )
    .await;
    let mut prep = prepared();
    prep["responsible_id"] = json!(a.agent_sud.id.0);
    let c = raise(&world, agent, "normal", &[a.ci_sud], prep).await;
    let pending = c["id"].as_i64().expect("id");
    ok(&world, agent, pending, json!({"action": "submit"})).await;
    ok(
        &world,
        &cast.manager.token,
        pending,
        json!({"action": "assess", "likelihood": "low"}),
    )
    .await;
    ok(
        &world,
        &cast.cab[0].token,
        pending,
        json!({"action": "vote", "decision": "approve"}),
    )
    .await;
    let member = &cast.cab[1];
    set_password(&world, member.id, PASSWORD).await;
    set_password(&world, cast.manager.id, PASSWORD).await;

    let browser = Browser::start(&world, &chromedriver, "changes").await;
    let driver = &browser.driver;
    let base = browser.base.clone();
    log_in(driver, &base, &member.login).await;
    driver
        .goto(format!("{base}/changes/calendar?month=2026-01"))
        .await
        .expect("goto");
    wait_for(driver, By::Css(format!("#calendar-change-{planned} a")))
        .await
        .click()
        .await
        .expect("click");
    wait_for(driver, By::Id("change-heading")).await;
    // Back to the list, to the change waiting for this member's vote.
    driver.goto(format!("{base}/changes")).await.expect("goto");
    wait_for(driver, By::Css(format!("#change-{pending} a")))
        .await
        .click()
        .await
        .expect("click");
    wait_for(driver, By::Id("vote-comment"))
        .await
        .send_keys("plans and backout reviewed")
        .await
        .expect("type");
    driver
        .find(By::Id("vote-approve"))
        .await
        .expect("approve")
        .click()
        .await
        .expect("click");
    let status = wait_for(driver, By::Id("change-status")).await;
    let text = status.text().await.expect("text");
    assert!(text == "Approved" || text == "Approuvé", "{text}");

    // The manager schedules it on the night of the 20th, Paris time.
    driver.delete_all_cookies().await.expect("log out");
    log_in(driver, &base, &cast.manager.login).await;
    driver
        .goto(format!("{base}/changes/{pending}"))
        .await
        .expect("goto");
    wait_for(driver, By::Id("schedule-start")).await;
    driver
        .execute(
            "document.getElementById('schedule-start').value = '2026-01-20T20:00';\
             document.getElementById('schedule-end').value = '2026-01-20T23:00';",
            vec![],
        )
        .await
        .expect("set the window");
    driver
        .find(By::Id("do-schedule"))
        .await
        .expect("schedule")
        .click()
        .await
        .expect("click");
    wait_for_text(
        driver,
        By::Css("#change-history li:last-child"),
        "scheduled",
    )
    .await;
    let c = world
        .api(
            Method::GET,
            &format!("/api/v1/changes/{pending}"),
            Some(agent),
            None,
        )
        .await
        .json();
    assert_eq!(c["status"], "scheduled", "{c}");
    assert_eq!(c["planned_start"], "2026-01-20T19:00:00Z");
    browser.finish().await;
}
