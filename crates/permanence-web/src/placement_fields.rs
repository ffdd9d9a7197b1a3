//! The details of a placement that entering care and a change of placement both ask for (the
//! national return's episode columns besides the placement and legal status): who provides
//! it, the carer's reference, the postcodes, the provider's URN and the category of need. One
//! description and one reading, so the two forms cannot drift apart.

use crate::form::{Choice, Control, Field, FieldError, Values, take};
use permanence_domain::codes::{CategoryOfNeed, PlacementProvider};
use permanence_domain::return_facts::PlacementDetails;

/// The optional details' fields, in the order the forms show them.
pub(crate) fn fields() -> Vec<Field> {
    let short_text = |name, label: &str| {
        Field::new(
            name,
            label.to_owned(),
            Control::Text {
                width: "govuk-input--width-10",
            },
        )
    };
    vec![
        Field::new(
            "provider",
            "Placement provider (optional)",
            Control::Select {
                choices: Choice::codes(
                    PlacementProvider::ALL,
                    PlacementProvider::code,
                    PlacementProvider::label,
                ),
            },
        ),
        short_text("carer", "Carer's reference (optional)")
            .hint("The reference of the carer, not their name"),
        short_text("placement_postcode", "Postcode of the placement (optional)"),
        short_text(
            "home_postcode",
            "Postcode of the home the child lived in (optional)",
        ),
        short_text("urn", "Ofsted URN of the provider (optional)"),
        Field::new(
            "category_of_need",
            "Category of need (optional)",
            Control::Select {
                choices: Choice::codes(
                    CategoryOfNeed::ALL,
                    CategoryOfNeed::code,
                    CategoryOfNeed::label,
                ),
            },
        ),
    ]
}

/// The details as sent: the provider, the carer and the episode's details (with no reason
/// for a placement change: the change form adds its own).
pub(crate) struct Sent {
    pub provider: Option<PlacementProvider>,
    pub carer: Option<String>,
    pub details: PlacementDetails,
}

/// Reads the details; `None`, with the problems noted, when a list sent a value it did not
/// offer.
pub(crate) fn read(values: &Values, errors: &mut Vec<FieldError>) -> Option<Sent> {
    let provider = take(
        errors,
        values.optional_choice("provider", PlacementProvider::parse),
    );
    let need = take(
        errors,
        values.optional_choice("category_of_need", CategoryOfNeed::parse),
    );
    Some(Sent {
        provider: provider?,
        carer: values.text("carer"),
        details: PlacementDetails {
            home_postcode: values.text("home_postcode"),
            placement_postcode: values.text("placement_postcode"),
            urn: values.text("urn"),
            need: need?,
            previous_placement_ended: None,
            reason_new_episode: None,
        },
    })
}
