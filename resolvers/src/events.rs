//! The event bus behind subscriptions. In-process (a broadcast channel) for
//! now; a Redis fan-out for several instances plugs in behind `publish`.

use roster_entities::{activity, import_job, invitation};
use tokio::sync::broadcast;

/// Something subscribers may want to see.
#[derive(Clone, Debug)]
pub enum Event {
    /// An import job changed (phase or counts).
    ImportProgress(import_job::Model),
    /// An entry was added to an account's activity history.
    Activity(activity::Model),
    /// An invitation changed status.
    Invitation(invitation::Model),
}

#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Event>,
}

impl EventBus {
    pub fn in_process() -> Self {
        // Slow subscribers lose old events rather than slow publishers down;
        // import progress carries full state, so the next event repairs it.
        let (sender, _) = broadcast::channel(1024);
        EventBus { sender }
    }

    pub fn publish(&self, event: Event) {
        // No subscriber is not an error.
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }
}
