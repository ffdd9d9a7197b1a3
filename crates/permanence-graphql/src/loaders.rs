//! DataLoaders: one query per kind of data per request, however many rows ask for it.

use async_graphql::dataloader::{DataLoader, Loader};
use permanence_domain::ids::PanelMeetingId;
use permanence_domain::{CaseId, ChildId, Deadline};
use permanence_engine::Engine;
use permanence_engine::store::{
    CaseRecord, ChildRecord, LegalAtHomeRecord, SiblingGroupRecord, StoredEvent,
};
use std::collections::HashMap;
use std::sync::Arc;

type LoadError = Arc<String>;

fn load_error(err: impl std::fmt::Display) -> LoadError {
    Arc::new(err.to_string())
}

pub struct CaseLoader(Engine);
pub struct ChildLoader(Engine);
pub struct DeadlineLoader(Engine);
pub struct EventLoader(Engine);
pub struct CasesOfChildLoader(Engine);
pub struct PanelMembersLoader(Engine);
pub struct SiblingGroupLoader(Engine);
pub struct LegalAtHomeLoader(Engine);

impl Loader<CaseId> for CaseLoader {
    type Value = CaseRecord;
    type Error = LoadError;
    async fn load(&self, keys: &[CaseId]) -> Result<HashMap<CaseId, CaseRecord>, LoadError> {
        self.0.store().cases_by_ids(keys).await.map_err(load_error)
    }
}

impl Loader<ChildId> for ChildLoader {
    type Value = ChildRecord;
    type Error = LoadError;
    async fn load(&self, keys: &[ChildId]) -> Result<HashMap<ChildId, ChildRecord>, LoadError> {
        self.0
            .store()
            .children_by_ids(keys)
            .await
            .map_err(load_error)
    }
}

impl Loader<ChildId> for LegalAtHomeLoader {
    type Value = LegalAtHomeRecord;
    type Error = LoadError;
    async fn load(
        &self,
        keys: &[ChildId],
    ) -> Result<HashMap<ChildId, LegalAtHomeRecord>, LoadError> {
        self.0
            .store()
            .legal_at_home_of(keys)
            .await
            .map_err(load_error)
    }
}

impl Loader<CaseId> for DeadlineLoader {
    type Value = Vec<Deadline>;
    type Error = LoadError;
    async fn load(&self, keys: &[CaseId]) -> Result<HashMap<CaseId, Vec<Deadline>>, LoadError> {
        self.0
            .store()
            .deadlines_of_cases(keys)
            .await
            .map_err(load_error)
    }
}

impl Loader<CaseId> for EventLoader {
    type Value = Vec<StoredEvent>;
    type Error = LoadError;
    async fn load(&self, keys: &[CaseId]) -> Result<HashMap<CaseId, Vec<StoredEvent>>, LoadError> {
        self.0
            .store()
            .events_of_cases(keys)
            .await
            .map_err(load_error)
    }
}

impl Loader<ChildId> for CasesOfChildLoader {
    type Value = Vec<CaseRecord>;
    type Error = LoadError;
    async fn load(&self, keys: &[ChildId]) -> Result<HashMap<ChildId, Vec<CaseRecord>>, LoadError> {
        self.0
            .store()
            .cases_of_children(keys)
            .await
            .map_err(load_error)
    }
}

/// The sibling group each case is in (cases in none are left out): two queries for a page of
/// cases, however many ask.
impl Loader<CaseId> for SiblingGroupLoader {
    type Value = SiblingGroupRecord;
    type Error = LoadError;
    async fn load(
        &self,
        keys: &[CaseId],
    ) -> Result<HashMap<CaseId, SiblingGroupRecord>, LoadError> {
        let store = self.0.store();
        let of_cases = store
            .sibling_groups_of_cases(keys)
            .await
            .map_err(load_error)?;
        let mut ids: Vec<_> = of_cases.values().copied().collect();
        ids.sort();
        ids.dedup();
        let groups = store
            .sibling_groups_by_ids(&ids)
            .await
            .map_err(load_error)?;
        Ok(of_cases
            .into_iter()
            .filter_map(|(case, group)| groups.get(&group).map(|g| (case, g.clone())))
            .collect())
    }
}

impl Loader<PanelMeetingId> for PanelMembersLoader {
    type Value = Vec<String>;
    type Error = LoadError;
    async fn load(
        &self,
        keys: &[PanelMeetingId],
    ) -> Result<HashMap<PanelMeetingId, Vec<String>>, LoadError> {
        self.0
            .store()
            .panel_members_of_meetings(keys)
            .await
            .map_err(load_error)
    }
}

/// The loaders of one request.
pub struct Loaders {
    pub cases: DataLoader<CaseLoader>,
    pub children: DataLoader<ChildLoader>,
    pub deadlines: DataLoader<DeadlineLoader>,
    pub events: DataLoader<EventLoader>,
    pub cases_of_child: DataLoader<CasesOfChildLoader>,
    pub panel_members: DataLoader<PanelMembersLoader>,
    pub sibling_groups: DataLoader<SiblingGroupLoader>,
    pub legal_at_home: DataLoader<LegalAtHomeLoader>,
}

impl Loaders {
    pub fn new(engine: &Engine) -> Self {
        Self {
            cases: DataLoader::new(CaseLoader(engine.clone()), tokio::spawn),
            children: DataLoader::new(ChildLoader(engine.clone()), tokio::spawn),
            deadlines: DataLoader::new(DeadlineLoader(engine.clone()), tokio::spawn),
            events: DataLoader::new(EventLoader(engine.clone()), tokio::spawn),
            cases_of_child: DataLoader::new(CasesOfChildLoader(engine.clone()), tokio::spawn),
            panel_members: DataLoader::new(PanelMembersLoader(engine.clone()), tokio::spawn),
            sibling_groups: DataLoader::new(SiblingGroupLoader(engine.clone()), tokio::spawn),
            legal_at_home: DataLoader::new(LegalAtHomeLoader(engine.clone()), tokio::spawn),
        }
    }
}
