//! Service events: the messages DescribeServices shows, newest first, in AWS's wording
//! ("has started 2 tasks", "has reached a steady state"). Every mechanism of the scheduler
//! reports through here so the wording stays in one place.

use super::ts;
use crate::clock::Epoch;
use crate::ecs::ServiceRecord;
use crate::state::Ids;
use aws_sdk_ecs::types::ServiceEvent;

/// Events kept per service.
const MAX_EVENTS: usize = 100;

/// Adds a service event (newest first).
pub fn push_event(svc: &mut ServiceRecord, ids: &mut Ids, now: Epoch, message: String) {
    let event = ServiceEvent::builder()
        .id(ids.uuid())
        .created_at(ts(now))
        .message(message)
        .build();
    let events = svc.service.events.get_or_insert_with(Vec::new);
    events.insert(0, event);
    events.truncate(MAX_EVENTS);
}

pub(super) fn report(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    now: Epoch,
    name: &str,
    started: &[String],
    stopped: &[String],
) {
    if !stopped.is_empty() {
        // A stopped task's targets drain first: "has begun draining connections" and
        // "deregistered … targets" now, "has stopped" once they drained (wording and order as
        // ECS writes them in service events; see `crate::elbv2::targets::announce`; ECS
        // developer guide, "task lifecycle": DEACTIVATING while targets deregister, then
        // STOPPING). Tasks without draining targets are stopped at once.
        crate::elbv2::targets::announce(svc, ids, now);
        let at_once: Vec<String> = stopped
            .iter()
            .filter(|id| svc.tasks.get(*id).is_none_or(|t| t.drain_until.is_none()))
            .cloned()
            .collect();
        report_stopped(svc, ids, now, name, &at_once);
    }
    if !started.is_empty() {
        let list: Vec<String> = started.iter().map(|id| format!("(task {id})")).collect();
        push_event(
            svc,
            ids,
            now,
            format!(
                "(service {name}) has started {} tasks: {}.",
                started.len(),
                list.join(" ")
            ),
        );
    }
    if !started.is_empty() || !stopped.is_empty() {
        svc.steady = false;
    }
}

/// "(service x) has stopped N running tasks: (task a) (task b)." for `stopped`, if any.
pub(super) fn report_stopped(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    now: Epoch,
    name: &str,
    stopped: &[String],
) {
    if stopped.is_empty() {
        return;
    }
    let list: Vec<String> = stopped.iter().map(|id| format!("(task {id})")).collect();
    push_event(
        svc,
        ids,
        now,
        format!(
            "(service {name}) has stopped {} running tasks: {}.",
            stopped.len(),
            list.join(" ")
        ),
    );
    svc.steady = false;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::push_event;
    use crate::testkit::{Kit, WORLD};

    // API_Service `events`: newest first; ECS keeps the latest 100.
    #[test]
    fn events_are_newest_first_and_capped_at_100() {
        let mut kit = Kit::new(WORLD);
        kit.steady_service(1, json!({}), "web:2");
        let now = kit.t0;
        let crate::state::State { ecs, ids, .. } = &mut kit.state;
        let svc = ecs
            .clusters
            .get_mut("default")
            .and_then(|c| c.services.get_mut("web"))
            .expect("service");
        for i in 0..150 {
            push_event(svc, ids, now, format!("event {i}"));
        }
        let events = svc.service.events();
        assert_eq!(events.len(), 100);
        assert_eq!(events[0].message(), Some("event 149"));
        assert_eq!(events[99].message(), Some("event 50"));
    }

    // ECS developer guide, "service-event-messages": "(service web) has started 2 tasks:
    // (task …) (task …)."
    #[test]
    fn started_tasks_are_reported_in_one_event() {
        let mut kit = Kit::new(WORLD);
        kit.steady_service(2, json!({}), "web:2");
        let started = kit
            .messages("web")
            .into_iter()
            .find(|m| m.starts_with("(service web) has started 2 tasks: (task "))
            .expect("started event");
        assert_eq!(started.matches("(task ").count(), 2);
        assert!(started.ends_with(")."));
    }
}
