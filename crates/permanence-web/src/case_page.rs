//! A child's case, as a social worker reads it: the child, the plan(s) for permanence and the
//! step each has reached, the open deadlines with their legal basis, and what happened in
//! plain words ("Placement order, 1 March 2023, recorded by j.smith").
//!
//! The same policy as the API's `case` decides who may read it, and a case outside the
//! person's reach gets exactly the "page not found" that a missing one gets. The read is in
//! the audit log before the page is sent; a pseudonymised reader sees references, a month of
//! birth and no typed text.

use crate::case_access;
use crate::chrome::Chrome;
use crate::commands::{CaseContext, CaseForm};
use crate::error::{PageError, html};
use crate::session::SignedIn;
use crate::timeline::{TimelineEntry, timeline_entry};
use crate::{WebState, format};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use permanence_auth::view::{self, Personal};
use permanence_auth::{Access, Action};
use permanence_domain::case::{CaseState, PlanRole, RoutePlan};
use permanence_domain::route;
use permanence_domain::timeline::step_label;
use permanence_domain::{CaseId, RouteCatalog};

pub(crate) struct Fact {
    pub label: &'static str,
    pub value: String,
}

pub(crate) struct PlanView {
    pub heading: String,
    pub current_step: String,
    pub since: String,
    /// The route's steps as a progress line.
    pub progress: Vec<ProgressStep>,
}

/// One step of a plan's progress line.
pub(crate) struct ProgressStep {
    pub label: String,
    /// "Done", "Current", "Can come next" or "To come".
    pub status: &'static str,
    pub tag_class: &'static str,
    /// The date it was recorded, for steps done.
    pub on: Option<String>,
}

pub(crate) struct DeadlineView {
    pub label: String,
    pub due_on: String,
    pub status: String,
    pub tag_class: &'static str,
    pub basis: String,
}

/// A fact of imported history recorded against a rule of live work, as the page says it.
pub(crate) struct DataQualityView {
    pub on: String,
    pub kind: String,
    pub reason: String,
    pub source: Option<String>,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    chrome: Chrome,
    reference: String,
    facts: Vec<Fact>,
    plans: Vec<PlanView>,
    deadlines: Vec<DeadlineView>,
    /// Facts of imported history that live work could not have recorded: a worker checks
    /// them against the file.
    data_quality: Vec<DataQualityView>,
    /// The period began before the first placement the engine holds.
    began_before_its_history: bool,
    timeline: Vec<TimelineEntry>,
    /// What the person may record on the case.
    forms: Vec<FormLink>,
    /// What was just recorded, in words ("Review recorded").
    recorded: Option<&'static str>,
    /// The sibling group the child is in, if any.
    siblings: Option<SiblingsView>,
}

/// The child's brothers and sisters in their sibling group, as the reader may see them.
pub(crate) struct SiblingsView {
    /// "Placed together", "Placed apart" or "Some placed together".
    pub placing: String,
    /// Why they are not all placed together, in words.
    pub reason: Option<String>,
    pub decided_on: String,
    /// How many children the group holds, this one included.
    pub member_count: usize,
    /// The other children the reader may see.
    pub others: Vec<SiblingView>,
    /// How many other children the reader is not shown (out of reach; all, for a leader).
    pub not_shown: usize,
}

pub(crate) struct SiblingView {
    pub case_id: String,
    pub reference: String,
    /// Placed with this child under the decision.
    pub placed_with: bool,
    pub left_care: bool,
}

#[derive(serde::Deserialize)]
pub(crate) struct CaseQuery {
    /// The form just recorded (its slug), for the success banner.
    recorded: Option<String>,
}

/// A form the person may use on the case: its link and its words.
pub(crate) struct FormLink {
    pub href: String,
    pub title: &'static str,
}

