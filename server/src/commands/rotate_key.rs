//! `mailferry rotate-key --new-key-file PATH`: a new secret key, and every stored secret
//! re-encrypted with it. Run it with every Mailferry process stopped; then point
//! `secret_key_file` at the new file (or move it over the old one).

use std::path::PathBuf;

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
}

pub async fn run(new_key_file: PathBuf, config: Config) -> Result<u8, RotateKeyError> {
    // A serving process on the same SQLite file would keep writing with the old key.
    let old_key_file = config.secret_key_file.clone();
    let runtime = crate::runtime::open_for_work(config).await?;
    let new_key = key_file::create_new(&new_key_file)?;
    match rotate(&runtime.db, &runtime.cipher, &Cipher::new(&new_key)).await {
        Ok(count) => {
            println!(
                "re-encrypted {count} stored secrets with the new key {}.\n\
                 Point secret_key_file at it (or move it over {}) before starting Mailferry again;\n\
                 the old key no longer opens anything and can be destroyed.",
                new_key_file.display(),
                old_key_file.display()
            );
            Ok(0)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&new_key_file);
            Err(e.into())
        }
    }
}
