//! The one place that says who may do what, and over which records.

use std::fmt::{self, Write as _};

use chrono::{Datelike, NaiveDate};

use crate::action::{Action, ActionKind, DenialReason, Denied};
use crate::principal::Principal;
use crate::role::Role;

/// How far a role reaches for one action: the cells of the policy table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Global actions: no authority is involved.
    Everywhere,
    /// Anything in the user's local authorities.
    Authority,
    /// Cases whose team is one of the user's teams, and cases with no team yet (the front door
    /// a team manager allocates from), in the user's authorities.
    TeamAndUnallocated,
    /// Cases allocated to the user.
    Allocated,
    /// Cases on the agenda of a panel meeting the user sits on.
    PanelAgenda,
}

impl Reach {
    fn cell(self) -> &'static str {
        match self {
            Reach::Everywhere => "yes",
            Reach::Authority => "authority",
            Reach::TeamAndUnallocated => "team",
            Reach::Allocated => "allocated",
            Reach::PanelAgenda => "panel",
        }
    }
}

/// The policy: how far `role` reaches for `action`, or `None` when the role may never do it.
/// This match is the table in the crate documentation (a test keeps the two the same).
pub fn rule(role: Role, action: Action) -> Option<Reach> {
    use Action::*;
    use Reach::*;
    use Role::*;

    // Where a role may read case content.
    let reads = match role {
        SocialWorker => Some(Allocated),
        TeamManager => Some(TeamAndUnallocated),
        PanelMember => Some(PanelAgenda),
        // A chair prepares the panels of the authority: which cases are ready to come.
        PanelChair | AgencyDecisionMaker | Leader => Some(Authority),
        Administrator => None,
    };
    // Where a role may record casework.
    let casework = match role {
        SocialWorker => Some(Allocated),
        TeamManager => Some(TeamAndUnallocated),
        _ => None,
    };
    let only = |who: &[Role], reach: Reach| who.contains(&role).then_some(reach);

    match action {
        ReadRoutes | ReadOwnProfile => Some(Everywhere),
        ReadSettings => Some(Authority),
        ReadChild | ListChildren | ReadCase | ListCases | ReadTimeline | ReadDrift
        | ReadPanelQueue => reads,
        // A child at home has no case to reach them by: like entering care, an act within
        // the child's authority.
        RegisterChild | EnterCare | RecordLegalStepAtHome => {
            only(&[SocialWorker, TeamManager], Authority)
        }
        RecordPlacementChange
        | RecordReview
        | RecordHealthAssessment
        | RecordVisit
        | RecordSiblingGroup
        | SetRoutePlan
        | EndParallelPlan
        | RecordRouteStep
        | RecordLegalStep
        | CloseCase => casework,
        RecordManagerStep | AllocateCase => only(&[TeamManager], TeamAndUnallocated),
        AddAgendaItem => match role {
            PanelChair => Some(Authority),
            _ => casework,
        },
        SchedulePanelMeeting => only(&[PanelChair, AgencyDecisionMaker], Authority),
        ListPanelMeetings => only(
            &[
                SocialWorker,
                TeamManager,
                PanelMember,
                PanelChair,
                AgencyDecisionMaker,
            ],
            Authority,
        ),
        // The issue gives chairs no caseload: a chair records the recommendations of the panels
        // of their authority, including those recorded after the meeting from its minutes.
        RecordPanelRecommendation => only(&[PanelChair], Authority),
        RecordAgencyDecision | ReverseAdoptionDecision => only(&[AgencyDecisionMaker], Authority),
        ReadTimeliness | ReadChildrenWaiting | ExportReport => {
            only(&[TeamManager, AgencyDecisionMaker, Leader], Authority)
        }
        ManageSettings | ListUsers | ManageUsers | ReadAudit | ReadWebhookDeliveries => {
            only(&[Administrator], Authority)
        }
        // Notifications are addressed to tiers: the allocated worker, the team manager and
        // the head of service (a leader). Which ones a user sees is decided by whom they are
        // addressed to, not by this table.
        ReadNotifications | AcknowledgeNotification => {
            only(&[SocialWorker, TeamManager, Leader], Everywhere)
        }
    }
}

