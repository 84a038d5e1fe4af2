//! The OpenAPI document is committed in `docs/api/openapi.json`, so that a
//! change of the external contract shows in review. Regenerate it with
//! `VIGIE_UPDATE_OPENAPI=1 cargo test -p vigie-server --test it openapi`.

use crate::support::World;
use axum::http::{Method, StatusCode};
use std::path::Path;

#[tokio::test]
async fn the_committed_document_matches_the_code() {
    let generated = vigie_server::api::openapi().to_pretty_json().expect("json") + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/api/openapi.json");
    if std::env::var_os("VIGIE_UPDATE_OPENAPI").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &generated).expect("write");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/api/openapi.json is out of date: run VIGIE_UPDATE_OPENAPI=1 cargo test -p vigie-server --test it openapi"
    );
    // The served document is the same.
    let world = World::sqlite().await;
    let served = world
        .api(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(
        served.json(),
        serde_json::from_str::<serde_json::Value>(&generated).expect("json")
    );
}

#[tokio::test]
async fn problem_types_resolve_to_an_explanation() {
    let world = World::sqlite().await;
    for kind in vigie_server::error::ProblemKind::ALL {
        let res = world
            .api(
                Method::GET,
                &format!("/problems/{}", kind.code()),
                None,
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.body.starts_with(kind.title()));
    }
}
