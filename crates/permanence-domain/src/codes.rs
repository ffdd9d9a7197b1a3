//! SSDA903 codes the engine records and checks.
//!
//! Codes are kept as closed enums so that an unknown code is refused when it is entered,
//! not discovered months later when the national return fails validation. Which codes a
//! given collection year accepts is a concern of the export; here we hold the union.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($variant:ident => $code:literal : $label:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(
                #[doc = $label]
                #[serde(rename = $code)]
                $variant,
            )+
        }

        impl $name {
            /// Every code, in the order of the specification.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// What the code is, for error messages.
            pub const WHAT: &'static str = $what;

            /// The code as written in the national return.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// A plain-English description.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Parses a code as written in the national return (case-sensitive, as the return is).
            pub fn parse(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

code_enum!(
    /// SSDA903 LS: the legal status of a child looked after.
    LegalStatus, "legal status" {
    C1 => "C1": "interim care order",
    C2 => "C2": "full care order",
    D1 => "D1": "freeing order granted",
    E1 => "E1": "placement order granted",
    J1 => "J1": "remanded to local authority accommodation or youth detention accommodation",
    J2 => "J2": "placed in local authority accommodation under PACE",
    J3 => "J3": "sentenced to a youth rehabilitation order with residence requirement",
    L1 => "L1": "under police protection and in local authority accommodation",
    L2 => "L2": "emergency protection order",
    L3 => "L3": "under a child assessment order and in local authority accommodation",
    V2 => "V2": "single period of accommodation under section 20",
    V3 => "V3": "accommodated under an agreed series of short-term breaks, single placements",
    V4 => "V4": "accommodated under an agreed series of short-term breaks, multiple placements",
});

code_enum!(
    /// SSDA903 PLACE: the type of placement.
    PlacementType, "placement type" {
    A3 => "A3": "placed for adoption with parental consent with current foster carer",
    A4 => "A4": "placed for adoption with parental consent not with current foster carer",
    A5 => "A5": "placed for adoption with placement order with current foster carer",
    A6 => "A6": "placed for adoption with placement order not with current foster carer",
    H5 => "H5": "semi-independent living accommodation not subject to children's homes regulations",
    K1 => "K1": "secure children's home",
    K2 => "K2": "children's home subject to children's homes regulations",
    K3 => "K3": "supported accommodation",
    P1 => "P1": "placed with own parent or other person with parental responsibility",
    P2 => "P2": "independent living",
    P3 => "P3": "residential employment",
    R1 => "R1": "residential care home",
    R2 => "R2": "NHS or health trust establishment providing medical or nursing care",
    R3 => "R3": "family centre or mother and baby unit",
    R5 => "R5": "young offender institution or prison",
    S1 => "S1": "all residential schools, except where dual-registered as a school and children's home",
    T0 => "T0": "temporary: all types of temporary move",
    T1 => "T1": "temporary periods in hospital",
    T2 => "T2": "temporary absences of the child on holiday",
    T3 => "T3": "temporary accommodation whilst normal foster carer is on holiday",
    T4 => "T4": "temporary accommodation of seven days or less",
    U1 => "U1": "foster placement with relative or friend, long-term fostering",
    U2 => "U2": "foster placement with relative or friend who is also an approved adopter, fostering for adoption or concurrent planning",
    U3 => "U3": "foster placement with relative or friend, not long-term or fostering for adoption",
    U4 => "U4": "foster placement with other foster carer, long-term fostering",
    U5 => "U5": "foster placement with other foster carer who is also an approved adopter, fostering for adoption or concurrent planning",
    U6 => "U6": "foster placement with other foster carer, not long-term or fostering for adoption",
    Z1 => "Z1": "other placements",
});

impl PlacementType {
    /// Placed for adoption (A3–A6): the day the child moves in with the adoptive family.
    pub fn is_placed_for_adoption(self) -> bool {
        matches!(self, Self::A3 | Self::A4 | Self::A5 | Self::A6)
    }

    /// Early permanence (fostering for adoption, concurrent planning).
    pub fn is_early_permanence(self) -> bool {
        matches!(self, Self::U2 | Self::U5)
    }

    /// A long-term foster placement confirmed under CPPCR reg 22B.
    pub fn is_long_term_foster(self) -> bool {
        matches!(self, Self::U1 | Self::U4)
    }

    /// Any foster placement (U1–U6).
    pub fn is_foster(self) -> bool {
        matches!(
            self,
            Self::U1 | Self::U2 | Self::U3 | Self::U4 | Self::U5 | Self::U6
        )
    }
}

code_enum!(
    /// SSDA903 PLACE_PROVIDER: who provides the placement.
    PlacementProvider, "placement provider" {
    PR0 => "PR0": "parent or other person with parental responsibility",
    PR1 => "PR1": "own provision by the local authority",
    PR2 => "PR2": "other local authority provision",
    PR3 => "PR3": "other public provision",
    PR4 => "PR4": "private provision",
    PR5 => "PR5": "voluntary or third sector provision",
});

code_enum!(
    /// SSDA903 REC: the reason an episode ceased. Codes other than X1 end the period of care.
    ReasonCeased, "reason the period of care ended" {
    E11 => "E11": "adopted, application for an adoption order unopposed",
    E12 => "E12": "adopted, consent dispensed with by the court",
    E13 => "E13": "left care to live with parents, relatives or other person with no parental responsibility",
    E14 => "E14": "accommodation on remand ended",
    E15 => "E15": "age assessment determined child is aged 18 or over",
    E16 => "E16": "child moved abroad",
    E17 => "E17": "aged 18 or over and remained with current carers",
    E2 => "E2": "died",
    E3 => "E3": "care taken over by another local authority in the UK",
    E41 => "E41": "residence order or child arrangement order granted",
    E45 => "E45": "special guardianship order made to former foster carers, who were relatives or friends",
    E46 => "E46": "special guardianship order made to former foster carers, other than relatives or friends",
    E47 => "E47": "special guardianship order made to carers, other than former foster carers, who were relatives or friends",
    E48 => "E48": "special guardianship order made to carers, other than former foster carers, other than relatives or friends",
    E4A => "E4A": "returned home to live with parents or other person with parental responsibility as part of the care planning process",
    E4B => "E4B": "returned home to live with parents or other person with parental responsibility not as part of the care planning process",
    E5 => "E5": "moved into independent living with formalised advice or support (a hostel, a foyer, staying close) and no longer looked after",
    E6 => "E6": "moved into independent living without formalised advice or support (a bedsit, their own flat, with friends) and no longer looked after",
    E7 => "E7": "transferred to residential care funded by adult social care",
    E8 => "E8": "period of being looked after ended for any other reason",
    E9 => "E9": "sentenced to custody",
});

impl ReasonCeased {
    /// Adopted (E11, E12).
    pub fn is_adoption(self) -> bool {
        matches!(self, Self::E11 | Self::E12)
    }

    /// Special guardianship order (E45–E48).
    pub fn is_special_guardianship(self) -> bool {
        matches!(self, Self::E45 | Self::E46 | Self::E47 | Self::E48)
    }

    /// Returned home (E4A, E4B) or to family without parental responsibility (E13).
    pub fn is_return_home(self) -> bool {
        matches!(self, Self::E4A | Self::E4B | Self::E13)
    }
}

code_enum!(
    /// SSDA903 REASON_PLACED_CEASED: why a decision that the child should be placed for adoption was reversed.
    ReversalReason, "reason the adoption decision was reversed" {
    RD1 => "RD1": "the child's needs changed subsequent to the decision",
    RD2 => "RD2": "the court did not make a placement order",
    RD3 => "RD3": "prospective adopters could not be found",
    RD4 => "RD4": "any other reason",
});

code_enum!(
    /// SSDA903 SEX (the values of the 2024-25 return onwards; the export maps older years).
    Sex, "sex" {
    Male => "M": "male",
    Female => "F": "female",
    Unknown => "U": "not known or not recorded",
});

code_enum!(
    /// SSDA903 CIN: the category of need, the main reason the child is looked after.
    CategoryOfNeed, "category of need" {
    N1 => "N1": "abuse or neglect",
    N2 => "N2": "child's disability",
    N3 => "N3": "parental illness or disability",
    N4 => "N4": "family in acute stress",
    N5 => "N5": "family dysfunction",
    N6 => "N6": "socially unacceptable behaviour",
    N7 => "N7": "low income",
    N8 => "N8": "absent parenting",
});

code_enum!(
    /// SSDA903 REASON_PLACE_CHANGE: why a placement ended when the child moved on.
    PlacementChangeReason, "reason for the placement change" {
    Carpl => "CARPL": "change to or implementation of the care plan",
    Close => "CLOSE": "resignation or closure of the provider",
    Alleg => "ALLEG": "allegation (section 47 enquiry) against the carers",
    Stand => "STAND": "standards of care concern",
    Apprr => "APPRR": "approval removed",
    Creqb => "CREQB": "carer requests placement end due to the child's behaviour",
    Creqo => "CREQO": "carer requests placement end, other than due to the child's behaviour",
    Child => "CHILD": "child requests placement end",
    Lareq => "LAREQ": "responsible authority requests placement end",
    Place => "PLACE": "change in the status of the placement only",
    Custod => "CUSTOD": "child arrested or sentenced to custody",
    Other => "OTHER": "other",
});

code_enum!(
    /// SSDA903 REVIEW_CODE: how the child took part in a statutory review.
    ReviewParticipation, "review participation" {
    Pn0 => "PN0": "child aged under 4 at the time of the review",
    Pn1 => "PN1": "child physically attended and spoke for themselves",
    Pn2 => "PN2": "child physically attended, an advocate spoke for them",
    Pn3 => "PN3": "child attended and conveyed their views symbolically",
    Pn4 => "PN4": "child physically attended but did not convey their views",
    Pn5 => "PN5": "child did not attend, briefed someone to speak for them",
    Pn6 => "PN6": "child did not attend, conveyed their views by other means",
    Pn7 => "PN7": "child did not attend or convey their views",
});

code_enum!(
    /// SSDA903 RNE: why a new episode started.
    ReasonNewEpisode, "reason for a new episode" {
    S => "S": "started to be looked after",
    L => "L": "change of legal status only",
    P => "P": "change of placement and carer only",
    T => "T": "change of placement, same carer",
    B => "B": "change of legal status and placement and carer at the same time",
    U => "U": "change of legal status and placement, same carer",
});

code_enum!(
    /// SSDA903 SEX_ADOPTR: the sex of the adopter or adopters.
    AdopterSex, "sex of the adopters" {
    M1 => "M1": "a single male adopter",
    F1 => "F1": "a single female adopter",
    Mm => "MM": "a male couple",
    Ff => "FF": "a female couple",
    Mf => "MF": "a couple of a man and a woman",
});

impl AdopterSex {
    /// How many adopters the code describes.
    pub fn count(self) -> u8 {
        match self {
            Self::M1 | Self::F1 => 1,
            Self::Mm | Self::Ff | Self::Mf => 2,
        }
    }
}

code_enum!(
    /// SSDA903 LS_ADOPTR: the legal status of the adopters.
    AdopterLegalStatus, "legal status of the adopters" {
    L0 => "L0": "a single adopter",
    L11 => "L11": "a married couple of different sexes",
    L12 => "L12": "a married couple of the same sex",
    L2 => "L2": "a couple in a civil partnership",
    L3 => "L3": "an unmarried couple of different sexes",
    L4 => "L4": "an unmarried couple of the same sex",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_parse() {
        for code in ReasonCeased::ALL {
            assert_eq!(ReasonCeased::parse(code.code()), Some(*code));
        }
        for code in PlacementType::ALL {
            assert_eq!(PlacementType::parse(code.code()), Some(*code));
        }
        assert_eq!(ReasonCeased::parse("E99"), None);
        assert_eq!(LegalStatus::parse("e1"), None);
    }

    #[test]
    fn serde_uses_the_return_codes() {
        let json = serde_json::to_string(&ReasonCeased::E4A).expect("serialises");
        assert_eq!(json, "\"E4A\"");
        let back: PlacementType = serde_json::from_str("\"U5\"").expect("parses");
        assert!(back.is_early_permanence());
    }
}