/// How an allowed answer must be shaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Everything the record holds.
    Full,
    /// References only: no names, no free text (notes, reasons, carers' names), no
    /// postcodes, date of birth as month and year ([`BirthMonth`]). Every answer to a leader;
    /// see [`crate::view`] for how each answer is shaped.
    Pseudonymised,
}

impl Access {
    /// Leaders read pseudonymised. Administrators read no case content at all (the table
    /// refuses them every read of a child or a case); should any reach them, it is shaped
    /// as a leader's, so that the view fails closed. Everyone else reads the cases within
    /// their reach in full: a panel member needs the whole case to recommend on it.
    pub fn for_role(role: Role) -> Access {
        match role {
            Role::Leader | Role::Administrator => Access::Pseudonymised,
            Role::SocialWorker
            | Role::TeamManager
            | Role::PanelMember
            | Role::PanelChair
            | Role::AgencyDecisionMaker => Access::Full,
        }
    }

    pub fn is_pseudonymised(self) -> bool {
        self == Access::Pseudonymised
    }
}

/// A date of birth as a pseudonymised answer shows it: month and year (`2019-03`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BirthMonth {
    pub year: i32,
    pub month: u32,
}

impl From<NaiveDate> for BirthMonth {
    fn from(date: NaiveDate) -> Self {
        BirthMonth {
            year: date.year(),
            month: date.month(),
        }
    }
}

impl fmt::Display for BirthMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// What the policy needs to know about one case, read by the store for this principal.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CaseScope {
    /// ONS code of the authority the case belongs to.
    pub local_authority: String,
    pub team: Option<String>,
    /// The allocated worker's user id.
    pub allocated_worker: Option<String>,
    /// The case is on the agenda of a panel meeting the requesting principal sits on
    /// (as member or chair). The store decides which meetings count (for instance those not
    /// yet concluded); false for principals who sit on no panel.
    pub on_principals_panel_agenda: bool,
}

/// What the policy needs to know about one child: their authority and the scopes of their
/// cases (periods of care), empty for a child registered but not yet in care.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ChildScope {
    pub local_authority: String,
    pub cases: Vec<CaseScope>,
}

/// What an action is authorised against.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// A global action, or the role check alone for a list action.
    None,
    /// An action within one local authority (ONS code).
    Authority(&'a str),
    /// One case; `None` when no such case exists. A missing case is refused exactly as a
    /// case out of scope is, so that a refusal tells nothing about whether the case exists.
    Case(Option<&'a CaseScope>),
    /// One child; `None` when no such child exists (refused as out of scope).
    Child(Option<&'a ChildScope>),
}

/// Decides whether `principal` may do `action` on `target`, and how the answer must be shaped.
///
/// The role is checked first, then the target: a role that may never do the action is refused
/// the same way whether the record exists or not. For a list, use [`list_scope`] to get the
/// filter the query must apply.
pub fn authorize(
    principal: &Principal,
    action: Action,
    target: Target<'_>,
) -> Result<Access, Denied> {
    let denied = |reason| Err(Denied { action, reason });
    let Some(reach) = rule(principal.role, action) else {
        return denied(DenialReason::RoleNotPermitted);
    };
    let access = Access::for_role(principal.role);
    let within = match (action.kind(), target) {
        (ActionKind::Global, Target::None) => true,
        (ActionKind::List, Target::None) => !principal.local_authorities.is_empty(),
        (ActionKind::Authority, Target::Authority(la)) => principal.serves(la),
        (ActionKind::Case, Target::Case(case)) => {
            case.is_some_and(|case| ListScope::new(principal, reach).admits_case(case))
        }
        (ActionKind::Child, Target::Child(child)) => {
            child.is_some_and(|child| ListScope::new(principal, reach).admits_child(child))
        }
        _ => return denied(DenialReason::WrongTarget),
    };
    if within {
        Ok(access)
    } else {
        denied(DenialReason::OutOfScope)
    }
}

/// The filter a list or report query must apply for a principal: only these authorities, and
/// within them only the cases the filter admits. The store turns it into SQL; the same type
/// answers single-record checks, so a list never shows what a read would refuse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListScope {
    pub local_authorities: Vec<String>,
    pub cases: CaseFilter,
    pub access: Access,
}

/// Which cases of the scope's authorities a principal reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseFilter {
    /// Every case.
    All,
    /// Cases whose team is one of these, and cases with no team.
    TeamsAndUnallocated(Vec<String>),
    /// Cases whose allocated worker is this user id.
    AllocatedTo(String),
    /// Cases on the agenda of a panel meeting this user id sits on.
    OnPanelAgendaOf(String),
}

