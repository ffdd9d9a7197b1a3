//! Children, cases (projection), case events (append-only), deadlines (projection),
//! processed commands (idempotency).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Children {
    Table,
    Id,
    LocalAuthority,
    Reference,
    BirthDate,
    Sex,
    Ethnicity,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    ChildId,
    LocalAuthority,
    Team,
    AllocatedWorker,
    EnteredCareOn,
    LeftCareOn,
    ReasonCeased,
    PrimaryRoute,
    PrimaryStep,
    ParallelRoute,
    Status,
    Version,
    State,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CaseEvents {
    Table,
    Id,
    CaseId,
    Sequence,
    EventType,
    SchemaVersion,
    Payload,
    Actor,
    OccurredOn,
    RecordedAt,
    CommandId,
    Note,
}

#[derive(DeriveIden)]
enum CaseDeadlines {
    Table,
    CaseId,
    DeadlineKey,
    Rule,
    Label,
    Category,
    Route,
    PlanId,
    StartedOn,
    DueOn,
    Period,
    Basis,
    Reference,
    AfterPanel,
    LocalAuthority,
    Team,
}

#[derive(DeriveIden)]
enum ProcessedCommands {
    Table,
    CommandId,
    CaseId,
    ChildId,
    Version,
    RecordedAt,
}

const SQLITE_APPEND_ONLY: &[&str] = &[
    "CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events \
     BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END",
    "CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events \
     BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END",
];

const POSTGRES_APPEND_ONLY: &[&str] = &[
    "CREATE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN RAISE EXCEPTION 'case_events is append-only'; END $$",
    "CREATE TRIGGER case_events_no_update_or_delete BEFORE UPDATE OR DELETE ON case_events \
     FOR EACH ROW EXECUTE FUNCTION case_events_append_only()",
    "CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events \
     FOR EACH STATEMENT EXECUTE FUNCTION case_events_append_only()",
];

