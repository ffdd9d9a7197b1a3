//! Brothers and sisters: a sibling group of children's cases, and the decision whether they
//! are placed together, apart, or some of them together. A child in care is placed, so far as
//! is reasonably practicable, where they can live with a brother or sister the authority also
//! looks after (Children Act 1989 s22C(8)(c)); a decision to place them apart is therefore
//! recorded with its reason. DOMAIN.md does not cover sibling groups: the rules below that go
//! beyond the Act are this module's choices, listed.
//!
//! A group is a record of its own, not a part of any one case: it is decided here
//! (`decide`), changed only by its events (`evolve`) and replayed from them (`replay`), as a
//! case is. Every change is a new decision; the ones before it stay in the group's history.
//!
//! What this module decides, where the issue left it open:
//! - A group holds two or more cases of one local authority, and a case is in at most one
//!   group at a time (a child's brothers and sisters are one group, however they are placed).
//! - A revision names the whole group again: a brother or sister who came into care later
//!   joins it, and a case added by mistake can be taken out while its child is in care. A
//!   child who has left care stays listed (their place in the group is part of its history),
//!   and cannot join a group after leaving care.
//! - The reason for not placing them all together is a code, never free text: leaders read
//!   the decision, and a note could name a child.
//! - "Some together" names which children are placed together: sets of two or more members,
//!   none shared, not the whole group.
//! - A revision is dated on or after the decision it replaces, and never in the future.

use crate::DomainError;
use crate::ids::{CaseId, SiblingGroupId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Most children one group may hold (large enough for any family the service meets).
pub const MAX_MEMBERS: usize = 12;

/// Whether the children are placed together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Placing {
    Together,
    Apart,
    /// Some of them together: the decision names which.
    SomeTogether,
}

impl Placing {
    pub const ALL: &'static [Placing] = &[Placing::Together, Placing::Apart, Placing::SomeTogether];

    pub fn key(self) -> &'static str {
        match self {
            Placing::Together => "TOGETHER",
            Placing::Apart => "APART",
            Placing::SomeTogether => "SOME_TOGETHER",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Placing::Together => "placed together",
            Placing::Apart => "placed apart",
            Placing::SomeTogether => "some placed together",
        }
    }
}

/// Why the children are not all placed together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ApartReason {
    /// The children's assessed needs are best met apart (a together-or-apart assessment).
    AssessedNeeds,
    /// No carers able to take the whole group were found.
    NoCarersForGroup,
    /// A court decided it.
    CourtDecision,
    /// The children's wishes and feelings.
    WishesAndFeelings,
    /// The safety of one child from another.
    SafetyOfAChild,
}

impl ApartReason {
    pub const ALL: &'static [ApartReason] = &[
        ApartReason::AssessedNeeds,
        ApartReason::NoCarersForGroup,
        ApartReason::CourtDecision,
        ApartReason::WishesAndFeelings,
        ApartReason::SafetyOfAChild,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ApartReason::AssessedNeeds => "ASSESSED_NEEDS",
            ApartReason::NoCarersForGroup => "NO_CARERS_FOR_GROUP",
            ApartReason::CourtDecision => "COURT_DECISION",
            ApartReason::WishesAndFeelings => "WISHES_AND_FEELINGS",
            ApartReason::SafetyOfAChild => "SAFETY_OF_A_CHILD",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            ApartReason::AssessedNeeds => "the children's assessed needs",
            ApartReason::NoCarersForGroup => "no carers able to take the whole group",
            ApartReason::CourtDecision => "a court's decision",
            ApartReason::WishesAndFeelings => "the children's wishes and feelings",
            ApartReason::SafetyOfAChild => "the safety of one child from another",
        }
    }
}

/// A decision on how the group is placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacementDecision {
    pub placing: Placing,
    /// Why not all together; none when they are.
    pub reason: Option<ApartReason>,
    /// For some together: the sets of members placed together, each sorted, in order.
    pub placed_together: Vec<Vec<CaseId>>,
    pub decided_on: NaiveDate,
}

/// What the rules need to know of a case named as a member (read by the caller).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberFacts {
    pub case_id: CaseId,
    pub local_authority: String,
    /// The child is in care.
    pub open: bool,
    /// The group the case is in now, if any.
    pub group: Option<SiblingGroupId>,
}

