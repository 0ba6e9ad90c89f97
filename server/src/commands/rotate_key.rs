//! `mailferry rotate-key --new-key-file PATH`: a new secret key, and every stored secret
//! re-encrypted with it. Run it with every Mailferry process stopped; then point
//! `secret_key_file` at the new file (or move it over the old one).

use std::path::PathBuf;

use app::model::audit::AuditAction;

use crate::audit::Actor;
use crate::config::Config;
use crate::secrets::rotate::{RotateError, rotate};
use crate::secrets::{Cipher, key_file};

#[derive(Debug, thiserror::Error)]
pub enum RotateKeyError {
    #[error(transparent)]
    Runtime(#[from] crate::runtime::RuntimeError),
    #[error(transparent)]
    Key(#[from] key_file::KeyFileError),
    #[error("nothing was changed (the new key file was removed again): {0}")]
    Rotate(#[from] RotateError),
    #[error(
        "the rotation's end is unknown ({0}); the new key file {1} is kept, since the database may \
         have taken it: start Mailferry with either key file, it names the key the secrets need"
    )]
    Unknown(RotateError, String),
}

pub async fn run(new_key_file: PathBuf, config: Config) -> Result<u8, RotateKeyError> {
    // A serving process on the same SQLite file would keep writing with the old key.
    let old_key_file = config.secret_key_file.clone();
    let runtime = crate::runtime::open_for_work(config).await?;
    let new_key = key_file::create_new(&new_key_file)?;
    let new = Cipher::new(&new_key);
    match rotate(&runtime.db, &runtime.cipher, &new).await {
        Ok(count) => {
            let detail = format!(
                "{count} secrets resealed from key {} to key {}",
                runtime.cipher.key_id(),
                new.key_id()
            );
            let (actor, action) = (Actor::CommandLine, AuditAction::KeyRotated);
            crate::audit::record(&runtime.db, actor, None, action, None, &detail).await;
            println!(
                "re-encrypted {count} stored secrets with the new key {}.\n\
                 Point secret_key_file at it (or move it over {}) before starting Mailferry again;\n\
                 the old key (id {}) no longer opens anything and can be destroyed.",
                new_key_file.display(),
                old_key_file.display(),
                runtime.cipher.key_id()
            );
            Ok(0)
        }
        Err(e) => {
            // An error at the commit may come after the database took it: the new key is removed
            // only when no stored secret was sealed with it.
            match crate::secrets::census::any_sealed_with(&runtime.db, new.key_id()).await {
                Ok(false) => {
                    let _ = std::fs::remove_file(&new_key_file);
                    Err(e.into())
                }
                _ => Err(RotateKeyError::Unknown(
                    e,
                    new_key_file.display().to_string(),
                )),
            }
        }
    }
}
