//! What the demo organisation contains, as tables: tenants, entities,
//! accounts and support groups. [`super::load_demo`] turns them into records.

use vigie_core::role::Role;

/// Stands for a tenant's root entity (named after the tenant) in the tables.
pub(super) const ROOT: &str = "";

/// Password of every demo account but `admin`.
pub const DEMO_PASSWORD: &str = "vigie-demo-2026";
/// Password of the demo platform administrator `admin`.
pub const ADMIN_PASSWORD: &str = "vigie-admin-2026";

/// A tenant; its root entity is created with it and takes its name.
pub(super) struct TenantPlan {
    pub slug: &'static str,
    pub name: &'static str,
    pub kind: &'static str,
    /// Where its people's e-mail addresses live.
    pub mail_domain: &'static str,
}

#[rustfmt::skip]
pub(super) const TENANTS: &[TenantPlan] = &[
    TenantPlan { slug: "cachemire",  name: "Cachemire",                            kind: "customer",   mail_domain: "cachemire.example" },
    TenantPlan { slug: "hebergeur",  name: "Hébergeur Atlas",                      kind: "provider",   mail_domain: "atlas.example" },
    TenantPlan { slug: "consortium", name: "Consortium universitaire Rive Gauche", kind: "consortium", mail_domain: "rive-gauche.example" },
];

/// Entities below the roots as (tenant, parent, name, kind), parents first.
#[rustfmt::skip]
pub(super) const ENTITIES: &[(&str, &str, &str, &str)] = &[
    ("cachemire",  ROOT,            "Nord",                         "region"),
    ("cachemire",  ROOT,            "Sud",                          "region"),
    ("cachemire",  ROOT,            "Île-de-France",                "region"),
    ("cachemire",  "Nord",          "Lille",                        "site"),
    ("cachemire",  "Sud",           "Marseille",                    "site"),
    ("cachemire",  "Île-de-France", "Paris La Défense",             "site"),
    ("hebergeur",  ROOT,            "Datacentre Aubervilliers",     "site"),
    ("consortium", ROOT,            "Université Lumière",           "establishment"),
    ("consortium", ROOT,            "École des Mines du Sud",       "establishment"),
    ("consortium", ROOT,            "Institut Polytechnique Océan", "establishment"),
];

/// A demo account. Each holds one role, on its home entity.
#[derive(Clone, Copy)]
pub(super) struct UserPlan {
    pub login: &'static str,
    pub display_name: &'static str,
    pub tenant: &'static str,
    pub entity: &'static str,
    pub role: Role,
    /// Whether the role reaches the subtree of the home entity.
    pub recursive: bool,
    pub locale: &'static str,
    pub platform_admin: bool,
}

impl UserPlan {
    const fn new(
        login: &'static str,
        display_name: &'static str,
        tenant: &'static str,
        entity: &'static str,
        role: Role,
        recursive: bool,
    ) -> UserPlan {
        UserPlan {
            login,
            display_name,
            tenant,
            entity,
            role,
            recursive,
            locale: "fr",
            platform_admin: false,
        }
    }

    const fn english(self) -> UserPlan {
        UserPlan {
            locale: "en",
            ..self
        }
    }

    const fn platform_admin(self) -> UserPlan {
        UserPlan {
            platform_admin: true,
            ..self
        }
    }

    /// The account's password.
    pub fn password(&self) -> &'static str {
        if self.platform_admin {
            ADMIN_PASSWORD
        } else {
            DEMO_PASSWORD
        }
    }
}

#[rustfmt::skip]
pub(super) const USERS: &[UserPlan] = &[
    UserPlan::new("admin",             "Administrateur Vigie", "cachemire",  ROOT,                 Role::TenantAdmin,   true).platform_admin(),
    UserPlan::new("dsi",               "Claire Morel (DSI)",   "cachemire",  ROOT,                 Role::TenantAdmin,   true),
    UserPlan::new("manager.groupe",    "Julien Lefèvre",       "cachemire",  ROOT,                 Role::Supervisor,    true),
    UserPlan::new("agent.nord",        "Sophie Vasseur",       "cachemire",  "Nord",               Role::Agent,         true),
    UserPlan::new("agent.sud",         "Karim Benali",         "cachemire",  "Sud",                Role::Agent,         true),
    UserPlan::new("n2.systemes",       "Thomas Girard",        "cachemire",  ROOT,                 Role::Agent,         true).english(),
    UserPlan::new("change.manager",    "Isabelle Roux",        "cachemire",  ROOT,                 Role::ChangeManager, true),
    UserPlan::new("cab.membre",        "Marc Dupont",          "cachemire",  ROOT,                 Role::CabMember,     true),
    UserPlan::new("demandeur.lille",   "Lucie Caron",          "cachemire",  "Lille",              Role::Requester,     false),
    UserPlan::new("support.hebergeur", "Daniel Weber",         "hebergeur",  ROOT,                 Role::SupplierAgent, true).english(),
    UserPlan::new("admin.hebergeur",   "Nadia Haddad",         "hebergeur",  ROOT,                 Role::TenantAdmin,   true),
    UserPlan::new("admin.consortium",  "Pierre Lambert",       "consortium", ROOT,                 Role::TenantAdmin,   true),
    UserPlan::new("contact.lumiere",   "Émilie Fontaine",      "consortium", "Université Lumière", Role::ContactPoint,  false),
    UserPlan::new("etudiant.lumiere",  "Hugo Marchand",        "consortium", "Université Lumière", Role::Requester,     false),
];

