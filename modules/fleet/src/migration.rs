//! The fleet view's tables, created and changed by numbered migrations (sea-orm-migration) that
//! run on SQLite and PostgreSQL alike, recorded in `vitals_fleet_migrations`.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, double, pk_auto, string, string_null, text,
    text_null,
};

/// Every migration of the fleet view, oldest first.
pub(crate) struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateTables), Box::new(IndexIncidents)]
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
        m.create_index(
            Index::create()
                .name("fleet_polls_target_at")
                .table("fleet_polls")
                .col("target")
                .col("at_ms")
                .col("status")
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("fleet_polls_at")
                .table("fleet_polls")
                .col("at_ms")
                .if_not_exists()
                .to_owned(),
        )
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
        m.create_index(
            Index::create()
                .name("fleet_readings_at")
                .table("fleet_readings")
                .col("at_ms")
                .if_not_exists()
                .to_owned(),
        )
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
        m.create_index(
            Index::create()
                .name("fleet_incidents_target_started")
                .table("fleet_incidents")
                .col("target")
                .col("started_at_ms")
                .if_not_exists()
                .to_owned(),
        )
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
        m.create_index(
            Index::create()
                .name("fleet_incidents_open")
                .table("fleet_incidents")
                .col("target")
                .col("ended_at_ms")
                .col("started_at_ms")
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("fleet_incidents_ended")
                .table("fleet_incidents")
                .col("ended_at_ms")
                .if_not_exists()
                .to_owned(),
        )
        .await
    }
}