/// Records a group and its decision, or revises them: the whole group is named each time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordSiblingGroup {
    /// The id a new group takes (generated by the caller); ignored on a revision.
    pub new_group_id: SiblingGroupId,
    pub members: Vec<CaseId>,
    pub decision: PlacementDecision,
}

/// What happened to a group. There is one kind: each decision names the group as it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SiblingEvent {
    SiblingGroupRecorded {
        group_id: SiblingGroupId,
        local_authority: String,
        /// Sorted.
        members: Vec<CaseId>,
        decision: PlacementDecision,
    },
}

impl SiblingEvent {
    pub fn kind(&self) -> &'static str {
        match self {
            SiblingEvent::SiblingGroupRecorded { .. } => "SiblingGroupRecorded",
        }
    }

    /// The day the decision was made.
    pub fn occurred_on(&self) -> NaiveDate {
        match self {
            SiblingEvent::SiblingGroupRecorded { decision, .. } => decision.decided_on,
        }
    }
}

/// A decision as the history keeps it: who was in the group, and what was decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedDecision {
    pub members: Vec<CaseId>,
    pub decision: PlacementDecision,
}

/// A group as its events leave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiblingGroupState {
    pub id: SiblingGroupId,
    pub local_authority: String,
    /// Sorted.
    pub members: Vec<CaseId>,
    pub decision: PlacementDecision,
    /// Every decision, the current one last.
    pub history: Vec<RecordedDecision>,
}

impl SiblingGroupState {
    /// The members placed with `case_id` (besides it), under the current decision.
    pub fn placed_with(&self, case_id: CaseId) -> Vec<CaseId> {
        let others = |set: &[CaseId]| set.iter().copied().filter(|c| *c != case_id).collect();
        match self.decision.placing {
            Placing::Together => others(&self.members),
            Placing::Apart => vec![],
            Placing::SomeTogether => self
                .decision
                .placed_together
                .iter()
                .find(|set| set.contains(&case_id))
                .map_or_else(Vec::new, |set| others(set)),
        }
    }
}

fn invalid(field: &str, reason: &str) -> DomainError {
    DomainError::validation(field, reason)
}

/// Decides a recording or revision of a group. `facts` covers every case named in the
/// command and every member of the group as it stands.
pub fn decide(
    state: Option<&SiblingGroupState>,
    command: &RecordSiblingGroup,
    facts: &[MemberFacts],
    today: NaiveDate,
) -> Result<Vec<SiblingEvent>, DomainError> {
    let members = check_members(state, &command.members, facts)?;
    let decision = check_decision(state, &members, &command.decision, today)?;
    let local_authority = match state {
        Some(group) => group.local_authority.clone(),
        None => fact(facts, members[0])?.local_authority.clone(),
    };
    if let Some(group) = state
        && group.members == members
        && group.decision == decision
    {
        return Err(DomainError::not_allowed(
            "this decision is already recorded for the sibling group",
        ));
    }
    Ok(vec![SiblingEvent::SiblingGroupRecorded {
        group_id: state.map_or(command.new_group_id, |g| g.id),
        local_authority,
        members,
        decision,
    }])
}

fn fact(facts: &[MemberFacts], case_id: CaseId) -> Result<&MemberFacts, DomainError> {
    facts
        .iter()
        .find(|f| f.case_id == case_id)
        .ok_or_else(|| invalid("members", "each member must be a child's case"))
}

/// The members, sorted, once each rule of membership holds.
fn check_members(
    state: Option<&SiblingGroupState>,
    asked: &[CaseId],
    facts: &[MemberFacts],
) -> Result<Vec<CaseId>, DomainError> {
    let mut members = asked.to_vec();
    members.sort();
    members.dedup();
    if members.len() != asked.len() {
        return Err(invalid("members", "a child's case is listed twice"));
    }
    if members.len() < 2 {
        return Err(invalid(
            "members",
            "a sibling group needs at least two children's cases",
        ));
    }
    if members.len() > MAX_MEMBERS {
        return Err(invalid(
            "members",
            &format!("a sibling group holds at most {MAX_MEMBERS} children's cases"),
        ));
    }
    let authority = match state {
        Some(group) => group.local_authority.as_str(),
        None => fact(facts, members[0])?.local_authority.as_str(),
    };
    let already = |case_id: CaseId| state.is_some_and(|g| g.members.contains(&case_id));
    for case_id in &members {
        let member = fact(facts, *case_id)?;
        if member.local_authority != authority {
            return Err(invalid(
                "members",
                "every child's case in a sibling group must be in the same local authority",
            ));
        }
        if member
            .group
            .is_some_and(|g| state.is_none_or(|s| s.id != g))
        {
            return Err(invalid(
                "members",
                "a child's case is already in another sibling group: revise that group instead",
            ));
        }
        if !member.open && !already(*case_id) {
            return Err(invalid(
                "members",
                "a child who has left care cannot join a sibling group",
            ));
        }
    }
    if let Some(group) = state {
        for case_id in group.members.iter().filter(|c| !members.contains(c)) {
            if !fact(facts, *case_id)?.open {
                return Err(invalid(
                    "members",
                    "a child who has left care stays listed in the sibling group",
                ));
            }
        }
    }
    if members
        .iter()
        .all(|c| facts.iter().any(|f| f.case_id == *c && !f.open))
    {
        return Err(DomainError::not_allowed(
            "every child in the sibling group has left care: its decision can no longer change",
        ));
    }
    Ok(members)
}