impl CaseFilter {
    /// Whether a case of an authority already admitted passes the filter.
    pub fn matches(&self, case: &CaseScope) -> bool {
        match self {
            CaseFilter::All => true,
            CaseFilter::TeamsAndUnallocated(teams) => case
                .team
                .as_ref()
                .is_none_or(|team| teams.iter().any(|t| t == team)),
            CaseFilter::AllocatedTo(user_id) => {
                !user_id.is_empty() && case.allocated_worker.as_ref() == Some(user_id)
            }
            CaseFilter::OnPanelAgendaOf(_) => case.on_principals_panel_agenda,
        }
    }

    /// Whether a child with no case at all (registered, not in care) passes: yes for those who
    /// reach a whole authority or its unallocated cases.
    pub fn admits_children_without_cases(&self) -> bool {
        matches!(self, CaseFilter::All | CaseFilter::TeamsAndUnallocated(_))
    }
}

impl ListScope {
    fn new(principal: &Principal, reach: Reach) -> ListScope {
        let cases = match reach {
            Reach::Everywhere | Reach::Authority => CaseFilter::All,
            Reach::TeamAndUnallocated => CaseFilter::TeamsAndUnallocated(principal.teams.clone()),
            Reach::Allocated => CaseFilter::AllocatedTo(principal.user_id.clone()),
            Reach::PanelAgenda => CaseFilter::OnPanelAgendaOf(principal.user_id.clone()),
        };
        ListScope {
            local_authorities: principal.local_authorities.clone(),
            cases,
            access: Access::for_role(principal.role),
        }
    }

    pub fn admits_authority(&self, local_authority: &str) -> bool {
        self.local_authorities
            .iter()
            .any(|la| la == local_authority)
    }

    pub fn admits_case(&self, case: &CaseScope) -> bool {
        self.admits_authority(&case.local_authority) && self.cases.matches(case)
    }

    /// A child is admitted through any case of theirs that is admitted, or, with no case,
    /// when the filter admits children without cases.
    pub fn admits_child(&self, child: &ChildScope) -> bool {
        if !self.admits_authority(&child.local_authority) {
            return false;
        }
        if child.cases.is_empty() {
            return self.cases.admits_children_without_cases();
        }
        child.cases.iter().any(|case| self.admits_case(case))
    }
}

/// The scope a list or report query must apply for `principal` doing `action` over all their
/// authorities (list actions, and authority actions such as reports or listing users).
pub fn list_scope(principal: &Principal, action: Action) -> Result<ListScope, Denied> {
    let denied = |reason| Err(Denied { action, reason });
    let Some(reach) = rule(principal.role, action) else {
        return denied(DenialReason::RoleNotPermitted);
    };
    if action.kind() == ActionKind::Global {
        return denied(DenialReason::WrongTarget);
    }
    if principal.local_authorities.is_empty() {
        return denied(DenialReason::OutOfScope);
    }
    Ok(ListScope::new(principal, reach))
}

