//! What every signed-in page shows around its content: who is signed in, the navigation, and
//! the CSRF token the sign-out form (and every other form) carries.

use crate::session::SignedIn;
use permanence_auth::{Action, Principal, Target, authorize, list_scope};

/// One item of the service navigation.
pub(crate) struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    /// The section it leads to, compared with [`Chrome::section`].
    pub section: &'static str,
}

pub(crate) struct Chrome {
    pub user_name: String,
    pub role_label: &'static str,
    pub csrf_token: String,
    /// Which item of the navigation is the current page's ("cases", "dashboard", "drift",
    /// "panel", "notifications").
    pub section: &'static str,
    pub navigation: Vec<NavItem>,
}

impl Chrome {
    pub fn new(signed_in: &SignedIn, section: &'static str) -> Self {
        Self {
            user_name: signed_in.principal.name.clone(),
            role_label: signed_in.principal.role.label(),
            csrf_token: signed_in.session.csrf_token.clone(),
            section,
            navigation: navigation(&signed_in.principal),
        }
    }
}

/// The sections the policy lets this person use: the case list (unless their home page is
/// the panel's), the dashboard and the drift board for those who may read timeliness, the
/// panel for those who may read its queue, and notifications for those they are addressed
/// to.
fn navigation(principal: &Principal) -> Vec<NavItem> {
    let mut items = Vec::new();
    if !crate::sections::home_is_the_panel(principal.role) {
        items.push(NavItem {
            href: "/",
            label: "Cases",
            section: "cases",
        });
    }
    if crate::dashboard_data::authorities(principal).is_ok() {
        items.push(NavItem {
            href: "/dashboard",
            label: "Dashboard",
            section: "dashboard",
        });
    }
    if crate::sections::drift_reach(principal).is_ok() {
        items.push(NavItem {
            href: "/drift",
            label: "Drift",
            section: "drift",
        });
    }
    if list_scope(principal, Action::ReadPanelQueue).is_ok() {
        items.push(NavItem {
            href: "/panel",
            label: "Panel",
            section: "panel",
        });
    }
    if authorize(principal, Action::ReadNotifications, Target::None).is_ok() {
        items.push(NavItem {
            href: "/notifications",
            label: "Notifications",
            section: "notifications",
        });
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use permanence_auth::Role;

    fn labels(role: Role) -> Vec<&'static str> {
        let principal = Principal {
            user_id: "someone".into(),
            name: "Someone".into(),
            role,
            teams: vec!["North".into()],
            local_authorities: vec!["E10000003".into()],
        };
        navigation(&principal).iter().map(|i| i.label).collect()
    }

    #[test]
    fn each_role_is_offered_the_sections_the_policy_gives_it() {
        assert_eq!(
            labels(Role::SocialWorker),
            ["Cases", "Panel", "Notifications"]
        );
        assert_eq!(
            labels(Role::TeamManager),
            ["Cases", "Dashboard", "Drift", "Panel", "Notifications"]
        );
        assert_eq!(labels(Role::PanelChair), ["Panel"]);
        assert_eq!(labels(Role::PanelMember), ["Panel"]);
        assert_eq!(
            labels(Role::AgencyDecisionMaker),
            ["Dashboard", "Drift", "Panel"]
        );
        assert_eq!(
            labels(Role::Leader),
            ["Cases", "Dashboard", "Drift", "Panel", "Notifications"]
        );
        assert_eq!(labels(Role::Administrator), ["Cases"]);
    }
}
