//! Single sign-on for the pages: which local user each person of the council's identity
//! provider is. A person signing in through OpenID Connect for the first time gets a user (no
//! password), linked here to their issuer and subject; later sign-ins find the user through the
//! link and refresh their name, role, teams and authorities from the claims. Only a linked
//! user is ever reached this way, so an identity provider can never sign someone in as a
//! local account (an administrator's) that merely has the same username.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SingleSignOnUsers {
    Table,
    UserId,
    Issuer,
    Subject,
    LinkedAt,
    LastSignedInAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SingleSignOnUsers::Table)
                    .col(
                        ColumnDef::new(SingleSignOnUsers::UserId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SingleSignOnUsers::Issuer)
                            .string_len(500)
                            .not_null(),
                    )
                    // OpenID Connect allows a subject of up to 255 ASCII characters.
                    .col(
                        ColumnDef::new(SingleSignOnUsers::Subject)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SingleSignOnUsers::LinkedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SingleSignOnUsers::LastSignedInAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SingleSignOnUsers::Table, SingleSignOnUsers::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("single_sign_on_users_issuer_subject")
                    .table(SingleSignOnUsers::Table)
                    .col(SingleSignOnUsers::Issuer)
                    .col(SingleSignOnUsers::Subject)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SingleSignOnUsers::Table).to_owned())
            .await
    }
}
