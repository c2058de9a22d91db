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
