//! Which cases a person may open and what they may do on them: the access policy's answer,
//! asked the same way the API asks it. A case out of reach and a missing case are the same
//! "page not found".

use crate::WebState;
use crate::error::PageError;
use permanence_auth::{Access, Action, CaseScope, Principal, Role, Target, authorize};
use permanence_domain::CaseId;
use permanence_engine::store::CaseRecord;
use uuid::Uuid;

/// A case the person may read, with what the policy says of them on it.
pub(crate) struct OpenedCase {
    pub case: CaseRecord,
    pub access: Access,
    scope: CaseScope,
}

impl OpenedCase {
    /// Whether the person may do `action` on this case.
    pub fn may(&self, principal: &Principal, action: Action) -> bool {
        authorize(principal, action, Target::Case(Some(&self.scope))).is_ok()
    }
}

/// The case with this id (as typed in the path), if the person may read it.
pub(crate) async fn open(
    state: &WebState,
    principal: &Principal,
    id: &str,
) -> Result<OpenedCase, PageError> {
    let Ok(id) = Uuid::parse_str(id).map(CaseId) else {
        return Err(PageError::NotFound);
    };
    let store = state.engine.store();
    let Some(case) = store.case(id).await? else {
        return Err(PageError::NotFound);
    };
    let scope = scope_of(state, principal, &case).await?;
    let access = authorize(principal, Action::ReadCase, Target::Case(Some(&scope)))
        .map_err(|_| PageError::NotFound)?;
    Ok(OpenedCase {
        case,
        access,
        scope,
    })
}

/// What the policy needs to know of a case for this person, read the way the API reads it
/// (whether the case is on the agenda of a panel the person sits on matters only to a
/// panel member).
pub(crate) async fn scope_of(
    state: &WebState,
    principal: &Principal,
    case: &CaseRecord,
) -> Result<CaseScope, PageError> {
    Ok(CaseScope {
        local_authority: case.state.local_authority.clone(),
        team: case.state.team.clone(),
        allocated_worker: case.state.allocated_worker.clone(),
        on_principals_panel_agenda: principal.role == Role::PanelMember
            && state
                .engine
                .store()
                .case_on_agenda_of(case.id, &principal.user_id)
                .await?,
    })
}

/// Whether the person may do `action` on a case reached through another record (a panel
/// item, a notification).
pub(crate) async fn may(
    state: &WebState,
    principal: &Principal,
    case: &CaseRecord,
    action: Action,
) -> Result<bool, PageError> {
    let scope = scope_of(state, principal, case).await?;
    Ok(authorize(principal, action, Target::Case(Some(&scope))).is_ok())
}
