//! The escalation worker each server process runs beside the API: it sweeps for deadlines
//! that have reached a tier, relays new notifications to this process's subscribers, and
//! sends queued notifications to the authority's webhook, retrying failures with backoff.
//!
//! Any number of processes may run it on one database: the store records each notification
//! once and hands each delivery to one sender at a time.

use crate::cli::EscalationArgs;
use chrono::{DateTime, Utc};
use permanence_engine::Engine;
use permanence_engine::store::{DeliveryAttempt, NotificationRecord, WebhookDelivery};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How the worker runs.
#[derive(Clone, Debug)]
pub struct EscalationOptions {
    /// Time between rounds (sweep, relay, deliveries).
    pub interval: Duration,
    pub webhook: Option<WebhookOptions>,
}

/// Where and how notifications are sent.
#[derive(Clone, Debug)]
pub struct WebhookOptions {
    /// The authority's endpoint; it receives one JSON POST per notification.
    pub url: reqwest::Url,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: u32,
    /// Wait before the first retry; each later retry waits twice as long, up to an hour.
    pub first_retry: Duration,
    /// How long one request may take.
    pub timeout: Duration,
}

/// Deliveries claimed per round.
const DELIVERY_BATCH: u64 = 50;
/// The longest wait between two attempts.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(3600);

/// A running worker; stop it with [`EscalationWorker::stop`].
pub struct EscalationWorker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl EscalationWorker {
    /// Starts the worker on the engine.
    pub fn spawn(engine: Engine, options: EscalationOptions) -> anyhow::Result<Self> {
        let client = match &options.webhook {
            Some(webhook) => Some(
                reqwest::Client::builder()
                    .timeout(webhook.timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .build()?,
            ),
            None => None,
        };
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut relay = None;
            loop {
                if relay.is_none() {
                    match engine.notification_relay().await {
                        Ok(started) => relay = Some(started),
                        Err(e) => tracing::error!(error = %e, "notification relay could not start"),
                    }
                }
                round(&engine, &options, client.as_ref(), relay.as_mut()).await;
                tokio::select! {
                    _ = tokio::time::sleep(options.interval) => {}
                    _ = stopped.changed() => break,
                }
            }
        });
        Ok(Self { stop, task })
    }

    /// Stops after the round in progress.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// One round. Failures are logged (without child data) and retried next round.
async fn round(
    engine: &Engine,
    options: &EscalationOptions,
    client: Option<&reqwest::Client>,
    relay: Option<&mut permanence_engine::escalation::NotificationRelay>,
) {
    let queue_from = options.webhook.as_ref().map(|_| Utc::now());
    match engine.escalate(queue_from).await {
        Ok(counts) if counts.total() > 0 => tracing::info!(
            due_soon = counts.due_soon,
            overdue = counts.overdue,
            long_overdue = counts.long_overdue,
            "escalations recorded"
        ),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "escalation sweep failed"),
    }
    if let Some(relay) = relay
        && let Err(e) = relay.poll().await
    {
        tracing::error!(error = %e, "notification relay failed");
    }
    if let (Some(webhook), Some(client)) = (&options.webhook, client) {
        deliver_due(engine, webhook, client).await;
    }
}

/// Sends every delivery that is due, a batch at a time.
async fn deliver_due(engine: &Engine, webhook: &WebhookOptions, client: &reqwest::Client) {
    loop {
        let now = Utc::now();
        // The lease outlasts one request, so another process cannot claim it meanwhile.
        let lease_until = now + webhook.timeout * 2 + Duration::from_secs(5);
        let claimed = match engine
            .store()
            .claim_webhook_deliveries(now, lease_until, DELIVERY_BATCH)
            .await
        {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::error!(error = %e, "claiming webhook deliveries failed");
                return;
            }
        };
        let full = claimed.len() as u64 == DELIVERY_BATCH;
        for (delivery, notification) in claimed {
            let attempt = send(client, webhook, &delivery, &notification).await;
            if let Err(e) = engine
                .store()
                .record_delivery_attempt(delivery.notification_id, &attempt)
                .await
            {
                tracing::error!(error = %e, "recording a webhook attempt failed");
            }
        }
        if !full {
            return;
        }
    }
}