/// The decision in its canonical form (sets sorted), once its rules hold.
fn check_decision(
    state: Option<&SiblingGroupState>,
    members: &[CaseId],
    asked: &PlacementDecision,
    today: NaiveDate,
) -> Result<PlacementDecision, DomainError> {
    if asked.decided_on > today {
        return Err(invalid("decidedOn", "cannot be in the future"));
    }
    if let Some(group) = state
        && asked.decided_on < group.decision.decided_on
    {
        return Err(invalid(
            "decidedOn",
            "cannot be before the decision it revises",
        ));
    }
    match (asked.placing, asked.reason) {
        (Placing::Together, Some(_)) => {
            return Err(invalid(
                "reason",
                "children placed together need no reason: leave it out",
            ));
        }
        (Placing::Apart | Placing::SomeTogether, None) => {
            return Err(invalid(
                "reason",
                "say why the children are not all placed together",
            ));
        }
        _ => {}
    }
    let placed_together = match asked.placing {
        Placing::SomeTogether => check_sets(members, &asked.placed_together)?,
        Placing::Together | Placing::Apart if !asked.placed_together.is_empty() => {
            return Err(invalid(
                "placedTogether",
                "names who is placed together only when some of the children are",
            ));
        }
        _ => vec![],
    };
    Ok(PlacementDecision {
        placing: asked.placing,
        reason: asked.reason,
        placed_together,
        decided_on: asked.decided_on,
    })
}

fn check_sets(members: &[CaseId], sets: &[Vec<CaseId>]) -> Result<Vec<Vec<CaseId>>, DomainError> {
    if sets.is_empty() {
        return Err(invalid(
            "placedTogether",
            "name the children placed together",
        ));
    }
    let mut seen: Vec<CaseId> = Vec::new();
    let mut out = Vec::with_capacity(sets.len());
    for set in sets {
        let mut set = set.clone();
        set.sort();
        set.dedup();
        if set.len() < 2 {
            return Err(invalid(
                "placedTogether",
                "each set placed together holds two or more children",
            ));
        }
        if set.iter().any(|c| !members.contains(c)) {
            return Err(invalid(
                "placedTogether",
                "names only children of the sibling group",
            ));
        }
        if set.iter().any(|c| seen.contains(c)) {
            return Err(invalid(
                "placedTogether",
                "a child is in one set placed together at most",
            ));
        }
        seen.extend(set.iter().copied());
        out.push(set);
    }
    if seen.len() == members.len() && out.len() == 1 {
        return Err(invalid(
            "placedTogether",
            "the whole group placed together is a decision to place them together",
        ));
    }
    out.sort();
    Ok(out)
}

/// The group after an event. Never fails: stored history is never rejected.
pub fn evolve(state: Option<SiblingGroupState>, event: &SiblingEvent) -> Option<SiblingGroupState> {
    match event {
        SiblingEvent::SiblingGroupRecorded {
            group_id,
            local_authority,
            members,
            decision,
        } => {
            let mut history = state.map(|s| s.history).unwrap_or_default();
            history.push(RecordedDecision {
                members: members.clone(),
                decision: decision.clone(),
            });
            Some(SiblingGroupState {
                id: *group_id,
                local_authority: local_authority.clone(),
                members: members.clone(),
                decision: decision.clone(),
                history,
            })
        }
    }
}

/// Folds a group's events.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a SiblingEvent>) -> Option<SiblingGroupState> {
    events.into_iter().fold(None, evolve)
}
