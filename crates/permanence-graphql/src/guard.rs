//! Who may see and do what, applied to the API.
//!
//! The rules are the access policy's (`permanence_auth`), in one table; this module is the
//! one place the API consults it. Every resolver that reaches a child's or a case's record
//! goes through `case_for`/`child_for` (single records) or `reach` (lists, narrowed in the
//! query itself), and every read of a record is noted for the audit log, which the server
//! writes before it answers. A refusal is FORBIDDEN whether or not the record exists.

use crate::context::{engine, loaders};
use crate::error::{ErrorCode, api_error, internal};
use async_graphql::{Context, Result};
use permanence_auth::{
    Access, Action, CaseScope, ChildScope, DenialReason, Denied, Principal, Role, Target,
    authorize, list_scope,
};
use permanence_domain::{CaseId, ChildId};
use permanence_engine::store::{CaseRecord, ChildRecord, Reach};
use std::sync::Mutex;

/// Kinds of record the audit log names.
pub const CHILD_RECORD: &str = permanence_auth::record_kind::CHILD;
pub const CASE_RECORD: &str = permanence_auth::record_kind::CASE;

/// One read of a child's or a case's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditedRead {
    pub action: &'static str,
    pub record_kind: &'static str,
    pub record_id: String,
    /// The API field that read it (`case`, `cases`, `drift`, ...).
    pub query: String,
}

impl AuditedRead {
    pub fn into_record(self) -> permanence_auth::AuditRecord {
        permanence_auth::AuditRecord {
            action: self.action.to_owned(),
            record_kind: self.record_kind.to_owned(),
            record_id: self.record_id,
            query: self.query,
        }
    }
}

/// The reads of one request, gathered as it runs.
#[derive(Debug, Default)]
pub struct AuditTrail {
    reads: Mutex<Vec<AuditedRead>>,
}

impl AuditTrail {
    /// The reads noted so far, each once.
    pub fn take(&self) -> Vec<AuditedRead> {
        let mut reads = match self.reads.lock() {
            Ok(mut guard) => std::mem::take(&mut *guard),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        reads.sort_by(|a, b| {
            (a.record_kind, &a.record_id, &a.query).cmp(&(b.record_kind, &b.record_id, &b.query))
        });
        reads.dedup_by(|a, b| {
            a.record_kind == b.record_kind && a.record_id == b.record_id && a.query == b.query
        });
        reads
    }

    pub(crate) fn note(&self, read: AuditedRead) {
        match self.reads.lock() {
            Ok(mut guard) => guard.push(read),
            Err(poisoned) => poisoned.into_inner().push(read),
        }
    }
}

pub(crate) fn principal<'a>(ctx: &Context<'a>) -> Result<&'a Principal> {
    ctx.data::<Principal>()
        .map_err(|_| api_error(ErrorCode::Unauthenticated, "authentication required", None))
}

/// How answers to this user are shaped (`permanence_auth::view`): pseudonymised for
/// leaders. A request with no principal is answered pseudonymised, so that a resolver
/// reached some other way fails closed.
pub(crate) fn access(ctx: &Context<'_>) -> Access {
    ctx.data::<Principal>()
        .map_or(Access::Pseudonymised, |p| Access::for_role(p.role))
}

pub(crate) fn forbidden(denied: Denied) -> async_graphql::Error {
    api_error(ErrorCode::Forbidden, denied.to_string(), None)
}

/// The refusal for a record that does not exist: word for word the one for a record out of
/// reach, so that an answer never tells whether an id exists.
pub(crate) fn missing(action: Action) -> async_graphql::Error {
    forbidden(Denied {
        action,
        reason: DenialReason::OutOfScope,
    })
}

fn root_field(ctx: &Context<'_>) -> String {
    let mut node = ctx.path_node;
    let mut name = String::new();
    while let Some(n) = node {
        if let async_graphql::QueryPathSegment::Name(field) = n.segment {
            name = field.to_owned();
        }
        node = n.parent.copied();
    }
    name
}

/// Notes a read of a record for the audit log.
pub(crate) fn audit(
    ctx: &Context<'_>,
    action: Action,
    record_kind: &'static str,
    record_id: String,
) {
    if let Ok(trail) = ctx.data::<std::sync::Arc<AuditTrail>>() {
        trail.note(AuditedRead {
            action: action.key(),
            record_kind,
            record_id,
            query: root_field(ctx),
        });
    }
}

/// Whether the case is on the agenda of a meeting the user sits on (as its chair or a
/// member), not yet decided.
async fn on_agenda_of(ctx: &Context<'_>, case_id: CaseId, user: &str) -> Result<bool> {
    crate::context::engine(ctx)?
        .store()
        .case_on_agenda_of(case_id, user)
        .await
        .map_err(internal)
}

