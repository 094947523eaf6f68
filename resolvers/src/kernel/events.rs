//! The event bus behind subscriptions: a broadcast channel in the process,
//! and, when `REDIS_URL` is set, Redis pub/sub between instances, so a
//! subscriber connected to one instance sees events caused on another.
//! Each event is delivered locally at once and published to Redis tagged
//! with this instance; the Redis listener re-broadcasts other instances'
//! events only.

use std::time::Duration;

use roster_entities::{activity, import_job, invitation};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

/// The Redis channel events travel on.
const CHANNEL: &str = "roster:events";

/// Something subscribers may want to see.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Event {
    /// An import job changed (phase or counts).
    ImportProgress(import_job::Model),
    /// An entry was added to an account's activity history.
    Activity(activity::Model),
    /// An invitation changed status.
    Invitation(invitation::Model),
    /// A staff user's sessions may no longer be what they were (sign-out,
    /// suspension, deletion, role change): open sockets check theirs again.
    SessionsChanged { user_id: Uuid },
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    instance: Uuid,
    event: Event,
}

#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Event>,
    /// `SessionsChanged` travels apart: every open socket waits on it, and
    /// would otherwise wake for every other event too.
    sessions: broadcast::Sender<Uuid>,
    /// To the Redis publisher task, when there is one.
    redis: Option<mpsc::UnboundedSender<String>>,
    instance: Uuid,
}

impl EventBus {
    pub fn in_process() -> Self {
        // Slow subscribers lose old events rather than slow publishers down;
        // import progress carries full state, so the next event repairs it.
        let (sender, _) = broadcast::channel(1024);
        let (sessions, _) = broadcast::channel(1024);
        EventBus {
            sender,
            sessions,
            redis: None,
            instance: Uuid::now_v7(),
        }
    }

    /// A bus shared with other instances through Redis at `url`. Runs two
    /// tasks (publisher and listener) that reconnect when Redis goes away.
    pub fn redis(url: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let mut bus = EventBus::in_process();
        let (tx, rx) = mpsc::unbounded_channel();
        bus.redis = Some(tx);
        tokio::spawn(publisher(client.clone(), rx));
        tokio::spawn(listener(client, bus.local(), bus.instance));
        Ok(bus)
    }

    pub fn publish(&self, event: Event) {
        if let Some(redis) = &self.redis {
            let envelope = Envelope {
                instance: self.instance,
                event: event.clone(),
            };
            if let Ok(json) = serde_json::to_string(&envelope) {
                let _ = redis.send(json);
            }
        }
        self.local().deliver(event);
    }

    /// Every event but `SessionsChanged`.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    /// The users whose sessions may have changed.
    pub fn subscribe_sessions(&self) -> broadcast::Receiver<Uuid> {
        self.sessions.subscribe()
    }

    fn local(&self) -> Local {
        Local {
            sender: self.sender.clone(),
            sessions: self.sessions.clone(),
        }
    }
}

/// This instance's channels, which the Redis listener delivers to.
struct Local {
    sender: broadcast::Sender<Event>,
    sessions: broadcast::Sender<Uuid>,
}

impl Local {
    fn deliver(&self, event: Event) {
        // No subscriber is not an error.
        match event {
            Event::SessionsChanged { user_id } => {
                let _ = self.sessions.send(user_id);
            }
            event => {
                let _ = self.sender.send(event);
            }
        }
    }
}

async fn publisher(client: redis::Client, mut rx: mpsc::UnboundedReceiver<String>) {
    let mut connection = None;
    while let Some(message) = rx.recv().await {
        for attempt in 0..3 {
            if connection.is_none() {
                connection = client.get_multiplexed_async_connection().await.ok();
            }
            let Some(conn) = connection.as_mut() else {
                tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
                continue;
            };
            let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
                .arg(CHANNEL)
                .arg(&message)
                .query_async(conn)
                .await;
            match sent {
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!(%err, "cannot publish an event to Redis");
                    connection = None;
                }
            }
        }
    }
}

async fn listener(client: redis::Client, local: Local, me: Uuid) {
    use futures_util::StreamExt;
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => {
                if let Err(err) = pubsub.subscribe(CHANNEL).await {
                    tracing::warn!(%err, "cannot subscribe to Redis events");
                } else {
                    tracing::info!("receiving events of other instances through Redis");
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        let Ok(envelope) =
                            serde_json::from_slice::<Envelope>(message.get_payload_bytes())
                        else {
                            continue;
                        };
                        if envelope.instance != me {
                            local.deliver(envelope.event);
                        }
                    }
                }
            }
            Err(err) => tracing::warn!(%err, "cannot connect to Redis for events"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