/// One attempt to deliver a notification.
async fn send(
    client: &reqwest::Client,
    webhook: &WebhookOptions,
    delivery: &WebhookDelivery,
    notification: &NotificationRecord,
) -> DeliveryAttempt {
    let answer = client
        .post(webhook.url.clone())
        .json(&payload(notification))
        .send()
        .await;
    let at = Utc::now();
    let (status_code, error) = match answer {
        Ok(response) if response.status().is_success() => (Some(response.status().as_u16()), None),
        Ok(response) => (
            Some(response.status().as_u16()),
            Some(format!("HTTP {}", response.status())),
        ),
        // The URL may carry the endpoint's secret: it is left out of the message.
        Err(e) => (None, Some(e.without_url().to_string())),
    };
    let retry_at = error
        .as_ref()
        .and_then(|_| retry_at(webhook, delivery.attempts + 1, at));
    DeliveryAttempt {
        at,
        status_code,
        error,
        retry_at,
    }
}

/// When to try again after `attempts` failed attempts, or `None` when none is left.
fn retry_at(webhook: &WebhookOptions, attempts: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if attempts >= webhook.max_attempts {
        return None;
    }
    let factor = 2u32.saturating_pow(attempts.saturating_sub(1));
    let wait = webhook
        .first_retry
        .saturating_mul(factor)
        .min(MAX_RETRY_WAIT);
    Some(now + wait)
}

/// What the webhook receives: the deadline and whom it is addressed to, never the child's
/// name or any free text.
pub fn payload(n: &NotificationRecord) -> serde_json::Value {
    let level = n.level.key();
    let tier = match n.level.tier() {
        permanence_domain::escalation::EscalationTier::AllocatedWorker => "allocated_worker",
        permanence_domain::escalation::EscalationTier::TeamManager => "team_manager",
        permanence_domain::escalation::EscalationTier::HeadOfService => "head_of_service",
    };
    serde_json::json!({
        "id": n.id,
        "level": level,
        "tier": tier,
        "caseId": n.case_id.0,
        "deadline": n.deadline_key,
        "label": n.label,
        "dueOn": n.due_on,
        "afterPanel": n.after_panel,
        "localAuthority": n.local_authority,
        "team": n.team,
        "allocatedWorker": n.allocated_worker,
        "raisedOn": n.raised_on,
        "raisedAt": n.raised_at,
    })
}

impl EscalationArgs {
    /// The worker's options, or `None` when escalation is off.
    pub fn options(&self) -> anyhow::Result<Option<EscalationOptions>> {
        if self.escalation_seconds == 0 {
            return Ok(None);
        }
        let webhook = match &self.webhook_url {
            Some(url) if !matches!(url.scheme(), "http" | "https") => {
                anyhow::bail!("--webhook-url must be an http or https URL")
            }
            Some(url) => Some(WebhookOptions {
                url: url.clone(),
                max_attempts: self.webhook_attempts,
                first_retry: std::time::Duration::from_secs(self.webhook_retry_seconds),
                timeout: std::time::Duration::from_secs(self.webhook_timeout_seconds),
            }),
            None => None,
        };
        Ok(Some(EscalationOptions {
            interval: std::time::Duration::from_secs(self.escalation_seconds),
            webhook,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webhook(max_attempts: u32) -> WebhookOptions {
        WebhookOptions {
            url: reqwest::Url::parse("http://127.0.0.1:9/hook").expect("a URL"),
            max_attempts,
            first_retry: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        }
    }

    #[test]
    fn retries_back_off_and_stop() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let w = webhook(4);
        let waits: Vec<Option<i64>> = (1..=4)
            .map(|a| retry_at(&w, a, now).map(|t| (t - now).num_seconds()))
            .collect();
        assert_eq!(waits, [Some(30), Some(60), Some(120), None]);
        let many = webhook(40);
        assert_eq!(
            retry_at(&many, 30, now).map(|t| (t - now).num_seconds()),
            Some(3600),
            "waits are capped"
        );
    }
}
