//! Sealing personal data (DESIGN.md "Personal data", DOMAIN.md R6).
//!
//! A participant's names and birth date ([`PersonalFields`]) are sealed as
//! one blob with XChaCha20-Poly1305 under a random 256-bit key of their own,
//! kept in the log's [`KeyStore`](grantledger_store::KeyStore), never in the log:
//!
//! ```text
//! sealed = nonce (24 random bytes) ‖ ciphertext ‖ tag (16 bytes)
//! associated data = "grantledger personal_data v1" ‖ 0x00 ‖ participant id (16 bytes)
//! ```
//!
//! The associated data binds a blob to its participant: moved into another
//! person's registration it does not open. The record hash covers the blob,
//! so `verify` needs no key, and destroying the key erases the data while
//! every hash stays.
//!
//! ```
//! use grantledger_server::personal::{new_key, open, seal};
//! let who = uuid::Uuid::from_u128(1);
//! let key = new_key()?;
//! let blob = seal(&key, &who, b"Alena")?;
//! assert_eq!(open(&key, &who, &blob)?, b"Alena");
//! assert!(open(&key, &uuid::Uuid::from_u128(2), &blob).is_err());
//! # Ok::<(), grantledger_server::personal::SealError>(())
//! ```

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use grantledger_domain::events::PersonalFields;
use grantledger_store::PERSONAL_KEY_BYTES;
use uuid::Uuid;

/// Bytes of the random nonce at the start of a sealed blob.
pub const NONCE_BYTES: usize = 24;
/// Bytes of the Poly1305 tag at the end of a sealed blob.
pub const TAG_BYTES: usize = 16;
/// Domain separation of the associated data.
const AAD_PREFIX: &[u8] = b"grantledger personal_data v1\0";

/// A personal-data key.
pub type PersonalKey = [u8; PERSONAL_KEY_BYTES];

/// Why sealing or opening failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The operating system gave no random bytes.
    #[error("no randomness for a personal-data key or nonce: {0}")]
    Randomness(String),
    /// Wrong key, wrong participant, or altered bytes (the AEAD tag fails).
    #[error("the sealed personal data does not open with this key for this participant")]
    Open,
    /// The blob is shorter than a nonce and a tag.
    #[error("sealed personal data of {0} bytes is shorter than nonce and tag")]
    Short(usize),
    /// The opened bytes are not personal fields.
    #[error("the opened personal data does not decode")]
    Decode,
}

fn aad(participant: &Uuid) -> Vec<u8> {
    let mut a = AAD_PREFIX.to_vec();
    a.extend_from_slice(participant.as_bytes());
    a
}

/// A new random key (from the operating system's generator).
///
/// # Errors
/// [`SealError::Randomness`] when the system has no randomness to give.
pub fn new_key() -> Result<PersonalKey, SealError> {
    let mut key = [0u8; PERSONAL_KEY_BYTES];
    getrandom::fill(&mut key).map_err(|e| SealError::Randomness(e.to_string()))?;
    Ok(key)
}

/// Seals `plain` for `participant` under `key` with a fresh random nonce:
/// `nonce ‖ ciphertext ‖ tag`.
///
/// # Errors
/// [`SealError::Randomness`] when no nonce can be drawn.
pub fn seal(key: &PersonalKey, participant: &Uuid, plain: &[u8]) -> Result<Vec<u8>, SealError> {
    let mut nonce = [0u8; NONCE_BYTES];
    getrandom::fill(&mut nonce).map_err(|e| SealError::Randomness(e.to_string()))?;
    Ok(seal_with_nonce(key, &nonce, participant, plain))
}

fn seal_with_nonce(
    key: &PersonalKey,
    nonce: &[u8; NONCE_BYTES],
    participant: &Uuid,
    plain: &[u8],
) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let aad = aad(participant);
    // Encryption into a Vec fails only past ~256 GiB of plaintext.
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: plain,
                aad: &aad,
            },
        )
        .unwrap_or_default();
    let mut out = Vec::with_capacity(NONCE_BYTES + sealed.len());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&sealed);
    out
}

