//! The files attached to a ticket, on its page: the upload form
//! (`multipart/form-data`, the CSRF token in a `csrf` part read and checked
//! before the file) and the download, cookie-authenticated, served with the
//! same inert headers as the API's download. What may be uploaded is decided
//! by the API's pure [`rules`].
//!
//! [`rules`]: crate::api::attachments::rules

use super::common::{frame, parse_id, store_page};
use super::layout::Layout;
use super::ticket_page::{Drafts, Refusal, outcome, ticket_id};
use super::tickets::HERE;
use crate::AppState;
use crate::api::attachments::{hex, rules};
use crate::auth::WebSession;
use axum::Router;
use axum::extract::multipart::{Field, Multipart, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use sha2::{Digest, Sha256};
use vigie_core::ticket::{Status, TicketAccess};
use vigie_store::NewAttachment;

use super::common::PageResult;

/// The routes of the attachments of the ticket page.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/tickets/{id}/attachments",
            // The application's body limit is for forms; an upload carries
            // a whole file, itself limited while it is read.
            post(upload).layer(DefaultBodyLimit::max(rules::MAX_UPLOAD_BODY_BYTES)),
        )
        .route("/tickets/{id}/attachments/{attachment_id}", get(download))
}

/// A size in words: bytes, KB or MB.
pub(super) fn size_label(l: &Layout, size: i64) -> String {
    const K: i64 = 1024;
    if size < K {
        l.lang.t1("attach-size-b", "n", size.to_string())
    } else if size < K * K {
        l.lang.t1(
            "attach-size-kb",
            "n",
            format!("{:.1}", size as f64 / K as f64),
        )
    } else {
        l.lang.t1(
            "attach-size-mb",
            "n",
            format!("{:.1}", size as f64 / (K * K) as f64),
        )
    }
}

/// An upload refusal in the page's language, with its status.
fn refusal(l: &Layout, r: &rules::Refusal) -> Refusal {
    let message = match r {
        rules::Refusal::NoName => l.t("attach-refused-noname"),
        rules::Refusal::Empty => l.t("attach-refused-empty"),
        rules::Refusal::Executable => l.t("attach-refused-executable"),
        rules::Refusal::ExecutableName(ext) => {
            l.lang
                .t1("attach-refused-executable-ext", "ext", ext.as_str())
        }
        rules::Refusal::Markup => l.t("attach-refused-markup"),
        rules::Refusal::MarkupName(ext) => {
            l.lang.t1("attach-refused-markup-ext", "ext", ext.as_str())
        }
        rules::Refusal::NotAllowed(ext) => l.lang.t1("attach-refused-type", "ext", ext.as_str()),
        rules::Refusal::Mismatch { extension, .. } => {
            l.lang
                .t1("attach-refused-mismatch", "ext", extension.as_str())
        }
    };
    Refusal::Worded(StatusCode::UNPROCESSABLE_ENTITY, message)
}

fn too_large(l: &Layout) -> Refusal {
    Refusal::Worded(
        StatusCode::PAYLOAD_TOO_LARGE,
        l.lang.t1(
            "attach-refused-size",
            "mb",
            (rules::MAX_ATTACHMENT_BYTES / (1024 * 1024)).to_string(),
        ),
    )
}

fn malformed(l: &Layout, e: &MultipartError) -> Refusal {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(l)
    } else {
        Refusal::Worded(StatusCode::BAD_REQUEST, l.t("attach-refused-malformed"))
    }
}

/// A small text part's value (at most 256 bytes kept).
async fn text_part(field: &mut Field<'_>) -> Result<String, MultipartError> {
    let mut value = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if value.len() < 256 {
            value.extend_from_slice(&chunk);
        }
    }
    value.truncate(256);
    Ok(String::from_utf8_lossy(&value).into_owned())
}

/// What the form carried after its CSRF part.
#[derive(Default)]
struct Upload {
    file: Option<(String, Vec<u8>)>,
    internal: bool,
}

