//! Reading the return's files into checked rows, every problem reported.

use super::{ImportError, Origin, SourceFile};
use crate::csv::{self, parse_date};
use crate::table::TableKind;
use chrono::NaiveDate;
use permanence_domain::child::{ETHNICITY_CODES, MAX_CHILD_REFERENCE_LEN};
use permanence_domain::codes::{
    AdopterLegalStatus, AdopterSex, CategoryOfNeed, LegalStatus, PlacementChangeReason,
    PlacementProvider, PlacementType, ReasonCeased, ReasonNewEpisode, ReversalReason,
    ReviewParticipation, Sex,
};
use permanence_domain::return_facts::{Adopters, check_upn, check_urn, normalise_postcode};
use std::collections::{BTreeMap, HashMap};

/// How an episode ended: X1 (another began the same day) or leaving care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    X1,
    Left(ReasonCeased),
}

#[derive(Clone, Debug)]
pub struct EpisodeRow {
    pub origin: Origin,
    pub starts_on: NaiveDate,
    pub rne: ReasonNewEpisode,
    pub legal_status: LegalStatus,
    pub need: Option<CategoryOfNeed>,
    pub placement: PlacementType,
    pub provider: Option<PlacementProvider>,
    pub ends: Option<(NaiveDate, Ended)>,
    pub place_change: Option<PlacementChangeReason>,
    pub home_postcode: Option<String>,
    pub placement_postcode: Option<String>,
    pub urn: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ReviewRow {
    pub origin: Origin,
    pub on: NaiveDate,
    pub participation: Option<ReviewParticipation>,
}

#[derive(Clone, Debug)]
pub struct AdoptionRow {
    pub origin: Origin,
    pub decided_on: Option<NaiveDate>,
    pub matched_on: Option<NaiveDate>,
    pub adopters: Option<Adopters>,
}

#[derive(Clone, Debug)]
pub struct DecisionRow {
    pub origin: Origin,
    pub decided_on: NaiveDate,
    pub ceased: Option<(NaiveDate, ReversalReason)>,
}

/// A child's rows in every table.
#[derive(Clone, Debug)]
pub struct ChildRows {
    pub origin: Origin,
    pub reference: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub ethnicity: String,
    pub upn: Option<String>,
    pub mother: Option<bool>,
    pub first_child_born_on: Option<NaiveDate>,
    pub episodes: Vec<EpisodeRow>,
    pub reviews: Vec<ReviewRow>,
    pub adoption: Option<AdoptionRow>,
    pub decisions: Vec<DecisionRow>,
}

/// A return read without problems: its children in order of reference, and the tables
/// that were found but are not imported (the engine holds no data of theirs).
#[derive(Clone, Debug)]
pub struct ReturnData {
    pub children: Vec<ChildRows>,
    pub ignored: Vec<(String, TableKind)>,
    /// The tables the files held, read or ignored.
    pub tables: std::collections::BTreeSet<TableKind>,
}

/// One row's values by column, collecting problems as they are found.
struct Cells<'a> {
    kind: TableKind,
    file: &'a str,
    line: usize,
    at: &'a HashMap<String, usize>,
    values: &'a [String],
    errors: &'a mut Vec<ImportError>,
}

