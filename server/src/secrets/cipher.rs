//! XChaCha20-Poly1305 encryption of stored passwords. The stored text is
//! `v2:` + key id + `:` + base64(nonce ‖ ciphertext), sealed with the row and column it is
//! stored in as associated data ([`Slot`]): the key id says which key opens it (a missing one is
//! named), and a ciphertext copied into another row or column does not open there.
//! `v1:` texts (no key id, no slot) from before are still read; `rotate` reseals them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error("stored secret is malformed")]
    Malformed,
    #[error("stored secret cannot be decrypted with this key (was the key file replaced?)")]
    WrongKey,
    #[error(
        "stored secret was sealed with key {0}, which is not the key file's (restore the key file that holds it)"
    )]
    UnknownKey(String),
    #[error("stored secret does not belong here (it was sealed for another row or column)")]
    WrongSlot,
    #[error("stored secret predates key ids; it is resealed when Mailferry starts")]
    Legacy,
}

/// An encrypted secret as stored in the database.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptedSecret(pub String);

impl std::fmt::Debug for EncryptedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptedSecret(..)")
    }
}

impl EncryptedSecret {
    /// The id of the key that sealed it (`None` for a `v1:` text).
    pub fn key_id(&self) -> Option<&str> {
        self.0
            .strip_prefix("v2:")?
            .split_once(':')
            .map(|(id, _)| id)
    }
}

/// Where a secret is stored: the associated data it is sealed with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot<'a> {
    EndpointAdmin {
        endpoint_id: i64,
    },
    EndpointOAuth {
        endpoint_id: i64,
    },
    MailboxSource {
        batch_id: i64,
        email: &'a str,
    },
    MailboxDestination {
        batch_id: i64,
        email: &'a str,
    },
    /// A personal account's refresh token.
    MailboxRefresh {
        batch_id: i64,
        email: &'a str,
    },
    /// The PKCE verifier of a consent under way.
    MailboxConsent {
        batch_id: i64,
        email: &'a str,
    },
    Setting {
        key: &'a str,
    },
}

impl Slot<'_> {
    fn associated_data(&self) -> String {
        match self {
            Slot::EndpointAdmin { endpoint_id } => format!("endpoint/{endpoint_id}/admin_secret"),
            Slot::EndpointOAuth { endpoint_id } => format!("endpoint/{endpoint_id}/oauth_secret"),
            Slot::MailboxSource { batch_id, email } => {
                format!("mailbox/{batch_id}/{email}/source_secret")
            }
            Slot::MailboxDestination { batch_id, email } => {
                format!("mailbox/{batch_id}/{email}/destination_secret")
            }
            Slot::MailboxRefresh { batch_id, email } => {
                format!("mailbox/{batch_id}/{email}/refresh_secret")
            }
            Slot::MailboxConsent { batch_id, email } => {
                format!("mailbox/{batch_id}/{email}/consent_verifier")
            }
            Slot::Setting { key } => format!("setting/{key}/secret"),
        }
    }
}

#[derive(Clone)]
pub struct Cipher {
    aead: XChaCha20Poly1305,
    key_id: String,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cipher(key {})", self.key_id)
    }
}

/// A key's public name: the first 8 bytes of a hash of it, in hex (it tells keys apart and
/// reveals nothing of them).
pub fn key_id(key: &[u8; 32]) -> String {
    let digest = Sha256::new()
        .chain_update(b"mailferry secret key id\0")
        .chain_update(key)
        .finalize();
    hex::encode(&digest[..8])
}

impl Cipher {
    pub fn new(key: &[u8; 32]) -> Self {
        Cipher {
            aead: XChaCha20Poly1305::new(key.into()),
            key_id: key_id(key),
        }
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn encrypt(&self, plain: &str, slot: &Slot<'_>) -> EncryptedSecret {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = slot.associated_data();
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: aad.as_bytes(),
        };
        let sealed = self
            .aead
            .encrypt(XNonce::from_slice(&nonce), payload)
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        EncryptedSecret(format!("v2:{}:{}", self.key_id, B64.encode(out)))
    }

    /// Opens a secret sealed for `slot` with this key. A `v1:` text (bound to no row) is
    /// refused: copied into any row it would open there; only the reseal reads it.
    pub fn decrypt(
        &self,
        stored: &EncryptedSecret,
        slot: &Slot<'_>,
    ) -> Result<String, CipherError> {
        if stored.0.starts_with("v1:") {
            return Err(CipherError::Legacy);
        }
        self.decrypt_legacy_too(stored, slot)
    }

