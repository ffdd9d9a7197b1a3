//! The legal track beside the route (DOMAIN.md §2): the Public Law Outline's pre-proceedings
//! and care proceedings, with their hearings and the order made at the end.
//!
//! A child can go through the Public Law Outline more than once: pre-proceedings may step
//! down and start again when concerns return, and a supervision order's proceedings may be
//! followed by new ones. Each time is a round: it begins with pre-proceedings or with the
//! issue of proceedings, and ends when pre-proceedings step down or proceedings conclude. The
//! track keeps the current round in `pre_proceedings` and `proceedings` (where states stored
//! before rounds existed keep it) and the finished ones in `earlier`.

use crate::DomainError;
use crate::ids::CaseId;
use crate::timescales::MAX_EXTENSION_WEEKS;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The legal track's steps (DOMAIN.md §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LegalStep {
    PreProceedingsStarted,
    LetterBeforeProceedingsSent,
    PreProceedingsMeetingHeld,
    PreProceedingsSteppedDown,
    ProceedingsIssued,
    CaseManagementHearingHeld,
    IssuesResolutionHearingHeld,
    ExtensionGranted { weeks: u32 },
    FinalHearingHeld { order: FinalOrder },
}

/// The order made at the final hearing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FinalOrder {
    CareOrder,
    PlacementOrder,
    SpecialGuardianshipOrder,
    ChildArrangementsOrder,
    SupervisionOrder,
    NoOrder,
}

