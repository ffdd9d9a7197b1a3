//! Facts the national return (SSDA903) needs beside the steps of a route: where the child
//! lived and was placed, the placement's Ofsted registration, the category of need, and the
//! child's pupil number. Each is optional so that history recorded before they existed still
//! reads; each is checked when entered, naming the field and the reason.

use crate::DomainError;
use crate::codes::{
    AdopterLegalStatus, AdopterSex, CategoryOfNeed, PlacementChangeReason, ReasonNewEpisode,
};
use serde::{Deserialize, Serialize};

/// The URN recorded when a placement has no Ofsted registration of its own (adoption and
/// foster placements arranged through a regional adoption agency).
pub const URN_NOT_REGISTERED: &str = "XXXXXXX";

/// What the return records about an episode besides its legal status, placement type,
/// provider and carer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacementDetails {
    /// HOME_POST: the postcode of the home the child was living in when they entered care.
    #[serde(default)]
    pub home_postcode: Option<String>,
    /// PL_POST: the postcode of the placement.
    #[serde(default)]
    pub placement_postcode: Option<String>,
    /// URN: the Ofsted unique reference number of the placement's provider.
    #[serde(default)]
    pub urn: Option<String>,
    /// CIN: the category of need.
    #[serde(default)]
    pub need: Option<CategoryOfNeed>,
    /// REASON_PLACE_CHANGE: why the previous placement ended (given with the episode that
    /// follows it, the day the child moved).
    #[serde(default)]
    pub previous_placement_ended: Option<PlacementChangeReason>,
    /// RNE of a period's first known episode when the period began before it: an imported
    /// return holds only the episodes of its year, so a period can start, for the engine,
    /// with an episode that followed others (a change of placement, L, P, T, B or U).
    #[serde(default)]
    pub reason_new_episode: Option<ReasonNewEpisode>,
}

impl PlacementDetails {
    /// Checks and normalises the details (postcodes upper-case with one space).
    pub fn normalised(&self) -> Result<Self, DomainError> {
        Ok(Self {
            home_postcode: self
                .home_postcode
                .as_deref()
                .map(|p| normalise_postcode(p, "homePostcode"))
                .transpose()?,
            placement_postcode: self
                .placement_postcode
                .as_deref()
                .map(|p| normalise_postcode(p, "placementPostcode"))
                .transpose()?,
            urn: self.urn.as_deref().map(check_urn).transpose()?,
            need: self.need,
            previous_placement_ended: self.previous_placement_ended,
            reason_new_episode: self.reason_new_episode,
        })
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Who adopts the child (SSDA903 AD1: NB_ADOPTR, SEX_ADOPTR, LS_ADOPTR), recorded once the
/// match is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adopters {
    pub sex: AdopterSex,
    pub legal_status: AdopterLegalStatus,
}

impl Adopters {
    /// NB_ADOPTR: one or two.
    pub fn count(self) -> u8 {
        self.sex.count()
    }

    /// The sex and legal status agree (SSDA903 rules 514, 518, 519, 520, 524).
    pub fn validate(self) -> Result<(), DomainError> {
        use AdopterLegalStatus as L;
        use AdopterSex as S;
        let ok = match self.legal_status {
            L::L0 => self.count() == 1,
            L::L11 | L::L3 => self.sex == S::Mf,
            L::L12 | L::L4 => matches!(self.sex, S::Mm | S::Ff),
            L::L2 => self.count() == 2,
        };
        if ok {
            Ok(())
        } else {
            Err(DomainError::validation(
                "adopterLegalStatus",
                format!(
                    "{} ({}) does not fit adopters who are {}",
                    self.legal_status.code(),
                    self.legal_status.label(),
                    self.sex.label()
                ),
            ))
        }
    }
}

/// A UK postcode in its written form: an outward code (area letters, district digits and
/// an optional letter) and an inward code (a digit and two letters), upper-case, one space.
pub fn normalise_postcode(raw: &str, field: &str) -> Result<String, DomainError> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let bad = || {
        DomainError::validation(
            field,
            "must be a UK postcode such as CB2 1TN (area, district, then a digit and two letters)",
        )
    };
    if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
        return Err(bad());
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let inward_ok = {
        let b = inward.as_bytes();
        b[0].is_ascii_digit() && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphabetic()
    };
    let outward_ok = {
        let b = outward.as_bytes();
        b[0].is_ascii_alphabetic()
            && b.iter().all(u8::is_ascii_alphanumeric)
            && b.iter().any(u8::is_ascii_digit)
    };
    if inward_ok && outward_ok {
        Ok(format!("{outward} {inward}"))
    } else {
        Err(bad())
    }
}

