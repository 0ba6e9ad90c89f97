//! Keeps a batch page live: opens the websocket server function, hands every message to the
//! page, and reconnects with back-off when the server goes away (a restart, a deploy).

use std::time::Duration;

use futures::StreamExt;
use futures::future::{AbortHandle, Abortable};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::batches::watch_batch;
use crate::model::batch::{BatchLive, BatchWatch};

/// What the page shows about its live channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveStatus {
    Connecting,
    Live,
    Reconnecting,
    /// The session ended (signed out elsewhere, idle, expired): no more reconnecting.
    SignedOut,
}

async fn sleep(duration: Duration) {
    let (done, wait) = futures::channel::oneshot::channel::<()>();
    set_timeout(
        move || {
            let _ = done.send(());
        },
        duration,
    );
    let _ = wait.await;
}

/// The channel as the page sees it.
#[derive(Clone, Copy)]
pub struct LiveChannel {
    pub status: RwSignal<LiveStatus>,
    /// How often the channel was lost and opened again.
    pub reconnects: RwSignal<u32>,
}

/// Starts the channel in the browser (an effect, so never on the server) and stops it when the
/// page goes away.
pub fn keep_live(
    watch: BatchWatch,
    on_message: impl Fn(BatchLive) + Clone + 'static,
) -> LiveChannel {
    let channel = LiveChannel {
        status: RwSignal::new(LiveStatus::Connecting),
        reconnects: RwSignal::new(0),
    };
    let LiveChannel { status, reconnects } = channel;
    Effect::new(move |_| {
        let on_message = on_message.clone();
        let watch = watch.clone();
        let (abort, registration) = AbortHandle::new_pair();
        let run = async move {
            let mut backoff = Duration::from_millis(500);
            loop {
                // The sender stays alive while the channel is open: its end tells the server
                // the page is gone.
                let (sender, input) = futures::channel::mpsc::unbounded();
                let _ = sender.unbounded_send(Ok(watch.clone()));
                if let Ok(mut stream) = watch_batch(input.into()).await {
                    while let Some(message) = stream.next().await {
                        match message {
                            Ok(live) => {
                                status.try_set(LiveStatus::Live);
                                backoff = Duration::from_millis(500);
                                on_message(live);
                            }
                            Err(crate::api::AppError::Unauthorized) => {
                                status.try_set(LiveStatus::SignedOut);
                                return;
                            }
                            Err(_) => break,
                        }
                    }
                }
                drop(sender);
                status.try_set(LiveStatus::Reconnecting);
                reconnects.try_update(|n| *n += 1);
                sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        };
        spawn_local(async move {
            let _ = Abortable::new(run, registration).await;
        });
        on_cleanup(move || abort.abort());
    });
    channel
}
