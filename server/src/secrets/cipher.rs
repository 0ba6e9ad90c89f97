//! XChaCha20-Poly1305 encryption of stored passwords. The stored text is
//! `v1:` + base64(nonce ‖ ciphertext); the version prefix leaves room for key rotation.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error("stored secret is malformed")]
    Malformed,
    #[error("stored secret cannot be decrypted with this key (was the key file replaced?)")]
    WrongKey,
}

/// An encrypted secret as stored in the database.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptedSecret(pub String);

impl std::fmt::Debug for EncryptedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptedSecret(..)")
    }
}

#[derive(Clone)]
pub struct Cipher {
    aead: XChaCha20Poly1305,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(..)")
    }
}

impl Cipher {
    pub fn new(key: &[u8; 32]) -> Self {
        Cipher {
            aead: XChaCha20Poly1305::new(key.into()),
        }
    }

    pub fn encrypt(&self, plain: &str) -> EncryptedSecret {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .aead
            .encrypt(XNonce::from_slice(&nonce), plain.as_bytes())
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        EncryptedSecret(format!("v1:{}", B64.encode(out)))
    }

    pub fn decrypt(&self, stored: &EncryptedSecret) -> Result<String, CipherError> {
        let body = stored.0.strip_prefix("v1:").ok_or(CipherError::Malformed)?;
        let bytes = B64.decode(body).map_err(|_| CipherError::Malformed)?;
        if bytes.len() < 24 + 16 {
            return Err(CipherError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(24);
        let plain = self
            .aead
            .decrypt(XNonce::from_slice(nonce), sealed)
            .map_err(|_| CipherError::WrongKey)?;
        String::from_utf8(plain).map_err(|_| CipherError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_hides_the_plain_text() {
        let cipher = Cipher::new(&[7u8; 32]);
        let stored = cipher.encrypt("pw-user1 ünïcode");
        assert!(!stored.0.contains("pw-user1"));
        assert_ne!(
            cipher.encrypt("pw-user1 ünïcode"),
            stored,
            "nonces must differ"
        );
        assert_eq!(cipher.decrypt(&stored).unwrap(), "pw-user1 ünïcode");
    }

    #[test]
    fn another_key_or_a_tampered_text_is_refused() {
        let stored = Cipher::new(&[7u8; 32]).encrypt("secret");
        assert!(matches!(
            Cipher::new(&[8u8; 32]).decrypt(&stored),
            Err(CipherError::WrongKey)
        ));
        assert!(matches!(
            Cipher::new(&[7u8; 32]).decrypt(&EncryptedSecret("v1:abc".into())),
            Err(CipherError::Malformed)
        ));
        assert!(matches!(
            Cipher::new(&[7u8; 32]).decrypt(&EncryptedSecret("plain".into())),
            Err(CipherError::Malformed)
        ));
    }
}