pub(crate) async fn show(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<CaseQuery>,
) -> Result<Response, PageError> {
    let opened = case_access::open(&state, &signed_in.principal, &id).await?;
    let store = state.engine.store();
    crate::audit::record_reads(
        &state,
        &signed_in,
        Action::ReadCase,
        [opened.case.id],
        &format!("/cases/{}", opened.case.id),
    )
    .await?;
    let principal = &signed_in.principal;
    let may = |action: Action| opened.may(principal, action);
    let ctx = CaseContext {
        state: &opened.case.state,
        catalog: state.engine.catalog(),
        may: &may,
    };
    let mut forms: Vec<FormLink> = CaseForm::ALL
        .iter()
        .filter(|f| f.offered(&ctx))
        .map(|f| FormLink {
            href: format!("/cases/{}/record/{}", opened.case.id, f.slug()),
            title: f.title(),
        })
        .collect();
    if crate::sibling_form::offered(&opened, principal) {
        forms.push(FormLink {
            href: crate::sibling_form::path_of(&opened.case.id.to_string()),
            title: "Record the sibling group and whether they are placed together",
        });
    }
    let recorded = match query.recorded.as_deref() {
        Some("entered-care") => Some("The child is in care: their case is open"),
        Some(crate::sibling_form::SLUG) => Some(crate::sibling_form::DONE),
        Some(slug) => CaseForm::from_slug(slug).map(CaseForm::done),
        None => None,
    };
    let access = opened.access;
    let case = opened.case;
    let siblings = siblings(&state, &signed_in, case.id, access).await?;
    let child = store.child(case.child_id).await?;
    let deadlines = store
        .deadlines_of_cases(&[case.id])
        .await?
        .remove(&case.id)
        .unwrap_or_default();
    let events = store
        .events_of_cases(&[case.id])
        .await?
        .remove(&case.id)
        .unwrap_or_default();
    let catalog = state.engine.catalog();
    let today = state.engine.today();
    let due_soon_days = state.engine.timescales().due_soon_days;
    let page = CasePage {
        chrome: Chrome::new(&signed_in, "cases"),
        reference: child
            .as_ref()
            .map_or_else(String::new, |c| c.reference.clone()),
        facts: facts(&case.state, child.as_ref(), access),
        plans: plans(&case.state, catalog),
        deadlines: deadlines
            .iter()
            .map(|d| {
                let (status, tag_class) = format::deadline_status(d.drift(today, due_soon_days));
                DeadlineView {
                    label: format::capitalised(&d.label),
                    due_on: format::due_date(d).unwrap_or_else(|| "Not known".to_owned()),
                    status,
                    tag_class,
                    basis: d.reference.clone(),
                }
            })
            .collect(),
        data_quality: case
            .state
            .data_quality
            .iter()
            .map(|note| DataQualityView {
                on: format::date(note.on),
                kind: format::capitalised(note.kind.label()),
                reason: format::capitalised(&note.reason),
                source: note.source.clone(),
            })
            .collect(),
        began_before_its_history: case.state.began_before_its_history(),
        timeline: with_sibling_decisions(
            events
                .iter()
                .map(|e| {
                    (
                        e.recorded_at,
                        timeline_entry(e, &case.state, catalog, access),
                    )
                })
                .collect(),
            &store.sibling_group_events_of_case(case.id).await?,
        ),
        forms,
        recorded,
        siblings,
    };
    Ok(html(&page))
}

/// The case's sibling group as the reader may see it: the other members whose cases they may
/// read (each read in the audit log, as the case's own), and how many are not shown. A
/// pseudonymised reader sees the decision and the counts only.
async fn siblings(
    state: &WebState,
    signed_in: &SignedIn,
    case_id: CaseId,
    access: Access,
) -> Result<Option<SiblingsView>, PageError> {
    let store = state.engine.store();
    let Some(group_id) = store
        .sibling_groups_of_cases(&[case_id])
        .await?
        .remove(&case_id)
    else {
        return Ok(None);
    };
    let Some(group) = store.sibling_group(group_id).await? else {
        return Ok(None);
    };
    let decision = &group.state.decision;
    let placed_with = group.state.placed_with(case_id);
    let others: Vec<CaseId> = group
        .state
        .members
        .iter()
        .copied()
        .filter(|m| *m != case_id)
        .collect();
    let mut shown = Vec::new();
    if access == Access::Full {
        let cases = store.cases_by_ids(&others).await?;
        let children = store
            .children_by_ids(&cases.values().map(|c| c.child_id).collect::<Vec<_>>())
            .await?;
        for id in &others {
            let Some(case) = cases.get(id) else {
                continue;
            };
            if !case_access::may(state, &signed_in.principal, case, Action::ReadCase).await? {
                continue;
            }
            shown.push(SiblingView {
                case_id: case.id.to_string(),
                reference: children
                    .get(&case.child_id)
                    .map_or_else(String::new, |c| c.reference.clone()),
                placed_with: placed_with.contains(id),
                left_care: !case.state.is_open(),
            });
        }
        shown.sort_by(|a, b| a.reference.cmp(&b.reference));
        crate::audit::record_reads(
            state,
            signed_in,
            Action::ReadCase,
            shown
                .iter()
                .filter_map(|s| s.case_id.parse().ok().map(CaseId)),
            &format!("/cases/{case_id}"),
        )
        .await?;
    }
    Ok(Some(SiblingsView {
        placing: format::capitalised(decision.placing.label()),
        reason: decision.reason.map(|r| format::capitalised(r.label())),
        decided_on: format::date(decision.decided_on),
        member_count: group.state.members.len(),
        not_shown: others.len() - shown.len(),
        others: shown,
    }))
}