/// A support group with its manager and members (logins of its tenant).
pub(super) struct GroupPlan {
    pub tenant: &'static str,
    pub entity: &'static str,
    pub name: &'static str,
    pub level: i64,
    pub manager: &'static str,
    pub mailbox: &'static str,
    pub description: &'static str,
    pub members: &'static [&'static str],
}

pub(super) const GROUPS: &[GroupPlan] = &[
    GroupPlan {
        tenant: "cachemire",
        entity: ROOT,
        name: "Centre de services N1",
        level: 1,
        manager: "manager.groupe",
        mailbox: "servicedesk",
        description: "Point d'entrée unique : prise d'appels, qualification, résolution au premier niveau.",
        members: &["agent.nord", "agent.sud"],
    },
    GroupPlan {
        tenant: "cachemire",
        entity: ROOT,
        name: "Support systèmes N2",
        level: 2,
        manager: "manager.groupe",
        mailbox: "systemes",
        description: "Serveurs, postes de travail, messagerie et annuaire.",
        members: &["n2.systemes"],
    },
    GroupPlan {
        tenant: "cachemire",
        entity: ROOT,
        name: "Experts réseau N3",
        level: 3,
        manager: "dsi",
        mailbox: "reseau",
        description: "Réseau étendu, pare-feux et VPN inter-sites.",
        members: &["n2.systemes"],
    },
    GroupPlan {
        tenant: "hebergeur",
        entity: ROOT,
        name: "Exploitation hébergeur N2",
        level: 2,
        manager: "admin.hebergeur",
        mailbox: "exploitation",
        description: "Exploitation des plateformes hébergées pour les clients.",
        members: &["support.hebergeur"],
    },
    GroupPlan {
        tenant: "consortium",
        entity: ROOT,
        name: "Assistance N1",
        level: 1,
        manager: "admin.consortium",
        mailbox: "assistance",
        description: "Assistance commune aux établissements du consortium.",
        members: &["admin.consortium"],
    },
    GroupPlan {
        tenant: "consortium",
        entity: "Université Lumière",
        name: "Assistance N1 Université Lumière",
        level: 1,
        manager: "admin.consortium",
        mailbox: "assistance.lumiere",
        description: "Assistance de proximité de l'Université Lumière.",
        members: &[],
    },
    GroupPlan {
        tenant: "consortium",
        entity: "École des Mines du Sud",
        name: "Assistance N1 École des Mines du Sud",
        level: 1,
        manager: "admin.consortium",
        mailbox: "assistance.mines",
        description: "Assistance de proximité de l'École des Mines du Sud.",
        members: &[],
    },
    GroupPlan {
        tenant: "consortium",
        entity: "Institut Polytechnique Océan",
        name: "Assistance N1 Institut Polytechnique Océan",
        level: 1,
        manager: "admin.consortium",
        mailbox: "assistance.ipo",
        description: "Assistance de proximité de l'Institut Polytechnique Océan.",
        members: &[],
    },
];

/// The e-mail domain of a demo account: the platform administrator belongs
/// to the platform, everybody else to his tenant.
pub(super) fn mail_domain(user: &UserPlan) -> &'static str {
    if user.platform_admin {
        return "vigie.example";
    }
    tenant(user.tenant).map_or("example", |t| t.mail_domain)
}

/// The plan of a tenant by slug.
pub(super) fn tenant(slug: &str) -> Option<&'static TenantPlan> {
    TENANTS.iter().find(|t| t.slug == slug)
}

/// The name an entity of the tables is shown by (the root: the tenant's).
pub(super) fn entity_name(tenant_slug: &str, entity: &'static str) -> &'static str {
    match tenant(tenant_slug) {
        Some(t) if entity == ROOT => t.name,
        _ => entity,
    }
}
