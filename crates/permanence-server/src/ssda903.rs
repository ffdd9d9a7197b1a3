//! `permanence ssda903`: the national return of children looked after (SSDA903).
//!
//! `export` reads every child and period of care of an authority from the store and writes
//! the return's CSV tables for a collection year (`permanence-ssda903` builds the rows).
//! `import` reads an authority's existing return into the engine (see [`import`]).
//! Output names children only by their CHILD reference, never by any other detail.

use anyhow::Context;
use permanence_domain::ChildId;
use permanence_engine::Engine;
use permanence_ssda903::{CollectionYear, Return, ReturnChild, TableKind, build_return};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

pub mod import;

pub use crate::cli::{ExportArgs, Ssda903Command};

/// What an export wrote.
#[derive(Clone, Debug)]
pub struct ExportSummary {
    pub local_authority: String,
    pub year: CollectionYear,
    /// Rows written per table.
    pub rows: Vec<(TableKind, usize)>,
    /// Values that this year's return does not accept, by child reference and column.
    pub warnings: Vec<String>,
}

impl std::fmt::Display for ExportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ssda903 export: {} {}:", self.local_authority, self.year)?;
        for (kind, rows) in &self.rows {
            write!(f, " {kind} {rows}")?;
        }
        for warning in &self.warnings {
            write!(f, "\n  warning: {warning}")?;
        }
        Ok(())
    }
}

/// Reads the authority's records and builds the year's return.
pub async fn build(
    engine: &Engine,
    year: CollectionYear,
    local_authority: Option<&str>,
) -> anyhow::Result<(String, Return)> {
    let cases = engine
        .store()
        .cases_with_children(local_authority)
        .await
        .context("reading the authority's cases")?;
    let authorities: BTreeSet<&str> = cases
        .iter()
        .map(|(_, child)| child.local_authority.as_str())
        .collect();
    let authority = match (local_authority, authorities.len()) {
        (Some(la), _) => la.to_owned(),
        (None, 0) => anyhow::bail!("the database holds no period of care: nothing to export"),
        (None, 1) => authorities
            .iter()
            .next()
            .map(|la| (*la).to_owned())
            .unwrap_or_default(),
        (None, n) => anyhow::bail!(
            "the database holds the children of {n} authorities: choose one with --local-authority"
        ),
    };
    let mut children: HashMap<ChildId, ReturnChild> = HashMap::new();
    for (case, child) in cases {
        children
            .entry(child.id)
            .or_insert_with(|| ReturnChild {
                reference: child.reference.clone(),
                birth_date: child.birth_date,
                sex: child.sex,
                ethnicity: child.ethnicity.clone(),
                facts: child.facts.clone(),
                periods: Vec::new(),
            })
            .periods
            .push(std::sync::Arc::unwrap_or_clone(case.state));
    }
    let children: Vec<ReturnChild> = children.into_values().collect();
    Ok((authority, build_return(year, &children)))
}

/// Writes each table of the return to `dir` as CSV.
pub fn write(dir: &Path, ret: &Return) -> anyhow::Result<Vec<(TableKind, usize)>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut rows = Vec::new();
    for table in &ret.tables {
        let path = dir.join(table.kind.file_name());
        std::fs::write(&path, permanence_ssda903::csv::write(table))
            .with_context(|| format!("writing {}", path.display()))?;
        rows.push((table.kind, table.rows.len()));
    }
    Ok(rows)
}

/// `permanence ssda903 export`.
pub async fn export(engine: &Engine, args: &ExportArgs) -> anyhow::Result<ExportSummary> {
    let year = CollectionYear::ending(args.year)
        .with_context(|| format!("--year {}: not a collection year", args.year))?;
    if let Some(la) = &args.local_authority
        && !permanence_domain::case::is_local_authority_code(la)
    {
        anyhow::bail!("--local-authority {la}: an ONS code is E followed by 8 digits");
    }
    let (local_authority, ret) = build(engine, year, args.local_authority.as_deref()).await?;
    let rows = write(&args.dir, &ret)?;
    Ok(ExportSummary {
        local_authority,
        year,
        rows,
        warnings: ret
            .warnings
            .iter()
            .map(|w| format!("{} CHILD {}: {} {}", w.table, w.child, w.column, w.reason))
            .collect(),
    })
}
