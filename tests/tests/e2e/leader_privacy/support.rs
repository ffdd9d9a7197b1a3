//! The leader privacy walk: the children it adds, the sensitive values it collects from the
//! database, and the walk over queries, mutations, subscriptions and the CSV report.

use anyhow::{Context, bail, ensure};
use chrono::{Datelike, Days, NaiveDate};
use futures_util::{SinkExt, StreamExt};
use permanence_auth::Role;
use permanence_domain::ids::PanelMeetingId;
use permanence_domain::{CaseId, ChildId};
use permanence_e2e::schema_walk::{ApiSchema, Field, InputField, argument_lists};
use permanence_e2e::serde_json::{Map, Value, json};
use permanence_e2e::{TEST_AUTHORITY, TestServer};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// How deep below a root field the walk selects objects.
const DEPTH: usize = 7;

/// The named children the test adds, with the details a record of them holds.
struct Named {
    reference: &'static str,
    /// Before the cohort's first day, so that no other recorded date is the same day.
    born: &'static str,
    name: &'static str,
    carer: &'static str,
    next_carer: &'static str,
    home: &'static str,
    placed: &'static str,
    placed_next: &'static str,
    urn: &'static str,
    entered: &'static str,
}

const NAMED: &[Named] = &[
    Named {
        reference: "PRIV1",
        born: "2011-05-17",
        name: "Zephyrine Quillfeather",
        carer: "Hollis Bramblewick",
        next_carer: "Ottoline Fairweather",
        home: "SW1A 1AA",
        placed: "M1 1AE",
        placed_next: "B33 8TH",
        urn: "SC765431",
        entered: "2025-02-03",
    },
    Named {
        reference: "PRIV2",
        born: "2012-08-23",
        name: "Barnaby Oakenshaw",
        carer: "Perpetua Nightingale",
        next_carer: "Casimir Wendlebury",
        home: "CR2 6XH",
        placed: "DN55 1PT",
        placed_next: "LS1 4AP",
        urn: "SC765432",
        entered: "2025-03-03",
    },
    Named {
        reference: "PRIV3",
        born: "2014-02-11",
        name: "Marisol Thistledown",
        carer: "Aurelio Pennyworth",
        next_carer: "Griselda Hartnell",
        home: "EH1 1YZ",
        placed: "NE1 4ST",
        placed_next: "BS1 5TR",
        urn: "SC765433",
        entered: "2025-04-03",
    },
    Named {
        reference: "PRIV4",
        born: "2010-11-29",
        name: "Leopold Fennimore",
        carer: "Winifred Ashdown",
        next_carer: "Bartholomew Kettering",
        home: "CF10 1EP",
        placed: "OX1 2JD",
        placed_next: "CB2 1TN",
        urn: "SC765434",
        entered: "2025-05-06",
    },
];

/// The children heard at the past panel; the last of `NAMED` waits for the next one.
const HEARD: usize = 3;

/// What the test added: ids to fill arguments with, and the panel meetings.
pub struct Added {
    pub children: Vec<String>,
    pub cases: Vec<String>,
    pub meetings: Vec<String>,
    pub items: Vec<String>,
    /// The day the past panel sat: asking the queue as of the day before lists its agenda.
    pub panel_sat: NaiveDate,
}

fn note(what: &str, named: &Named) -> String {
    format!(
        "{what}: {} told her social worker about the move (case note)",
        named.name
    )
}

fn day(text: &str, later: u64) -> anyhow::Result<String> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")?;
    Ok((date + Days::new(later)).to_string())
}

fn id_at(data: &Value, pointer: &str) -> anyhow::Result<String> {
    Ok(data
        .pointer(pointer)
        .and_then(Value::as_str)
        .with_context(|| format!("{pointer} in {data}"))?
        .to_owned())
}

