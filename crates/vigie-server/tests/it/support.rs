//! A test world: two tenants with entity trees, users of every kind with
//! API tokens, and helpers to call the whole app without a socket.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use vigie_core::Timestamp;
use vigie_core::ids::{CategoryId, EntityId, GroupId, TicketId, UserId};
use vigie_core::role::Role;
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::absence::{Absence, AbsenceKind};
use vigie_core::ticket::priority::{Level, Priority};
use vigie_core::ticket::{Channel, TicketAccess, TicketType};
use vigie_server::{AppState, Clock, ServerConfig, app, auth};
use vigie_store::{
    CategoryInput, NewAssignmentRule, NewEntity, NewGrant, NewGroup, NewTenant, NewTicket,
    NewToken, NewUser, Store, TenantRecord,
};

/// The fixed start of time in tests.
pub fn t0() -> Timestamp {
    Timestamp::from_second(1_767_225_600).expect("valid time")
}

/// A user of the world with his token.
#[derive(Clone, Debug)]
pub struct Person {
    pub id: UserId,
    pub login: String,
    pub token: String,
    pub token_id: i64,
}

/// Records of one tenant.
#[derive(Clone, Debug)]
pub struct TenantWorld {
    pub tenant: TenantRecord,
    pub root: EntityId,
    pub nord: EntityId,
    pub sud: EntityId,
    pub admin: Person,
    /// Tenant admin of Nord only.
    pub admin_nord: Person,
    pub agent_sud: Person,
    pub requester_nord: Person,
    /// A user whose home is Sud, with a role on Sud.
    pub worker_sud: Person,
    pub worker_sud_grant: i64,
    pub group_sud: GroupId,
    pub group_nord: GroupId,
    /// An incident of Sud, opened by the worker of Sud.
    pub ticket_sud: TicketId,
    /// An incident of Nord, opened by the Nord administrator.
    pub ticket_nord: TicketId,
    /// A category of the tenant.
    pub category: CategoryId,
    /// An assignment rule of the tenant (requests of Sud → Sud's group).
    pub rule: i64,
    /// An internal attachment of the ticket of Sud.
    pub attachment: i64,
    /// An absence of the worker of Sud, next year.
    pub absence: i64,
    /// A business calendar of the tenant.
    pub calendar: i64,
    /// A service level target of the tenant (P2, 8 h).
    pub sla_target: i64,
    /// A server of Sud (`<slug>-ci-sud`), located in a rack of Sud.
    pub ci_sud: i64,
    /// The relation of that server to its rack.
    pub ci_relation: i64,
}

/// The whole world.
pub struct World {
    pub state: AppState,
    pub store: Store,
    pub clock: Clock,
    pub app: Router,
    pub alpha: TenantWorld,
    pub beta: TenantWorld,
    pub platform: Person,
}

pub async fn person(
    store: &Store,
    entity: EntityId,
    login: &str,
    grants: &[(EntityId, Role, bool)],
    platform: bool,
) -> (Person, Vec<i64>) {
    let system = Actor::system();
    let user = store
        .create_user(
            &system,
            &Scope::Platform,
            t0(),
            &NewUser {
                entity_id: entity,
                login: login.to_owned(),
                display_name: format!("Person {login}"),
                email: Some(format!("{login}@example.org")),
                locale: None,
                password_hash: None,
                platform_admin: platform,
            },
        )
        .await
        .expect("user");
    let mut ids = Vec::new();
    for (e, role, recursive) in grants {
        let g = store
            .create_grant(
                &system,
                &Scope::Platform,
                t0(),
                user.id,
                &NewGrant {
                    entity_id: *e,
                    role: *role,
                    recursive: *recursive,
                },
            )
            .await
            .expect("grant");
        ids.push(g.id.0);
    }
    let secret = auth::new_api_token();
    let token = store
        .create_token(
            &system,
            &Scope::Platform,
            t0(),
            &NewToken {
                user_id: user.id,
                name: "test".into(),
                prefix: secret.prefix.clone(),
                secret_hash: secret.hash.clone(),
            },
        )
        .await
        .expect("token");
    (
        Person {
            id: user.id,
            login: login.to_owned(),
            token: secret.secret,
            token_id: token.id.0,
        },
        ids,
    )
}