impl Cells<'_> {
    fn origin(&self) -> Origin {
        Origin {
            file: self.file.to_owned(),
            table: self.kind,
            row: self.line,
        }
    }

    fn error(&mut self, column: &str, reason: impl Into<String>) {
        let child = self.get("CHILD").map(str::to_owned);
        self.errors.push(ImportError {
            file: self.file.to_owned(),
            table: Some(self.kind),
            row: self.line,
            column: column.to_owned(),
            reason: reason.into(),
            child,
        });
    }

    /// The trimmed value, `None` when blank.
    fn get(&self, column: &str) -> Option<&str> {
        self.at
            .get(column)
            .and_then(|i| self.values.get(*i))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn required<T>(&mut self, column: &str, value: Option<T>) -> Option<T> {
        if value.is_none() && self.get(column).is_none() {
            self.error(column, "is required");
        }
        value
    }

    fn date(&mut self, column: &str) -> Option<NaiveDate> {
        let value = self.optional_date(column);
        self.required(column, value)
    }

    fn optional_date(&mut self, column: &str) -> Option<NaiveDate> {
        let text = self.get(column)?;
        let parsed = parse_date(text);
        if parsed.is_none() {
            self.error(column, "is not a date in the form dd/mm/yyyy");
        }
        parsed
    }

    fn code<T>(&mut self, column: &str, parse: fn(&str) -> Option<T>, what: &str) -> Option<T> {
        let value = self.optional_code(column, parse, what);
        self.required(column, value)
    }

    fn optional_code<T>(
        &mut self,
        column: &str,
        parse: fn(&str) -> Option<T>,
        what: &str,
    ) -> Option<T> {
        let text = self.get(column)?;
        let parsed = parse(text);
        if parsed.is_none() {
            self.error(column, format!("is not an SSDA903 {what} code"));
        }
        parsed
    }

    /// A value checked by a domain rule; the rule's reason is reported, not the value.
    fn checked(
        &mut self,
        column: &str,
        check: impl FnOnce(&str) -> Result<String, permanence_domain::DomainError>,
    ) -> Option<String> {
        let text = self.get(column)?.to_owned();
        match check(&text) {
            Ok(value) => Some(value),
            Err(permanence_domain::DomainError::Validation { reason, .. }) => {
                self.error(column, reason);
                None
            }
            Err(other) => {
                self.error(column, other.to_string());
                None
            }
        }
    }

    fn flag(&mut self, column: &str) -> Option<bool> {
        match self.get(column)? {
            "0" => Some(false),
            "1" => Some(true),
            _ => {
                self.error(column, "must be 0 or 1");
                None
            }
        }
    }
}

fn parse_sex(code: &str) -> Option<Sex> {
    match code {
        "1" => Some(Sex::Male),
        "2" => Some(Sex::Female),
        other => Sex::parse(other),
    }
}

fn parse_ended(code: &str) -> Option<Ended> {
    if code == "X1" {
        Some(Ended::X1)
    } else {
        ReasonCeased::parse(code).map(Ended::Left)
    }
}

/// The rows of one table, as read.
enum Rows {
    Header(Vec<ChildRows>),
    Episodes(Vec<(String, EpisodeRow)>),
    Reviews(Vec<(String, ReviewRow)>),
    Adoptions(Vec<(String, AdoptionRow)>),
    Decisions(Vec<(String, DecisionRow)>),
}

/// Reads the return's files. All or nothing: any problem anywhere answers with every
/// problem found, and no data.
pub fn read_return(files: &[SourceFile]) -> Result<ReturnData, Vec<ImportError>> {
    let (data, errors) = read_return_leniently(files);
    if errors.is_empty() {
        Ok(data)
    } else {
        Err(errors)
    }
}

/// Reads a return keeping what reads well: the children, and every problem (sorted). A row
/// with a problem is not among its child's rows, so a child named by a problem must be left
/// out whole, never imported from the rows that remain.
pub fn read_return_leniently(files: &[SourceFile]) -> (ReturnData, Vec<ImportError>) {
    let mut errors = Vec::new();
    let mut seen: BTreeMap<TableKind, String> = BTreeMap::new();
    let mut ignored = Vec::new();
    let mut tables = Vec::new();
    for file in files {
        let records = match csv::read(&file.text) {
            Ok(records) => records,
            Err(err) => {
                errors.push(ImportError {
                    file: file.name.clone(),
                    table: None,
                    row: 0,
                    column: "*".into(),
                    reason: err.to_string(),
                    child: None,
                });
                continue;
            }
        };
        let Some((_, header)) = records.first() else {
            continue;
        };
        let Some(kind) = TableKind::recognise(header) else {
            errors.push(ImportError {
                file: file.name.clone(),
                table: None,
                row: 1,
                column: "*".into(),
                reason: "its columns are not those of any SSDA903 table".into(),
                child: None,
            });
            continue;
        };
        if let Some(first) = seen.insert(kind, file.name.clone()) {
            errors.push(ImportError {
                file: file.name.clone(),
                table: Some(kind),
                row: 1,
                column: "*".into(),
                reason: format!("a second {kind} table (the first is {first})"),
                child: None,
            });
            continue;
        }
        let at: HashMap<String, usize> = header
            .iter()
            .enumerate()
            .map(|(i, c)| (c.trim().to_ascii_uppercase(), i))
            .collect();
        let rows = &records[1..];
        let read = match kind {
            TableKind::Header => {
                Rows::Header(read_rows(kind, file, &at, rows, &mut errors, header_row))
            }
            TableKind::Episodes => {
                Rows::Episodes(keyed(kind, file, &at, rows, &mut errors, episode_row))
            }
            TableKind::Reviews => {
                Rows::Reviews(keyed(kind, file, &at, rows, &mut errors, review_row))
            }
            TableKind::Ad1 => {
                Rows::Adoptions(keyed(kind, file, &at, rows, &mut errors, adoption_row))
            }
            TableKind::PlacedAdoption => {
                Rows::Decisions(keyed(kind, file, &at, rows, &mut errors, decision_row))
            }
            _ => {
                ignored.push((file.name.clone(), kind));
                continue;
            }
        };
        tables.push((file.name.clone(), kind, read));
    }
    let children = assemble(tables, &mut errors);
    errors.sort();
    let tables = seen.into_keys().collect();
    (
        ReturnData {
            children,
            ignored,
            tables,
        },
        errors,
    )
}