/// Adds the named children, their cases and their panels, through the API.
pub async fn enrich(server: &TestServer) -> anyhow::Result<Added> {
    let mut added = Added {
        children: vec![],
        cases: vec![],
        meetings: vec![],
        items: vec![],
        panel_sat: NaiveDate::from_ymd_opt(2025, 9, 4).context("date")?,
    };
    for named in NAMED {
        let (child, case) = named_case(server, named).await?;
        added.children.push(child);
        added.cases.push(case);
    }
    let past = schedule(server, &added.panel_sat.to_string(), "past").await?;
    for case in &added.cases[..HEARD] {
        let item = add_item(server, &past, case).await?;
        added.items.push(item);
    }
    let recommend = "mutation($i: RecordPanelRecommendationInput!) { recordPanelRecommendation(input: $i) { duplicate } }";
    server
        .ok_as(Role::PanelChair, recommend, json!({ "i": { "itemId": added.items[0],
            "recommendation": "DEFERRED", "returnBy": "2025-10-30", "note": note("panel", &NAMED[0]),
            "deferralReason": format!("Deferred: the life story work for {} is not ready", NAMED[0].name) } }))
        .await?;
    for item in &added.items[1..HEARD] {
        server
            .ok_as(
                Role::PanelChair,
                recommend,
                json!({ "i": { "itemId": item,
                "recommendation": "RECOMMENDED", "note": note("panel", &NAMED[1]) } }),
            )
            .await?;
    }
    server
        .ok_as(Role::AgencyDecisionMaker,
            "mutation($i: RecordAgencyDecisionInput!) { recordAgencyDecision(input: $i) { duplicate } }",
            json!({ "i": { "itemId": added.items[2], "agrees": true, "occurredOn": "2025-09-08",
                           "note": note("decision", &NAMED[2]) } }))
        .await?;
    // The deferred child waits in the queue; another is on an upcoming meeting's agenda.
    let next = schedule(server, "2026-11-19", "next").await?;
    let item = add_item(server, &next, &added.cases[HEARD]).await?;
    added.items.push(item);
    added.meetings = vec![past, next];
    Ok(added)
}

async fn named_case(server: &TestServer, named: &Named) -> anyhow::Result<(String, String)> {
    let data = server
        .ok(
            "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
            json!({ "i": { "localAuthority": TEST_AUTHORITY, "reference": named.reference,
                           "birthDate": named.born, "sex": "FEMALE", "ethnicity": "WBRI",
                           "name": named.name } }),
        )
        .await?;
    let child = id_at(&data, "/registerChild/child/id")?;
    let data = server
        .ok(
            "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id } } }",
            json!({ "i": { "childId": child, "enteredCareOn": named.entered, "legalStatus": "C2",
                           "placement": "U3", "provider": "PR1", "carer": named.carer,
                           "team": "Team A", "allocatedWorker": "sw.tester",
                           "homePostcode": named.home, "placementPostcode": named.placed,
                           "urn": named.urn, "categoryOfNeed": "N1",
                           "note": note("entered care", named) } }),
        )
        .await?;
    let case = id_at(&data, "/enterCare/case/id")?;
    let steps: &[(&str, &str, Value)] = &[
        (
            "recordHealthAssessment",
            "RecordDatedInput",
            json!({ "occurredOn": day(named.entered, 10)? }),
        ),
        (
            "recordReview",
            "RecordDatedInput",
            json!({ "occurredOn": day(named.entered, 18)?, "participation": "PN1" }),
        ),
        (
            "allocateCase",
            "AllocateCaseInput",
            json!({ "occurredOn": day(named.entered, 20)?, "team": "Team A", "allocatedWorker": "sw.tester" }),
        ),
        (
            "setRoutePlan",
            "SetRoutePlanInput",
            json!({ "occurredOn": day(named.entered, 30)?, "route": "ADOPTION" }),
        ),
        (
            "recordLegalStep",
            "RecordLegalStepInput",
            json!({ "occurredOn": day(named.entered, 31)?, "step": "PRE_PROCEEDINGS_STARTED" }),
        ),
        (
            "recordPlacementChange",
            "RecordPlacementChangeInput",
            json!({ "occurredOn": day(named.entered, 40)?,
            "carer": named.next_carer, "placementPostcode": named.placed_next, "placementChangeReason": "CARPL" }),
        ),
    ];
    for (mutation, input, fields) in steps {
        let mut fields = fields.clone();
        fields["caseId"] = json!(case);
        fields["note"] = json!(note(mutation, named));
        server
            .ok(
                &format!("mutation($i: {input}!) {{ {mutation}(input: $i) {{ duplicate }} }}"),
                json!({ "i": fields }),
            )
            .await
            .with_context(|| format!("{mutation} for {}", named.reference))?;
    }
    Ok((child, case))
}

