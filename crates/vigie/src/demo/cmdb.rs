//! The demo estate: Cachemire's server room at La Défense (two rooms, racks
//! fed by two power circuits, double- and single-fed servers, VMs, the ERP
//! and the CRM, the business services they carry) and the hosting
//! provider's data centre. Loaded through the import, so a second run finds
//! every line unchanged and writes nothing.

use anyhow::Context;
use vigie_core::Timestamp;
use vigie_core::role::Permission;
use vigie_core::tenancy::Actor;
use vigie_server::cmdb::{self, ImportJob, file};
use vigie_store::Store;

const CACHEMIRE: &str = "\
record,type,name,status,criticality,identifiers,attributes,target,redundancy_group,redundancy_needs
ci,site,La Défense,,high,,address=1 parvis de la Défense,,,
ci,room,Salle Nord,,high,,floor=-1,,,
ci,room,Salle Sud,,high,,floor=-1,,,
ci,power_feed,Circuit A,,critical,external_id:PDU-A,circuit=A;ups=UPS-1,,,
ci,power_feed,Circuit B,,critical,external_id:PDU-B,circuit=B;ups=UPS-2,,,
ci,rack,Baie N1,,high,,units=42,,,
ci,rack,Baie S1,,medium,,units=42,,,
ci,network_device,sw-core-01,,critical,hostname:sw-core-01.cachemire.example;ip:10.10.0.1,model=Catalyst 9300,,,
ci,server,srv-hv-01,,critical,hostname:srv-hv-01.cachemire.example;serial:CZ2301A7;ip:10.10.1.11,model=PowerEdge R650;psu=2,,,
ci,server,srv-hv-02,,critical,hostname:srv-hv-02.cachemire.example;serial:CZ2301A8;ip:10.10.1.12,model=PowerEdge R650;psu=2,,,
ci,server,srv-backup-01,,medium,hostname:srv-backup-01.cachemire.example;serial:CZ1907B2,model=PowerEdge R540;psu=1,,,
ci,environment,Production,,critical,,kind=production,,,
ci,environment,Formation,,low,,kind=training,,,
ci,virtual_machine,vm-erp-app,,critical,hostname:vm-erp-app.cachemire.example;ip:10.10.2.21,os=RHEL 9,,,
ci,virtual_machine,vm-erp-db,,critical,hostname:vm-erp-db.cachemire.example;ip:10.10.2.22,os=RHEL 9,,,
ci,virtual_machine,vm-crm-01,,high,hostname:vm-crm-01.cachemire.example;ip:10.10.2.31,os=Debian 12,,,
ci,virtual_machine,vm-crm-02,,high,hostname:vm-crm-02.cachemire.example;ip:10.10.2.32,os=Debian 12,,,
ci,database,ERP PostgreSQL,,critical,external_id:DB-ERP,engine=PostgreSQL 16,,,
ci,application,ERP,,critical,alias:erp,vendor=Odoo;version=17,,,
ci,application,CRM instance 1,,high,alias:crm-1,vendor=SuiteCRM,,,
ci,application,CRM instance 2,,high,alias:crm-2,vendor=SuiteCRM,,,
ci,business_service,Facturation,,critical,,customers=Cachemire Nord;sla=Or,,,
ci,business_service,Relation client,,high,,customers=Cachemire Sud;sla=Argent,,,
relation,located_in,Salle Nord,,,,,La Défense,,
relation,located_in,Salle Sud,,,,,La Défense,,
relation,located_in,Circuit A,,,,,Salle Nord,,
relation,located_in,Circuit B,,,,,Salle Sud,,
relation,located_in,Baie N1,,,,,Salle Nord,,
relation,located_in,Baie S1,,,,,Salle Sud,,
relation,located_in,sw-core-01,,,,,Baie N1,,
relation,located_in,srv-hv-01,,,,,Baie N1,,
relation,located_in,srv-hv-02,,,,,Baie S1,,
relation,located_in,srv-backup-01,,,,,Baie S1,,
relation,powered_by,sw-core-01,,,,,Circuit A,,
relation,powered_by,sw-core-01,,,,,Circuit B,,
relation,powered_by,srv-hv-01,,,,,Circuit A,,
relation,powered_by,srv-hv-01,,,,,Circuit B,,
relation,powered_by,srv-hv-02,,,,,Circuit A,,
relation,powered_by,srv-hv-02,,,,,Circuit B,,
relation,powered_by,srv-backup-01,,,,,Circuit B,,
relation,connected_to,srv-hv-01,,,,,sw-core-01,,
relation,connected_to,srv-hv-02,,,,,sw-core-01,,
relation,hosted_by,vm-erp-app,,,,,srv-hv-01,,
relation,hosted_by,vm-erp-db,,,,,srv-hv-02,,
relation,hosted_by,vm-crm-01,,,,,srv-hv-01,,
relation,hosted_by,vm-crm-02,,,,,srv-hv-02,,
relation,runs_on,ERP PostgreSQL,,,,,vm-erp-db,,
relation,runs_on,ERP,,,,,vm-erp-app,,
relation,runs_on,CRM instance 1,,,,,vm-crm-01,,
relation,runs_on,CRM instance 2,,,,,vm-crm-02,,
relation,depends_on,ERP,,,,,ERP PostgreSQL,,
relation,depends_on,Facturation,,,,,ERP,,
relation,depends_on,Relation client,,,,,CRM instance 1,crm,1
relation,depends_on,Relation client,,,,,CRM instance 2,crm,1
relation,part_of,ERP,,,,,Production,,
relation,part_of,CRM instance 1,,,,,Production,,
relation,part_of,CRM instance 2,,,,,Production,,
";