impl FinalOrder {
    /// The order in words ("special guardianship order").
    pub fn label(self) -> &'static str {
        match self {
            FinalOrder::CareOrder => "care order",
            FinalOrder::PlacementOrder => "placement order",
            FinalOrder::SpecialGuardianshipOrder => "special guardianship order",
            FinalOrder::ChildArrangementsOrder => "child arrangements order",
            FinalOrder::SupervisionOrder => "supervision order",
            FinalOrder::NoOrder => "no order",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PreProceedingsOutcome {
    SteppedDown,
    ProceedingsIssued,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreProceedings {
    pub started_on: Option<NaiveDate>,
    pub letter_on: Option<NaiveDate>,
    pub meeting_on: Option<NaiveDate>,
    pub ended: Option<(NaiveDate, PreProceedingsOutcome)>,
}

impl PreProceedings {
    /// The latest step taken, which the next one may not be dated before.
    fn latest(&self) -> Option<NaiveDate> {
        self.meeting_on.or(self.letter_on).or(self.started_on)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proceedings {
    pub issued_on: NaiveDate,
    pub case_management_hearing_on: Option<NaiveDate>,
    pub issues_resolution_hearing_on: Option<NaiveDate>,
    /// Each extension granted: the date and its length in weeks.
    pub extensions: Vec<(NaiveDate, u32)>,
    pub concluded: Option<(NaiveDate, FinalOrder)>,
}

/// One time through the Public Law Outline: pre-proceedings, proceedings, or both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalRound {
    pub pre_proceedings: Option<PreProceedings>,
    pub proceedings: Option<Proceedings>,
    /// A round begun while the child lived at home that went on after they entered care:
    /// the day they entered care and the period of care's case, which holds the rest of it
    /// (`crate::legal_at_home`). Only on a child's record at home.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continued_in_care: Option<(NaiveDate, CaseId)>,
}

impl LegalRound {
    /// The round's steps, in the order they were taken: what a period of care's case records
    /// when a round begun at home goes on after the child enters care.
    pub fn steps(&self) -> Vec<(NaiveDate, LegalStep)> {
        let mut steps = Vec::new();
        if let Some(pre) = &self.pre_proceedings {
            let taken = [
                (pre.started_on, LegalStep::PreProceedingsStarted),
                (pre.letter_on, LegalStep::LetterBeforeProceedingsSent),
                (pre.meeting_on, LegalStep::PreProceedingsMeetingHeld),
            ];
            steps.extend(taken.into_iter().filter_map(|(on, step)| Some((on?, step))));
            if let Some((on, PreProceedingsOutcome::SteppedDown)) = pre.ended {
                steps.push((on, LegalStep::PreProceedingsSteppedDown));
            }
        }
        if let Some(p) = &self.proceedings {
            steps.push((p.issued_on, LegalStep::ProceedingsIssued));
            if let Some(on) = p.case_management_hearing_on {
                steps.push((on, LegalStep::CaseManagementHearingHeld));
            }
            steps.extend(
                p.extensions
                    .iter()
                    .map(|&(on, weeks)| (on, LegalStep::ExtensionGranted { weeks })),
            );
            if let Some(on) = p.issues_resolution_hearing_on {
                steps.push((on, LegalStep::IssuesResolutionHearingHeld));
            }
            if let Some((on, order)) = p.concluded {
                steps.push((on, LegalStep::FinalHearingHeld { order }));
            }
        }
        // Each step is dated on or after the one it needs, so date order is an order the
        // track accepts (stable: same-day steps keep the order above).
        steps.sort_by_key(|(on, _)| *on);
        steps
    }

    /// The day the round ended, once it has: pre-proceedings stepped down without
    /// proceedings, or proceedings concluded (or, at home, went on in care). `None` while it
    /// runs, or before it began.
    pub fn ended_on(&self) -> Option<NaiveDate> {
        if let Some((on, _)) = self.continued_in_care {
            return Some(on);
        }
        match (&self.proceedings, &self.pre_proceedings) {
            (Some(p), _) => p.concluded.map(|(on, _)| on),
            (None, Some(pre)) => match pre.ended {
                Some((on, PreProceedingsOutcome::SteppedDown)) => Some(on),
                _ => None,
            },
            (None, None) => None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalTrack {
    /// The current (latest) round's pre-proceedings.
    pub pre_proceedings: Option<PreProceedings>,
    /// The current (latest) round's proceedings.
    pub proceedings: Option<Proceedings>,
    /// The rounds that ended before the current one began, oldest first. Defaulted so
    /// that states stored before rounds were kept still read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier: Vec<LegalRound>,
}

impl LegalTrack {
    /// Every round, oldest first; the last is the current one (empty when the track has
    /// not begun).
    pub fn rounds(&self) -> impl Iterator<Item = LegalRound> + '_ {
        self.earlier
            .iter()
            .cloned()
            .chain(std::iter::once(self.current_round()))
    }

    /// Every set of proceedings, oldest first.
    pub fn all_proceedings(&self) -> impl Iterator<Item = &Proceedings> {
        self.earlier
            .iter()
            .filter_map(|round| round.proceedings.as_ref())
            .chain(self.proceedings.as_ref())
    }

    /// The current (latest) round, empty when the track has not begun.
    pub fn current_round(&self) -> LegalRound {
        LegalRound {
            pre_proceedings: self.pre_proceedings.clone(),
            proceedings: self.proceedings.clone(),
            continued_in_care: None,
        }
    }

    /// Whether the current round has begun and not ended.
    pub fn is_under_way(&self) -> bool {
        self.open_pre_proceedings().is_some() || self.open_proceedings().is_some()
    }

    /// When the latest round ended: the current one, or, when none has begun since, the
    /// last earlier one (a round that went on in care leaves none current at home).
    fn current_round_ended_on(&self) -> Option<NaiveDate> {
        if self.pre_proceedings.is_none() && self.proceedings.is_none() {
            return self.earlier.last().and_then(LegalRound::ended_on);
        }
        self.current_round().ended_on()
    }

    fn open_pre_proceedings(&self) -> Option<&PreProceedings> {
        self.pre_proceedings.as_ref().filter(|p| p.ended.is_none())
    }

    fn open_proceedings(&self) -> Option<&Proceedings> {
        self.proceedings.as_ref().filter(|p| p.concluded.is_none())
    }

    /// Checks a step against the track; `born_on` and `today` bound its date. The track may
    /// begin before the child enters care (pre-proceedings usually do), never before birth.
    pub fn check(
        &self,
        on: NaiveDate,
        step: LegalStep,
        born_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<(), DomainError> {
        if on > today {
            return Err(DomainError::validation(
                "occurredOn",
                "cannot be in the future",
            ));
        }
        if on < born_on {
            return Err(DomainError::validation(
                "occurredOn",
                "cannot be before the child's date of birth",
            ));
        }
        let not_before = |earlier: Option<NaiveDate>, what: &str| match earlier {
            Some(date) if on < date => Err(DomainError::validation(
                "occurredOn",
                format!("cannot be dated before {what}"),
            )),
            _ => Ok(()),
        };
        let need_pre = || {
            self.open_pre_proceedings().ok_or_else(|| {
                DomainError::not_allowed(
                    "the case is not in pre-proceedings: record their start first",
                )
            })
        };
        let need_proceedings = || {
            self.open_proceedings().ok_or_else(|| {
                if self.proceedings.is_some() {
                    DomainError::not_allowed("care proceedings have already concluded")
                } else {
                    DomainError::not_allowed("care proceedings have not been issued")
                }
            })
        };
        match step {
            LegalStep::PreProceedingsStarted => {
                if self.open_pre_proceedings().is_some() {
                    return Err(DomainError::not_allowed(
                        "pre-proceedings have already started",
                    ));
                }
                if self.open_proceedings().is_some() {
                    return Err(DomainError::not_allowed(
                        "care proceedings are under way: pre-proceedings start again only after they conclude",
                    ));
                }
                not_before(
                    self.current_round_ended_on(),
                    "the end of the earlier pre-proceedings or proceedings",
                )?;
            }
            LegalStep::LetterBeforeProceedingsSent => {
                let p = need_pre()?;
                if p.letter_on.is_some() {
                    return Err(DomainError::not_allowed(
                        "the letter before proceedings is already recorded",
                    ));
                }
                not_before(p.started_on, "the start of pre-proceedings")?;
            }
            LegalStep::PreProceedingsMeetingHeld => {
                let p = need_pre()?;
                let letter = p.letter_on.ok_or_else(|| {
                    DomainError::not_allowed(
                        "the pre-proceedings meeting needs the letter before proceedings first",
                    )
                })?;
                if p.meeting_on.is_some() {
                    return Err(DomainError::not_allowed(
                        "the pre-proceedings meeting is already recorded",
                    ));
                }
                not_before(Some(letter), "the letter before proceedings")?;
            }
            LegalStep::PreProceedingsSteppedDown => {
                let p = need_pre()?;
                not_before(p.latest(), "the pre-proceedings")?;
            }
            LegalStep::ProceedingsIssued => {
                if self.open_proceedings().is_some() {
                    return Err(DomainError::not_allowed(
                        "care proceedings are already under way",
                    ));
                }
                match self.open_pre_proceedings() {
                    Some(p) => not_before(p.latest(), "the pre-proceedings")?,
                    None => not_before(
                        self.current_round_ended_on(),
                        "the end of the earlier pre-proceedings or proceedings",
                    )?,
                }
            }
            LegalStep::CaseManagementHearingHeld => {
                let p = need_proceedings()?;
                if p.case_management_hearing_on.is_some() {
                    return Err(DomainError::not_allowed(
                        "the case management hearing is already recorded",
                    ));
                }
                not_before(Some(p.issued_on), "the issue of proceedings")?;
            }
            LegalStep::IssuesResolutionHearingHeld => {
                let p = need_proceedings()?;
                if p.issues_resolution_hearing_on.is_some() {
                    return Err(DomainError::not_allowed(
                        "the issues resolution hearing is already recorded",
                    ));
                }
                not_before(Some(p.issued_on), "the issue of proceedings")?;
            }
            LegalStep::ExtensionGranted { weeks } => {
                let p = need_proceedings()?;
                if weeks == 0 || weeks > MAX_EXTENSION_WEEKS {
                    return Err(DomainError::validation(
                        "extensionWeeks",
                        "an extension of care proceedings is between 1 and 8 weeks",
                    ));
                }
                not_before(Some(p.issued_on), "the issue of proceedings")?;
            }
            LegalStep::FinalHearingHeld { .. } => {
                let p = need_proceedings()?;
                not_before(
                    p.issues_resolution_hearing_on
                        .or(p.case_management_hearing_on)
                        .or(Some(p.issued_on)),
                    "the earlier hearings",
                )?;
            }
        }
        Ok(())
    }

    /// Applies a recorded step. Never fails: a step accepted once is replayed as it was.
    pub fn apply(&mut self, on: NaiveDate, step: LegalStep) {
        match step {
            LegalStep::PreProceedingsStarted => {
                self.begin_round_if_ended();
                self.pre_proceedings = Some(PreProceedings {
                    started_on: Some(on),
                    ..PreProceedings::default()
                });
            }
            LegalStep::LetterBeforeProceedingsSent => {
                self.pre_proceedings
                    .get_or_insert_with(PreProceedings::default)
                    .letter_on = Some(on)
            }
            LegalStep::PreProceedingsMeetingHeld => {
                self.pre_proceedings
                    .get_or_insert_with(PreProceedings::default)
                    .meeting_on = Some(on)
            }
            LegalStep::PreProceedingsSteppedDown => {
                self.pre_proceedings
                    .get_or_insert_with(PreProceedings::default)
                    .ended = Some((on, PreProceedingsOutcome::SteppedDown))
            }
            LegalStep::ProceedingsIssued => {
                if self.open_pre_proceedings().is_none() {
                    self.begin_round_if_ended();
                }
                if let Some(pre) = self.pre_proceedings.as_mut()
                    && pre.ended.is_none()
                {
                    pre.ended = Some((on, PreProceedingsOutcome::ProceedingsIssued));
                }
                self.proceedings = Some(Proceedings {
                    issued_on: on,
                    case_management_hearing_on: None,
                    issues_resolution_hearing_on: None,
                    extensions: vec![],
                    concluded: None,
                });
            }
            LegalStep::CaseManagementHearingHeld => {
                if let Some(p) = self.proceedings.as_mut() {
                    p.case_management_hearing_on = Some(on);
                }
            }
            LegalStep::IssuesResolutionHearingHeld => {
                if let Some(p) = self.proceedings.as_mut() {
                    p.issues_resolution_hearing_on = Some(on);
                }
            }
            LegalStep::ExtensionGranted { weeks } => {
                if let Some(p) = self.proceedings.as_mut() {
                    p.extensions.push((on, weeks));
                }
            }
            LegalStep::FinalHearingHeld { order } => {
                if let Some(p) = self.proceedings.as_mut() {
                    p.concluded = Some((on, order));
                }
            }
        }
    }

    /// Moves a current round that has ended into `earlier`, so that a new one can begin.
    fn begin_round_if_ended(&mut self) {
        if self.current_round().ended_on().is_some() {
            self.earlier.push(LegalRound {
                pre_proceedings: self.pre_proceedings.take(),
                proceedings: self.proceedings.take(),
                continued_in_care: None,
            });
        }
    }

    /// The current round went on after the child entered care, on the period of care's
    /// case: it is finished here, and a new one can begin once the child is home again.
    pub fn continue_in_care(&mut self, on: NaiveDate, case_id: CaseId) {
        self.earlier.push(LegalRound {
            pre_proceedings: self.pre_proceedings.take(),
            proceedings: self.proceedings.take(),
            continued_in_care: Some((on, case_id)),
        });
    }
}