async fn tenant_world(store: &Store, slug: &str) -> TenantWorld {
    let system = Actor::system();
    let all = Scope::Platform;
    let tenant = store
        .create_tenant(
            &system,
            t0(),
            &NewTenant {
                slug: slug.into(),
                name: format!("Tenant {slug}"),
                kind: "customer".into(),
            },
        )
        .await
        .expect("tenant");
    let root = tenant.root_entity_id.expect("root");
    let mk = |name: &str| NewEntity {
        parent_id: root,
        name: format!("{slug}-{name}"),
        kind: "region".into(),
    };
    let nord = store
        .create_entity(&system, &all, t0(), &mk("nord"))
        .await
        .expect("nord")
        .id;
    let sud = store
        .create_entity(&system, &all, t0(), &mk("sud"))
        .await
        .expect("sud")
        .id;
    let (admin, _) = person(
        store,
        root,
        &format!("{slug}.admin"),
        &[(root, Role::TenantAdmin, true)],
        false,
    )
    .await;
    let (admin_nord, _) = person(
        store,
        nord,
        &format!("{slug}.admin-nord"),
        &[(nord, Role::TenantAdmin, true)],
        false,
    )
    .await;
    let (agent_sud, _) = person(
        store,
        sud,
        &format!("{slug}.agent-sud"),
        &[(sud, Role::Agent, true)],
        false,
    )
    .await;
    let (requester_nord, _) = person(
        store,
        nord,
        &format!("{slug}.requester-nord"),
        &[(nord, Role::Requester, false)],
        false,
    )
    .await;
    let (worker_sud, grants) = person(
        store,
        sud,
        &format!("{slug}.worker-sud"),
        &[(sud, Role::Agent, false)],
        false,
    )
    .await;
    let group = |entity, name: &str| NewGroup {
        entity_id: entity,
        name: format!("{slug}-{name}"),
        level: 2,
        manager_id: None,
        email: None,
        description: String::new(),
    };
    let group_sud = store
        .create_group(&system, &all, t0(), &group(sud, "group-sud"))
        .await
        .expect("group")
        .id;
    let group_nord = store
        .create_group(&system, &all, t0(), &group(nord, "group-nord"))
        .await
        .expect("group")
        .id;
    store
        .set_group_member(&system, &all, t0(), group_sud, worker_sud.id, true)
        .await
        .expect("member");
    let access = TicketAccess::of(&system);
    let incident = |entity, requester, title: &str| NewTicket {
        ticket_type: TicketType::Incident,
        entity_id: entity,
        title: format!("{slug}-{title}"),
        description: "Le service ne répond plus.".into(),
        requester_id: requester,
        channel: Channel::Phone,
        category_id: None,
        service_ref: None,
        ci_refs: String::new(),
        impact: Level::Haut,
        urgency: Level::Moyen,
        priority: Priority::Haut,
    };
    // A working-hours calendar and a P2 SLA target, before the tickets so
    // that they run clocks.
    let calendar = store
        .create_calendar(
            &system,
            tenant.id,
            t0(),
            &format!("{slug} heures ouvrées"),
            &vigie_core::sla::CalendarSpec::preset("working-hours").expect("preset"),
        )
        .await
        .expect("calendar")
        .id;
    let mut promise = vigie_core::sla::SlaTarget::new(
        vigie_core::sla::TargetKind::Sla,
        Priority::Haut,
        jiff::SignedDuration::from_hours(8),
    );
    promise.time_to_own = Some(jiff::SignedDuration::from_mins(30));
    let sla_target = store
        .create_target(
            &system,
            tenant.id,
            t0(),
            &vigie_store::NewTarget {
                name: format!("{slug} P2"),
                calendar_id: calendar,
                target: promise,
            },
        )
        .await
        .expect("target")
        .target
        .id;
    let ticket_sud = store
        .create_ticket(
            &system,
            &access,
            t0(),
            &incident(sud, worker_sud.id, "ticket-sud"),
        )
        .await
        .expect("ticket")
        .id;
    let ticket_nord = store
        .create_ticket(
            &system,
            &access,
            t0(),
            &incident(nord, admin_nord.id, "ticket-nord"),
        )
        .await
        .expect("ticket")
        .id;
    let category = store
        .create_category(
            &system,
            tenant.id,
            t0(),
            &CategoryInput {
                parent_id: None,
                name: format!("{slug}-category"),
                applies_to: "both".into(),
                active: true,
            },
        )
        .await
        .expect("category")
        .id;
    let rule = store
        .create_assignment_rule(
            &system,
            tenant.id,
            t0(),
            &NewAssignmentRule {
                position: 10,
                category_id: None,
                service_ref: None,
                entity_id: Some(sud),
                channel: None,
                ticket_type: Some(TicketType::Request),
                group_id: group_sud,
            },
        )
        .await
        .expect("rule")
        .id;
    let worker = store
        .get_user(&Scope::Platform, worker_sud.id)
        .await
        .expect("worker");
    let next_year = Absence {
        user: worker_sud.id,
        kind: AbsenceKind::Training,
        starts_at: t0() + jiff::SignedDuration::from_hours(24 * 365),
        ends_at: t0() + jiff::SignedDuration::from_hours(24 * 366),
        backup: None,
    };
    let absence = store
        .create_absence(&system, t0(), &worker, &next_year)
        .await
        .expect("absence")
        .id;
    let attachment = store
        .add_attachment(
            &system,
            &access,
            t0(),
            &store.get_ticket(&access, ticket_sud).await.expect("ticket"),
            &vigie_store::NewAttachment {
                file_name: format!("{slug}-ticket-sud-notes.txt"),
                content_type: "text/plain; charset=utf-8".into(),
                public: false,
                // printf 'Notes internes.\n' | sha256sum
                sha256: "d0bdb97ceffac2410ff982f6c7450b93f6369b6964f7a5c71d6fc0450951e8e0".into(),
                content: b"Notes internes.\n".to_vec(),
            },
        )
        .await
        .expect("attachment")
        .id;
    let sud_entity = store.get_entity(&all, sud).await.expect("sud");
    let item = |ci_type, name: String| vigie_store::NewCi {
        ci_type,
        name,
        status: vigie_core::cmdb::CiStatus::InService,
        criticality: vigie_core::cmdb::Criticality::High,
        owner_group_id: None,
        attributes: Default::default(),
        identifiers: Vec::new(),
    };
    let server = store
        .create_ci(
            &system,
            &sud_entity,
            t0(),
            &item(vigie_core::cmdb::CiType::Server, format!("{slug}-ci-sud")),
        )
        .await
        .expect("ci");
    let rack = store
        .create_ci(
            &system,
            &sud_entity,
            t0(),
            &item(
                vigie_core::cmdb::CiType::Rack,
                format!("{slug}-ci-sud-rack"),
            ),
        )
        .await
        .expect("rack");
    let ci_relation = store
        .add_ci_relation(
            &system,
            &all,
            t0(),
            &vigie_store::NewRelation {
                from: server.id,
                to: rack.id,
                relation: vigie_core::cmdb::RelationType::LocatedIn,
                redundancy: None,
            },
        )
        .await
        .expect("relation")
        .id
        .0;
    TenantWorld {
        ci_sud: server.id.0,
        ci_relation,
        tenant,
        root,
        nord,
        sud,
        admin,
        admin_nord,
        agent_sud,
        requester_nord,
        worker_sud,
        worker_sud_grant: grants[0],
        group_sud,
        group_nord,
        ticket_sud,
        ticket_nord,
        category,
        rule,
        attachment,
        absence,
        calendar,
        sla_target,
    }
}