/// The policy table as Markdown: actions down, roles across. The crate documentation shows it;
/// a `permanence` subcommand may print it.
pub fn policy_table_markdown() -> String {
    let mut header: Vec<String> = vec!["action".to_owned()];
    header.extend(Role::ALL.iter().map(|r| r.label().to_owned()));
    let mut rows = vec![header];
    for action in Action::ALL {
        let mut row = vec![format!("`{}`", action.key())];
        row.extend(
            Role::ALL
                .iter()
                .map(|role| rule(*role, *action).map_or("-", Reach::cell).to_owned()),
        );
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|col| rows.iter().map(|row| row[col].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        out.push('|');
        for (cell, width) in cells.iter().zip(&widths) {
            let _ = write!(out, " {cell:<width$} |");
        }
        out.push('\n');
    };
    line(&mut out, &rows[0]);
    let rule_row: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(&mut out, &rule_row);
    for row in &rows[1..] {
        line(&mut out, row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::StepRecorder;
    use proptest::prelude::*;

    const LA: &str = "E10000003";
    const OTHER_LA: &str = "E10000006";

    fn user(role: Role) -> Principal {
        Principal {
            user_id: "worker-1".into(),
            name: "Alex".into(),
            role,
            teams: vec!["north".into()],
            local_authorities: vec![LA.into()],
        }
    }

    fn case(team: Option<&str>, worker: Option<&str>, on_agenda: bool) -> CaseScope {
        CaseScope {
            local_authority: LA.into(),
            team: team.map(Into::into),
            allocated_worker: worker.map(Into::into),
            on_principals_panel_agenda: on_agenda,
        }
    }

    fn reason(result: Result<Access, Denied>) -> Option<DenialReason> {
        result.err().map(|d| d.reason)
    }

    #[test]
    fn action_keys_are_unique_and_round_trip() {
        let mut keys: Vec<&str> = Action::ALL.iter().map(|a| a.key()).collect();
        for action in Action::ALL {
            assert_eq!(Action::from_key(action.key()), Some(*action));
            let json = serde_json::to_string(action).expect("serialises");
            assert_eq!(json, format!("\"{}\"", action.key()));
        }
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), Action::ALL.len());
    }

    #[test]
    fn social_worker_reads_and_records_on_allocated_cases_only() {
        let sw = user(Role::SocialWorker);
        let mine = case(Some("north"), Some("worker-1"), false);
        let colleagues = case(Some("north"), Some("worker-2"), false);
        for action in [
            Action::ReadCase,
            Action::RecordReview,
            Action::RecordRouteStep,
        ] {
            assert_eq!(
                authorize(&sw, action, Target::Case(Some(&mine))),
                Ok(Access::Full)
            );
            assert_eq!(
                reason(authorize(&sw, action, Target::Case(Some(&colleagues)))),
                Some(DenialReason::OutOfScope)
            );
        }
        assert_eq!(
            reason(authorize(
                &sw,
                Action::AllocateCase,
                Target::Case(Some(&mine))
            )),
            Some(DenialReason::RoleNotPermitted)
        );
        assert_eq!(
            reason(authorize(
                &sw,
                Action::RecordPanelRecommendation,
                Target::Case(Some(&mine))
            )),
            Some(DenialReason::RoleNotPermitted)
        );
    }

    #[test]
    fn team_manager_reaches_team_and_unallocated_cases_and_allocates() {
        let tm = user(Role::TeamManager);
        let team_case = case(Some("north"), Some("worker-9"), false);
        let unallocated = case(None, None, false);
        let other_team = case(Some("south"), Some("worker-9"), false);
        for action in [
            Action::ReadCase,
            Action::AllocateCase,
            Action::RecordLegalStep,
        ] {
            assert!(authorize(&tm, action, Target::Case(Some(&team_case))).is_ok());
            assert!(authorize(&tm, action, Target::Case(Some(&unallocated))).is_ok());
            assert_eq!(
                reason(authorize(&tm, action, Target::Case(Some(&other_team)))),
                Some(DenialReason::OutOfScope)
            );
        }
    }

    #[test]
    fn panel_roles_reach_cases_on_their_agendas() {
        let on_agenda = case(Some("south"), Some("worker-9"), true);
        let off_agenda = case(Some("south"), Some("worker-9"), false);
        let member = user(Role::PanelMember);
        assert!(authorize(&member, Action::ReadCase, Target::Case(Some(&on_agenda))).is_ok());
        assert!(authorize(&member, Action::ReadCase, Target::Case(Some(&off_agenda))).is_err());
        assert_eq!(
            reason(authorize(
                &member,
                Action::RecordPanelRecommendation,
                Target::Case(Some(&on_agenda))
            )),
            Some(DenialReason::RoleNotPermitted)
        );
        let chair = user(Role::PanelChair);
        assert!(
            authorize(
                &chair,
                Action::RecordPanelRecommendation,
                Target::Case(Some(&on_agenda))
            )
            .is_ok()
        );
        assert!(
            authorize(
                &chair,
                Action::RecordPanelRecommendation,
                Target::Case(Some(&off_agenda))
            )
            .is_ok()
        );
        // The chair puts a case on the agenda before it is on it.
        assert!(
            authorize(
                &chair,
                Action::AddAgendaItem,
                Target::Case(Some(&off_agenda))
            )
            .is_ok()
        );
    }

    #[test]
    fn agency_decision_maker_decides_across_the_authority() {
        let adm = user(Role::AgencyDecisionMaker);
        let any = case(Some("south"), Some("worker-9"), false);
        for action in [
            Action::ReadCase,
            Action::RecordAgencyDecision,
            Action::ReverseAdoptionDecision,
        ] {
            assert_eq!(
                authorize(&adm, action, Target::Case(Some(&any))),
                Ok(Access::Full)
            );
        }
        assert!(authorize(&adm, Action::RecordReview, Target::Case(Some(&any))).is_err());
    }

    #[test]
    fn leader_reads_pseudonymised_and_never_writes() {
        let leader = user(Role::Leader);
        let any = case(Some("south"), Some("worker-9"), false);
        assert_eq!(
            authorize(&leader, Action::ReadCase, Target::Case(Some(&any))),
            Ok(Access::Pseudonymised)
        );
        assert_eq!(
            authorize(&leader, Action::ReadTimeliness, Target::Authority(LA)),
            Ok(Access::Pseudonymised)
        );
        let scope = list_scope(&leader, Action::ListCases).expect("leaders list cases");
        assert_eq!(scope.access, Access::Pseudonymised);
        assert_eq!(scope.cases, CaseFilter::All);
        // Acknowledging a notification addressed to them is the one thing a leader records;
        // it changes nothing of a case.
        let case_writes = Action::ALL
            .iter()
            .filter(|a| a.is_write() && **a != Action::AcknowledgeNotification);
        for action in case_writes {
            assert_eq!(rule(Role::Leader, *action), None, "{action}");
        }
    }

    #[test]
    fn administrator_sees_no_case_content() {
        let admin = user(Role::Administrator);
        for action in Action::ALL.iter().filter(|a| a.is_audited()) {
            assert_eq!(rule(Role::Administrator, *action), None, "{action}");
        }
        for action in [
            Action::ReadTimeliness,
            Action::ExportReport,
            Action::ReadChildrenWaiting,
        ] {
            assert_eq!(rule(Role::Administrator, action), None, "{action}");
        }
        assert!(authorize(&admin, Action::ManageUsers, Target::Authority(LA)).is_ok());
        assert!(authorize(&admin, Action::ReadAudit, Target::Authority(LA)).is_ok());
        assert!(authorize(&admin, Action::ReadAudit, Target::Authority(OTHER_LA)).is_err());
        // Were case content ever to reach an administrator, it would be shaped as a leader's.
        assert_eq!(
            authorize(&admin, Action::ReadAudit, Target::Authority(LA)),
            Ok(Access::Pseudonymised)
        );
    }

    #[test]
    fn only_leaders_and_administrators_read_pseudonymised() {
        for role in Role::ALL {
            let expected = matches!(role, Role::Leader | Role::Administrator);
            assert_eq!(
                Access::for_role(*role).is_pseudonymised(),
                expected,
                "{role}"
            );
        }
    }

    #[test]
    fn nobody_reaches_another_authority() {
        let mut foreign = case(Some("north"), Some("worker-1"), true);
        foreign.local_authority = OTHER_LA.into();
        let child = ChildScope {
            local_authority: OTHER_LA.into(),
            cases: vec![],
        };
        for role in Role::ALL {
            let p = user(*role);
            for action in Action::ALL {
                let target = match action.kind() {
                    ActionKind::Case => Target::Case(Some(&foreign)),
                    ActionKind::Child => Target::Child(Some(&child)),
                    ActionKind::Authority => Target::Authority(OTHER_LA),
                    ActionKind::Global | ActionKind::List => continue,
                };
                assert!(authorize(&p, *action, target).is_err(), "{role} {action}");
            }
        }
    }

    #[test]
    fn a_missing_record_is_refused_like_one_out_of_scope() {
        let sw = user(Role::SocialWorker);
        let colleagues = case(Some("north"), Some("worker-2"), false);
        let missing = authorize(&sw, Action::ReadCase, Target::Case(None));
        let out_of_scope = authorize(&sw, Action::ReadCase, Target::Case(Some(&colleagues)));
        assert_eq!(missing, out_of_scope);
        let (Err(missing), Err(out_of_scope)) = (missing, out_of_scope) else {
            panic!("both refused");
        };
        assert_eq!(missing.to_string(), out_of_scope.to_string());
        assert_eq!(
            missing.to_string(),
            "not allowed to read a case: it is outside your role or caseload"
        );
        assert_eq!(
            authorize(&sw, Action::ReadChild, Target::Child(None)).map_err(|d| d.reason),
            Err(DenialReason::OutOfScope)
        );
        // A role that may never do it is refused before the record is considered.
        let admin = user(Role::Administrator);
        assert_eq!(
            authorize(&admin, Action::ReadCase, Target::Case(None)),
            authorize(&admin, Action::ReadCase, Target::Case(Some(&colleagues)))
        );
    }

    #[test]
    fn the_wrong_kind_of_target_fails_closed() {
        let adm = user(Role::AgencyDecisionMaker);
        assert_eq!(
            reason(authorize(&adm, Action::ReadCase, Target::Authority(LA))),
            Some(DenialReason::WrongTarget)
        );
        assert_eq!(
            reason(authorize(&adm, Action::ReadTimeliness, Target::None)),
            Some(DenialReason::WrongTarget)
        );
        assert_eq!(
            list_scope(&adm, Action::ReadRoutes).map_err(|d| d.reason),
            Err(DenialReason::WrongTarget)
        );
    }

    #[test]
    fn a_principal_without_authorities_reaches_nothing_but_global_actions() {
        let mut nowhere = user(Role::AgencyDecisionMaker);
        nowhere.local_authorities.clear();
        assert!(authorize(&nowhere, Action::ReadRoutes, Target::None).is_ok());
        assert!(authorize(&nowhere, Action::ListCases, Target::None).is_err());
        assert!(list_scope(&nowhere, Action::ListCases).is_err());
        assert!(
            authorize(
                &nowhere,
                Action::ReadCase,
                Target::Case(Some(&CaseScope::default()))
            )
            .is_err()
        );
    }

    #[test]
    fn children_are_reached_through_their_cases() {
        let sw = user(Role::SocialWorker);
        let tm = user(Role::TeamManager);
        let child = ChildScope {
            local_authority: LA.into(),
            cases: vec![
                case(Some("south"), Some("worker-9"), false),
                case(Some("north"), Some("worker-1"), false),
            ],
        };
        assert!(authorize(&sw, Action::ReadChild, Target::Child(Some(&child))).is_ok());
        let not_in_care = ChildScope {
            local_authority: LA.into(),
            cases: vec![],
        };
        assert!(authorize(&sw, Action::ReadChild, Target::Child(Some(&not_in_care))).is_err());
        assert!(authorize(&tm, Action::ReadChild, Target::Child(Some(&not_in_care))).is_ok());
    }

    #[test]
    fn route_steps_map_to_the_action_of_their_recorder() {
        assert_eq!(
            Action::record_route_step(StepRecorder::SocialWorker),
            Action::RecordRouteStep
        );
        assert_eq!(
            Action::record_route_step(StepRecorder::PanelChair),
            Action::RecordPanelRecommendation
        );
        assert_eq!(
            Action::record_route_step(StepRecorder::NominatedOfficer),
            Action::RecordAgencyDecision
        );
        assert_eq!(
            Action::record_route_step(StepRecorder::TeamManager),
            Action::RecordManagerStep
        );
    }

    #[test]
    fn birth_month_hides_the_day() {
        let born = NaiveDate::from_ymd_opt(2019, 3, 14).expect("valid date");
        assert_eq!(BirthMonth::from(born).to_string(), "2019-03");
    }

    #[test]
    fn the_documented_table_is_the_policy() {
        let doc: String = include_str!("lib.rs")
            .lines()
            .filter_map(|line| line.strip_prefix("//! "))
            .filter(|line| line.starts_with('|'))
            .map(|line| format!("{line}\n"))
            .collect();
        assert_eq!(
            doc,
            policy_table_markdown(),
            "the table in lib.rs must be what policy_table_markdown() prints"
        );
    }

    fn arb_principal() -> impl Strategy<Value = Principal> {
        (
            prop::sample::select(Role::ALL),
            prop::sample::select(vec!["w1", "w2", ""]),
            prop::collection::vec(prop::sample::select(vec!["north", "south"]), 0..3),
            prop::collection::vec(prop::sample::select(vec![LA, OTHER_LA]), 0..3),
        )
            .prop_map(|(role, id, teams, las)| Principal {
                user_id: id.into(),
                name: "n".into(),
                role,
                teams: teams.into_iter().map(Into::into).collect(),
                local_authorities: las.into_iter().map(Into::into).collect(),
            })
    }

    fn arb_case() -> impl Strategy<Value = CaseScope> {
        (
            prop::sample::select(vec![LA, OTHER_LA]),
            prop::option::of(prop::sample::select(vec!["north", "south"])),
            prop::option::of(prop::sample::select(vec!["w1", "w2", ""])),
            any::<bool>(),
        )
            .prop_map(|(la, team, worker, on_agenda)| CaseScope {
                local_authority: la.into(),
                team: team.map(Into::into),
                allocated_worker: worker.map(Into::into),
                on_principals_panel_agenda: on_agenda,
            })
    }

    proptest! {
        /// A list never shows a case or child that reading it would refuse, and the reverse.
        #[test]
        fn lists_and_reads_agree(
            p in arb_principal(),
            c in arb_case(),
            others in prop::collection::vec(arb_case(), 0..3),
        ) {
            let read = authorize(&p, Action::ReadCase, Target::Case(Some(&c)));
            let listed = list_scope(&p, Action::ListCases).is_ok_and(|s| s.admits_case(&c));
            prop_assert_eq!(read.is_ok(), listed);

            let mut cases = others;
            for case in &mut cases {
                case.local_authority = c.local_authority.clone();
            }
            let child = ChildScope { local_authority: c.local_authority.clone(), cases };
            let read = authorize(&p, Action::ReadChild, Target::Child(Some(&child)));
            let listed = list_scope(&p, Action::ListChildren).is_ok_and(|s| s.admits_child(&child));
            prop_assert_eq!(read.is_ok(), listed);
        }

        /// Writing a case never reaches further than reading it.
        #[test]
        fn writes_stay_within_reads_except_bringing_a_case_to_panel(p in arb_principal(), c in arb_case()) {
            for action in Action::ALL.iter().filter(|a| a.is_write() && a.kind() == ActionKind::Case) {
                if *action == Action::AddAgendaItem {
                    continue;
                }
                if authorize(&p, *action, Target::Case(Some(&c))).is_ok() {
                    prop_assert!(
                        authorize(&p, Action::ReadCase, Target::Case(Some(&c))).is_ok(),
                        "{} reaches further than reading", action
                    );
                }
            }
        }

        /// Every refusal reads the same, whatever its reason.
        #[test]
        fn refusals_say_nothing_about_the_record(p in arb_principal(), c in arb_case()) {
            for action in Action::ALL.iter().filter(|a| a.kind() == ActionKind::Case) {
                let on_missing = authorize(&p, *action, Target::Case(None));
                let on_case = authorize(&p, *action, Target::Case(Some(&c)));
                if let (Err(a), Err(b)) = (on_missing, on_case) {
                    prop_assert_eq!(a.to_string(), b.to_string());
                    prop_assert_eq!(a, b);
                }
            }
        }
    }
}
