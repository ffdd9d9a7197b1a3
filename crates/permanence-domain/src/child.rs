//! A child known to the engine. Names are optional and never needed by leaders' views.

use crate::DomainError;
use crate::case::is_local_authority_code;
use crate::codes::Sex;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// SSDA903 ETHNIC codes.
pub const ETHNICITY_CODES: &[&str] = &[
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN",
    "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
];

/// Longest local child reference the national return allows (SSDA903 CHILD).
pub const MAX_CHILD_REFERENCE_LEN: usize = 10;
/// Longest name kept.
pub const MAX_NAME_LEN: usize = 200;

/// The facts of a child to register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewChild {
    pub local_authority: String,
    /// The authority's own reference, used as SSDA903 CHILD.
    pub reference: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub ethnicity: String,
    pub name: Option<String>,
}

impl NewChild {
    /// Checks the child's facts, naming the field and the reason on the first problem.
    pub fn validate(&self, today: NaiveDate) -> Result<(), DomainError> {
        if !is_local_authority_code(&self.local_authority) {
            return Err(DomainError::validation(
                "localAuthority",
                "must be an ONS code for an English authority: E followed by 8 digits",
            ));
        }
        let reference_ok = !self.reference.is_empty()
            && self.reference.len() <= MAX_CHILD_REFERENCE_LEN
            && self.reference.bytes().all(|b| b.is_ascii_alphanumeric());
        if !reference_ok {
            return Err(DomainError::validation(
                "reference",
                format!("must be 1 to {MAX_CHILD_REFERENCE_LEN} letters or digits"),
            ));
        }
        if self.birth_date > today {
            return Err(DomainError::validation(
                "birthDate",
                "cannot be in the future",
            ));
        }
        if !ETHNICITY_CODES.contains(&self.ethnicity.as_str()) {
            return Err(DomainError::validation(
                "ethnicity",
                "must be an SSDA903 ethnicity code such as WBRI or NOBT",
            ));
        }
        if let Some(name) = &self.name
            && (name.trim().is_empty() || name.chars().count() > MAX_NAME_LEN)
        {
            return Err(DomainError::validation(
                "name",
                format!("must be 1 to {MAX_NAME_LEN} characters when given"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child() -> NewChild {
        NewChild {
            local_authority: "E10000003".into(),
            reference: "C0001".into(),
            birth_date: NaiveDate::from_ymd_opt(2020, 5, 1).expect("date"),
            sex: Sex::Female,
            ethnicity: "WBRI".into(),
            name: None,
        }
    }

    #[test]
    fn validation_names_the_field() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        assert!(child().validate(today).is_ok());
        let mut bad = child();
        bad.reference = "C-1".into();
        assert!(
            matches!(bad.validate(today), Err(DomainError::Validation { field, .. }) if field == "reference")
        );
        let mut bad = child();
        bad.ethnicity = "XXXX".into();
        assert!(
            matches!(bad.validate(today), Err(DomainError::Validation { field, .. }) if field == "ethnicity")
        );
        let mut bad = child();
        bad.local_authority = "W06000001".into();
        assert!(
            matches!(bad.validate(today), Err(DomainError::Validation { field, .. }) if field == "localAuthority")
        );
    }
}