async fn schedule(server: &TestServer, sits_on: &str, which: &str) -> anyhow::Result<String> {
    let data = server
        .ok_as(Role::PanelChair,
            "mutation($i: SchedulePanelMeetingInput!) { schedulePanelMeeting(input: $i) { id } }",
            json!({ "i": { "localAuthority": TEST_AUTHORITY, "kind": "COMBINED", "sitsOn": sits_on,
                           "chair": "chair.tester", "members": ["member.tester"],
                           "quorumNotes": format!("Quorum ({which}): {}'s grandmother asked to attend", NAMED[0].name) } }))
        .await?;
    id_at(&data, "/schedulePanelMeeting/id")
}

async fn add_item(server: &TestServer, meeting: &str, case: &str) -> anyhow::Result<String> {
    let data = server
        .ok_as(
            Role::PanelChair,
            "mutation($i: AddAgendaItemInput!) { addAgendaItem(input: $i) { id } }",
            json!({ "i": { "meetingId": meeting, "caseId": case, "purpose": "SHOBPA_CONSENT" } }),
        )
        .await?;
    id_at(&data, "/addAgendaItem/id")
}

/// Every value a pseudonymised answer must not hold, by kind, read from the database.
#[derive(Debug, Default)]
pub struct Sensitive {
    exact: HashMap<String, &'static str>,
    /// Values long and distinctive enough to look for inside other text.
    within: Vec<(String, &'static str)>,
    dates_of_birth: usize,
    /// Dates of birth that are also the date of something else recorded: an answer may hold
    /// that date for the other reason, so they are not looked for.
    coinciding: usize,
}

impl Sensitive {
    pub const KINDS: &'static [&'static str] = &[
        "name",
        "date of birth",
        "postcode",
        "URN",
        "note",
        "carer",
        "deferral reason",
        "quorum note",
    ];

    fn add(&mut self, kind: &'static str, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        self.exact.insert(value.to_owned(), kind);
        if value.chars().count() >= 7 && !value.chars().all(|c| c.is_ascii_digit()) {
            self.within.push((value.to_owned(), kind));
        }
    }

    /// The value (and its kind) a piece of an answer holds, if any.
    pub fn found_in(&self, text: &str) -> Option<(&str, &'static str)> {
        if let Some((value, kind)) = self.exact.get_key_value(text) {
            return Some((value.as_str(), *kind));
        }
        self.within
            .iter()
            .find(|(value, _)| text.contains(value.as_str()))
            .map(|(value, kind)| (value.as_str(), *kind))
    }

    pub fn summary(&self) -> String {
        let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
        for kind in self.exact.values() {
            *by_kind.entry(kind).or_default() += 1;
        }
        format!(
            "sensitive values: {} ({by_kind:?}); {} dates of birth, {} left out because another \
             recorded date is the same day",
            self.exact.len(),
            self.dates_of_birth,
            self.coinciding
        )
    }
}

/// Every written form of a date the API or a spreadsheet could use.
fn date_forms(date: NaiveDate) -> Vec<String> {
    vec![
        date.format("%Y-%m-%d").to_string(),
        date.format("%d/%m/%Y").to_string(),
        date.format("%Y%m%d").to_string(),
        date.format("%-d %B %Y").to_string(),
        date.format("%d-%m-%Y").to_string(),
    ]
}

fn is_iso_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

