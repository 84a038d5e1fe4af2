//! `/api/v1/tickets/{id}/attachments`: files attached to tickets.
//!
//! What may be uploaded is decided in [`rules`], a pure module: the size
//! limit, the file name's sanitising, and the type, from the extension AND
//! the first bytes agreeing with each other. The store keeps one copy of a
//! content per tenant, keyed by its SHA-256 computed here. Downloads are
//! served inert: always as an attachment, with the type Vigie decided, never
//! sniffed, sandboxed and not cached.

use crate::AppState;
use crate::api::ApiPath;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem, ProblemKind};
use axum::Json;
use axum::body::Body;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::ids::TicketId;
use vigie_core::ticket::{Status, TicketAccess};
use vigie_store::{AttachmentRecord, NewAttachment};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_attachments, upload_attachment))
        .routes(routes!(download_attachment))
        // The application's body limit is for JSON; an upload may carry a
        // whole file. The file itself is limited while it is read.
        .layer(DefaultBodyLimit::max(rules::MAX_UPLOAD_BODY_BYTES))
}

/// A file attached to a ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentOut {
    id: i64,
    ticket_id: i64,
    /// The file name, sanitised (no path separators nor control characters,
    /// at most 255 bytes).
    file_name: String,
    /// The media type Vigie decided from the name and the content (the
    /// client's declared type is ignored).
    content_type: String,
    /// Size in bytes.
    size: i64,
    /// SHA-256 of the content, lowercase hex.
    sha256: String,
    /// `true`: the requester sees it; `false`: agents only.
    public: bool,
    uploaded_by: Option<i64>,
    /// The uploader's login.
    uploader: String,
    created_at: String,
    /// Where to download it.
    download_url: String,
}

impl From<AttachmentRecord> for AttachmentOut {
    fn from(a: AttachmentRecord) -> Self {
        AttachmentOut {
            download_url: format!("/api/v1/tickets/{}/attachments/{}", a.ticket_id.0, a.id),
            id: a.id,
            ticket_id: a.ticket_id.0,
            file_name: a.file_name,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            public: a.public,
            uploaded_by: a.uploaded_by.map(|u| u.0),
            uploader: a.uploader_label,
            created_at: a.created_at.to_string(),
        }
    }
}

/// The parts of an upload (`multipart/form-data`).
#[derive(ToSchema)]
#[allow(dead_code)]
struct AttachmentUpload {
    /// The file, with its name in the part's `filename`. At most 10 MiB, not
    /// empty; allowed: PDF, PNG, JPEG, GIF, WebP, plain text (`.txt`,
    /// `.csv`, `.log`), e-mail (`.eml`), Office Open XML (`.docx`, `.xlsx`,
    /// `.pptx`) and OpenDocument (`.odt`, `.ods`, `.odp`) files, whose
    /// content must match the extension.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
    /// `false` for an internal file (agents only).
    #[schema(required = false, default = true)]
    public: bool,
}

/// A file's bytes.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
struct FileBytes(Vec<u8>);