/// One open period of care per child; partial unique indexes exist on both backends.
const ONE_OPEN_CASE_PER_CHILD: &str =
    "CREATE UNIQUE INDEX cases_one_open_per_child ON cases (child_id) WHERE status = 'OPEN'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Children::Table)
                    .col(ColumnDef::new(Children::Id).uuid().not_null().primary_key())
                    .col(
                        ColumnDef::new(Children::LocalAuthority)
                            .string_len(9)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Children::Reference)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Children::BirthDate).date().not_null())
                    .col(ColumnDef::new(Children::Sex).string_len(1).not_null())
                    .col(ColumnDef::new(Children::Ethnicity).string_len(4).not_null())
                    .col(ColumnDef::new(Children::Name).string_len(200).null())
                    .col(
                        ColumnDef::new(Children::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("children_reference_per_authority")
                    .table(Children::Table)
                    .col(Children::LocalAuthority)
                    .col(Children::Reference)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Cases::Table)
                    .col(ColumnDef::new(Cases::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Cases::ChildId).uuid().not_null())
                    .col(
                        ColumnDef::new(Cases::LocalAuthority)
                            .string_len(9)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Cases::Team).string_len(100).null())
                    .col(
                        ColumnDef::new(Cases::AllocatedWorker)
                            .string_len(100)
                            .null(),
                    )
                    .col(ColumnDef::new(Cases::EnteredCareOn).date().not_null())
                    .col(ColumnDef::new(Cases::LeftCareOn).date().null())
                    .col(ColumnDef::new(Cases::ReasonCeased).string_len(3).null())
                    .col(ColumnDef::new(Cases::PrimaryRoute).string_len(40).null())
                    .col(ColumnDef::new(Cases::PrimaryStep).string_len(60).null())
                    .col(ColumnDef::new(Cases::ParallelRoute).string_len(40).null())
                    .col(ColumnDef::new(Cases::Status).string_len(6).not_null())
                    .col(ColumnDef::new(Cases::Version).big_integer().not_null())
                    .col(ColumnDef::new(Cases::State).text().not_null())
                    .col(
                        ColumnDef::new(Cases::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Cases::Table, Cases::ChildId)
                            .to(Children::Table, Children::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("cases_child", Cases::ChildId),
            ("cases_team", Cases::Team),
            ("cases_allocated_worker", Cases::AllocatedWorker),
            ("cases_primary_route", Cases::PrimaryRoute),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Cases::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(CaseEvents::Table)
                    .col(
                        ColumnDef::new(CaseEvents::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(CaseEvents::CaseId).uuid().not_null())
                    .col(
                        ColumnDef::new(CaseEvents::Sequence)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CaseEvents::EventType)
                            .string_len(60)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CaseEvents::SchemaVersion)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CaseEvents::Payload).text().not_null())
                    .col(ColumnDef::new(CaseEvents::Actor).string_len(100).not_null())
                    .col(ColumnDef::new(CaseEvents::OccurredOn).date().not_null())
                    .col(
                        ColumnDef::new(CaseEvents::RecordedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CaseEvents::CommandId).uuid().not_null())
                    .col(ColumnDef::new(CaseEvents::Note).text().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(CaseEvents::Table, CaseEvents::CaseId)
                            .to(Cases::Table, Cases::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("case_events_sequence")
                    .table(CaseEvents::Table)
                    .col(CaseEvents::CaseId)
                    .col(CaseEvents::Sequence)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CaseDeadlines::Table)
                    .col(ColumnDef::new(CaseDeadlines::CaseId).uuid().not_null())
                    .col(
                        ColumnDef::new(CaseDeadlines::DeadlineKey)
                            .string_len(80)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CaseDeadlines::Rule)
                            .string_len(80)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CaseDeadlines::Label)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CaseDeadlines::Category)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(ColumnDef::new(CaseDeadlines::Route).string_len(40).null())
                    .col(ColumnDef::new(CaseDeadlines::PlanId).integer().null())
                    .col(ColumnDef::new(CaseDeadlines::StartedOn).date().not_null())
                    .col(ColumnDef::new(CaseDeadlines::DueOn).date().not_null())
                    .col(
                        ColumnDef::new(CaseDeadlines::Period)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CaseDeadlines::Basis)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CaseDeadlines::Reference)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CaseDeadlines::AfterPanel)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CaseDeadlines::LocalAuthority)
                            .string_len(9)
                            .not_null(),
                    )
                    .col(ColumnDef::new(CaseDeadlines::Team).string_len(100).null())
                    .primary_key(
                        Index::create()
                            .col(CaseDeadlines::CaseId)
                            .col(CaseDeadlines::DeadlineKey),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CaseDeadlines::Table, CaseDeadlines::CaseId)
                            .to(Cases::Table, Cases::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("case_deadlines_due_on")
                    .table(CaseDeadlines::Table)
                    .col(CaseDeadlines::DueOn)
                    .col(CaseDeadlines::CaseId)
                    .col(CaseDeadlines::DeadlineKey)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProcessedCommands::Table)
                    .col(
                        ColumnDef::new(ProcessedCommands::CommandId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ProcessedCommands::CaseId).uuid().null())
                    .col(ColumnDef::new(ProcessedCommands::ChildId).uuid().null())
                    .col(
                        ColumnDef::new(ProcessedCommands::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProcessedCommands::RecordedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        db.execute_unprepared(ONE_OPEN_CASE_PER_CHILD).await?;
        let guards = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_APPEND_ONLY,
            _ => SQLITE_APPEND_ONLY,
        };
        for statement in guards {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ProcessedCommands::Table.into_iden(),
            CaseDeadlines::Table.into_iden(),
            CaseEvents::Table.into_iden(),
            Cases::Table.into_iden(),
            Children::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS case_events_append_only()")
                .await?;
        }
        Ok(())
    }
}
