//! Signing in to the pages: users' passwords (Argon2id, in a table of their own so that no
//! listing of users ever carries a hash), the pages' sessions (stored by the hash of the
//! cookie's secret, like tokens), and failed sign-ins, counted per account and per address to
//! slow down guessing across every server process.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum UserPasswords {
    Table,
    UserId,
    PasswordHash,
    SetAt,
}

#[derive(DeriveIden)]
enum WebSessions {
    Table,
    Id,
    SecretHash,
    UserId,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum SignInFailures {
    Table,
    Id,
    Subject,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserPasswords::Table)
                    .col(
                        ColumnDef::new(UserPasswords::UserId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(UserPasswords::PasswordHash)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(UserPasswords::SetAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserPasswords::Table, UserPasswords::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebSessions::Table)
                    .col(
                        ColumnDef::new(WebSessions::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(WebSessions::SecretHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebSessions::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(WebSessions::CsrfToken)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebSessions::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebSessions::LastSeenAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebSessions::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebSessions::Table, WebSessions::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("web_sessions_secret_hash")
                    .table(WebSessions::Table)
                    .col(WebSessions::SecretHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Revoking every session of a user (a password change, a disabled account).
        manager
            .create_index(
                Index::create()
                    .name("web_sessions_user")
                    .table(WebSessions::Table)
                    .col(WebSessions::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SignInFailures::Table)
                    .col(
                        ColumnDef::new(SignInFailures::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SignInFailures::Subject)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SignInFailures::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sign_in_failures_subject_at")
                    .table(SignInFailures::Table)
                    .col(SignInFailures::Subject)
                    .col(SignInFailures::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SignInFailures::Table.into_iden(),
            WebSessions::Table.into_iden(),
            UserPasswords::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