/// The attachments of a ticket: internal ones only for its agents.
#[utoipa::path(get, path = "/tickets/{id}/attachments", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AttachmentOut>), (status = 404, body = Problem)))]
async fn list_attachments(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<AttachmentOut>>, ApiError> {
    let access = TicketAccess::of(&actor);
    let t = state.store().get_ticket(&access, TicketId(id)).await?;
    let list = state.store().list_attachments(&access, &t).await?;
    Ok(Json(list.into_iter().map(AttachmentOut::from).collect()))
}

/// Attaches a file to a ticket: a `file` part, and `public` = `false` for an
/// internal file (agents only). The requester attaches public files to his
/// own tickets, the ticket's agents any; a closed ticket refuses (409). The
/// type is decided from the extension and the first bytes, which must agree;
/// executables, scripts, HTML and SVG are refused (422, `field` = `file`).
#[utoipa::path(post, path = "/tickets/{id}/attachments", tag = "tickets", params(("id" = i64, Path)),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentOut), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn upload_attachment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<AttachmentOut>), ApiError> {
    // Who may attach is answered before the body is read.
    let access = TicketAccess::of(&actor);
    let t = state.store().get_ticket(&access, TicketId(id)).await?;
    let worker = access.work.covers(t.tenant_id, &t.entity_path);
    if !worker && t.requester_id != actor.user {
        return Err(ApiError::forbidden(
            "only the requester and the agents of the ticket attach files",
        ));
    }
    if t.status == Status::Closed {
        return Err(ApiError::new(
            ProblemKind::Conflict,
            "the ticket is closed: open a new one",
        ));
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > rules::MAX_UPLOAD_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let mut multipart = multipart.map_err(|_| {
        ApiError::bad_request("send the file as multipart/form-data, in a part named `file`")
    })?;
    let upload = read_upload(&mut multipart).await?;
    let public = upload.public.unwrap_or(true);
    if !public && !worker {
        return Err(ApiError::forbidden("only agents attach internal files"));
    }
    let (raw_name, content) = upload
        .file
        .ok_or_else(|| ApiError::invalid("file", "a part named `file` is required"))?;
    let file_name = rules::sanitize_name(&raw_name).map_err(refused)?;
    if content.is_empty() {
        return Err(refused(rules::Refusal::Empty));
    }
    let kind = rules::decide(&file_name, rules::head(&content)).map_err(refused)?;
    let new = NewAttachment {
        file_name,
        content_type: kind,
        public,
        sha256: hex(&Sha256::digest(&content)),
        content,
    };
    let a = state
        .store()
        .add_attachment(&actor, &access, state.clock().now(), &t, &new)
        .await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// Downloads an attachment: always as a file to save, with the type Vigie
/// decided at upload, never sniffed nor rendered by the browser.
#[utoipa::path(get, path = "/tickets/{id}/attachments/{attachment_id}", tag = "tickets",
    params(("id" = i64, Path), ("attachment_id" = i64, Path)),
    responses(
        (status = 200, description = "The file's bytes, as uploaded; `Content-Type` is the type decided at upload", content_type = "application/octet-stream", body = inline(FileBytes),
            headers(
                ("Content-Disposition" = String, description = "`attachment; filename=\"…\"; filename*=UTF-8''…`"),
                ("X-Content-Type-Options" = String, description = "`nosniff`"),
                ("Content-Security-Policy" = String, description = "`sandbox`"),
                ("Cache-Control" = String, description = "`private, no-store`")
            )),
        (status = 404, body = Problem)))]
async fn download_attachment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, attachment_id)): ApiPath<(i64, i64)>,
) -> Result<Response, ApiError> {
    let access = TicketAccess::of(&actor);
    let t = state.store().get_ticket(&access, TicketId(id)).await?;
    let (a, content) = state
        .store()
        .attachment_content(&access, &t, attachment_id)
        .await?;
    download_response(&a, content).ok_or_else(|| ApiError::internal("attachment headers"))
}

/// The download of an attachment, the same from the API and the web: always
/// a file to save, the type decided at upload (or `application/octet-stream`),
/// never sniffed, sandboxed, not cached. `None` if a header cannot be built.
pub(crate) fn download_response(
    a: &vigie_store::AttachmentRecord,
    content: Vec<u8>,
) -> Option<Response> {
    let content_type = if rules::servable(&a.content_type) {
        a.content_type.as_str()
    } else {
        "application/octet-stream"
    };
    let disposition = HeaderValue::from_str(&rules::content_disposition(&a.file_name)).ok()?;
    let content_type = HeaderValue::from_str(content_type).ok()?;
    let mut res = Body::from(content).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, content_type);
    h.insert(header::CONTENT_DISPOSITION, disposition);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Some(res)
}

/// What an upload carried.
#[derive(Default)]
struct Upload {
    /// The client's file name and the bytes.
    file: Option<(String, Vec<u8>)>,
    public: Option<bool>,
}

async fn read_upload(multipart: &mut Multipart) -> Result<Upload, ApiError> {
    let mut upload = Upload::default();
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        match field.name().unwrap_or("") {
            "file" => {
                if upload.file.is_some() {
                    return Err(ApiError::invalid("file", "send one `file` part only"));
                }
                let name = field.file_name().unwrap_or("").to_owned();
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                    if bytes.len() + chunk.len() > rules::MAX_ATTACHMENT_BYTES {
                        return Err(too_large());
                    }
                    bytes.extend_from_slice(&chunk);
                }
                upload.file = Some((name, bytes));
            }
            "public" => {
                let mut value = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                    value.extend_from_slice(&chunk);
                    if value.len() > 16 {
                        break;
                    }
                }
                upload.public = Some(match value.trim_ascii() {
                    b"true" => true,
                    b"false" => false,
                    _ => {
                        return Err(ApiError::invalid(
                            "public",
                            "`public` must be `true` or `false`",
                        ));
                    }
                });
            }
            other => {
                let other = other.chars().take(50).collect::<String>();
                return Err(ApiError::invalid(
                    &other,
                    format!("unknown part `{other}`: send `file` and optionally `public`"),
                ));
            }
        }
    }
    Ok(upload)
}

