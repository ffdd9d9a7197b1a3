//! The return's tables and their columns, as the validator's `lac_validator/config.py`
//! lists them. A table is recognised by its columns, whatever its file is called.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TableKind {
    Header,
    Episodes,
    Reviews,
    Ad1,
    PlacedAdoption,
    Uasc,
    Oc2,
    Oc3,
    PrevPerm,
    Missing,
    SwEpisodes,
}

impl TableKind {
    /// Every table of the return.
    pub const ALL: &'static [TableKind] = &[
        Self::Header,
        Self::Episodes,
        Self::Reviews,
        Self::Ad1,
        Self::PlacedAdoption,
        Self::Uasc,
        Self::Oc2,
        Self::Oc3,
        Self::PrevPerm,
        Self::Missing,
        Self::SwEpisodes,
    ];

    /// The tables the engine holds data for, in the order they are written.
    pub const EXPORTED: &'static [TableKind] = &[
        Self::Header,
        Self::Episodes,
        Self::Reviews,
        Self::Ad1,
        Self::PlacedAdoption,
    ];

    /// The table's name in the specification and the validator.
    pub fn name(self) -> &'static str {
        match self {
            Self::Header => "Header",
            Self::Episodes => "Episodes",
            Self::Reviews => "Reviews",
            Self::Ad1 => "AD1",
            Self::PlacedAdoption => "PlacedAdoption",
            Self::Uasc => "UASC",
            Self::Oc2 => "OC2",
            Self::Oc3 => "OC3",
            Self::PrevPerm => "PrevPerm",
            Self::Missing => "Missing",
            Self::SwEpisodes => "SWEpisodes",
        }
    }

    /// The file an export writes the table to.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Header => "header.csv",
            Self::Episodes => "episodes.csv",
            Self::Reviews => "reviews.csv",
            Self::Ad1 => "ad1.csv",
            Self::PlacedAdoption => "placed_for_adoption.csv",
            Self::Uasc => "uasc.csv",
            Self::Oc2 => "oc2.csv",
            Self::Oc3 => "oc3.csv",
            Self::PrevPerm => "previous_permanence.csv",
            Self::Missing => "missing.csv",
            Self::SwEpisodes => "sw_episodes.csv",
        }
    }

    /// The columns, in order.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Header => &["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
            Self::Episodes => &[
                "CHILD",
                "DECOM",
                "RNE",
                "LS",
                "CIN",
                "PLACE",
                "PLACE_PROVIDER",
                "DEC",
                "REC",
                "REASON_PLACE_CHANGE",
                "HOME_POST",
                "PL_POST",
                "URN",
            ],
            Self::Reviews => &["CHILD", "DOB", "REVIEW", "REVIEW_CODE"],
            Self::Ad1 => &[
                "CHILD",
                "DOB",
                "DATE_INT",
                "DATE_MATCH",
                "FOSTER_CARE",
                "NB_ADOPTR",
                "SEX_ADOPTR",
                "LS_ADOPTR",
            ],
            Self::PlacedAdoption => &[
                "CHILD",
                "DOB",
                "DATE_PLACED",
                "DATE_PLACED_CEASED",
                "REASON_PLACED_CEASED",
            ],
            Self::Uasc => &["CHILD", "SEX", "DOB", "DUC"],
            Self::Oc2 => &[
                "CHILD",
                "DOB",
                "SDQ_SCORE",
                "SDQ_REASON",
                "CONVICTED",
                "HEALTH_CHECK",
                "IMMUNISATIONS",
                "TEETH_CHECK",
                "HEALTH_ASSESSMENT",
                "SUBSTANCE_MISUSE",
                "INTERVENTION_RECEIVED",
                "INTERVENTION_OFFERED",
            ],
            Self::Oc3 => &["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"],
            Self::PrevPerm => &["CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"],
            Self::Missing => &["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
            Self::SwEpisodes => &["CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"],
        }
    }

    /// The table whose columns these are (in any order, names trimmed and upper-cased).
    pub fn recognise(columns: &[String]) -> Option<Self> {
        let mut given: Vec<String> = columns
            .iter()
            .map(|c| c.trim().to_ascii_uppercase())
            .collect();
        given.sort();
        Self::ALL.iter().copied().find(|kind| {
            let mut expected: Vec<&str> = kind.columns().to_vec();
            expected.sort_unstable();
            expected.len() == given.len() && expected.iter().zip(&given).all(|(a, b)| a == b)
        })
    }
}

impl fmt::Display for TableKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A table's rows, each with one value per column (empty for blank).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub kind: TableKind,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(kind: TableKind) -> Self {
        Self {
            kind,
            rows: Vec::new(),
        }
    }

    /// The values of column `name` of every row (for tests and checks).
    pub fn column(&self, name: &str) -> Vec<&str> {
        let Some(at) = self.kind.columns().iter().position(|c| *c == name) else {
            return Vec::new();
        };
        self.rows.iter().map(|r| r[at].as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_recognised_by_their_columns_in_any_order() {
        for kind in TableKind::ALL {
            let mut columns: Vec<String> = kind
                .columns()
                .iter()
                .map(|c| c.to_ascii_lowercase())
                .collect();
            columns.reverse();
            assert_eq!(TableKind::recognise(&columns), Some(*kind));
        }
        let partial: Vec<String> = vec!["CHILD".into(), "DOB".into()];
        assert_eq!(TableKind::recognise(&partial), None);
    }
}
