//! Secrets: in memory (never printed), and at rest (the key file and the AEAD cipher that
//! encrypts stored passwords).

pub mod census;
pub mod cipher;
pub mod key_file;
pub mod rotate;
pub mod secret;

pub use cipher::{Cipher, CipherError, EncryptedSecret, Slot};
pub use secret::Secret;