/// Reads the parts after the CSRF token: `file` and `internal`.
async fn read_rest(l: &Layout, multipart: &mut Multipart) -> Result<Upload, Refusal> {
    let mut upload = Upload::default();
    while let Some(mut field) = multipart.next_field().await.map_err(|e| malformed(l, &e))? {
        match field.name().unwrap_or("") {
            "file" if upload.file.is_none() => {
                let name = field.file_name().unwrap_or("").to_owned();
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| malformed(l, &e))? {
                    if bytes.len() + chunk.len() > rules::MAX_ATTACHMENT_BYTES {
                        return Err(too_large(l));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                upload.file = Some((name, bytes));
            }
            "internal" => {
                let v = text_part(&mut field).await.map_err(|e| malformed(l, &e))?;
                upload.internal = !v.trim().is_empty();
            }
            _ => {
                return Err(Refusal::Worded(
                    StatusCode::BAD_REQUEST,
                    l.t("attach-refused-malformed"),
                ));
            }
        }
    }
    Ok(upload)
}

async fn upload(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "tickets-queue-title", HERE).await?;
    // The CSRF token is the first part, checked before any file is read.
    let mut multipart = multipart.ok();
    let token = match multipart.as_mut() {
        Some(m) => match m.next_field().await {
            Ok(Some(mut field)) if field.name() == Some("csrf") => {
                text_part(&mut field).await.unwrap_or_default()
            }
            _ => String::new(),
        },
        None => String::new(),
    };
    super::check_csrf(&session, &l, &token)?;
    let id = ticket_id(&l, &raw)?;
    let actor = &session.actor;
    let result = async {
        let access = TicketAccess::of(actor);
        let t = state.store().get_ticket(&access, id).await?;
        let worker = access.work.covers(t.tenant_id, &t.entity_path);
        if !worker && t.requester_id != actor.user {
            return Err(Refusal::Worded(
                StatusCode::FORBIDDEN,
                l.t("attach-refused-forbidden"),
            ));
        }
        if t.status == Status::Closed {
            return Err(Refusal::Worded(
                StatusCode::CONFLICT,
                l.t("attach-refused-closed"),
            ));
        }
        let Some(multipart) = multipart.as_mut() else {
            return Err(Refusal::Worded(
                StatusCode::BAD_REQUEST,
                l.t("attach-refused-malformed"),
            ));
        };
        let upload = read_rest(&l, multipart).await?;
        if upload.internal && !worker {
            return Err(Refusal::Worded(
                StatusCode::FORBIDDEN,
                l.t("attach-refused-internal"),
            ));
        }
        let Some((raw_name, content)) = upload.file else {
            return Err(refusal(&l, &rules::Refusal::Empty));
        };
        if raw_name.is_empty() && content.is_empty() {
            // The browser sends an empty, unnamed part when no file was chosen.
            return Err(Refusal::Worded(
                StatusCode::UNPROCESSABLE_ENTITY,
                l.t("attach-refused-missing"),
            ));
        }
        let file_name = rules::sanitize_name(&raw_name).map_err(|r| refusal(&l, &r))?;
        if content.is_empty() {
            return Err(refusal(&l, &rules::Refusal::Empty));
        }
        let kind = rules::decide(&file_name, rules::head(&content)).map_err(|r| refusal(&l, &r))?;
        let new = NewAttachment {
            file_name,
            content_type: kind,
            public: !upload.internal,
            sha256: hex(&Sha256::digest(&content)),
            content,
        };
        state
            .store()
            .add_attachment(actor, &access, state.clock().now(), &t, &new)
            .await?;
        Ok(())
    }
    .await;
    outcome(&state, &session, l, id, result, Drafts::default()).await
}

/// Downloads an attachment with the API's response (same headers).
async fn download(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path((raw, raw_attachment)): Path<(String, String)>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "tickets-queue-title", HERE).await?;
    let id = ticket_id(&l, &raw)?;
    let Some(attachment_id) = parse_id(&raw_attachment) else {
        return Err(super::common::not_found(&l));
    };
    let access = TicketAccess::of(&session.actor);
    let failed = |e| store_page(&l, e);
    let t = state
        .store()
        .get_ticket(&access, id)
        .await
        .map_err(failed)?;
    let (a, content) = state
        .store()
        .attachment_content(&access, &t, attachment_id)
        .await
        .map_err(failed)?;
    crate::api::attachments::download_response(&a, content).ok_or_else(|| {
        super::common::message(&l, StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
    })
}
