//! The web UI in a real headless Chromium, driven through ChromeDriver:
//! log in, see the navigation, switch the language, switch the entity, use
//! an admin page, log out. Runs when `VIGIE_TEST_CHROMEDRIVER` (and
//! optionally `VIGIE_TEST_CHROMIUM`) are set; `.ci/run` sets them.

use crate::browser_support::{Browser, chromedriver, set_password, wait_for};
use crate::support::World;
use thirtyfour::prelude::*;

const PASSWORD: &str = "browser-test-password";

async fn text_of(driver: &WebDriver, by: By) -> String {
    wait_for(driver, by).await.text().await.expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_switch_language_and_entity_and_log_out() {
    let Some(chromedriver) = chromedriver() else {
        return;
    };
    let world = World::sqlite().await;
    let admin = &world.alpha.admin;
    set_password(&world, admin.id, PASSWORD).await;
    let browser = Browser::start(&world, &chromedriver, "shell").await;
    let driver = &browser.driver;
    let base = browser.base.clone();

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
    let nav = text_of(driver, By::Css("nav.side")).await;
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
    wait_for(driver, By::Css("html[lang='fr']")).await;
    let nav = text_of(driver, By::Css("nav.side")).await;
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
        driver,
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
    wait_for(driver, By::Id("entities-table")).await;

    // Log out: back to the login page, in French now.
    driver
        .find(By::Id("logout"))
        .await
        .expect("logout")
        .click()
        .await
        .expect("click");
    // Wait for the login form (finds poll) before reading the address.
    wait_for(driver, By::Id("login-submit")).await;
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

    browser.finish().await;
}
