//! How an answer is shaped for the person reading it: the pseudonymised view.
//!
//! A reader whose [`Access`] is pseudonymised (a leader; an administrator, should any case
//! content ever reach one) sees references and codes, never who the child is: no names, no
//! full date of birth (the month and year instead), no postcode, no Ofsted URN of where the
//! child lives, no carer's or adopter's reference, and no free text typed by people (notes,
//! deferral reasons, quorum notes). Every surface that shapes an answer (the GraphQL API,
//! its subscriptions, the CSV report, and pages) asks this module, so that there is one
//! rule.
//!
//! Event data is shaped by an allow-list per event kind ([`EVENT_FIELDS`]): a field not
//! listed is dropped, so a field added to an event later stays hidden from pseudonymised
//! readers until someone decides it may be shown.

use crate::policy::{Access, BirthMonth};
use chrono::NaiveDate;
use serde_json::{Map, Value};

/// What kind of personal detail a value is. Each is withheld from a pseudonymised view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Personal {
    /// A child's, carer's or adopter's name.
    Name,
    /// Text typed by a person: a note, a deferral reason, a panel's quorum notes.
    FreeText,
    /// A carer's reference: it names a household.
    CarerReference,
    /// A postcode: it places a home.
    Postcode,
}

/// A value as this reader may see it: `None` when the view withholds it.
pub fn personal<T>(access: Access, _kind: Personal, value: Option<T>) -> Option<T> {
    match access {
        Access::Full => value,
        Access::Pseudonymised => None,
    }
}

/// A date of birth as this reader may see it: whole, or not at all (see [`birth_month`]).
pub fn birth_date(access: Access, date: NaiveDate) -> Option<NaiveDate> {
    match access {
        Access::Full => Some(date),
        Access::Pseudonymised => None,
    }
}

/// The coarse form of a date of birth every reader may see: year and month (`2019-03`).
pub fn birth_month(date: NaiveDate) -> String {
    BirthMonth::from(date).to_string()
}

/// How a pseudonymised view keeps one field of an event's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// As it is: a code, a date of something that happened, a number, a staff reference.
    Value,
    /// A date of birth, shown as year and month under the field name given.
    BirthMonthAs(&'static str),
    /// An object, of which only these fields are kept.
    Fields(&'static [(&'static str, Keep)]),
    /// An enum as serde writes it: a unit variant's name (kept if listed), or an object
    /// with the variant's name as its one key, of which only the listed fields are kept.
    Variants(&'static [(&'static str, &'static [(&'static str, Keep)])]),
}

const NONE: &[(&str, Keep)] = &[];

/// What an episode's details may show: codes only (no postcodes, no URN: each places the child).
const DETAILS: Keep = Keep::Fields(&[
    ("need", Keep::Value),
    ("previous_placement_ended", Keep::Value),
    ("reason_new_episode", Keep::Value),
]);

const LEGAL_STEP: Keep = Keep::Variants(&[
    ("PreProceedingsStarted", NONE),
    ("LetterBeforeProceedingsSent", NONE),
    ("PreProceedingsMeetingHeld", NONE),
    ("PreProceedingsSteppedDown", NONE),
    ("ProceedingsIssued", NONE),
    ("CaseManagementHearingHeld", NONE),
    ("IssuesResolutionHearingHeld", NONE),
    ("ExtensionGranted", &[("weeks", Keep::Value)]),
    ("FinalHearingHeld", &[("order", Keep::Value)]),
]);

/// A deferral's reason is typed by the panel: only the date to return by is kept.
const PANEL_OUTCOME: Keep = Keep::Variants(&[
    ("Recommended", NONE),
    ("NotRecommended", NONE),
    ("Deferred", &[("return_by", Keep::Value)]),
]);