fn too_large() -> ApiError {
    ApiError {
        field: Some("file".into()),
        ..ApiError::new(
            ProblemKind::PayloadTooLarge,
            format!(
                "a file may have at most {} MiB",
                rules::MAX_ATTACHMENT_BYTES / (1024 * 1024)
            ),
        )
    }
}

fn malformed(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiError::bad_request(format!(
            "the multipart body is malformed: {}",
            e.body_text()
        ))
    }
}

fn refused(r: rules::Refusal) -> ApiError {
    ApiError::invalid("file", r.to_string())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The rules of uploads, without IO: limits, file names, types.
pub mod rules {
    use std::fmt;

    /// The largest file accepted, in bytes (10 MiB).
    pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
    /// The largest upload body: the file and room for the multipart framing
    /// and the other parts.
    pub const MAX_UPLOAD_BODY_BYTES: usize = MAX_ATTACHMENT_BYTES + 64 * 1024;
    /// The longest file name kept, in bytes.
    pub const MAX_NAME_BYTES: usize = 255;
    /// How many first bytes the type decision looks at.
    pub const SNIFF_BYTES: usize = 8192;

    /// Why a file is refused.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Refusal {
        /// No usable file name.
        NoName,
        /// No bytes.
        Empty,
        /// A program, whatever its name.
        Executable,
        /// An extension of programs and scripts.
        ExecutableName(String),
        /// HTML, SVG or XML, which a browser would run.
        Markup,
        /// An extension of markup.
        MarkupName(String),
        /// An extension outside the allowlist.
        NotAllowed(String),
        /// The content is not what the extension says.
        Mismatch {
            /// The extension.
            extension: String,
            /// What it should have been.
            expected: &'static str,
        },
    }

    impl fmt::Display for Refusal {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Refusal::NoName => write!(
                    f,
                    "the file needs a name with an extension (e.g. `report.pdf`)"
                ),
                Refusal::Empty => write!(f, "the file is empty"),
                Refusal::Executable => write!(
                    f,
                    "the file is a program or a script: executables are refused"
                ),
                Refusal::ExecutableName(ext) => write!(
                    f,
                    "`.{ext}` files are programs or scripts: executables are refused"
                ),
                Refusal::Markup => write!(
                    f,
                    "the content is HTML, SVG or XML, which browsers run: it is refused"
                ),
                Refusal::MarkupName(ext) => write!(
                    f,
                    "`.{ext}` files are HTML, SVG or XML, which browsers run: they are refused"
                ),
                Refusal::NotAllowed(ext) => write!(
                    f,
                    "`.{ext}` files are not accepted; allowed: {}",
                    allowed_extensions().join(", ")
                ),
                Refusal::Mismatch {
                    extension,
                    expected,
                } => write!(
                    f,
                    "the content does not match the `.{extension}` extension: expected {expected}"
                ),
            }
        }
    }

    /// An accepted kind of file.
    struct Kind {
        extensions: &'static [&'static str],
        /// The media type served (text kinds get a charset).
        content_type: &'static str,
        /// What the content must be, in words.
        label: &'static str,
        sniff: Sniff,
    }

    #[derive(Clone, Copy)]
    enum Sniff {
        Magic(&'static [&'static [u8]]),
        Webp,
        Zip,
        Text,
        Mail,
    }

    const ZIP: &[u8] = b"PK\x03\x04";

    const KINDS: &[Kind] = &[
        Kind {
            extensions: &["pdf"],
            content_type: "application/pdf",
            label: "a PDF document",
            sniff: Sniff::Magic(&[b"%PDF-"]),
        },
        Kind {
            extensions: &["png"],
            content_type: "image/png",
            label: "a PNG image",
            sniff: Sniff::Magic(&[b"\x89PNG\r\n\x1a\n"]),
        },
        Kind {
            extensions: &["jpg", "jpeg"],
            content_type: "image/jpeg",
            label: "a JPEG image",
            sniff: Sniff::Magic(&[b"\xff\xd8\xff"]),
        },
        Kind {
            extensions: &["gif"],
            content_type: "image/gif",
            label: "a GIF image",
            sniff: Sniff::Magic(&[b"GIF87a", b"GIF89a"]),
        },
        Kind {
            extensions: &["webp"],
            content_type: "image/webp",
            label: "a WebP image",
            sniff: Sniff::Webp,
        },
        Kind {
            extensions: &["txt", "log"],
            content_type: "text/plain",
            label: "plain text",
            sniff: Sniff::Text,
        },
        Kind {
            extensions: &["csv"],
            content_type: "text/csv",
            label: "plain text",
            sniff: Sniff::Text,
        },
        Kind {
            extensions: &["eml"],
            content_type: "message/rfc822",
            label: "an e-mail message (headers first)",
            sniff: Sniff::Mail,
        },
        Kind {
            extensions: &["docx"],
            content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            label: "a Word document (ZIP)",
            sniff: Sniff::Zip,
        },
        Kind {
            extensions: &["xlsx"],
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            label: "an Excel workbook (ZIP)",
            sniff: Sniff::Zip,
        },
        Kind {
            extensions: &["pptx"],
            content_type: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            label: "a PowerPoint presentation (ZIP)",
            sniff: Sniff::Zip,
        },
        Kind {
            extensions: &["odt"],
            content_type: "application/vnd.oasis.opendocument.text",
            label: "an OpenDocument text (ZIP)",
            sniff: Sniff::Zip,
        },
        Kind {
            extensions: &["ods"],
            content_type: "application/vnd.oasis.opendocument.spreadsheet",
            label: "an OpenDocument spreadsheet (ZIP)",
            sniff: Sniff::Zip,
        },
        Kind {
            extensions: &["odp"],
            content_type: "application/vnd.oasis.opendocument.presentation",
            label: "an OpenDocument presentation (ZIP)",
            sniff: Sniff::Zip,
        },
    ];

    /// Extensions of programs and scripts, named in the refusal.
    const EXECUTABLE_EXTENSIONS: &[&str] = &[
        "exe", "dll", "com", "scr", "msi", "msp", "cpl", "sys", "drv", "ocx", "pif", "bat", "cmd",
        "ps1", "psm1", "psd1", "vbs", "vbe", "js", "jse", "mjs", "wsf", "wsh", "hta", "lnk", "reg",
        "inf", "jar", "class", "apk", "app", "dmg", "pkg", "deb", "rpm", "run", "bin", "elf", "so",
        "dylib", "sh", "bash", "zsh", "csh", "ksh", "py", "pyc", "pl", "rb", "php", "phtml", "cgi",
        "asp", "aspx", "jsp", "wasm", "appimage", "msc", "gadget", "iso", "img", "docm", "xlsm",
        "pptm", "dotm", "xltm",
    ];

    /// Extensions of markup, which browsers render and run.
    const MARKUP_EXTENSIONS: &[&str] = &[
        "html", "htm", "xhtml", "xht", "shtml", "mht", "mhtml", "svg", "svgz", "xml", "xsl",
        "xslt", "swf",
    ];

    /// Charsets a text kind may carry.
    const CHARSETS: &[&str] = &["utf-8", "utf-16", "windows-1252"];

    fn allowed_extensions() -> Vec<&'static str> {
        KINDS
            .iter()
            .flat_map(|k| k.extensions.iter().copied())
            .collect()
    }

    /// The first bytes of a content, those the type decision looks at.
    pub fn head(content: &[u8]) -> &[u8] {
        &content[..content.len().min(SNIFF_BYTES)]
    }

    /// Makes a client's file name safe to store and to send back: path
    /// separators become `_` (so `../x` names no directory), and so do the
    /// characters Windows refuses in names (`<>:"|?*`); control and
    /// invisible formatting characters (bidirectional overrides that would
    /// show `exe.pdf` for `fdp.exe`) are dropped; leading and trailing dots
    /// and spaces go; Windows device names get a `_`; the name is cut to
    /// 255 bytes, keeping its extension.
    pub fn sanitize_name(raw: &str) -> Result<String, Refusal> {
        let mut name = String::with_capacity(raw.len());
        for c in raw.chars() {
            match c {
                '/' | '\\' | '<' | '>' | ':' | '"' | '|' | '?' | '*' => name.push('_'),
                c if c.is_control() || invisible(c) => {}
                c => name.push(c),
            }
        }
        let mut name = trim(&name).to_owned();
        if name.len() > MAX_NAME_BYTES {
            let (stem, ext) = match name.rsplit_once('.') {
                Some((stem, ext)) if !stem.is_empty() && ext.len() <= 16 => {
                    (stem.to_owned(), format!(".{ext}"))
                }
                _ => (name.clone(), String::new()),
            };
            let mut cut = MAX_NAME_BYTES - ext.len();
            while !stem.is_char_boundary(cut) {
                cut -= 1;
            }
            name = format!("{}{ext}", trim(&stem[..cut]));
        }
        let stem = name.split('.').next().unwrap_or("").to_ascii_uppercase();
        let device = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
            || ((stem.starts_with("COM") || stem.starts_with("LPT"))
                && stem.len() == 4
                && stem.as_bytes()[3].is_ascii_digit());
        if device {
            name.insert(0, '_');
            if name.len() > MAX_NAME_BYTES {
                // Only a long extension can bring a device name here.
                return Err(Refusal::NoName);
            }
        }
        if name.is_empty() {
            return Err(Refusal::NoName);
        }
        Ok(name)
    }

    fn trim(s: &str) -> &str {
        s.trim_matches(|c: char| c.is_whitespace() || c == '.')
    }

    /// Characters that change how a name shows without showing themselves.
    fn invisible(c: char) -> bool {
        matches!(c,
            '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
    }

    /// The lowercase extension of a (sanitised) name.
    fn extension(name: &str) -> Option<String> {
        let (stem, ext) = name.rsplit_once('.')?;
        (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_lowercase())
    }

    /// Decides the media type of a file from its sanitised name and its
    /// first bytes ([`head`]), which must agree: the extension must be in
    /// the allowlist, and the content what the extension says. Programs
    /// are refused whatever their name, and markup whatever its name.
    pub fn decide(name: &str, head: &[u8]) -> Result<String, Refusal> {
        if head.is_empty() {
            return Err(Refusal::Empty);
        }
        if executable(head) {
            return Err(Refusal::Executable);
        }
        let ext = extension(name).ok_or(Refusal::NoName)?;
        if EXECUTABLE_EXTENSIONS.contains(&ext.as_str()) {
            return Err(Refusal::ExecutableName(ext));
        }
        if MARKUP_EXTENSIONS.contains(&ext.as_str()) {
            return Err(Refusal::MarkupName(ext));
        }
        let kind = KINDS
            .iter()
            .find(|k| k.extensions.contains(&ext.as_str()))
            .ok_or_else(|| Refusal::NotAllowed(ext.clone()))?;
        let text = text(head);
        if text.as_ref().is_some_and(|(chars, _)| markup(chars)) {
            return Err(Refusal::Markup);
        }
        let mismatch = || Refusal::Mismatch {
            extension: ext.clone(),
            expected: kind.label,
        };
        match kind.sniff {
            Sniff::Magic(magics) if magics.iter().any(|m| head.starts_with(m)) => {
                Ok(kind.content_type.to_owned())
            }
            Sniff::Webp if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" => {
                Ok(kind.content_type.to_owned())
            }
            Sniff::Zip if head.starts_with(ZIP) => Ok(kind.content_type.to_owned()),
            Sniff::Text => match text {
                Some((_, charset)) => Ok(format!("{}; charset={charset}", kind.content_type)),
                None => Err(mismatch()),
            },
            Sniff::Mail => match text {
                Some((chars, _)) if mail(&chars) => Ok(kind.content_type.to_owned()),
                _ => Err(mismatch()),
            },
            _ => Err(mismatch()),
        }
    }

    /// Whether a stored media type is one [`decide`] gives, so that it may
    /// be served as is (anything else goes out as a plain byte stream).
    pub fn servable(content_type: &str) -> bool {
        let (base, params) = match content_type.split_once(';') {
            Some((b, p)) => (b.trim(), Some(p.trim())),
            None => (content_type, None),
        };
        KINDS.iter().any(|k| {
            k.content_type == base
                && match (k.sniff, params) {
                    (_, None) => !matches!(k.sniff, Sniff::Text),
                    (Sniff::Text, Some(p)) => p
                        .strip_prefix("charset=")
                        .is_some_and(|c| CHARSETS.contains(&c)),
                    (_, Some(_)) => false,
                }
        })
    }

    /// `Content-Disposition` for a download: always `attachment`, with an
    /// ASCII fallback name and the exact name RFC 5987-encoded.
    pub fn content_disposition(name: &str) -> String {
        let fallback: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%' | ';') || c == ' ' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut encoded = String::with_capacity(name.len() * 3);
        for b in name.bytes() {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                encoded.push(b as char);
            } else {
                encoded.push_str(&format!("%{b:02X}"));
            }
        }
        format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
    }

    /// Programs and scripts, by their first bytes: Windows (MZ), ELF,
    /// Mach-O, Java classes and fat binaries, WebAssembly, and `#!`.
    fn executable(head: &[u8]) -> bool {
        const MAGICS: &[&[u8]] = &[
            b"MZ",
            b"\x7fELF",
            b"\xfe\xed\xfa\xce",
            b"\xfe\xed\xfa\xcf",
            b"\xce\xfa\xed\xfe",
            b"\xcf\xfa\xed\xfe",
            b"\xca\xfe\xba\xbe",
            b"\0asm",
            b"#!",
        ];
        MAGICS.iter().any(|m| head.starts_with(m))
    }

    /// The first bytes as text, with their charset, if they are text: no
    /// NUL nor control characters but tab, line feeds, form feed, escape
    /// (colours in logs) and the old end-of-file mark. UTF-8 (the last
    /// character may be cut), UTF-16 with its byte-order mark, or else an
    /// 8-bit encoding taken as Windows-1252.
    fn text(head: &[u8]) -> Option<(String, &'static str)> {
        let (chars, charset) = if let Some(rest) = head.strip_prefix(b"\xef\xbb\xbf") {
            (utf8(rest)?, "utf-8")
        } else if head.starts_with(b"\xff\xfe") || head.starts_with(b"\xfe\xff") {
            let little = head[0] == 0xff;
            let units = head[2..].chunks_exact(2).map(|p| {
                if little {
                    u16::from_le_bytes([p[0], p[1]])
                } else {
                    u16::from_be_bytes([p[0], p[1]])
                }
            });
            let s = char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect();
            (s, "utf-16")
        } else if let Some(s) = utf8(head) {
            (s, "utf-8")
        } else {
            (head.iter().map(|&b| b as char).collect(), "windows-1252")
        };
        let clean = chars.chars().all(|c| {
            !c.is_ascii_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1b' | '\x1a')
        });
        clean.then_some((chars, charset))
    }

    /// Valid UTF-8, allowing a last character cut by the head's end.
    fn utf8(bytes: &[u8]) -> Option<String> {
        match std::str::from_utf8(bytes) {
            Ok(s) => Some(s.to_owned()),
            Err(e) if e.error_len().is_none() => {
                Some(String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned())
            }
            Err(_) => None,
        }
    }

    /// Whether text starts like markup a browser would render: a tag, a
    /// comment, a doctype or an XML declaration (what browsers' sniffing
    /// looks for, and more).
    fn markup(text: &str) -> bool {
        let t = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        let mut chars = t.chars();
        chars.next() == Some('<')
            && chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '!' | '?' | '/'))
    }

    /// Whether text starts like an e-mail: a header field (`Name: value`)
    /// or an mbox `From ` line.
    fn mail(text: &str) -> bool {
        let first = text
            .trim_start_matches(['\r', '\n'])
            .lines()
            .next()
            .unwrap_or("");
        if first.starts_with("From ") {
            return true;
        }
        match first.split_once(':') {
            Some((name, _)) => {
                !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| (0x21..=0x7e).contains(&b) && b != b':')
            }
            None => false,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

        #[test]
        fn names_lose_separators_controls_and_invisible_characters() {
            let ok = |raw: &str| sanitize_name(raw).expect("a name");
            assert_eq!(ok("rapport.pdf"), "rapport.pdf");
            assert_eq!(ok("../../etc/passwd.txt"), "_.._etc_passwd.txt");
            assert_eq!(ok("C:\\Users\\me\\photo.png"), "C__Users_me_photo.png");
            assert_eq!(
                ok("<script>alert(1)</script>.png"),
                "_script_alert(1)__script_.png"
            );
            assert_eq!(ok("a\u{0}b\r\n\tc\u{7f}.txt"), "abc.txt");
            // A right-to-left override would show `fdp.exe` as `exe.pdf`.
            assert_eq!(ok("facture\u{202e}fdp.exe"), "facturefdp.exe");
            assert_eq!(ok("  .hidden.txt. . "), "hidden.txt");
            assert_eq!(
                ok("Été 2026 — compte rendu.odt"),
                "Été 2026 — compte rendu.odt"
            );
            assert_eq!(ok("con.txt"), "_con.txt");
            assert_eq!(ok("LPT1"), "_LPT1");
            assert_eq!(ok("COMPTES.csv"), "COMPTES.csv");
            for empty in ["", "   ", "..", "/", "\u{202e}\u{200b}", "..."] {
                let cleaned = sanitize_name(empty);
                assert!(matches!(cleaned, Err(Refusal::NoName) | Ok(_)), "{empty:?}");
                if let Ok(n) = cleaned {
                    assert!(!n.is_empty() && !n.contains('/'), "{empty:?} → {n:?}");
                }
            }
            assert_eq!(sanitize_name(".."), Err(Refusal::NoName));
            assert_eq!(sanitize_name("\u{202e}\u{200b}"), Err(Refusal::NoName));
        }

        #[test]
        fn long_names_are_cut_keeping_the_extension() {
            let long = format!("{}.pdf", "é".repeat(300));
            let cut = sanitize_name(&long).expect("name");
            assert!(cut.len() <= MAX_NAME_BYTES, "{}", cut.len());
            assert!(cut.chars().count() <= 255);
            assert!(cut.ends_with("é.pdf"), "{cut}");
            let no_ext = "x".repeat(400);
            assert_eq!(sanitize_name(&no_ext).expect("name").len(), 255);
        }

        #[test]
        fn allowed_types_need_name_and_content_to_agree() {
            let ok = |name: &str, head: &[u8]| decide(name, head).expect(name);
            assert_eq!(ok("a.pdf", b"%PDF-1.7\n"), "application/pdf");
            assert_eq!(ok("A.PNG", PNG), "image/png");
            assert_eq!(ok("a.jpeg", b"\xff\xd8\xff\xe0\0\x10JFIF"), "image/jpeg");
            assert_eq!(ok("a.jpg", b"\xff\xd8\xff\xe1"), "image/jpeg");
            assert_eq!(ok("a.gif", b"GIF89a\x01\0"), "image/gif");
            assert_eq!(ok("a.webp", b"RIFF\x24\0\0\0WEBPVP8 "), "image/webp");
            assert_eq!(ok("a.txt", b"hello\n"), "text/plain; charset=utf-8");
            assert_eq!(
                ok("a.log", b"\x1b[31mERROR\x1b[0m\r\n"),
                "text/plain; charset=utf-8"
            );
            assert_eq!(
                ok("a.csv", b"nom;ville\nL\xe9a;Lille\n"),
                "text/csv; charset=windows-1252"
            );
            assert_eq!(ok("a.txt", b"\xff\xfeh\0i\0"), "text/plain; charset=utf-16");
            assert_eq!(
                ok("a.txt", "d\u{e9}j\u{e0}".as_bytes()),
                "text/plain; charset=utf-8"
            );
            // A UTF-8 character cut by the end of the head is still text.
            assert_eq!(
                ok("a.txt", &"é".as_bytes()[..1]),
                "text/plain; charset=utf-8"
            );
            assert_eq!(
                ok("m.eml", b"Return-Path: <a@example.org>\r\nFrom: a\r\n"),
                "message/rfc822"
            );
            assert_eq!(
                ok("m.eml", b"From a@example.org Mon Jan 1\n"),
                "message/rfc822"
            );
            for office in ["a.docx", "a.xlsx", "a.pptx", "a.odt", "a.ods", "a.odp"] {
                assert!(ok(office, b"PK\x03\x04\x14\0").starts_with("application/vnd."));
            }
            for t in ["a.pdf", "a.png", "a.txt", "m.eml", "a.docx"] {
                let head: &[u8] = match t {
                    "a.pdf" => b"%PDF-1.4",
                    "a.png" => PNG,
                    "m.eml" => b"Subject: x\n",
                    "a.docx" => b"PK\x03\x04",
                    _ => b"x",
                };
                assert!(servable(&ok(t, head)), "{t}");
            }
        }

        #[test]
        fn programs_markup_and_mismatches_are_refused() {
            let no = |name: &str, head: &[u8]| decide(name, head).expect_err(name);
            assert_eq!(no("setup.exe", b"MZ\x90\0"), Refusal::Executable);
            // A program is a program whatever its name.
            assert_eq!(no("photo.png", b"MZ\x90\0"), Refusal::Executable);
            assert_eq!(no("a.txt", b"\x7fELF\x02"), Refusal::Executable);
            assert_eq!(no("run.txt", b"#!/bin/sh\nrm -rf /\n"), Refusal::Executable);
            assert_eq!(
                no("setup.exe", b"hello"),
                Refusal::ExecutableName("exe".into())
            );
            assert_eq!(
                no("x.PS1", b"Get-Item"),
                Refusal::ExecutableName("ps1".into())
            );
            assert_eq!(
                no("macro.docm", b"PK\x03\x04"),
                Refusal::ExecutableName("docm".into())
            );
            assert_eq!(
                no("page.html", b"hello"),
                Refusal::MarkupName("html".into())
            );
            assert_eq!(no("logo.svg", b"<svg"), Refusal::MarkupName("svg".into()));
            // HTML dressed as an image or as text.
            assert_eq!(
                no("photo.png", b"<html><script>x</script>"),
                Refusal::Markup
            );
            assert_eq!(no("notes.txt", b"\n  <!DOCTYPE html>"), Refusal::Markup);
            assert_eq!(
                no("notes.txt", b"\xef\xbb\xbf<svg onload=x>"),
                Refusal::Markup
            );
            assert_eq!(no("data.csv", b"<?xml version=\"1.0\"?>"), Refusal::Markup);
            assert_eq!(no("a.txt", b"\xff\xfe<\0h\0t\0m\0l\0>\0"), Refusal::Markup);
            // Text that merely mentions a tag later stays text.
            assert!(decide("a.txt", b"x < y and <b> is bold").is_ok());
            assert!(decide("a.txt", b"< 3 items").is_ok());
            assert!(matches!(
                no("photo.png", b"GIF89a"),
                Refusal::Mismatch { .. }
            ));
            assert!(matches!(
                no("a.pdf", b"PK\x03\x04"),
                Refusal::Mismatch { .. }
            ));
            assert!(matches!(no("a.txt", b"abc\0def"), Refusal::Mismatch { .. }));
            assert!(matches!(no("a.txt", PNG), Refusal::Mismatch { .. }));
            assert!(matches!(
                no("a.eml", b"hello world\n"),
                Refusal::Mismatch { .. }
            ));
            assert!(matches!(
                no("a.webp", b"RIFF\0\0\0\0WAVE"),
                Refusal::Mismatch { .. }
            ));
            assert_eq!(
                no("archive.zip", b"PK\x03\x04"),
                Refusal::NotAllowed("zip".into())
            );
            assert_eq!(no("README", b"hello"), Refusal::NoName);
            assert_eq!(no("a.txt", b""), Refusal::Empty);
            let words = Refusal::NotAllowed("zip".into()).to_string();
            assert!(words.contains("pdf, png, jpg"), "{words}");
        }

        #[test]
        fn only_decided_types_are_served_as_such() {
            assert!(servable("application/pdf"));
            assert!(servable("text/plain; charset=utf-8"));
            assert!(servable("text/csv; charset=windows-1252"));
            assert!(!servable("text/plain"));
            assert!(!servable("text/html"));
            assert!(!servable("image/svg+xml"));
            assert!(!servable("application/pdf; charset=utf-8"));
            assert!(!servable("text/plain; charset=utf-7"));
        }

        #[test]
        fn dispositions_are_attachments_with_encoded_names() {
            assert_eq!(
                content_disposition("rapport.pdf"),
                "attachment; filename=\"rapport.pdf\"; filename*=UTF-8''rapport.pdf"
            );
            assert_eq!(
                content_disposition("Été 100%; ok.txt"),
                "attachment; filename=\"_t_ 100__ ok.txt\"; filename*=UTF-8''%C3%89t%C3%A9%20100%25%3B%20ok.txt"
            );
            let d = content_disposition("_script_alert(1)__script_.png");
            assert!(
                d.contains("filename*=UTF-8''_script_alert%281%29__script_.png"),
                "{d}"
            );
            assert!(d.is_ascii());
        }
    }
}
