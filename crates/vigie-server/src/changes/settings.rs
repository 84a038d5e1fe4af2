//! What a tenant's change management is set up with, as the API's JSON and
//! the web's forms give it: the CAB and ECAB (members and quorum), freeze
//! periods, the change windows and standard-change templates. Both shells
//! call these functions, so they refuse the same values with the same
//! words, each message naming the field at fault.

use crate::AppState;
use crate::refusal::Refusal;
use vigie_core::Timestamp;
use vigie_core::change::approval::{Board, BoardKind};
use vigie_core::ids::{GroupId, TenantId, UserId};
use vigie_core::tenancy::Actor;
use vigie_core::validate;
use vigie_store::{BoardRecord, BoardSetup, NewFreeze, NewTemplate, StoreError};

/// Members one board may name, users and groups together.
pub const MAX_BOARD_MEMBERS: usize = 200;

/// Items of a template's checklist.
pub const MAX_CHECKLIST: usize = 100;

/// Characters of a plan or a description.
const MAX_TEXT: usize = 20_000;

/// Why a setting was not written.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A value was refused; the message names the field.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A freeze period checked: a name, a reason of at most 2,000 characters,
/// an end after its start.
pub fn freeze(
    name: &str,
    reason: &str,
    starts_at: Timestamp,
    ends_at: Timestamp,
) -> Result<NewFreeze, Refusal> {
    let name = validate::name("name", name, 200)?;
    if ends_at <= starts_at {
        return Err(Refusal::new(
            "ends_at",
            "a freeze must end after it starts (`ends_at` after `starts_at`)",
        ));
    }
    Ok(NewFreeze {
        name,
        reason: reason.trim().chars().take(2000).collect(),
        starts_at,
        ends_at,
    })
}

/// A template of pre-approved changes checked: a name, both plans (a
/// standard change is approved once, on them), at most 100 checklist items
/// of at most 300 characters each.
pub fn template(
    name: &str,
    description: &str,
    implementation_plan: &str,
    backout_plan: &str,
    checklist: &[String],
) -> Result<NewTemplate, Refusal> {
    let plan = |field: &str, v: &str| -> Result<String, Refusal> {
        let v = v.trim();
        if v.is_empty() || v.chars().count() > MAX_TEXT {
            return Err(Refusal::new(
                field,
                format!(
                    "`{field}` is required (at most 20,000 characters): a standard change is pre-approved on its plans"
                ),
            ));
        }
        Ok(v.to_owned())
    };
    if checklist.len() > MAX_CHECKLIST {
        return Err(Refusal::new("checklist", "at most 100 checklist items"));
    }
    Ok(NewTemplate {
        name: validate::name("name", name, 200)?,
        description: description.trim().chars().take(MAX_TEXT).collect(),
        implementation_plan: plan("implementation_plan", implementation_plan)?,
        backout_plan: plan("backout_plan", backout_plan)?,
        checklist: checklist
            .iter()
            .map(|l| validate::name("checklist", l, 300))
            .collect::<Result<_, _>>()?,
    })
}

/// Sets a board: its members (users of the tenant, and the members of its
/// groups) must be able to reach the quorum, which the core checks
/// (a quorum of zero or above the members is refused).
pub async fn set_board(
    state: &AppState,
    actor: &Actor,
    tenant: TenantId,
    kind: BoardKind,
    quorum: i64,
    users: Vec<UserId>,
    groups: Vec<GroupId>,
) -> Result<BoardRecord, SettingsError> {
    if users.len() + groups.len() > MAX_BOARD_MEMBERS {
        return Err(Refusal::new("user_ids", "at most 200 members").into());
    }
    let store = state.store();
    let members = store.resolve_board_members(tenant, &users, &groups).await?;
    Board {
        kind,
        quorum: u32::try_from(quorum.max(0)).unwrap_or(u32::MAX),
        members,
    }
    .validate()
    .map_err(|e| Refusal::new("quorum", e.to_string()))?;
    let setup = BoardSetup {
        kind,
        quorum,
        users,
        groups,
    };
    store
        .put_change_board(actor, tenant, state.clock().now(), &setup)
        .await
        .map_err(|e| match e {
            StoreError::Invalid(why) => Refusal::new("user_ids", why).into(),
            e => e.into(),
        })
}

/// Sets the change windows: a calendar of the tenant, or none for the
/// default windows (19:00–06:00 on working days and the weekend) in
/// `time_zone`, which must be a known IANA zone.
pub async fn set_windows(
    state: &AppState,
    actor: &Actor,
    tenant: TenantId,
    calendar: Option<i64>,
    time_zone: &str,
) -> Result<String, SettingsError> {
    let zone = time_zone.trim();
    vigie_core::change::schedule::default_windows(zone)
        .map_err(|e| Refusal::new("time_zone", e.to_string()))?;
    state
        .store()
        .put_change_settings(actor, tenant, state.clock().now(), calendar, zone)
        .await
        .map_err(|e| match e {
            StoreError::Invalid(why) => {
                SettingsError::from(Refusal::new("window_calendar_id", why))
            }
            e => e.into(),
        })?;
    Ok(zone.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    #[test]
    fn a_freeze_ending_at_its_start_names_the_end() {
        let e = freeze(
            "Year end",
            "",
            at("2026-12-20T00:00:00Z"),
            at("2026-12-20T00:00:00Z"),
        )
        .expect_err("empty freeze");
        assert_eq!(e.field, "ends_at");
        let ok = freeze(
            " Year end ",
            "closing",
            at("2026-12-20T00:00:00Z"),
            at("2027-01-04T00:00:00Z"),
        )
        .expect("freeze");
        assert_eq!(ok.name, "Year end");
    }

    #[test]
    fn a_template_needs_both_plans_and_a_short_checklist() {
        let e = template("Patch", "", "apply", " ", &[]).expect_err("no backout");
        assert_eq!(e.field, "backout_plan");
        let long = vec!["tick".to_owned(); MAX_CHECKLIST + 1];
        let e = template("Patch", "", "apply", "revert", &long).expect_err("long list");
        assert_eq!(e.field, "checklist");
        let t =
            template("Patch", "d", "apply", "revert", &["snapshot".to_owned()]).expect("template");
        assert_eq!(t.checklist, vec!["snapshot".to_owned()]);
    }
}