/// Notes the sensitive leaves of a stored event's data, and every other date it holds.
fn scan_event(value: &Value, key: &str, out: &mut Sensitive, dates: &mut BTreeSet<NaiveDate>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                // A deferral's reason sits under the `Deferred` variant.
                let k = if key == "Deferred" && k == "reason" {
                    "deferral_reason"
                } else {
                    k
                };
                scan_event(v, k, out, dates);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| scan_event(v, key, out, dates)),
        Value::String(text) => match key {
            "carer" => out.add("carer", text),
            "home_postcode" | "placement_postcode" => out.add("postcode", text),
            "urn" if text != "XXXXXXX" => out.add("URN", text),
            "deferral_reason" => out.add("deferral reason", text),
            "child_birth_date" => {}
            _ => {
                if let Some(date) = is_iso_date(text) {
                    dates.insert(date);
                }
            }
        },
        _ => {}
    }
}

/// Reads every sensitive value from the database: names, dates of birth (in every written
/// form), postcodes, URNs, carers, notes, deferral reasons and quorum notes.
pub async fn collect_sensitive(server: &TestServer, added: &Added) -> anyhow::Result<Sensitive> {
    let store = server.engine().store();
    let mut out = Sensitive::default();
    let mut other_dates: BTreeSet<NaiveDate> = BTreeSet::new();
    let case_ids = store.all_case_ids().await?;
    let cases = store.cases_by_ids(&case_ids).await?;
    for id in &case_ids {
        for stored in store.case_events(*id).await? {
            if let Some(text) = &stored.note {
                out.add("note", text);
            }
            other_dates.insert(stored.occurred_on);
            other_dates.insert(stored.recorded_at.date_naive());
            let data = serde_json::to_value(&stored.event)?;
            scan_event(&data, "", &mut out, &mut other_dates);
        }
    }
    for deadlines in store.deadlines_of_cases(&case_ids).await?.into_values() {
        for d in deadlines {
            other_dates.extend([d.started_on, d.due_on]);
        }
    }
    let mut meeting_ids: BTreeSet<PanelMeetingId> = BTreeSet::new();
    for items in store.panel_items_of_cases(&case_ids).await?.into_values() {
        for item in items {
            meeting_ids.insert(item.meeting_id);
            if let Some(text) = &item.deferral_reason {
                out.add("deferral reason", text);
            }
            other_dates.extend(item.recommendation_on);
            other_dates.extend(item.return_by);
            other_dates.extend(item.decision_on);
        }
    }
    for id in &added.meetings {
        meeting_ids.insert(PanelMeetingId(id.parse()?));
    }
    let meeting_ids: Vec<PanelMeetingId> = meeting_ids.into_iter().collect();
    for meeting in store
        .panel_meetings_by_ids(&meeting_ids)
        .await?
        .into_values()
    {
        if let Some(text) = &meeting.quorum_notes {
            out.add("quorum note", text);
        }
        other_dates.insert(meeting.sits_on);
    }
    let today = server.engine().today();
    other_dates.insert(today);
    other_dates.insert(added.panel_sat.pred_opt().context("date")?);
    for year in 2000..=today.year() + 1 {
        for (m, d) in [
            (1, 1),
            (3, 31),
            (4, 1),
            (6, 30),
            (7, 1),
            (9, 30),
            (10, 1),
            (12, 31),
        ] {
            other_dates.extend(NaiveDate::from_ymd_opt(year, m, d));
        }
    }
    let mut child_ids: BTreeSet<ChildId> = cases.values().map(|c| c.child_id).collect();
    for id in &added.children {
        child_ids.insert(ChildId(id.parse()?));
    }
    let child_ids: Vec<ChildId> = child_ids.into_iter().collect();
    for child in store.children_by_ids(&child_ids).await?.into_values() {
        if let Some(name) = &child.name {
            out.add("name", name);
        }
        if let Some(upn) = &child.facts.upn
            && !upn.starts_with("UN")
        {
            out.add("UPN", upn);
        }
        let births = [Some(child.birth_date), child.facts.first_child_born_on];
        for born in births.into_iter().flatten() {
            out.dates_of_birth += 1;
            if other_dates.contains(&born) {
                out.coinciding += 1;
                continue;
            }
            for form in date_forms(born) {
                out.add("date of birth", &form);
            }
        }
    }
    for named in NAMED {
        let born = NaiveDate::parse_from_str(named.born, "%Y-%m-%d")?;
        ensure!(
            !other_dates.contains(&born),
            "{}'s date of birth is also another recorded date: choose another",
            named.reference
        );
    }
    Ok(out)
}