/// For each event kind (its `type`), the fields of its data a pseudonymised reader sees.
/// An event kind not listed shows its `type` alone.
pub const EVENT_FIELDS: &[(&str, &[(&str, Keep)])] = &[
    (
        "CaseOpened",
        &[
            ("case_id", Keep::Value),
            ("child_id", Keep::Value),
            ("local_authority", Keep::Value),
            ("child_birth_date", Keep::BirthMonthAs("child_birth_month")),
            ("entered_care_on", Keep::Value),
            ("legal_status", Keep::Value),
            ("placement", Keep::Value),
            ("provider", Keep::Value),
            ("team", Keep::Value),
            ("allocated_worker", Keep::Value),
            ("details", DETAILS),
        ],
    ),
    (
        "CaseAllocated",
        &[
            ("on", Keep::Value),
            ("team", Keep::Value),
            ("allocated_worker", Keep::Value),
        ],
    ),
    (
        "EpisodeStarted",
        &[
            ("on", Keep::Value),
            ("legal_status", Keep::Value),
            ("placement", Keep::Value),
            ("provider", Keep::Value),
            ("details", DETAILS),
            ("from_history", Keep::Value),
        ],
    ),
    (
        "ReviewHeld",
        &[("on", Keep::Value), ("participation", Keep::Value)],
    ),
    (
        "HealthAssessmentRecorded",
        &[("on", Keep::Value), ("kind", Keep::Value)],
    ),
    (
        "VisitHeld",
        &[("on", Keep::Value), ("seen_alone", Keep::Value)],
    ),
    (
        "RoutePlanStarted",
        &[
            ("plan_id", Keep::Value),
            ("route", Keep::Value),
            ("version", Keep::Value),
            ("role", Keep::Value),
            ("on", Keep::Value),
        ],
    ),
    (
        "RoutePlanPromoted",
        &[("plan_id", Keep::Value), ("on", Keep::Value)],
    ),
    (
        "RoutePlanEnded",
        &[
            ("plan_id", Keep::Value),
            ("on", Keep::Value),
            ("reason", Keep::Value),
        ],
    ),
    (
        "RouteStepRecorded",
        &[
            ("plan_id", Keep::Value),
            ("step", Keep::Value),
            ("on", Keep::Value),
            ("achieves_permanence", Keep::Value),
        ],
    ),
    (
        "AdoptionDecisionReversed",
        &[
            ("plan_id", Keep::Value),
            ("on", Keep::Value),
            // RD1 to RD4: a code, not words.
            ("reason", Keep::Value),
        ],
    ),
    (
        "LegalStepRecorded",
        &[("on", Keep::Value), ("step", LEGAL_STEP)],
    ),
    (
        "CaseClosed",
        &[("on", Keep::Value), ("reason", Keep::Value)],
    ),
    (
        "PanelOutcomeRecorded",
        &[
            ("purpose", Keep::Value),
            ("outcome", PANEL_OUTCOME),
            ("on", Keep::Value),
        ],
    ),
    (
        "AgencyDecisionRecorded",
        &[
            ("purpose", Keep::Value),
            ("agrees", Keep::Value),
            ("on", Keep::Value),
        ],
    ),
    (
        "AdoptersRecorded",
        &[
            ("on", Keep::Value),
            // SSDA903 SEX_ADOPTR and LS_ADOPTR codes: the return's own, no names.
            (
                "adopters",
                Keep::Fields(&[("sex", Keep::Value), ("legal_status", Keep::Value)]),
            ),
        ],
    ),
];

/// An event's data (serde's form, tagged by `type`) as this reader may see it.
pub fn event_data(access: Access, data: Value) -> Value {
    match access {
        Access::Full => data,
        Access::Pseudonymised => pseudonymised_event(data),
    }
}

fn pseudonymised_event(data: Value) -> Value {
    let Value::Object(mut fields) = data else {
        return Value::Object(Map::new());
    };
    let kind = fields.remove("type");
    let allowed = kind
        .as_ref()
        .and_then(Value::as_str)
        .and_then(|k| EVENT_FIELDS.iter().find(|(name, _)| *name == k))
        .map_or(NONE, |(_, allowed)| *allowed);
    let mut out = keep_fields(fields, allowed);
    if let Some(Value::String(kind)) = kind {
        out.insert("type".to_owned(), Value::String(kind));
    }
    Value::Object(out)
}

fn keep_fields(mut fields: Map<String, Value>, allowed: &[(&str, Keep)]) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, keep) in allowed {
        if let Some(value) = fields.remove(*name)
            && let Some((key, value)) = keep_value(name, value, *keep)
        {
            out.insert(key, value);
        }
    }
    out
}

fn keep_value(name: &str, value: Value, keep: Keep) -> Option<(String, Value)> {
    let kept = match (keep, value) {
        (_, Value::Null) => Value::Null,
        (Keep::Value, value) => value,
        (Keep::BirthMonthAs(renamed), Value::String(date)) => {
            let month = NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                .ok()
                .map(birth_month)?;
            return Some((renamed.to_owned(), Value::String(month)));
        }
        (Keep::Fields(allowed), Value::Object(fields)) => {
            Value::Object(keep_fields(fields, allowed))
        }
        (Keep::Variants(variants), value) => keep_variant(value, variants)?,
        // A value not of the shape the policy expects is not shown.
        _ => return None,
    };
    Some((name.to_owned(), kept))
}