    /// A secret sealed for `from` opened and sealed again for `to` (a row copied into another
    /// batch).
    pub fn reseal(
        &self,
        stored: &str,
        from: &Slot<'_>,
        to: &Slot<'_>,
    ) -> Result<EncryptedSecret, CipherError> {
        let plain = self.decrypt(&EncryptedSecret(stored.to_string()), from)?;
        Ok(self.encrypt(&plain, to))
    }

    /// [`Cipher::decrypt`], and `v1:` texts too: for resealing them (`rotate`).
    pub fn decrypt_legacy_too(
        &self,
        stored: &EncryptedSecret,
        slot: &Slot<'_>,
    ) -> Result<String, CipherError> {
        let (body, aad) = match stored.0.strip_prefix("v2:") {
            Some(rest) => {
                let (id, body) = rest.split_once(':').ok_or(CipherError::Malformed)?;
                if id != self.key_id {
                    return Err(CipherError::UnknownKey(id.to_string()));
                }
                (body, slot.associated_data())
            }
            None => {
                let body = stored.0.strip_prefix("v1:").ok_or(CipherError::Malformed)?;
                (body, String::new())
            }
        };
        let bytes = B64.decode(body).map_err(|_| CipherError::Malformed)?;
        if bytes.len() < 24 + 16 {
            return Err(CipherError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(24);
        let payload = Payload {
            msg: sealed,
            aad: aad.as_bytes(),
        };
        let plain = self
            .aead
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| match aad.is_empty() {
                // The key id matched: only the slot can be wrong.
                false => CipherError::WrongSlot,
                true => CipherError::WrongKey,
            })?;
        String::from_utf8(plain).map_err(|_| CipherError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROW: Slot<'static> = Slot::MailboxSource {
        batch_id: 1,
        email: "a@example.test",
    };

    #[test]
    fn round_trips_and_hides_the_plain_text() {
        let cipher = Cipher::new(&[7u8; 32]);
        let stored = cipher.encrypt("pw-user1 ünïcode", &ROW);
        assert!(!stored.0.contains("pw-user1"));
        assert_eq!(stored.key_id(), Some(cipher.key_id()));
        assert_ne!(
            cipher.encrypt("pw-user1 ünïcode", &ROW),
            stored,
            "nonces must differ"
        );
        assert_eq!(cipher.decrypt(&stored, &ROW).unwrap(), "pw-user1 ünïcode");
    }

    #[test]
    fn another_key_another_slot_or_a_tampered_text_is_refused() {
        let stored = Cipher::new(&[7u8; 32]).encrypt("secret", &ROW);
        assert!(matches!(
            Cipher::new(&[8u8; 32]).decrypt(&stored, &ROW),
            Err(CipherError::UnknownKey(id)) if id == key_id(&[7u8; 32])
        ));
        let cipher = Cipher::new(&[7u8; 32]);
        for elsewhere in [
            Slot::MailboxSource {
                batch_id: 1,
                email: "b@example.test",
            },
            Slot::MailboxSource {
                batch_id: 2,
                email: "a@example.test",
            },
            Slot::MailboxDestination {
                batch_id: 1,
                email: "a@example.test",
            },
            Slot::EndpointAdmin { endpoint_id: 1 },
        ] {
            assert!(
                matches!(
                    cipher.decrypt(&stored, &elsewhere),
                    Err(CipherError::WrongSlot)
                ),
                "{elsewhere:?}"
            );
        }
        let mut tampered = stored.0.clone();
        tampered.pop();
        tampered.push(if stored.0.ends_with('A') { 'B' } else { 'A' });
        assert!(cipher.decrypt(&EncryptedSecret(tampered), &ROW).is_err());
        assert!(matches!(
            cipher.decrypt(&EncryptedSecret("plain".into()), &ROW),
            Err(CipherError::Malformed)
        ));
    }

    #[test]
    fn version_1_texts_are_read_only_to_reseal_them() {
        // As the earlier code wrote them: no key id, no associated data.
        let key = [7u8; 32];
        let aead = XChaCha20Poly1305::new((&key).into());
        let nonce = [3u8; 24];
        let mut bytes = nonce.to_vec();
        bytes.extend(
            aead.encrypt(XNonce::from_slice(&nonce), b"old".as_ref())
                .unwrap(),
        );
        let stored = EncryptedSecret(format!("v1:{}", B64.encode(bytes)));
        assert_eq!(stored.key_id(), None);
        let cipher = Cipher::new(&key);
        assert!(matches!(
            cipher.decrypt(&stored, &ROW),
            Err(CipherError::Legacy)
        ));
        assert_eq!(cipher.decrypt_legacy_too(&stored, &ROW).unwrap(), "old");
        assert!(matches!(
            Cipher::new(&[8u8; 32]).decrypt_legacy_too(&stored, &ROW),
            Err(CipherError::WrongKey)
        ));
    }
}
