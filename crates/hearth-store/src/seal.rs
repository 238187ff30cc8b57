//! Personal fields sealed at rest. Email addresses (and later any other
//! personal detail) are encrypted with XChaCha20-Poly1305 under a key kept
//! outside the database; an HMAC-SHA256 "blind index" finds an account by
//! address without decrypting every row.

use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::StoreError;

const NONCE_LEN: usize = 24;

/// The site's 32-byte master secret.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self(key)
    }

    /// Reads a key written as base64 (or 64 hex digits).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
                .collect::<Option<Vec<u8>>>()?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .ok()?
        };
        Some(Self(bytes.try_into().ok()?))
    }

    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    fn derive(&self, purpose: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("any key length");
        mac.update(purpose);
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

/// Seals, opens and indexes personal fields with keys derived from the secret.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    index_key: [u8; 32],
}

impl Sealer {
    pub fn new(secret: &SecretKey) -> Self {
        let seal_key = secret.derive(b"hearth/seal/v1");
        Self {
            cipher: XChaCha20Poly1305::new(&seal_key.into()),
            index_key: secret.derive(b"hearth/blind-index/v1"),
        }
    }

    /// nonce ‖ ciphertext+tag
    pub fn seal(&self, plain: &str) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, plain.as_bytes())
            .expect("encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, sealed: &[u8]) -> Result<String, StoreError> {
        if sealed.len() < NONCE_LEN {
            return Err(StoreError::Unseal);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), body)
            .map_err(|_| StoreError::Unseal)?;
        String::from_utf8(plain).map_err(|_| StoreError::Unseal)
    }

    /// A keyed hash for equality look-ups; callers pass a normalised value.
    pub fn blind_index(&self, normalised: &str) -> Vec<u8> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key).expect("any key length");
        mac.update(normalised.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// A fresh random token for links and cookies (URL-safe base64, 256 bits).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are stored only as their hash: a leaked table opens no session.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trips_and_is_not_plain() {
        let sealer = Sealer::new(&SecretKey::generate());
        let sealed = sealer.seal("jane@example.org");
        assert!(!sealed.windows(4).any(|w| w == b"jane"));
        assert_eq!(sealer.open(&sealed).unwrap(), "jane@example.org");
    }

    #[test]
    fn another_key_cannot_open() {
        let sealed = Sealer::new(&SecretKey::generate()).seal("x");
        assert!(matches!(
            Sealer::new(&SecretKey::generate()).open(&sealed),
            Err(StoreError::Unseal)
        ));
    }

    #[test]
    fn blind_index_is_stable_and_keyed() {
        let key = SecretKey::generate();
        let a = Sealer::new(&key);
        assert_eq!(
            a.blind_index("x@y.z"),
            Sealer::new(&key).blind_index("x@y.z")
        );
        assert_ne!(
            a.blind_index("x@y.z"),
            Sealer::new(&SecretKey::generate()).blind_index("x@y.z")
        );
    }

    #[test]
    fn keys_parse_from_base64_and_hex() {
        let key = SecretKey::generate();
        assert!(SecretKey::parse(&key.to_base64()).is_some());
        assert!(SecretKey::parse(&"ab".repeat(32)).is_some());
        assert!(SecretKey::parse("short").is_none());
    }
}
