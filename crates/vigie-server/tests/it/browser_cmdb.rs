//! The CMDB pages in a real headless Chromium: an agent opens an item and
//! follows its neighbourhood graph to the neighbour. Runs when
//! `VIGIE_TEST_CHROMEDRIVER` is set, like `browser_tickets.rs`.

use crate::browser_support::{Browser, chromedriver, set_password, wait_for};
use crate::support::World;
use axum::http::{Method, StatusCode};
use thirtyfour::prelude::*;

const PASSWORD: &str = "browser-test-password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_clicks_through_the_graph_to_the_rack() {
    let Some(chromedriver) = chromedriver() else {
        return;
    };
    let world = World::sqlite().await;
    let res = world
        .api(
            Method::GET,
            &format!("/api/v1/cis/{}/relations", world.alpha.ci_sud),
            Some(&world.alpha.admin.token),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let rack = res.json()[0]["to_id"].as_i64().expect("rack");
    let agent = &world.alpha.agent_sud;
    set_password(&world, agent.id, PASSWORD).await;
    let browser = Browser::start(&world, &chromedriver, "cmdb").await;
    let driver = &browser.driver;
    let base = browser.base.clone();

    driver.goto(format!("{base}/login")).await.expect("goto");
    wait_for(driver, By::Id("login"))
        .await
        .send_keys(&agent.login)
        .await
        .expect("type");
    let password = driver.find(By::Id("password")).await.expect("password");
    password.send_keys(PASSWORD).await.expect("type");
    password.send_keys(Key::Enter).await.expect("enter");
    wait_for(driver, By::Id("home-tickets")).await;

    driver
        .goto(format!("{base}/cmdb/{}", world.alpha.ci_sud))
        .await
        .expect("goto");
    wait_for(driver, By::Id(format!("graph-self-{}", world.alpha.ci_sud))).await;
    wait_for(driver, By::Css(format!("#graph-ci-{rack} circle")))
        .await
        .click()
        .await
        .expect("click");
    wait_for(driver, By::Id(format!("graph-self-{rack}"))).await;
    let back = wait_for(
        driver,
        By::Css(format!("#graph-ci-{} text", world.alpha.ci_sud)),
    )
    .await;
    assert_eq!(back.text().await.expect("text"), "alpha-ci-sud");
    browser.finish().await;
}
