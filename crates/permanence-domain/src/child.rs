//! A child known to the engine. Names are optional and never needed by leaders' views.

use crate::DomainError;
use crate::case::is_local_authority_code;
use crate::codes::Sex;
use crate::return_facts::check_upn;
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
    /// The national return's facts about the child; optional so that children registered
    /// before they were kept still read.
    #[serde(default)]
    pub facts: ChildFacts,
}

/// What the national return (SSDA903 Header) records about a child besides their identity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildFacts {
    /// UPN: the unique pupil number, or UN1 to UN5 when it is not known.
    #[serde(default)]
    pub upn: Option<String>,
    /// MOTHER: whether the child is a mother (recorded for girls).
    #[serde(default)]
    pub mother: Option<bool>,
    /// MC_DOB: the date of birth of the child's first child.
    #[serde(default)]
    pub first_child_born_on: Option<NaiveDate>,
}

impl ChildFacts {
    /// Checks and normalises the facts against the child's sex and date of birth.
    pub fn normalised(
        &self,
        sex: Sex,
        birth_date: NaiveDate,
        today: NaiveDate,
    ) -> Result<Self, DomainError> {
        let upn = self.upn.as_deref().map(check_upn).transpose()?;
        if self.mother.is_some() && sex == Sex::Male {
            return Err(DomainError::validation(
                "mother",
                "is recorded for girls only",
            ));
        }
        if let Some(born) = self.first_child_born_on {
            if self.mother != Some(true) {
                return Err(DomainError::validation(
                    "firstChildBornOn",
                    "is given only when the child is recorded as a mother",
                ));
            }
            if born > today {
                return Err(DomainError::validation(
                    "firstChildBornOn",
                    "cannot be in the future",
                ));
            }
            if born < birth_date {
                return Err(DomainError::validation(
                    "firstChildBornOn",
                    "cannot be before the child's own date of birth",
                ));
            }
        }
        Ok(Self {
            upn,
            mother: self.mother,
            first_child_born_on: self.first_child_born_on,
        })
    }
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
        self.facts.normalised(self.sex, self.birth_date, today)?;
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
            facts: ChildFacts::default(),
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
        let mut bad = child();
        bad.facts.upn = Some("O123456789012".into());
        assert!(
            matches!(bad.validate(today), Err(DomainError::Validation { field, .. }) if field == "upn")
        );
        let mut bad = child();
        bad.facts.first_child_born_on = NaiveDate::from_ymd_opt(2025, 1, 1);
        assert!(
            matches!(bad.validate(today), Err(DomainError::Validation { field, .. }) if field == "firstChildBornOn")
        );
        let mut bad = child();
        bad.sex = Sex::Male;
        bad.facts.mother = Some(false);
        assert!(
            matches!(bad.validate(today), Err(DomainError::Validation { field, .. }) if field == "mother")
        );
    }
}
