use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::AuthError;

/// What a user is in the service: it decides what they may see and do (see the crate's policy
/// table). A user has exactly one role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    SocialWorker,
    TeamManager,
    PanelMember,
    PanelChair,
    AgencyDecisionMaker,
    Leader,
    Administrator,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::SocialWorker,
        Role::TeamManager,
        Role::PanelMember,
        Role::PanelChair,
        Role::AgencyDecisionMaker,
        Role::Leader,
        Role::Administrator,
    ];

    /// Stable key, stored and accepted on the command line (`SOCIAL_WORKER`).
    pub fn key(self) -> &'static str {
        match self {
            Role::SocialWorker => "SOCIAL_WORKER",
            Role::TeamManager => "TEAM_MANAGER",
            Role::PanelMember => "PANEL_MEMBER",
            Role::PanelChair => "PANEL_CHAIR",
            Role::AgencyDecisionMaker => "AGENCY_DECISION_MAKER",
            Role::Leader => "LEADER",
            Role::Administrator => "ADMINISTRATOR",
        }
    }

    /// What a person calls it.
    pub fn label(self) -> &'static str {
        match self {
            Role::SocialWorker => "social worker",
            Role::TeamManager => "team manager",
            Role::PanelMember => "panel member",
            Role::PanelChair => "panel chair",
            Role::AgencyDecisionMaker => "agency decision maker",
            Role::Leader => "leader",
            Role::Administrator => "administrator",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|role| role.key() == key)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Parses a key, forgiving case and `-` for `_`, as typed on a command line
/// (`--role social-worker`).
impl FromStr for Role {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalised = s.trim().to_ascii_uppercase().replace('-', "_");
        Role::from_key(&normalised).ok_or_else(|| AuthError::UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_pinned_and_round_trip() {
        let keys: Vec<&str> = Role::ALL.iter().map(|r| r.key()).collect();
        assert_eq!(
            keys,
            [
                "SOCIAL_WORKER",
                "TEAM_MANAGER",
                "PANEL_MEMBER",
                "PANEL_CHAIR",
                "AGENCY_DECISION_MAKER",
                "LEADER",
                "ADMINISTRATOR"
            ]
        );
        for role in Role::ALL {
            assert_eq!(Role::from_key(role.key()), Some(*role));
            assert_eq!(role.to_string().parse::<Role>(), Ok(*role));
            let json = serde_json::to_string(role).expect("serialises");
            assert_eq!(json, format!("\"{}\"", role.key()));
        }
    }

    #[test]
    fn parsing_forgives_case_and_dashes_but_not_unknown_roles() {
        assert_eq!("social-worker".parse::<Role>(), Ok(Role::SocialWorker));
        assert_eq!(" Team_Manager ".parse::<Role>(), Ok(Role::TeamManager));
        assert_eq!(
            "superuser".parse::<Role>(),
            Err(AuthError::UnknownRole("superuser".to_owned()))
        );
        assert_eq!(Role::from_key("social_worker"), None);
    }
}