fn read_rows<T>(
    kind: TableKind,
    file: &SourceFile,
    at: &HashMap<String, usize>,
    rows: &[(usize, Vec<String>)],
    errors: &mut Vec<ImportError>,
    read: impl Fn(&mut Cells<'_>) -> Option<T>,
) -> Vec<T> {
    let mut out = Vec::with_capacity(rows.len());
    for (line, values) in rows {
        if values.len() != at.len() {
            errors.push(ImportError {
                file: file.name.clone(),
                table: Some(kind),
                row: *line,
                column: "*".into(),
                reason: format!("has {} values for {} columns", values.len(), at.len()),
                child: at
                    .get("CHILD")
                    .and_then(|i| values.get(*i))
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty()),
            });
            continue;
        }
        let mut cells = Cells {
            kind,
            file: &file.name,
            line: *line,
            at,
            values,
            errors,
        };
        let before = cells.errors.len();
        let row = read(&mut cells);
        if cells.errors.len() == before
            && let Some(row) = row
        {
            out.push(row);
        }
    }
    out
}

/// Rows that belong to a child, with the child's reference.
fn keyed<T>(
    kind: TableKind,
    file: &SourceFile,
    at: &HashMap<String, usize>,
    rows: &[(usize, Vec<String>)],
    errors: &mut Vec<ImportError>,
    read: fn(&mut Cells<'_>) -> Option<T>,
) -> Vec<(String, T)> {
    read_rows(kind, file, at, rows, errors, |cells| {
        let child = cells.get("CHILD").map(str::to_owned);
        let child = cells.required("CHILD", child);
        let row = read(cells)?;
        Some((child?, row))
    })
}

fn header_row(c: &mut Cells<'_>) -> Option<ChildRows> {
    let reference = c.get("CHILD").map(str::to_owned);
    let reference = c.required("CHILD", reference);
    if let Some(r) = &reference
        && (r.len() > MAX_CHILD_REFERENCE_LEN || !r.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        c.error(
            "CHILD",
            format!("must be 1 to {MAX_CHILD_REFERENCE_LEN} letters or digits"),
        );
    }
    let sex = c.code("SEX", parse_sex, "sex");
    let birth_date = c.date("DOB");
    let ethnicity = c.get("ETHNIC").map(str::to_owned);
    let ethnicity = c.required("ETHNIC", ethnicity);
    if let Some(e) = &ethnicity
        && !ETHNICITY_CODES.contains(&e.as_str())
    {
        c.error("ETHNIC", "is not an SSDA903 ethnicity code");
    }
    let upn = c.checked("UPN", check_upn);
    let mother = c.flag("MOTHER");
    let first_child_born_on = c.optional_date("MC_DOB");
    Some(ChildRows {
        origin: c.origin(),
        reference: reference?,
        birth_date: birth_date?,
        sex: sex?,
        ethnicity: ethnicity?,
        upn,
        mother,
        first_child_born_on,
        episodes: Vec::new(),
        reviews: Vec::new(),
        adoption: None,
        decisions: Vec::new(),
    })
}

fn episode_row(c: &mut Cells<'_>) -> Option<EpisodeRow> {
    let starts_on = c.date("DECOM");
    let rne = c.code("RNE", ReasonNewEpisode::parse, "reason for new episode");
    let legal_status = c.code("LS", LegalStatus::parse, "legal status");
    let need = c.optional_code("CIN", CategoryOfNeed::parse, "category of need");
    let placement = c.code("PLACE", PlacementType::parse, "placement type");
    let provider = c.optional_code(
        "PLACE_PROVIDER",
        PlacementProvider::parse,
        "placement provider",
    );
    let dec = c.optional_date("DEC");
    let rec = c.optional_code("REC", parse_ended, "reason episode ceased");
    let ends = match (dec, rec) {
        (Some(on), Some(why)) => Some((on, why)),
        (None, None) => None,
        (Some(_), None) => {
            if c.get("REC").is_none() {
                c.error("REC", "is required when DEC is given");
            }
            None
        }
        (None, Some(_)) => {
            if c.get("DEC").is_none() {
                c.error("DEC", "is required when REC is given");
            }
            None
        }
    };
    if let (Some(start), Some((end, _))) = (starts_on, ends)
        && end < start
    {
        c.error("DEC", "is before DECOM");
    }
    let place_change = c.optional_code(
        "REASON_PLACE_CHANGE",
        PlacementChangeReason::parse,
        "reason for placement change",
    );
    let home_postcode = c.checked("HOME_POST", |p| normalise_postcode(p, "HOME_POST"));
    let placement_postcode = c.checked("PL_POST", |p| normalise_postcode(p, "PL_POST"));
    let urn = c.checked("URN", check_urn);
    Some(EpisodeRow {
        origin: c.origin(),
        starts_on: starts_on?,
        rne: rne?,
        legal_status: legal_status?,
        need,
        placement: placement?,
        provider,
        ends,
        place_change,
        home_postcode,
        placement_postcode,
        urn,
    })
}

fn review_row(c: &mut Cells<'_>) -> Option<ReviewRow> {
    let on = c.date("REVIEW");
    let participation = c.optional_code(
        "REVIEW_CODE",
        ReviewParticipation::parse,
        "review participation",
    );
    Some(ReviewRow {
        origin: c.origin(),
        on: on?,
        participation,
    })
}

fn adoption_row(c: &mut Cells<'_>) -> Option<AdoptionRow> {
    let decided_on = c.optional_date("DATE_INT");
    let matched_on = c.optional_date("DATE_MATCH");
    c.flag("FOSTER_CARE");
    let count = c.get("NB_ADOPTR").map(str::to_owned);
    let sex = c.optional_code("SEX_ADOPTR", AdopterSex::parse, "sex of adopters");
    let legal_status = c.optional_code(
        "LS_ADOPTR",
        AdopterLegalStatus::parse,
        "legal status of adopters",
    );
    let adopters = match (sex, legal_status) {
        (Some(sex), Some(legal_status)) => {
            let adopters = Adopters { sex, legal_status };
            if let Err(permanence_domain::DomainError::Validation { reason, .. }) =
                adopters.validate()
            {
                c.error("LS_ADOPTR", reason);
            }
            if count
                .as_deref()
                .is_some_and(|n| n != adopters.count().to_string())
            {
                c.error("NB_ADOPTR", "does not agree with SEX_ADOPTR");
            }
            Some(adopters)
        }
        _ => None,
    };
    Some(AdoptionRow {
        origin: c.origin(),
        decided_on,
        matched_on,
        adopters,
    })
}

fn decision_row(c: &mut Cells<'_>) -> Option<DecisionRow> {
    let decided_on = c.date("DATE_PLACED");
    let ceased_on = c.optional_date("DATE_PLACED_CEASED");
    let reason = c.optional_code(
        "REASON_PLACED_CEASED",
        ReversalReason::parse,
        "reason placed ceased",
    );
    let ceased = match (ceased_on, reason) {
        (Some(on), Some(reason)) => Some((on, reason)),
        (None, None) => None,
        (Some(_), None) => {
            if c.get("REASON_PLACED_CEASED").is_none() {
                c.error(
                    "REASON_PLACED_CEASED",
                    "is required when DATE_PLACED_CEASED is given",
                );
            }
            None
        }
        (None, Some(_)) => {
            if c.get("DATE_PLACED_CEASED").is_none() {
                c.error(
                    "DATE_PLACED_CEASED",
                    "is required when REASON_PLACED_CEASED is given",
                );
            }
            None
        }
    };
    Some(DecisionRow {
        origin: c.origin(),
        decided_on: decided_on?,
        ceased,
    })
}

/// Gathers every table's rows under their child; a row whose child has no Header row is a
/// problem of its own.
fn assemble(
    tables: Vec<(String, TableKind, Rows)>,
    errors: &mut Vec<ImportError>,
) -> Vec<ChildRows> {
    let mut children: BTreeMap<String, ChildRows> = BTreeMap::new();
    let mut rest = Vec::new();
    for (file, kind, rows) in tables {
        match rows {
            Rows::Header(rows) => {
                for child in rows {
                    if children.contains_key(&child.reference) {
                        errors.push(ImportError {
                            file: file.clone(),
                            table: Some(kind),
                            row: child.origin.row,
                            column: "CHILD".into(),
                            reason: "a second Header row for this child".into(),
                            child: Some(child.reference.clone()),
                        });
                    } else {
                        children.insert(child.reference.clone(), child);
                    }
                }
            }
            other => rest.push((file, kind, other)),
        }
    }
    let has_header = children.len();
    for (file, kind, rows) in rest {
        let dangling = |errors: &mut Vec<ImportError>, origin: &Origin, child: &str| {
            errors.push(ImportError {
                file: file.clone(),
                table: Some(kind),
                row: origin.row,
                column: "CHILD".into(),
                reason: if has_header == 0 {
                    "no Header table was given, so this child is not known".into()
                } else {
                    "no Header row has this CHILD".into()
                },
                child: Some(child.to_owned()),
            });
        };
        match rows {
            Rows::Header(_) => {}
            Rows::Episodes(rows) => {
                for (child, row) in rows {
                    match children.get_mut(&child) {
                        Some(c) => c.episodes.push(row),
                        None => dangling(errors, &row.origin, &child),
                    }
                }
            }
            Rows::Reviews(rows) => {
                for (child, row) in rows {
                    match children.get_mut(&child) {
                        Some(c) => c.reviews.push(row),
                        None => dangling(errors, &row.origin, &child),
                    }
                }
            }
            Rows::Adoptions(rows) => {
                for (child, row) in rows {
                    match children.get_mut(&child) {
                        Some(c) if c.adoption.is_some() => errors.push(ImportError {
                            file: file.clone(),
                            table: Some(kind),
                            row: row.origin.row,
                            column: "CHILD".into(),
                            reason: "a second AD1 row for this child".into(),
                            child: Some(child.clone()),
                        }),
                        Some(c) => c.adoption = Some(row),
                        None => dangling(errors, &row.origin, &child),
                    }
                }
            }
            Rows::Decisions(rows) => {
                for (child, row) in rows {
                    match children.get_mut(&child) {
                        Some(c) => c.decisions.push(row),
                        None => dangling(errors, &row.origin, &child),
                    }
                }
            }
        }
    }
    let mut out: Vec<ChildRows> = children.into_values().collect();
    for child in &mut out {
        child.episodes.sort_by_key(|e| e.starts_on);
        child.reviews.sort_by_key(|r| r.on);
        child.decisions.sort_by_key(|d| d.decided_on);
        for pair in child.episodes.windows(2) {
            if pair[0].starts_on == pair[1].starts_on {
                errors.push(ImportError {
                    file: pair[1].origin.file.clone(),
                    table: Some(TableKind::Episodes),
                    row: pair[1].origin.row,
                    column: "DECOM".into(),
                    reason: "a second episode of this child begins on this date".into(),
                    child: Some(child.reference.clone()),
                });
            }
        }
    }
    out
}
