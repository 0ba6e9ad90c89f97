use leptos::prelude::*;
use leptos::server_fn::{BoxedStream, Websocket, codec::JsonEncoding};

use crate::api::AppError;
use crate::model::batch::{BatchLive, BatchWatch};

/// The batch page's live channel (a websocket, so many open tabs do not use up the browser's
/// connections): the browser sends the batch and the page of rows it shows, the server answers
/// with that page first and then what changes, as any process sharing the database moves it.
#[server(protocol = Websocket<JsonEncoding, JsonEncoding>, endpoint = "batches/watch")]
pub async fn watch_batch(
    input: BoxedStream<BatchWatch, AppError>,
) -> Result<BoxedStream<BatchLive, AppError>, AppError> {
    use futures::StreamExt;

    use crate::backend::LiveStream;

    let (backend, headers) = crate::backend::request()?;
    backend.authenticate(&headers).await?;
    // The websocket opens only once this function has returned, so the watch is read inside
    // the answer stream, never before it.
    let mut input = input;
    let opened = async move {
        match input.next().await {
            Some(Ok(watch)) => match backend.watch_batch(&headers, watch).await {
                Ok(live) => (live, Some(input)),
                Err(error) => (
                    Box::pin(futures::stream::iter([Err(error)])) as LiveStream,
                    None,
                ),
            },
            _ => (Box::pin(futures::stream::empty()) as LiveStream, None),
        }
    };
    let stream = futures::stream::once(opened).flat_map(|(live, input)| {
        // The channel ends when the browser goes away (its input stream ends).
        let closed = async move {
            if let Some(mut input) = input {
                while input.next().await.is_some() {}
            }
        };
        live.take_until(closed)
    });
    Ok(stream.into())
}