/// An Ofsted URN: `SC` and six digits (children's social care), six or seven digits, or
/// `XXXXXXX` for a placement with no registration of its own.
pub fn check_urn(raw: &str) -> Result<String, DomainError> {
    let urn = raw.trim().to_ascii_uppercase();
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let ok = urn == URN_NOT_REGISTERED
        || urn
            .strip_prefix("SC")
            .is_some_and(|rest| digits(rest, 6..=6))
        || digits(&urn, 6..=7);
    if ok {
        Ok(urn)
    } else {
        Err(DomainError::validation(
            "urn",
            "must be an Ofsted URN (SC and six digits, or six or seven digits) or XXXXXXX",
        ))
    }
}

/// A unique pupil number: a letter other than I, O or S, then 12 digits or 11 digits and a
/// letter; or UN1 to UN5 when it is not known (SSDA903 UPN).
pub fn check_upn(raw: &str) -> Result<String, DomainError> {
    let upn = raw.trim().to_ascii_uppercase();
    let b = upn.as_bytes();
    let unknown = matches!(upn.as_str(), "UN1" | "UN2" | "UN3" | "UN4" | "UN5");
    let pupil = b.len() == 13
        && b[0].is_ascii_uppercase()
        && !matches!(b[0], b'I' | b'O' | b'S')
        && b[1..12].iter().all(u8::is_ascii_digit)
        && (b[12].is_ascii_digit() || b[12].is_ascii_uppercase());
    if unknown || pupil {
        Ok(upn)
    } else {
        Err(DomainError::validation(
            "upn",
            "must be a letter (not I, O or S) and 12 digits (or 11 digits and a letter), or UN1 to UN5 when unknown",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(err: DomainError) -> String {
        match err {
            DomainError::Validation { field, .. } => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn postcodes_are_normalised_and_checked() {
        assert_eq!(
            normalise_postcode("cb21tn", "homePostcode").expect("valid"),
            "CB2 1TN"
        );
        assert_eq!(
            normalise_postcode(" PE29  3TN ", "homePostcode").expect("valid"),
            "PE29 3TN"
        );
        for bad in ["", "CB2", "12345", "CB2 1T1", "CB2-1TN", "ÄB2 1TN"] {
            let err = normalise_postcode(bad, "placementPostcode").expect_err(bad);
            assert_eq!(field_of(err), "placementPostcode");
        }
    }

    #[test]
    fn urns_and_upns_are_checked() {
        assert_eq!(check_urn("sc123456").expect("valid"), "SC123456");
        assert_eq!(check_urn("XXXXXXX").expect("valid"), "XXXXXXX");
        assert_eq!(check_urn("1234567").expect("valid"), "1234567");
        assert_eq!(field_of(check_urn("SC12").expect_err("short")), "urn");
        assert_eq!(check_upn("A123456789012").expect("valid"), "A123456789012");
        assert_eq!(check_upn("B12345678901C").expect("valid"), "B12345678901C");
        assert_eq!(check_upn("un3").expect("valid"), "UN3");
        for bad in ["I123456789012", "A12345678901", "UN6", "A12345678901CD"] {
            assert_eq!(field_of(check_upn(bad).expect_err(bad)), "upn");
        }
    }

    #[test]
    fn adopters_sex_and_legal_status_must_agree() {
        use crate::codes::{AdopterLegalStatus as L, AdopterSex as S};
        let fits = |sex, legal_status| Adopters { sex, legal_status }.validate().is_ok();
        assert!(fits(S::F1, L::L0));
        assert!(fits(S::Mf, L::L11));
        assert!(fits(S::Ff, L::L12));
        assert!(fits(S::Mm, L::L2) && fits(S::Mf, L::L2));
        assert!(!fits(S::Mf, L::L0));
        assert!(!fits(S::Mm, L::L11));
        assert!(!fits(S::Mf, L::L4));
        let err = Adopters {
            sex: S::M1,
            legal_status: L::L2,
        }
        .validate()
        .expect_err("a single adopter is not a civil partnership");
        assert_eq!(field_of(err), "adopterLegalStatus");
    }

    #[test]
    fn details_decode_from_an_empty_object() {
        let details: PlacementDetails = serde_json::from_str("{}").expect("decodes");
        assert!(details.is_empty());
    }
}
