//! Reading an authority's return into the engine's terms.
//!
//! `read_return` recognises each file's table by its columns, checks every value, and
//! reports every problem (table, row, column, reason: never the value itself, which may be a
//! child's detail). A return without problems becomes, per child, the facts to register and,
//! per period of care, the dated commands a social worker would have recorded: the episodes,
//! the reviews, the closure, and the route steps the data implies (the decision to place for
//! adoption, its reversal, the placement order, the match, the placement, the adoption
//! order; special guardianship and child arrangements orders at leaving care; long-term
//! fostering from U1/U4). Steps the route needs between those the return records (family
//! finding, the matching panel, the adoption application) are dated from the data around
//! them. Each command carries where it came from (file and row) and a key that is stable
//! across imports of the same facts, from which the caller derives its command id.

mod plan;
mod read;

pub use plan::{
    HeldPeriod, ImportedChild, ImportedPeriod, PlannedCommand, continue_period, period_key,
    plan_child,
};
pub use read::{ChildRows, ReturnData, read_return, read_return_leniently};

use crate::table::TableKind;
use std::fmt;

/// One of the files of a return.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

/// Where a fact came from: a file and a row (the line of the file, the header being 1).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    pub file: String,
    pub table: TableKind,
    pub row: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} row {}", self.file, self.row)
    }
}

/// A problem with the return: which table, row and column, and why. The value is never
/// repeated (it may be a child's detail); the child is named by their CHILD reference.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImportError {
    pub file: String,
    pub table: Option<TableKind>,
    pub row: usize,
    pub column: String,
    pub reason: String,
    /// The CHILD reference of the row, when the row names one: the child the problem keeps
    /// out (`None` for a problem with a whole file).
    pub child: Option<String>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = self.table.map_or("?", TableKind::name);
        write!(
            f,
            "{} ({table}) row {}, column {}: {}",
            self.file, self.row, self.column, self.reason
        )
    }
}
