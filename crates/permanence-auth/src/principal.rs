use serde::{Deserialize, Serialize};

use crate::error::AuthError;
use crate::role::Role;

/// Who is asking: the authenticated user of one request.
///
/// Built by the server from a stored user (for a bearer token) or by
/// [`JwtVerifier::verify`](crate::JwtVerifier::verify) from a signed token. Panel membership is
/// not carried here: the store knows which panel meetings a user sits on and answers it per case
/// in [`CaseScope::on_principals_panel_agenda`](crate::CaseScope::on_principals_panel_agenda).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// Stable id: the stored user's id, or the token's `sub`. A case's allocated worker holds it.
    pub user_id: String,
    /// Display name, for the audit and the screen; never used in a rule.
    pub name: String,
    pub role: Role,
    /// Team references, as cases store them. Team references should be unique across the
    /// authorities of a regional adoption agency; a team is only ever matched together with the
    /// case's authority.
    pub teams: Vec<String>,
    /// ONS codes (E10000003) of the local authorities the user works for: one, or several for a
    /// regional adoption agency. Nobody sees a child of another authority.
    pub local_authorities: Vec<String>,
}

impl Principal {
    /// Checks what the policy relies on: an id, at least one authority, and authority codes in
    /// the ONS form. The policy denies everything to a principal that fails this, so calling it
    /// is for a clear message when a user is created, not for safety.
    pub fn validate(&self) -> Result<(), AuthError> {
        if self.user_id.trim().is_empty() {
            return Err(AuthError::EmptyUserId);
        }
        if self.local_authorities.is_empty() {
            return Err(AuthError::NoLocalAuthority);
        }
        if let Some(code) = self
            .local_authorities
            .iter()
            .find(|code| !is_local_authority_code(code))
        {
            return Err(AuthError::InvalidLocalAuthority(code.clone()));
        }
        Ok(())
    }

    /// Whether the user works for this authority.
    pub fn serves(&self, local_authority: &str) -> bool {
        self.local_authorities
            .iter()
            .any(|la| la == local_authority)
    }

    /// Whether the user belongs to this team.
    pub fn in_team(&self, team: &str) -> bool {
        self.teams.iter().any(|t| t == team)
    }
}

/// An ONS geography code as used for local authorities: a country letter (E, W, S or N) and
/// eight digits (E10000003, E06000001, W06000015).
pub fn is_local_authority_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    bytes.len() == 9
        && matches!(bytes[0], b'E' | b'W' | b'S' | b'N')
        && bytes[1..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(las: &[&str]) -> Principal {
        Principal {
            user_id: "u1".into(),
            name: "Sam".into(),
            role: Role::SocialWorker,
            teams: vec![],
            local_authorities: las.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn authority_codes_have_the_ons_form() {
        for good in ["E10000003", "E06000001", "W06000015", "E09000033"] {
            assert!(is_local_authority_code(good), "{good}");
        }
        for bad in [
            "",
            "E1000000",
            "E100000033",
            "e10000003",
            "X10000003",
            "E1000000A",
            "E10 00003",
        ] {
            assert!(!is_local_authority_code(bad), "{bad}");
        }
    }

    #[test]
    fn validate_needs_an_id_and_valid_authorities() {
        assert_eq!(principal(&["E10000003"]).validate(), Ok(()));
        assert_eq!(principal(&[]).validate(), Err(AuthError::NoLocalAuthority));
        assert_eq!(
            principal(&["E10000003", "Cambridgeshire"]).validate(),
            Err(AuthError::InvalidLocalAuthority("Cambridgeshire".into()))
        );
        let mut nameless = principal(&["E10000003"]);
        nameless.user_id = "  ".into();
        assert_eq!(nameless.validate(), Err(AuthError::EmptyUserId));
    }
}