fn keep_variant(value: Value, variants: &[(&str, &[(&str, Keep)])]) -> Option<Value> {
    let allowed = |name: &str| variants.iter().find(|(v, _)| *v == name).map(|(_, f)| *f);
    match value {
        Value::String(name) => allowed(&name).map(|_| Value::String(name)),
        Value::Object(map) if map.len() == 1 => {
            let (name, inner) = map.into_iter().next()?;
            let fields = allowed(&name)?;
            let inner = match inner {
                Value::Object(inner) => Value::Object(keep_fields(inner, fields)),
                _ => return None,
            };
            let mut out = Map::new();
            out.insert(name, inner);
            Some(Value::Object(out))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pseudo(data: Value) -> Value {
        event_data(Access::Pseudonymised, data)
    }

    #[test]
    fn a_case_opened_shows_codes_and_the_month_of_birth_only() {
        let data = json!({ "type": "CaseOpened", "case_id": "c", "child_id": "k",
            "local_authority": "E10000003", "child_birth_date": "2019-03-14",
            "entered_care_on": "2024-01-02", "legal_status": "C2", "placement": "U3",
            "provider": "PR1", "carer": "Jo Bloggs", "team": "North", "allocated_worker": "sw",
            "details": { "home_postcode": "CB2 1TN", "placement_postcode": "CB1 2AB",
                         "urn": "SC123456", "need": "N1", "previous_placement_ended": null } });
        assert_eq!(
            pseudo(data),
            json!({ "type": "CaseOpened", "case_id": "c", "child_id": "k",
                "local_authority": "E10000003", "child_birth_month": "2019-03",
                "entered_care_on": "2024-01-02", "legal_status": "C2", "placement": "U3",
                "provider": "PR1", "team": "North", "allocated_worker": "sw",
                "details": { "need": "N1", "previous_placement_ended": null } })
        );
    }

    #[test]
    fn a_deferral_keeps_its_date_and_loses_its_reason() {
        let data = json!({ "type": "PanelOutcomeRecorded", "purpose": "AdoptionMatch",
            "outcome": { "Deferred": { "reason": "the report on Amy is missing",
                                       "return_by": "2026-10-01" } }, "on": "2026-09-03" });
        assert_eq!(
            pseudo(data),
            json!({ "type": "PanelOutcomeRecorded", "purpose": "AdoptionMatch",
                "outcome": { "Deferred": { "return_by": "2026-10-01" } }, "on": "2026-09-03" })
        );
        let plain = json!({ "type": "PanelOutcomeRecorded", "purpose": "AdoptionMatch",
            "outcome": "Recommended", "on": "2026-09-03" });
        assert_eq!(pseudo(plain.clone()), plain);
    }

    #[test]
    fn fields_and_kinds_not_listed_are_hidden() {
        let later = json!({ "type": "ReviewHeld", "on": "2025-01-01", "participation": "PN1",
            "chaired_by_comment": "Amy said she was happy" });
        assert_eq!(
            pseudo(later),
            json!({ "type": "ReviewHeld", "on": "2025-01-01", "participation": "PN1" })
        );
        let unknown = json!({ "type": "LifeStoryAdded", "text": "Amy's story" });
        assert_eq!(pseudo(unknown), json!({ "type": "LifeStoryAdded" }));
        let variant = json!({ "type": "LegalStepRecorded", "on": "2025-01-01",
            "step": { "Adjourned": { "why": "Amy unwell" } } });
        assert_eq!(
            pseudo(variant),
            json!({ "type": "LegalStepRecorded", "on": "2025-01-01" })
        );
        let known = json!({ "type": "LegalStepRecorded", "on": "2025-01-01",
            "step": { "ExtensionGranted": { "weeks": 4 } } });
        assert_eq!(pseudo(known.clone()), known);
    }

    #[test]
    fn a_full_view_is_unchanged() {
        let data = json!({ "type": "EpisodeStarted", "carer": "FC-1",
            "details": { "home_postcode": "CB2 1TN" } });
        assert_eq!(event_data(Access::Full, data.clone()), data);
    }

    #[test]
    fn personal_values_and_dates_of_birth_are_withheld_from_pseudonymised_readers() {
        let born = NaiveDate::from_ymd_opt(2019, 3, 14).expect("date");
        assert_eq!(birth_date(Access::Pseudonymised, born), None);
        assert_eq!(birth_date(Access::Full, born), Some(born));
        assert_eq!(birth_month(born), "2019-03");
        for kind in [
            Personal::Name,
            Personal::FreeText,
            Personal::CarerReference,
            Personal::Postcode,
        ] {
            assert_eq!(personal(Access::Pseudonymised, kind, Some("x")), None);
            assert_eq!(personal(Access::Full, kind, Some("x")), Some("x"));
        }
    }
}
