//! End-to-end over HTTP, on SQLite and PostgreSQL: a social worker records a statutory visit
//! from the case's page. A visit dated before the placement began comes back by the date
//! with everything as typed (the date and whether the child was seen alone); the visit
//! recorded shows on the page in words, and the next visit is due from it.

use anyhow::Context;
use permanence_auth::Role;
use permanence_e2e::pages::{hidden_field, http_sign_in, no_redirects, page};
use permanence_e2e::serde_json::json;
use permanence_e2e::{TestServer, child_in_care, give_password, on_both_backends};
use reqwest::StatusCode;
use reqwest::header::COOKIE;

async fn recorded_from_the_page(server: &TestServer) -> anyhow::Result<()> {
    give_password(server.engine(), Role::SocialWorker).await?;
    let id = child_in_care(server, "WV1", "2014-05-01", "2025-01-06").await?;
    let client = no_redirects()?;
    let (session, token) = http_sign_in(server, &client, "sw.tester").await?;
    let case_path = format!("/cases/{id}");
    let form_path = format!("{case_path}/record/visit");

    let (_, case_page) = page(server, &client, &session, &case_path).await?;
    assert!(case_page.contains(&form_path), "the case page offers it");
    let (status, form) = page(server, &client, &session, &form_path).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("Record a visit to the child"), "{form}");
    let command_id = hidden_field(&form, "command_id").context("command id")?;
    let version = hidden_field(&form, "expected_version").context("version")?;
    let post = |day: &str| {
        let all = vec![
            ("csrf_token", token.clone()),
            ("command_id", command_id.clone()),
            ("expected_version", version.clone()),
            ("seen_alone", "yes".to_owned()),
            ("on-day", day.to_owned()),
            ("on-month", "1".to_owned()),
            ("on-year", "2025".to_owned()),
        ];
        client
            .post(server.server.url(&form_path))
            .header(COOKIE, &session)
            .form(&all)
            .send()
    };

    // Before the child entered care (and the placement began): refused by the date, with
    // what was typed kept.
    let refused = post("3").await?;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = refused.text().await?;
    assert!(
        body.contains("Cannot be before the child entered care"),
        "{body}"
    );
    assert!(
        body.contains(r#"id="on-error""#),
        "the message is by the date"
    );
    assert!(body.contains(r#"name="on-day" type="text" inputmode="numeric" value="3""#));
    assert!(body.contains(r#"name="on-year" type="text" inputmode="numeric" value="2025""#));
    assert!(
        body.contains(r#"type="radio" value="yes" checked"#),
        "the answer to seen alone is kept"
    );

    let sent = post("10").await?;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let (_, case_page) = page(server, &client, &session, &case_path).await?;
    assert!(
        case_page.contains("Visit by social worker: the child was seen alone"),
        "the timeline says what happened"
    );
    assert!(
        case_page
            .to_lowercase()
            .contains("statutory visit by the social worker"),
        "the next visit is among the deadlines"
    );
    let data = server
        .ok(
            "query($id: UUID!) { case(id: $id) { visits { occurredOn seenAlone }
                deadlines { rule dueOn } } }",
            json!({ "id": id }),
        )
        .await?;
    assert_eq!(
        data["case"]["visits"],
        json!([{ "occurredOn": "2025-01-10", "seenAlone": true }])
    );
    let next = data["case"]["deadlines"]
        .as_array()
        .context("deadlines")?
        .iter()
        .find(|d| d["rule"] == "visit")
        .context("the next visit")?;
    assert_eq!(next["dueOn"], "2025-02-21");
    Ok(())
}
on_both_backends!(a_visit_recorded_from_the_case_page, recorded_from_the_page);