fn facts(
    state: &CaseState,
    child: Option<&permanence_engine::store::ChildRecord>,
    access: Access,
) -> Vec<Fact> {
    let mut out = Vec::new();
    if let Some(child) = child {
        if let Some(name) = view::personal(access, Personal::Name, child.name.clone()) {
            out.push(Fact {
                label: "Name",
                value: name,
            });
        }
        out.push(match view::birth_date(access, child.birth_date) {
            Some(born) => Fact {
                label: "Date of birth",
                value: format::date(born),
            },
            None => Fact {
                label: "Month of birth",
                value: child.birth_date.format("%B %Y").to_string(),
            },
        });
    }
    out.push(Fact {
        label: "Entered care",
        value: format::date(state.entered_care_on),
    });
    if let Some(closed) = &state.closed {
        out.push(Fact {
            label: "Left care",
            value: format::date(closed.on),
        });
    }
    out.push(Fact {
        label: "Team",
        value: state.team.clone().unwrap_or_else(|| "No team".into()),
    });
    out.push(Fact {
        label: "Social worker",
        value: state
            .allocated_worker
            .clone()
            .unwrap_or_else(|| "Not allocated".into()),
    });
    out
}

fn plans(state: &CaseState, catalog: &RouteCatalog) -> Vec<PlanView> {
    state
        .plans
        .iter()
        .filter(|p| p.is_active())
        .map(|p| PlanView {
            heading: format!(
                "{} plan: {}",
                match p.role {
                    PlanRole::Primary => "Primary",
                    PlanRole::Parallel => "Parallel",
                },
                p.route.label()
            ),
            current_step: format::capitalised(&step_label(catalog, state, p.id, p.current_step())),
            since: format::date(p.current_step_on()),
            progress: progress(p, catalog),
        })
        .collect()
}

/// The plan's steps in the route's order: those done (with their dates), the current one,
/// those that can come next, and the later ones still to come. Optional steps the plan went
/// past without taking (a consent case's adoption panel) are left out.
fn progress(plan: &RoutePlan, catalog: &RouteCatalog) -> Vec<ProgressStep> {
    let Some(definition) = catalog.get(plan.route, plan.version) else {
        return Vec::new();
    };
    let current = plan.current_step();
    let next: Vec<&str> = definition
        .next_steps(current)
        .iter()
        .map(|s| s.key)
        .collect();
    let reached = definition
        .steps
        .iter()
        .position(|s| s.key == current)
        .unwrap_or(0);
    definition
        .steps
        .iter()
        .enumerate()
        .filter_map(|(at, step)| {
            let label = format::capitalised(step.label);
            let taken = plan
                .taken(step.key)
                .or_else(|| (step.key == route::PLAN_ENDORSED).then_some(plan.started_on));
            let (status, tag_class, on) = if step.key == current {
                ("Current", "govuk-tag--blue", taken.map(format::date))
            } else if let Some(on) = taken {
                ("Done", "govuk-tag--green", Some(format::date(on)))
            } else if next.contains(&step.key) {
                ("Can come next", "govuk-tag--light-blue", None)
            } else if at > reached {
                ("To come", "govuk-tag--grey", None)
            } else {
                return None;
            };
            Some(ProgressStep {
                label,
                status,
                tag_class,
                on,
            })
        })
        .collect()
}

/// The case's own events and its sibling group's decisions, newest first: a decision on the
/// group is part of what has happened to each child in it.
fn with_sibling_decisions(
    mut entries: Vec<(chrono::DateTime<chrono::Utc>, TimelineEntry)>,
    decisions: &[permanence_engine::store::SiblingGroupEventRecord],
) -> Vec<TimelineEntry> {
    for record in decisions {
        let permanence_domain::siblings::SiblingEvent::SiblingGroupRecorded {
            members,
            decision,
            ..
        } = &record.event;
        let reason = decision
            .reason
            .map(|r| format!(", because of {}", r.label()))
            .unwrap_or_default();
        entries.push((
            record.recorded_at,
            TimelineEntry {
                what: format!(
                    "Sibling group of {} children: {}{reason}",
                    members.len(),
                    decision.placing.label()
                ),
                on: format::date(decision.decided_on),
                recorded_by: record.actor.clone(),
                note: None,
            },
        ));
    }
    // Stable: the case's own events keep their order among themselves.
    entries.sort_by_key(|e| e.0);
    entries.into_iter().rev().map(|(_, entry)| entry).collect()
}