const HEBERGEUR: &str = "\
record,type,name,status,criticality,identifiers,attributes,target,redundancy_group,redundancy_needs
ci,site,Aubervilliers DC1,,critical,,tier=III,,,
ci,room,Salle blanche 1,,critical,,,,,
ci,power_feed,TGBT voie A,,critical,external_id:TGBT-A,,,,
ci,power_feed,TGBT voie B,,critical,external_id:TGBT-B,,,,
ci,rack,Baie C12,,high,,customer=Cachemire,,,
ci,server,atl-esx-07,,high,hostname:atl-esx-07.atlas.example;serial:MXQ81203KL,model=ProLiant DL380,,,
ci,supplier_contract,Contrat Atlas hébergement,,high,external_id:ATL-2024-118,supplier=Hébergeur Atlas;ends=2027-12-31,,,
relation,located_in,Salle blanche 1,,,,,Aubervilliers DC1,,
relation,located_in,TGBT voie A,,,,,Salle blanche 1,,
relation,located_in,TGBT voie B,,,,,Salle blanche 1,,
relation,located_in,Baie C12,,,,,Salle blanche 1,,
relation,located_in,atl-esx-07,,,,,Baie C12,,
relation,powered_by,atl-esx-07,,,,,TGBT voie A,,
relation,powered_by,atl-esx-07,,,,,TGBT voie B,,
relation,provided_by,atl-esx-07,,,,,Contrat Atlas hébergement,,
";

/// Imports the demo estate of a tenant into its root entity; returns how
/// many items and relations were created.
async fn load_tenant(
    store: &Store,
    now: Timestamp,
    slug: &str,
    csv: &str,
) -> anyhow::Result<usize> {
    let tenant = store
        .find_tenant_by_slug(slug)
        .await?
        .with_context(|| format!("demo tenant {slug}"))?;
    let root = tenant.root_entity_id.context("demo tenant root")?;
    let actor = Actor::system();
    let scope = actor.scope(Permission::ManageCmdb);
    let entity = store.get_entity(&scope, root).await?;
    let job = ImportJob {
        actor: &actor,
        scope: &scope,
        entity: &entity,
        now,
    };
    let report = cmdb::import(store, &job, file::parse_csv(csv.as_bytes()), false, &|_| {}).await?;
    if let Some(e) = report.errors.first() {
        anyhow::bail!("demo CMDB of {slug}, line {}: {}", e.line, e.message);
    }
    Ok(report.created + report.relations_created)
}

/// Loads the demo estates; returns how many records were created.
pub async fn load(store: &Store, now: Timestamp) -> anyhow::Result<usize> {
    Ok(load_tenant(store, now, "cachemire", CACHEMIRE).await?
        + load_tenant(store, now, "hebergeur", HEBERGEUR).await?)
}
