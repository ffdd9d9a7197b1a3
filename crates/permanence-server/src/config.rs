//! Configuration: the command line's structs, now in [`crate::cli`], under the names they have
//! always had here.

pub use crate::cli::{
    AuditCommand, AuditShowArgs, AuditVerifyArgs, Cli, CommandKind, DEFAULT_DATABASE_URL,
    DatabaseArgs, DemoArgs, EscalationArgs, ServeArgs, SetPasswordArgs, TokenAddArgs, TokenCommand,
    TokenOptions, TokenRevokeArgs, UserAddArgs, UserCommand,
};