impl World {
    /// Builds the world on a store.
    pub async fn on(store: Store) -> World {
        let alpha = tenant_world(&store, "alpha").await;
        let beta = tenant_world(&store, "beta").await;
        let (platform, _) = person(&store, alpha.root, "platform.admin", &[], true).await;
        let clock = Clock::manual(t0());
        let state = AppState::new(store.clone(), ServerConfig::default(), clock.clone());
        World {
            app: app(state.clone()),
            state,
            store,
            clock,
            alpha,
            beta,
            platform,
        }
    }

    /// Builds the world on a fresh SQLite database.
    pub async fn sqlite() -> World {
        World::on(vigie_store::testing::sqlite().await.expect("sqlite")).await
    }

    /// Sends a request and reads the answer.
    pub async fn send(&self, req: Request<Body>) -> Answer {
        let res = self.app.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Calls the API with a token and an optional JSON body.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        };
        self.send(req.expect("request")).await
    }

    /// Opens a web session for a user without going through the login form:
    /// the `Cookie` header value and the session's CSRF token.
    pub async fn web_session(&self, user: UserId) -> (String, String) {
        let secret = auth::random_secret();
        let csrf = auth::random_secret();
        let expires = t0() + jiff::SignedDuration::from_hours(12);
        self.store
            .create_session(&auth::sha256_hex(&secret), user, &csrf, t0(), expires)
            .await
            .expect("session");
        (format!("vigie_session={secret}"), csrf)
    }

    /// Fetches a web page with a session cookie.
    pub async fn page(&self, cookie: &str, path: &str) -> Answer {
        let req = Request::get(path)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .expect("request");
        self.send(req).await
    }

    /// Fetches a web page with a session cookie, asking for a language.
    pub async fn page_in(&self, cookie: &str, path: &str, lang: &str) -> Answer {
        let req = Request::get(path)
            .header(header::COOKIE, cookie)
            .header(header::ACCEPT_LANGUAGE, lang)
            .body(Body::empty())
            .expect("request");
        self.send(req).await
    }

    /// Posts a web form with a session cookie.
    pub async fn form(&self, cookie: &str, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(fields).expect("form");
        let req = Request::post(path)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    /// The number of audit lines, to prove a refused request wrote nothing.
    pub async fn audit_count(&self) -> usize {
        let mut n = 0;
        let mut after = None;
        loop {
            let page = self
                .store
                .list_audit(
                    &Scope::Platform,
                    &Default::default(),
                    vigie_store::PageRequest { after, limit: 500 },
                )
                .await
                .expect("audit");
            n += page.items.len();
            match page.next_after {
                Some(a) => after = Some(a),
                None => return n,
            }
        }
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Where a 303 sends the browser (asserting it is one).
    pub fn location(&self) -> String {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "{}", self.body);
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .expect("location")
            .to_owned()
    }

    /// Asserts a problem document of the given status and `type` code.
    pub fn assert_problem(&self, status: StatusCode, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{}",
            self.body
        );
        let p = self.json();
        assert_eq!(p["type"], format!("/problems/{code}"), "{}", self.body);
        assert_eq!(p["status"], status.as_u16());
        assert!(p["title"].is_string());
        p
    }
}
