//! Who may use which section of the service: the rules the navigation asks (`chrome`), and
//! the sections' own pages ask the same.

use crate::error::PageError;
use permanence_auth::{Action, Principal, Role, list_scope};
use permanence_engine::store::Reach;

/// Whether this role's home page is the panel's queue rather than the case list: the panel's
/// chair and members and the agency decision maker work from the queue.
pub(crate) fn home_is_the_panel(role: Role) -> bool {
    matches!(
        role,
        Role::PanelChair | Role::PanelMember | Role::AgencyDecisionMaker
    )
}

/// Who may open the board, and how far it reaches for them: those who open the dashboard
/// (leaders, agency decision makers, team managers), over the cases the API's `drift`
/// reaches for them.
pub(crate) fn drift_reach(principal: &Principal) -> Result<Reach, PageError> {
    crate::dashboard_data::authorities(principal)?;
    list_scope(principal, Action::ReadDrift)
        .map(Reach::from)
        .map_err(|_| PageError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_panel_is_home_to_those_who_work_from_its_queue() {
        assert!(home_is_the_panel(Role::PanelChair));
        assert!(home_is_the_panel(Role::PanelMember));
        assert!(home_is_the_panel(Role::AgencyDecisionMaker));
        assert!(!home_is_the_panel(Role::SocialWorker));
        assert!(!home_is_the_panel(Role::TeamManager));
        assert!(!home_is_the_panel(Role::Leader));
    }
}
