//! The national return of children looked after (SSDA903): its tables, built from the
//! engine's records for a collection year, and written as the CSV files the Department for
//! Education and its validator read.
//!
//! Pure: from a child and their periods of care (`CaseState`s, as the domain builds them)
//! to rows, with the codes and columns of the year asked for. No I/O besides formatting
//! text, no clock, no storage: the server reads the records and writes the files. This
//! crate must not depend on the store, the engine, GraphQL or HTTP.

pub mod csv;
pub mod export;
pub mod import;
pub mod table;
pub mod year;

pub use export::{ExportWarning, Return, ReturnChild, build_return};
pub use table::{Table, TableKind};
pub use year::CollectionYear;
