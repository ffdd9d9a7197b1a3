//! End-to-end over HTTP, on SQLite and PostgreSQL: a social worker records from the case's
//! page that an adoptive placement broke down. The form is offered only once the child is
//! placed, a missing reason comes back by its field, and the recorded breakdown takes the
//! plan back to family finding and shows on the page in words.

use anyhow::Context;
use permanence_auth::Role;
use permanence_e2e::pages::{hidden_field, http_sign_in, no_redirects, page};
use permanence_e2e::serde_json::json;
use permanence_e2e::{
    SET_ROUTE_PLAN, TestServer, child_in_care, give_password, on_both_backends, record_steps,
};
use reqwest::StatusCode;
use reqwest::header::COOKIE;

async fn recorded_from_the_page(server: &TestServer) -> anyhow::Result<()> {
    give_password(server.engine(), Role::SocialWorker).await?;
    let id = child_in_care(server, "WB1", "2022-03-01", "2023-01-09").await?;
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": id, "route": "ADOPTION", "occurredOn": "2023-03-01" } }),
        )
        .await?;
    record_steps(
        server,
        &id,
        "ADOPTION",
        &[
            ("shobpa_decision", "2023-04-03"),
            ("placement_order", "2023-07-10"),
            ("family_finding", "2023-07-11"),
            ("matching_panel_recommendation", "2023-10-02"),
            ("match_decision", "2023-10-06"),
        ],
    )
    .await?;
    let client = no_redirects()?;
    let (session, token) = http_sign_in(server, &client, "sw.tester").await?;
    let case_path = format!("/cases/{id}");
    let form_path = format!("{case_path}/record/placement-breakdown");

    // Not placed yet: nothing can break down, and the case page does not offer it.
    let (_, case_page) = page(server, &client, &session, &case_path).await?;
    assert!(!case_page.contains(&form_path), "offered before placement");

    record_steps(
        server,
        &id,
        "ADOPTION",
        &[("placed_for_adoption", "2023-10-23")],
    )
    .await?;
    let (_, case_page) = page(server, &client, &session, &case_path).await?;
    assert!(case_page.contains(&form_path), "offered once placed");
    let (status, form) = page(server, &client, &session, &form_path).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("Adoptive placement"), "the route is named");
    let command_id = hidden_field(&form, "command_id").context("command id")?;
    let version = hidden_field(&form, "expected_version").context("version")?;
    let post = |fields: Vec<(&'static str, String)>| {
        let mut all = fields;
        all.extend([
            ("csrf_token", token.clone()),
            ("command_id", command_id.clone()),
            ("expected_version", version.clone()),
            ("route", "ADOPTION".to_owned()),
            ("on-day", "15".to_owned()),
            ("on-month", "1".to_owned()),
            ("on-year", "2024".to_owned()),
        ]);
        client
            .post(server.server.url(&form_path))
            .header(COOKIE, &session)
            .form(&all)
            .send()
    };

    // Without a reason: the form comes back with the message by the field.
    let refused = post(vec![]).await?;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = refused.text().await?;
    assert!(body.contains("Choose why the placement ended"), "{body}");

    let sent = post(vec![("reason", "CREQB".to_owned())]).await?;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let (_, case_page) = page(server, &client, &session, &case_path).await?;
    assert!(
        case_page.contains("Adoptive placement broke down"),
        "the timeline says what happened"
    );
    let data = server
        .ok(
            "query($id: UUID!) { case(id: $id) { primaryPlan { currentStep reversedOn breakdowns { stage reason } } } }",
            json!({ "id": id }),
        )
        .await?;
    assert_eq!(
        data["case"]["primaryPlan"],
        json!({ "currentStep": "family_finding", "reversedOn": null,
                "breakdowns": [{ "stage": "placed_for_adoption", "reason": "CREQB" }] })
    );
    Ok(())
}
on_both_backends!(
    a_breakdown_recorded_from_the_case_page,
    recorded_from_the_page
);