async fn scope_of(
    ctx: &Context<'_>,
    principal: &Principal,
    case: &CaseRecord,
) -> Result<CaseScope> {
    let on_agenda = if principal.role == Role::PanelMember {
        on_agenda_of(ctx, case.id, &principal.user_id).await?
    } else {
        false
    };
    Ok(CaseScope {
        local_authority: case.state.local_authority.clone(),
        team: case.state.team.clone(),
        allocated_worker: case.state.allocated_worker.clone(),
        on_principals_panel_agenda: on_agenda,
    })
}

/// The case, if the user may do `action` on it; FORBIDDEN otherwise (also when it does not
/// exist). Reads are noted for the audit log.
pub(crate) async fn case_for(
    ctx: &Context<'_>,
    action: Action,
    id: CaseId,
) -> Result<(CaseRecord, Access)> {
    let principal = principal(ctx)?;
    // Read at once, not through the request's loader, which waits for a batch to gather: a
    // case asked for by id is most often the request's only one.
    let found = engine(ctx)?
        .store()
        .cases_by_ids(&[id])
        .await
        .map_err(internal)?
        .remove(&id);
    let scope = match &found {
        Some(case) => Some(scope_of(ctx, principal, case).await?),
        None => None,
    };
    let access = authorize(principal, action, Target::Case(scope.as_ref())).map_err(forbidden)?;
    let case = found.ok_or_else(|| internal("authorised a case that does not exist"))?;
    if !action.is_write() {
        audit(ctx, action, CASE_RECORD, case.id.to_string());
    }
    Ok((case, access))
}

/// Whether the user may read this case (for records reached through another record).
pub(crate) async fn may_read_case(ctx: &Context<'_>, case: &CaseRecord) -> Result<bool> {
    let principal = principal(ctx)?;
    let scope = scope_of(ctx, principal, case).await?;
    Ok(authorize(principal, Action::ReadCase, Target::Case(Some(&scope))).is_ok())
}

/// The child, if the user may do `action` on them; FORBIDDEN otherwise.
pub(crate) async fn child_for(
    ctx: &Context<'_>,
    action: Action,
    id: ChildId,
) -> Result<(ChildRecord, Access)> {
    let principal = principal(ctx)?;
    let loaders = loaders(ctx)?;
    let found = loaders.children.load_one(id).await.map_err(internal)?;
    let scope = match &found {
        Some(child) => {
            let cases = loaders
                .cases_of_child
                .load_one(id)
                .await
                .map_err(internal)?
                .unwrap_or_default();
            let mut scopes = Vec::with_capacity(cases.len());
            for case in &cases {
                scopes.push(scope_of(ctx, principal, case).await?);
            }
            Some(ChildScope {
                local_authority: child.local_authority.clone(),
                cases: scopes,
            })
        }
        None => None,
    };
    let access = authorize(principal, action, Target::Child(scope.as_ref())).map_err(forbidden)?;
    let child = found.ok_or_else(|| internal("authorised a child who does not exist"))?;
    if !action.is_write() {
        audit(ctx, action, CHILD_RECORD, child.id.to_string());
    }
    Ok((child, access))
}

/// Whether the user may do `action` within an authority. A code that is not an authority's
/// at all is bad input, and says so (naming `localAuthority`), whoever asks.
pub(crate) fn in_authority(
    ctx: &Context<'_>,
    action: Action,
    local_authority: &str,
) -> Result<Access> {
    let principal = principal(ctx)?;
    if !permanence_domain::case::is_local_authority_code(local_authority) {
        return Err(crate::error::validation(
            "localAuthority",
            "must be an ONS code for an English authority: E followed by 8 digits",
        ));
    }
    authorize(principal, action, Target::Authority(local_authority)).map_err(forbidden)
}

/// A list's filter by authority: a code that is not an authority's at all is bad input (a
/// list narrowed by it would answer nothing, and say nothing of why).
pub(crate) fn authority_filter(local_authority: Option<String>) -> Result<Option<String>> {
    match local_authority {
        Some(code) if !permanence_domain::case::is_local_authority_code(&code) => {
            Err(crate::error::validation(
                "localAuthority",
                "must be an ONS code for an English authority: E followed by 8 digits",
            ))
        }
        other => Ok(other),
    }
}

/// The user's reach for a list, to narrow the query with.
pub(crate) fn reach(ctx: &Context<'_>, action: Action) -> Result<Reach> {
    let scope = list_scope(principal(ctx)?, action).map_err(forbidden)?;
    Ok(Reach::from(scope))
}

/// The authorities a report covers: the one asked for (if the user serves it), or all of the
/// user's.
pub(crate) fn report_authorities(
    ctx: &Context<'_>,
    action: Action,
    asked: Option<&str>,
) -> Result<Vec<String>> {
    let principal = principal(ctx)?;
    match asked {
        Some(la) => {
            in_authority(ctx, action, la)?;
            Ok(vec![la.to_owned()])
        }
        None => {
            list_scope(principal, action).map_err(forbidden)?;
            Ok(principal.local_authorities.clone())
        }
    }
}
