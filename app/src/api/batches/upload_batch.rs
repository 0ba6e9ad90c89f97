use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

use crate::api::AppError;
use crate::model::batch::UploadOutcome;

/// Largest CSV accepted (the parser's own limit is checked again on the bytes).
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The new-batch form with its CSV file, as multipart (the file is streamed, so the size is
/// capped here rather than by a body limit). Stores the batch in state Created, or answers every
/// problem of the file with its row and column and stores nothing.
#[server(input = MultipartFormData, endpoint = "batches/upload")]
pub async fn upload_batch(data: MultipartData) -> Result<UploadOutcome, AppError> {
    let (backend, admin) = crate::backend::require_admin().await?;
    let mut multipart = data.into_inner().ok_or(AppError::Internal)?;
    let mut fields = std::collections::HashMap::new();
    let mut csv = Vec::new();
    let broken = |_| AppError::invalid("CSV file", "the upload was cut off; try again");
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(broken)? {
            if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                return Err(AppError::invalid(
                    "CSV file",
                    format!(
                        "the file is larger than {} MB",
                        MAX_UPLOAD_BYTES / 1024 / 1024
                    ),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "csv" {
            csv = bytes;
        } else {
            fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    let upload = crate::model::batch_upload::BatchUpload::from_fields(&fields, csv)?;
    let name = upload.name.clone();
    let outcome = backend.create_batch(upload).await?;
    if let crate::model::batch::UploadOutcome::Created { batch, rows } = &outcome {
        let action = crate::model::audit::AuditAction::BatchCreated;
        let detail = format!("{name}: {rows} rows");
        crate::backend::record(&backend, &admin, action, Some(*batch), detail).await;
    }
    Ok(outcome)
}
