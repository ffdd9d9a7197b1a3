//! A child's legal track while they live at home, as the API shows it (`Child.legalAtHome`).

use super::{DeadlineNode, LegalTrackNode};
use crate::context::engine;
use crate::scalars::Date;
use async_graphql::{Context, Object, Result};
use permanence_domain::deadlines::legal_deadlines;
use permanence_engine::store::LegalAtHomeRecord;

/// A child's legal track while they live at home.
pub struct LegalAtHomeNode(pub LegalAtHomeRecord);

#[Object(name = "LegalAtHome")]
impl LegalAtHomeNode {
    /// The team that holds the child's case at home.
    async fn team(&self) -> Option<&str> {
        self.0.state.team.as_deref()
    }
    /// Counts the events recorded; send it back as `expectedVersion`.
    async fn version(&self) -> i64 {
        self.0.version
    }
    /// Whether a round is under way at home (begun, not ended, not gone on in care).
    async fn under_way(&self) -> bool {
        self.0.state.track.is_under_way()
    }
    /// Every round, oldest first; the last is the current one, empty when none is under way.
    async fn rounds(&self) -> Vec<LegalTrackNode> {
        self.0
            .state
            .track
            .rounds()
            .map(|round| LegalTrackNode::of(&round))
            .collect()
    }
    /// The current round's open deadlines (pre-proceedings' 16 weeks, the case management
    /// hearing, the 26 weeks of proceedings), with their drift status on `asOf` (default
    /// today).
    async fn deadlines(&self, ctx: &Context<'_>, as_of: Option<Date>) -> Result<Vec<DeadlineNode>> {
        let engine = engine(ctx)?;
        let as_of = as_of.map_or_else(|| engine.today(), |d| d.0);
        let soon = engine.timescales().due_soon_days;
        Ok(legal_deadlines(&self.0.state.track, engine.timescales())
            .into_iter()
            .map(|d| DeadlineNode::new(d, as_of, soon))
            .collect())
    }
}