/// Opens a blob made by [`seal`] for the same participant and key.
///
/// # Errors
/// [`SealError::Short`] for a truncated blob, [`SealError::Open`] for a wrong
/// key, another participant or any altered byte.
pub fn open(key: &PersonalKey, participant: &Uuid, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
    if sealed.len() < NONCE_BYTES + TAG_BYTES {
        return Err(SealError::Short(sealed.len()));
    }
    let (nonce, body) = sealed.split_at(NONCE_BYTES);
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: body,
                aad: &aad(participant),
            },
        )
        .map_err(|_| SealError::Open)
}

/// Seals a registration's personal fields.
///
/// # Errors
/// As [`seal`].
pub fn seal_fields(
    key: &PersonalKey,
    participant: &Uuid,
    fields: &PersonalFields,
) -> Result<Vec<u8>, SealError> {
    seal(key, participant, &fields.to_bytes())
}

/// Opens a registration's sealed personal fields.
///
/// # Errors
/// As [`open`], and [`SealError::Decode`] when the opened bytes are not fields.
pub fn open_fields(
    key: &PersonalKey,
    participant: &Uuid,
    sealed: &[u8],
) -> Result<PersonalFields, SealError> {
    PersonalFields::from_bytes(&open(key, participant, sealed)?).ok_or(SealError::Decode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> PersonalFields {
        PersonalFields {
            given_name: "Alena".into(),
            family_name: "Nováková".into(),
            birth_date: jiff::civil::date(1980, 2, 29),
        }
    }

    const ALENA: Uuid = Uuid::from_u128(0x0191e0a0_0000_7000_8000_000000000001);

    #[test]
    fn sealed_fields_open_with_the_key_for_the_same_participant() {
        let key = new_key().unwrap();
        let blob = seal_fields(&key, &ALENA, &fields()).unwrap();
        assert_eq!(open_fields(&key, &ALENA, &blob).unwrap(), fields());
        // The clear text is nowhere in the blob.
        let needle = "Nováková".as_bytes();
        assert!(!blob.windows(needle.len()).any(|w| w == needle));
    }

    #[test]
    fn a_wrong_key_does_not_open() {
        let blob = seal_fields(&new_key().unwrap(), &ALENA, &fields()).unwrap();
        assert_eq!(
            open_fields(&new_key().unwrap(), &ALENA, &blob),
            Err(SealError::Open)
        );
    }

    #[test]
    fn a_blob_moved_to_another_participant_does_not_open() {
        let key = new_key().unwrap();
        let blob = seal_fields(&key, &ALENA, &fields()).unwrap();
        assert_eq!(
            open_fields(&key, &Uuid::from_u128(2), &blob),
            Err(SealError::Open)
        );
    }

    #[test]
    fn any_altered_byte_is_detected() {
        let key = new_key().unwrap();
        let blob = seal_fields(&key, &ALENA, &fields()).unwrap();
        for i in [0, NONCE_BYTES, blob.len() / 2, blob.len() - 1] {
            let mut bad = blob.clone();
            bad[i] ^= 1;
            assert_eq!(open(&key, &ALENA, &bad), Err(SealError::Open), "byte {i}");
        }
        assert_eq!(
            open(&key, &ALENA, &blob[..NONCE_BYTES + TAG_BYTES - 1]),
            Err(SealError::Short(NONCE_BYTES + TAG_BYTES - 1))
        );
    }

    #[test]
    fn every_seal_draws_a_new_nonce() {
        let key = new_key().unwrap();
        let a = seal_fields(&key, &ALENA, &fields()).unwrap();
        let b = seal_fields(&key, &ALENA, &fields()).unwrap();
        assert_ne!(a[..NONCE_BYTES], b[..NONCE_BYTES]);
        assert_eq!(a.len(), b.len());
    }

    #[test]
    fn the_layout_is_nonce_then_ciphertext_then_tag() {
        let key = [3u8; PERSONAL_KEY_BYTES];
        let nonce = [9u8; NONCE_BYTES];
        let blob = seal_with_nonce(&key, &nonce, &ALENA, b"abc");
        assert_eq!(&blob[..NONCE_BYTES], &nonce);
        assert_eq!(blob.len(), NONCE_BYTES + 3 + TAG_BYTES);
        assert_eq!(open(&key, &ALENA, &blob).unwrap(), b"abc");
    }
}