/// A walk over the API as one role: what it asked, what came back with data, and any leak.
pub struct Walk<'a> {
    role: Role,
    schema: &'a ApiSchema,
    sensitive: &'a Sensitive,
    /// `Type.field` selected by some query.
    asked: BTreeSet<String>,
    /// `Type.field` that held a value in some answer.
    seen: BTreeSet<String>,
    pub leaks: Vec<String>,
    /// How many leaks, by surface and kind.
    leak_counts: BTreeMap<(String, &'static str), usize>,
    kinds: BTreeSet<&'static str>,
    requests: usize,
    errors: usize,
}

impl<'a> Walk<'a> {
    pub fn new(role: Role, schema: &'a ApiSchema, sensitive: &'a Sensitive) -> Self {
        Self {
            role,
            schema,
            sensitive,
            asked: BTreeSet::new(),
            seen: BTreeSet::new(),
            leaks: vec![],
            leak_counts: BTreeMap::new(),
            kinds: BTreeSet::new(),
            requests: 0,
            errors: 0,
        }
    }

    /// Looks through every string of an answer for a sensitive value.
    fn inspect(&mut self, surface: &str, value: &Value, path: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    path.push(k.clone());
                    self.inspect(surface, v, path);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(i.to_string());
                    self.inspect(surface, v, path);
                    path.pop();
                }
            }
            Value::String(text) => self.inspect_text(surface, text, &path.join("/")),
            _ => {}
        }
    }

    fn inspect_text(&mut self, surface: &str, text: &str, at: &str) {
        if let Some((value, kind)) = self.sensitive.found_in(text) {
            self.kinds.insert(kind);
            *self
                .leak_counts
                .entry((surface.to_owned(), kind))
                .or_default() += 1;
            if self.leaks.len() < 40 {
                self.leaks.push(format!(
                    "{surface} at {at}: a {kind} ({value:?}) in {text:?}"
                ));
            } else if self.leaks.len() == 40 {
                self.leaks.push("(more left out)".to_owned());
            }
        }
    }

    /// Sends a document, checks the whole answer (data and errors), notes which fields held data.
    async fn send(
        &mut self,
        server: &TestServer,
        surface: &str,
        document: &str,
        variables: Value,
        root: &str,
    ) -> anyhow::Result<Value> {
        self.requests += 1;
        let body = server
            .graphql_as(self.role, document, variables)
            .await
            .with_context(|| format!("{surface}: {document}"))?;
        self.inspect(surface, &body, &mut vec![]);
        if let Some(errors) = body.get("errors").and_then(Value::as_array) {
            self.errors += errors.len();
            for error in errors {
                ensure!(
                    error.pointer("/extensions/code").is_some(),
                    "{surface}: an error without a code: {error}"
                );
            }
        }
        if let Some(data) = body.get("data") {
            self.schema.note_data(root, data, &mut self.seen);
        }
        Ok(body)
    }

    /// Queries one root field with these arguments, following its pages.
    async fn query(
        &mut self,
        server: &TestServer,
        field: &Field,
        variables: Value,
    ) -> anyhow::Result<()> {
        let root = self.schema.query.clone();
        self.asked.insert(format!("{root}.{}", field.name));
        let selection = if self.schema.is_object(&field.ty.named) {
            self.schema
                .selection(&field.ty.named, DEPTH, &mut self.asked)
        } else {
            String::new()
        };
        let paged = field.args.iter().any(|a| a.name == "after")
            && self.schema.field(&field.ty.named, "pageInfo").is_some();
        let mut variables = variables;
        for _ in 0..100 {
            let (definitions, uses) = argument_lists(field, &variables);
            let document = format!("query{definitions} {{ {}{uses} {selection} }}", field.name);
            let body = self
                .send(
                    server,
                    &format!("query {}", field.name),
                    &document,
                    variables.clone(),
                    &root,
                )
                .await?;
            let page = body.pointer(&format!("/data/{}", field.name));
            let next = page
                .and_then(|p| p.pointer("/pageInfo/endCursor"))
                .filter(|_| {
                    page.and_then(|p| p.pointer("/pageInfo/hasNextPage")) == Some(&json!(true))
                });
            match next {
                Some(cursor) if paged => variables["after"] = cursor.clone(),
                _ => return Ok(()),
            }
        }
        bail!("{}: more than 100 pages", field.name)
    }

    /// Every mutation, as this role, with values a child's record might hold in its input:
    /// each must be refused, and no refusal may repeat them.
    pub async fn mutations(&mut self, server: &TestServer, added: &Added) -> anyhow::Result<()> {
        let Some(root) = self.schema.mutation.clone() else {
            return Ok(());
        };
        for field in self.schema.fields(&root).to_vec() {
            let mut variables = Map::new();
            for arg in &field.args {
                variables.insert(arg.name.clone(), self.input_value(arg, added, 0));
            }
            let variables = Value::Object(variables);
            let (definitions, uses) = argument_lists(&field, &variables);
            let selection = self
                .schema
                .selection(&field.ty.named, 0, &mut BTreeSet::new());
            let document = format!(
                "mutation{definitions} {{ {}{uses} {selection} }}",
                field.name
            );
            let body = self
                .send(
                    server,
                    &format!("mutation {}", field.name),
                    &document,
                    variables,
                    &root,
                )
                .await?;
            ensure!(
                body.pointer(&format!("/data/{}", field.name))
                    .is_none_or(Value::is_null),
                "a {} was allowed {}: {body}",
                self.role,
                field.name
            );
            ensure!(body.get("errors").is_some(), "{}: {body}", field.name);
        }
        Ok(())
    }

    /// A value for an input: real ids, and a child's details wherever text goes.
    fn input_value(&self, input: &InputField, added: &Added, depth: usize) -> Value {
        let named = &NAMED[0];
        let value = match input.ty.named.as_str() {
            "UUID" => json!(match input.name.as_str() {
                "childId" => &added.children[0],
                "meetingId" => &added.meetings[1],
                "itemId" => &added.items[0],
                _ => &added.cases[0],
            }),
            "Date" => json!(named.born),
            "Int" => json!(1),
            "Boolean" => json!(true),
            "String" => json!(match input.name.as_str() {
                n if n.contains("ostcode") => named.home,
                "carer" => named.carer,
                "urn" => named.urn,
                _ => named.name,
            }),
            other if self.schema.is_input(other) && depth < 3 => {
                let mut fields = Map::new();
                for f in self.schema.input_fields(other) {
                    fields.insert(f.name.clone(), self.input_value(f, added, depth + 1));
                }
                Value::Object(fields)
            }
            other => self
                .schema
                .enum_values(other)
                .first()
                .map_or(Value::Null, |v| json!(v)),
        };
        if input.ty.list { json!([value]) } else { value }
    }

    /// `caseChanged` on a named child's case while a social worker records a step with a
    /// note, and `notificationRaised` while an escalation round runs.
    pub async fn subscriptions(
        &mut self,
        server: &TestServer,
        added: &Added,
    ) -> anyhow::Result<()> {
        let Some(root) = self.schema.subscription.clone() else {
            return Ok(());
        };
        let case_field = self
            .schema
            .field(&root, "caseChanged")
            .context("caseChanged")?
            .clone();
        let selection = self
            .schema
            .selection(&case_field.ty.named, DEPTH, &mut self.asked);
        self.asked.insert(format!("{root}.caseChanged"));
        let mut socket = self
            .subscribe(
                server,
                &format!(
                    "subscription($caseId: UUID!) {{ caseChanged(caseId: $caseId) {selection} }}"
                ),
                json!({ "caseId": added.cases[1] }),
            )
            .await?;
        server
            .ok(
                "mutation($i: RecordDatedInput!) { recordReview(input: $i) { duplicate } }",
                json!({ "i": { "caseId": added.cases[1], "occurredOn": "2025-10-01",
                               "note": note("review", &NAMED[1]) } }),
            )
            .await?;
        let message = next_message(&mut socket).await?;
        self.take_message("subscription caseChanged", &message, &root)?;
        drop(socket.close(None).await);

        let note_field = self
            .schema
            .field(&root, "notificationRaised")
            .context("notificationRaised")?
            .clone();
        let selection = self
            .schema
            .selection(&note_field.ty.named, DEPTH, &mut self.asked);
        self.asked.insert(format!("{root}.notificationRaised"));
        let mut socket = self
            .subscribe(
                server,
                &format!("subscription {{ notificationRaised {selection} }}"),
                json!({}),
            )
            .await?;
        let engine = server.engine();
        let mut relay = engine.notification_relay().await?;
        let counts = engine.escalate(None).await?;
        relay.poll().await?;
        ensure!(
            counts.long_overdue > 0,
            "no deadline long overdue: {counts:?}"
        );
        let message = next_message(&mut socket).await?;
        self.take_message("subscription notificationRaised", &message, &root)?;
        drop(socket.close(None).await);
        Ok(())
    }

    async fn subscribe(
        &mut self,
        server: &TestServer,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Socket> {
        let mut request =
            format!("ws://{}/graphql/ws", server.server.addr).into_client_request()?;
        request
            .headers_mut()
            .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
        request
            .headers_mut()
            .insert("authorization", server.bearer(self.role).parse()?);
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
        socket
            .send(Message::text(
                json!({ "type": "connection_init", "payload": {} }).to_string(),
            ))
            .await?;
        ensure!(next_message(&mut socket).await?["type"] == json!("connection_ack"));
        socket
            .send(Message::text(
                json!({ "id": "1", "type": "subscribe",
                "payload": { "query": query, "variables": variables } })
                .to_string(),
            ))
            .await?;
        // The server registers the subscription before the change is made.
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.requests += 1;
        Ok(socket)
    }

    fn take_message(&mut self, surface: &str, message: &Value, root: &str) -> anyhow::Result<()> {
        self.inspect(surface, message, &mut vec![]);
        ensure!(message["type"] == json!("next"), "{surface}: {message}");
        let data = message.pointer("/payload/data").context("data")?;
        self.schema.note_data(root, data, &mut self.seen);
        Ok(())
    }

    /// The CSV report, whole and in every breakdown.
    pub async fn csv_reports(
        &mut self,
        server: &TestServer,
        from: NaiveDate,
    ) -> anyhow::Result<()> {
        let today = server.engine().today();
        let mut groupings = vec![String::new()];
        groupings.extend(
            self.schema
                .enum_values("TimelinessGroupBy")
                .iter()
                .map(|g| format!("&groupBy={g}")),
        );
        for grouping in groupings {
            let url = server.server.url(&format!(
                "/reports/timeliness.csv?from={from}&to={today}{grouping}"
            ));
            let response = server
                .client
                .get(url)
                .header("authorization", server.bearer(self.role))
                .send()
                .await?;
            self.requests += 1;
            let status = response.status();
            let text = response.text().await?;
            ensure!(status.is_success(), "CSV{grouping}: HTTP {status}: {text}");
            ensure!(text.lines().count() > 20, "CSV{grouping}: {text}");
            for (line_number, line) in text.lines().enumerate() {
                for cell in line.split(',') {
                    self.inspect_text(
                        &format!("CSV{grouping}"),
                        cell.trim_matches('"'),
                        &format!("line {}", line_number + 1),
                    );
                }
            }
        }
        Ok(())
    }

    /// Every leak, counted by where it was and what it was.
    pub fn leak_counts(&self) -> String {
        self.leak_counts
            .iter()
            .map(|((surface, kind), n)| format!("{surface}: {n} x {kind}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn kinds_found(&self) -> BTreeSet<&'static str> {
        self.kinds.clone()
    }

    /// Fails unless `share` of the fields asked for held data in some answer.
    pub fn ensure_coverage(&self, share: f64) -> anyhow::Result<()> {
        let reached = self.asked.intersection(&self.seen).count();
        let missing: Vec<&String> = self.asked.difference(&self.seen).collect();
        let got = reached as f64 / self.asked.len().max(1) as f64;
        println!(
            "{} fields reached with data of {} asked ({:.0}%); without data: {missing:?}",
            reached,
            self.asked.len(),
            got * 100.0
        );
        ensure!(
            got >= share,
            "the walk reached only {:.0}% of the fields with data (at least {:.0}% expected); \
             without data: {missing:?}",
            got * 100.0,
            share * 100.0
        );
        Ok(())
    }

    pub fn summary(&self) -> String {
        format!(
            "{} walk: {} requests, {} errors answered, {} fields asked, {} held data",
            self.role,
            self.requests,
            self.errors,
            self.asked.len(),
            self.seen.len()
        )
    }
}

/// Every root query field, with real ids and every useful argument.
pub async fn walk_queries(
    walk: &mut Walk<'_>,
    server: &TestServer,
    added: &Added,
    from: NaiveDate,
) -> anyhow::Result<()> {
    let today = server.engine().today();
    let mut case_ids: Vec<String> = added.cases.clone();
    let cohort_cases: Vec<CaseId> = server.engine().store().all_case_ids().await?;
    case_ids.extend(cohort_cases.iter().take(5).map(|c| c.to_string()));
    let root = walk.schema.query.clone();
    for field in walk.schema.fields(&root).to_vec() {
        let calls: Vec<Value> = match field.name.as_str() {
            "child" => added
                .children
                .iter()
                .map(|id| json!({ "id": id }))
                .collect(),
            "case" => case_ids.iter().map(|id| json!({ "id": id })).collect(),
            "panelMeeting" => added
                .meetings
                .iter()
                .map(|id| json!({ "id": id }))
                .collect(),
            "timeliness" => {
                let mut calls = vec![json!({ "from": from, "to": today })];
                for g in walk.schema.enum_values("TimelinessGroupBy") {
                    calls.push(json!({ "from": from, "to": today, "groupBy": g }));
                }
                calls
            }
            "childrenWaiting" => vec![json!({ "on": today })],
            "panelQueue" => vec![
                json!({ "localAuthority": TEST_AUTHORITY, "first": 100 }),
                json!({ "localAuthority": TEST_AUTHORITY, "first": 100,
                        "asOf": added.panel_sat.pred_opt() }),
            ],
            _ => vec![generic_arguments(walk.schema, &field, added, today)],
        };
        for variables in calls {
            walk.query(server, &field, variables).await?;
        }
    }
    Ok(())
}

/// Arguments for a root field the walk has no special knowledge of: the largest page, and
/// something sensible for each required argument.
fn generic_arguments(schema: &ApiSchema, field: &Field, added: &Added, today: NaiveDate) -> Value {
    let mut out = Map::new();
    for arg in &field.args {
        let value = match (arg.name.as_str(), arg.ty.named.as_str()) {
            ("first", _) => json!(100),
            (_, _) if !arg.required() => continue,
            (_, "UUID") => json!(added.cases[0]),
            (_, "Date") => json!(today),
            (_, "String") => json!(TEST_AUTHORITY),
            (_, "Int") => json!(1),
            (_, "Boolean") => json!(false),
            (_, other) => schema
                .enum_values(other)
                .first()
                .map_or(Value::Null, |v| json!(v)),
        };
        out.insert(arg.name.clone(), value);
    }
    Value::Object(out)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_message(socket: &mut Socket) -> anyhow::Result<Value> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .context("no message within 30 s")?
            .context("socket closed")??;
        match message {
            Message::Text(text) => return Ok(serde_json::from_str(text.as_str())?),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => bail!("unexpected message {other:?}"),
        }
    }
}
