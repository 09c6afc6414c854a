//! The fleet view's tables, created and changed by numbered migrations (sea-orm-migration) that
//! run on SQLite and PostgreSQL alike, recorded in `vitals_fleet_migrations`.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, double, pk_auto, string, string_null, text,
    text_null,
};

/// `CREATE INDEX IF NOT EXISTS name ON table (cols…)`.
fn index(name: &str, table: &str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table.to_owned()).if_not_exists();
    for c in cols {
        i.col(*c);
    }
    i
}

/// Every migration of the fleet view, oldest first.
pub(crate) struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateTables),
            Box::new(IndexIncidents),
            Box::new(CreateNotified),
        ]
    }

    fn migration_table_name() -> DynIden {
        "vitals_fleet_migrations".into_iden()
    }
}

/// `0001`: polls, check readings, incidents, the latest state of each target, the lease.
struct CreateTables;

impl MigrationName for CreateTables {
    fn name(&self) -> &str {
        "m0001_create_fleet_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("fleet_polls")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string("target"))
                .col(big_integer("at_ms"))
                .col(string("status"))
                .col(text_null("error"))
                .col(text("failing"))
                .col(double("duration_seconds"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "fleet_polls_target_at",
            "fleet_polls",
            &["target", "at_ms", "status"],
        ))
        .await?;
        m.create_index(index("fleet_polls_at", "fleet_polls", &["at_ms"]))
            .await?;
        m.create_table(
            Table::create()
                .table("fleet_readings")
                .if_not_exists()
                .col(string("target"))
                .col(string("check_name"))
                .col(big_integer("at_ms"))
                .col(string("status"))
                .col(double("duration_seconds"))
                .col(text_null("reason"))
                .primary_key(Index::create().col("target").col("check_name").col("at_ms"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("fleet_readings_at", "fleet_readings", &["at_ms"]))
            .await?;
        m.create_table(
            Table::create()
                .table("fleet_incidents")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string("target"))
                .col(big_integer("started_at_ms"))
                .col(big_integer_null("ended_at_ms"))
                .col(text("checks"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "fleet_incidents_target_started",
            "fleet_incidents",
            &["target", "started_at_ms"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("fleet_targets")
                .if_not_exists()
                .col(string("name").primary_key())
                .col(text("url"))
                .col(string_null("service_name"))
                .col(string_null("service_version"))
                .col(string("status"))
                .col(big_integer("polled_at_ms"))
                .col(text_null("poll_error"))
                .col(text("checks"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("fleet_lease")
                .if_not_exists()
                .col(string("name").primary_key())
                .col(string("holder"))
                .col(big_integer("expires_at_ms"))
                .to_owned(),
        )
        .await
    }
}

/// `0002`: the incidents' two lookups by index: a target's open incident (`ended_at_ms IS NULL`,
/// read at every poll: a flapping target's closed ones were scanned to find it) and the ended
/// ones the retention prunes (the table scanned whole every cycle).
struct IndexIncidents;

impl MigrationName for IndexIncidents {
    fn name(&self) -> &str {
        "m0002_index_fleet_incidents"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for IndexIncidents {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            "fleet_incidents_open",
            "fleet_incidents",
            &["target", "ended_at_ms", "started_at_ms"],
        ))
        .await?;
        m.create_index(index(
            "fleet_incidents_ended",
            "fleet_incidents",
            &["ended_at_ms"],
        ))
        .await
    }
}

/// `0003`: what notifications last said of each target, kept by the lease holder so that the
/// next one (after a restart or a hand-over) tells the recovery of a `down` it did not send.
struct CreateNotified;

impl MigrationName for CreateNotified {
    fn name(&self) -> &str {
        "m0003_create_fleet_notified"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateNotified {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("fleet_notified")
                .if_not_exists()
                .col(string("target").primary_key())
                .col(string("status"))
                .col(big_integer_null("since_ms"))
                .col(big_integer_null("last_message_ms"))
                .to_owned(),
        )
        .await
    }
}
