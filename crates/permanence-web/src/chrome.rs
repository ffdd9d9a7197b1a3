//! What every signed-in page shows around its content: who is signed in, the navigation, and
//! the CSRF token the sign-out form (and every other form) carries.

use crate::session::SignedIn;

pub(crate) struct Chrome {
    pub user_name: String,
    pub role_label: &'static str,
    pub csrf_token: String,
    /// Which item of the navigation is the current page's ("cases").
    pub section: &'static str,
}

impl Chrome {
    pub fn new(signed_in: &SignedIn, section: &'static str) -> Self {
        Self {
            user_name: signed_in.principal.name.clone(),
            role_label: signed_in.principal.role.label(),
            csrf_token: signed_in.session.csrf_token.clone(),
            section,
        }
    }
}
