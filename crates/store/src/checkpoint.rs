//! Signed checkpoints of the log's Merkle tree, in the C2SP formats that
//! transparency-log tools read: a [checkpoint body] (origin, tree size, root
//! hash) inside a [signed note] with Ed25519 signatures, exactly as Go's
//! `golang.org/x/mod/sumdb/note` writes and reads them.
//!
//! A signed checkpoint as text:
//!
//! ```text
//! grantledger.example/sinec
//! 42
//! 8ZhpEbPLr4t2Ai3OdS5a0I9LLxvZnBBUPIbS3Hy5GHQ=
//!
//! — grantledger.example/sinec q2fBe...base64(4-byte key ID ‖ 64-byte signature)...
//! ```
//!
//! - The **note text** (what is signed) is every line up to the last blank
//!   line, each ending in `\n`: for a checkpoint the origin, the tree size in
//!   decimal (no leading zeros), the root hash in standard base64 (RFC 4648
//!   §4, padded) and optional non-empty extension lines.
//! - A blank line, then one or more **signature lines**: `—` (U+2014 EM DASH),
//!   a space, the key name, a space, `base64(key ID ‖ signature)`, `\n`.
//! - The **key ID** is the first 4 bytes of
//!   `SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte Ed25519 public key)`.
//! - A **verifier key** is written `<name>+<8 hex digits of key ID>+<base64(0x01 ‖ public key)>`,
//!   a **signer key** `PRIVATE+KEY+<name>+<8 hex digits of key ID>+<base64(0x01 ‖ 32-byte seed)>`.
//!
//! Key names are non-empty and contain no Unicode white space, no `+` and no
//! ASCII control character. Verification follows the note spec: signatures
//! by other keys are skipped, a signature by the given key must verify.
//!
//! ```
//! use grantledger_store::checkpoint::{Checkpoint, SignedCheckpoint, SignerKey, VerifierKey};
//! let key = SignerKey::generate("grantledger.example/sinec")?;
//! let checkpoint = Checkpoint::new("grantledger.example/sinec", 42, [7; 32], vec![])?;
//! let text = key.sign(&checkpoint).to_text();
//!
//! // An auditor holds the verifier key, e.g. "grantledger.example/sinec+1a2b3c4d+AR...".
//! let verifier = VerifierKey::from_encoded(&key.verifier().to_encoded())?;
//! let signed = SignedCheckpoint::parse(&text)?;
//! signed.verify(&verifier)?;
//! assert_eq!(signed.checkpoint.tree_size, 42);
//! # Ok::<(), grantledger_store::checkpoint::CheckpointError>(())
//! ```
//!
//! [checkpoint body]: https://c2sp.org/tlog-checkpoint
//! [signed note]: https://c2sp.org/signed-note

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

#[cfg(test)]
mod tests;

/// The signature type byte of Ed25519 in the signed-note spec.
pub const ED25519_TYPE: u8 = 0x01;

/// The most signature lines [`SignedNote::parse`] accepts (Go's limit; the
/// spec asks for at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// The prefix of every signature line: U+2014 EM DASH and a space.
pub const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// The prefix of an encoded signer key.
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";

/// Why a checkpoint, a note or a key was refused, or a key file could not
/// be used.
///
/// HTTP mapping (for the server): `Malformed`, `BadKey`, `NoSignatureByKey`
/// and `BadSignature` about a client-supplied note or key are 400/422; the
/// others concern the server's own key and are 500.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The note text, a signature line or a checkpoint body breaks the format.
    /// `line` is 1-based, counted in the whole note (a body's lines are the
    /// note's first lines).
    #[error("malformed note at line {line}: {reason}")]
    Malformed {
        /// The offending line, 1-based.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// No signature line matches the key's name and key ID (signatures by
    /// other keys are ignored, as the spec requires).
    #[error("the note has no signature by key {name}")]
    NoSignatureByKey {
        /// The key, written `<name>+<8 hex digits of key ID>`.
        name: String,
    },
    /// A signature line matches the key's name and key ID but does not
    /// verify over the note text: the text or the signature was changed.
    #[error("the signature by key {name} does not verify over the note text")]
    BadSignature {
        /// The key, written `<name>+<8 hex digits of key ID>`.
        name: String,
    },
    /// An encoded key or a key name is malformed, or a key ID does not match
    /// its key.
    #[error("bad key: {reason}")]
    BadKey {
        /// What is wrong with it.
        reason: String,
    },
    /// A key file holds something other than one encoded signer key of the
    /// expected name.
    #[error("key file {path}: {reason}")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A key file is accessible by its group or by others (`mode & 0o077 != 0`).
    #[error(
        "key file {path} has mode {mode:04o}: a signing key must be readable by its owner only (chmod 600 it)"
    )]
    KeyFilePermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed: {0}")]
    Randomness(String),
    /// A file-system operation failed; the message names the path.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

fn malformed(line: usize, reason: impl Into<String>) -> CheckpointError {
    CheckpointError::Malformed {
        line,
        reason: reason.into(),
    }
}

fn bad_key(reason: impl Into<String>) -> CheckpointError {
    CheckpointError::BadKey {
        reason: reason.into(),
    }
}

/// An I/O error whose message names the path.
fn io_at(path: &Path, what: &str, e: io::Error) -> CheckpointError {
    CheckpointError::Io(io::Error::new(
        e.kind(),
        format!("{what} {}: {e}", path.display()),
    ))
}

/// Checks a key name: non-empty, no Unicode white space (as Go's
/// `unicode.IsSpace`), no `+`, no ASCII control character (below U+0020).
///
/// # Errors
/// [`CheckpointError::BadKey`] saying which rule is broken.
pub fn check_key_name(name: &str) -> Result<(), CheckpointError> {
    if name.is_empty() {
        return Err(bad_key("the key name is empty"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_whitespace() || (*c as u32) < 0x20 || *c == '+')
    {
        return Err(bad_key(format!(
            "the key name {name:?} contains {c:?}; names may not contain white space, '+' or control characters"
        )));
    }
    Ok(())
}

/// The note key ID of an Ed25519 public key under `name`: the first 4 bytes
/// of `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public_key)`.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ED25519_TYPE]);
    h.update(public_key);
    let digest = h.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// Splits `s` at the first `sep`: (before, after); (s, "") without one.
fn chop(s: &str, sep: char) -> (&str, &str) {
    s.split_once(sep).unwrap_or((s, ""))
}

/// Parses exactly 8 hex digits into a key ID.
fn parse_key_id(hex8: &str) -> Result<[u8; 4], CheckpointError> {
    let mut id = [0u8; 4];
    if hex8.len() != 8 || hex::decode_to_slice(hex8, &mut id).is_err() {
        return Err(bad_key(format!(
            "the key ID {hex8:?} is not 8 hexadecimal digits"
        )));
    }
    Ok(id)
}

/// Decodes `base64(0x01 ‖ 32 bytes)`.
fn parse_typed_key(b64: &str, what: &str) -> Result<[u8; 32], CheckpointError> {
    let raw = BASE64
        .decode(b64)
        .map_err(|e| bad_key(format!("the {what} is not valid base64: {e}")))?;
    match raw.split_first() {
        Some((&ED25519_TYPE, rest)) => rest.try_into().map_err(|_| {
            bad_key(format!(
                "the Ed25519 {what} is {} bytes, expected 32",
                rest.len()
            ))
        }),
        Some((t, _)) => Err(bad_key(format!(
            "the {what} has signature type 0x{t:02x}; only Ed25519 (0x01) is supported"
        ))),
        None => Err(bad_key(format!("the {what} is empty"))),
    }
}

/// The number of the last line of `text` (1-based; a final `\n` ends the
/// last line rather than starting a new one).
fn last_line(text: &str) -> usize {
    let newlines = text.matches('\n').count();
    if text.ends_with('\n') {
        newlines.max(1)
    } else {
        newlines + 1
    }
}

/// Refuses ASCII control characters other than `\n`, naming the line.
fn check_no_control(text: &str) -> Result<(), CheckpointError> {
    for (i, line) in text.split('\n').enumerate() {
        if let Some(c) = line.chars().find(|c| (*c as u32) < 0x20) {
            return Err(malformed(
                i + 1,
                format!("control character {c:?}; a note may contain none but newline"),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Checkpoint body

/// A checkpoint body ([c2sp.org/tlog-checkpoint]): what is signed.
///
/// `root_hash` is the RFC 6962 Merkle tree root over the first `tree_size`
/// leaves (for an empty tree, SHA-256 of the empty string). `origin` names
/// the log; it is non-empty and, by convention, equals the log key's name.
/// `extensions` are optional opaque non-empty lines (not recommended by the
/// spec). The fields are public: build with [`Checkpoint::new`] to have them
/// checked, or call [`Checkpoint::validate`].
///
/// [c2sp.org/tlog-checkpoint]: https://c2sp.org/tlog-checkpoint
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, first line of the body.
    pub origin: String,
    /// The number of leaves (log records) in the tree.
    pub tree_size: u64,
    /// The RFC 6962 root hash at `tree_size`.
    pub root_hash: [u8; 32],
    /// Extension lines after the root hash, each without its `\n`.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checked checkpoint.
    ///
    /// # Errors
    /// [`CheckpointError::Malformed`] (line 1 for the origin, 4+ for an
    /// extension) when the origin is empty, or the origin or an extension line
    /// is empty or contains a control character (including `\n`).
    pub fn new(
        origin: impl Into<String>,
        tree_size: u64,
        root_hash: [u8; 32],
        extensions: Vec<String>,
    ) -> Result<Checkpoint, CheckpointError> {
        let checkpoint = Checkpoint {
            origin: origin.into(),
            tree_size,
            root_hash,
            extensions,
        };
        checkpoint.validate()?;
        Ok(checkpoint)
    }

    /// Checks that [`body`](Checkpoint::body) reads back as this checkpoint.
    ///
    /// # Errors
    /// As [`Checkpoint::new`].
    pub fn validate(&self) -> Result<(), CheckpointError> {
        if self.origin.is_empty() {
            return Err(malformed(1, "the origin line is empty"));
        }
        let lines = std::iter::once((1, &self.origin)).chain((4..).zip(self.extensions.iter()));
        for (line, text) in lines {
            if text.is_empty() {
                return Err(malformed(line, "an extension line is empty"));
            }
            if let Some(c) = text.chars().find(|c| (*c as u32) < 0x20) {
                return Err(malformed(
                    line,
                    format!("control character {c:?} in a checkpoint line"),
                ));
            }
        }
        Ok(())
    }

    /// The note text: `origin\n`, `tree_size` in decimal `\n`,
    /// `base64(root_hash)\n`, then each extension line and `\n`.
    ///
    /// Only a [valid](Checkpoint::validate) checkpoint gives a body that
    /// [`parse_body`](Checkpoint::parse_body) reads back.
    pub fn body(&self) -> String {
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.tree_size,
            BASE64.encode(self.root_hash)
        );
        for line in &self.extensions {
            body.push_str(line);
            body.push('\n');
        }
        body
    }

    /// Parses a body, strictly: the exact inverse of [`body`](Checkpoint::body).
    ///
    /// # Errors
    /// [`CheckpointError::Malformed`] naming the line when: the text does not
    /// end in `\n`, holds a control character other than `\n`, or has fewer
    /// than 3 lines; the origin is empty; the size is not ASCII decimal
    /// digits, has a leading zero (other than `0` itself) or exceeds
    /// `u64::MAX`; the root hash is not canonical padded standard base64 of 32
    /// bytes; an extension line is empty.
    pub fn parse_body(text: &str) -> Result<Checkpoint, CheckpointError> {
        check_no_control(text)?;
        let Some(content) = text.strip_suffix('\n') else {
            return Err(malformed(
                last_line(text),
                "the checkpoint body does not end with a newline",
            ));
        };
        let mut lines = content.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(malformed(1, "the origin line is empty"));
        }
        let size = lines
            .next()
            .ok_or_else(|| malformed(2, "the tree size line is missing"))?;
        let tree_size = parse_size(size).map_err(|reason| malformed(2, reason))?;
        let root = lines
            .next()
            .ok_or_else(|| malformed(3, "the root hash line is missing"))?;
        let root_hash = parse_root(root).map_err(|reason| malformed(3, reason))?;
        let mut extensions = Vec::new();
        for (line, ext) in (4..).zip(lines) {
            if ext.is_empty() {
                return Err(malformed(line, "an extension line is empty"));
            }
            extensions.push(ext.to_owned());
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            tree_size,
            root_hash,
            extensions,
        })
    }
}

fn parse_size(s: &str) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("the tree size {s:?} is not a decimal number"));
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(format!("the tree size {s:?} has a leading zero"));
    }
    s.parse()
        .map_err(|_| format!("the tree size {s} does not fit in 64 bits"))
}

fn parse_root(s: &str) -> Result<[u8; 32], String> {
    let raw = BASE64
        .decode(s)
        .map_err(|e| format!("the root hash {s:?} is not canonical base64: {e}"))?;
    raw.try_into()
        .map_err(|raw: Vec<u8>| format!("the root hash is {} bytes, expected 32", raw.len()))
}

// ---------------------------------------------------------------------------
// Signed notes

/// One signature line of a note: `— <key_name> base64(key_id ‖ signature)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signing key's name.
    pub key_name: String,
    /// The signing key's ID (big-endian uint32 in the spec).
    pub key_id: [u8; 4],
    /// The signature bytes (64 for Ed25519), without the key ID.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The signature line without its `\n`: `— name base64(key_id ‖ signature)`.
    pub fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id);
        raw.extend_from_slice(&self.signature);
        format!("{SIGNATURE_PREFIX}{} {}", self.key_name, BASE64.encode(raw))
    }

    /// Parses a signature line (without its `\n`); `line` is its 1-based
    /// number in the note, for errors.
    ///
    /// # Errors
    /// [`CheckpointError::Malformed`] when the line does not start with
    /// U+2014 and a space, the name is invalid, the signature is missing, is
    /// not canonical base64, or is shorter than 5 bytes.
    pub fn parse_line(text: &str, line: usize) -> Result<NoteSignature, CheckpointError> {
        let Some(rest) = text.strip_prefix(SIGNATURE_PREFIX) else {
            return Err(malformed(
                line,
                "a signature line must start with an em dash (U+2014) and a space",
            ));
        };
        let (name, b64) = chop(rest, ' ');
        check_key_name(name).map_err(|e| match e {
            CheckpointError::BadKey { reason } => malformed(line, reason),
            other => other,
        })?;
        if b64.is_empty() {
            return Err(malformed(
                line,
                "the signature is missing after the key name",
            ));
        }
        let raw = BASE64
            .decode(b64)
            .map_err(|e| malformed(line, format!("the signature is not canonical base64: {e}")))?;
        if raw.len() < 5 {
            return Err(malformed(
                line,
                format!(
                    "the signature is {} bytes; it needs a 4-byte key ID and a signature",
                    raw.len()
                ),
            ));
        }
        Ok(NoteSignature {
            key_name: name.to_owned(),
            key_id: [raw[0], raw[1], raw[2], raw[3]],
            signature: raw[4..].to_vec(),
        })
    }
}

/// A signed note ([c2sp.org/signed-note]) with any text: the layer under
/// [`SignedCheckpoint`], also used to check interoperability with notes that
/// are not checkpoints.
///
/// [c2sp.org/signed-note]: https://c2sp.org/signed-note
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedNote {
    /// The signed text, ending in `\n` (it may contain empty lines; the
    /// separating blank line is not part of it).
    pub text: String,
    /// The signatures, in note order (one or more in a well-formed note).
    pub signatures: Vec<NoteSignature>,
}

impl SignedNote {
    /// The full note: `text`, a blank line, one signature line each with `\n`.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 1 + 110 * self.signatures.len());
        out.push_str(&self.text);
        out.push('\n');
        for sig in &self.signatures {
            out.push_str(&sig.to_line());
            out.push('\n');
        }
        out
    }

    /// Parses a note: the text is everything up to and including the newline
    /// before the *last* blank line; the rest are signature lines.
    ///
    /// # Errors
    /// [`CheckpointError::Malformed`] naming the line when: the note holds a
    /// control character other than `\n`; no blank line separates text and
    /// signatures; no signature line follows it; the last line does not end
    /// with `\n`; a signature line is malformed (see
    /// [`NoteSignature::parse_line`]); there are more than [`MAX_SIGNATURES`].
    pub fn parse(note: &str) -> Result<SignedNote, CheckpointError> {
        check_no_control(note)?;
        let Some(split) = note.rfind("\n\n") else {
            return Err(malformed(
                last_line(note),
                "no blank line separates the note text from its signatures",
            ));
        };
        let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
        let first_sig_line = text.matches('\n').count() + 2;
        if sigs.is_empty() {
            return Err(malformed(
                first_sig_line,
                "no signature line follows the blank line",
            ));
        }
        let Some(sigs) = sigs.strip_suffix('\n') else {
            return Err(malformed(
                first_sig_line + sigs.matches('\n').count(),
                "the last signature line does not end with a newline",
            ));
        };
        let mut signatures = Vec::new();
        for (i, line) in sigs.split('\n').enumerate() {
            if i == MAX_SIGNATURES {
                return Err(malformed(
                    first_sig_line + i,
                    format!("more than {MAX_SIGNATURES} signatures"),
                ));
            }
            signatures.push(NoteSignature::parse_line(line, first_sig_line + i)?);
        }
        Ok(SignedNote {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Checks the signatures by `key` over the text.
    ///
    /// Signatures whose key name or key ID differ from `key`'s are skipped
    /// (the spec: unknown keys are ignored). Every signature matching both
    /// must verify (Ed25519, RFC 8032, strict: no weak keys, canonical
    /// encodings).
    ///
    /// # Errors
    /// [`CheckpointError::NoSignatureByKey`] when none matches;
    /// [`CheckpointError::BadSignature`] when a matching one does not verify;
    /// [`CheckpointError::BadKey`] when `key.public_key` is not a valid
    /// Ed25519 point.
    pub fn verify(&self, key: &VerifierKey) -> Result<(), CheckpointError> {
        verify_signatures(self.text.as_bytes(), &self.signatures, key)
    }
}

fn verify_signatures(
    text: &[u8],
    signatures: &[NoteSignature],
    key: &VerifierKey,
) -> Result<(), CheckpointError> {
    let mut matching = signatures
        .iter()
        .filter(|s| s.key_name == key.name && s.key_id == key.key_id)
        .peekable();
    if matching.peek().is_none() {
        return Err(CheckpointError::NoSignatureByKey { name: key.label() });
    }
    let verifying = VerifyingKey::from_bytes(&key.public_key).map_err(|_| {
        bad_key(format!(
            "the public key of {} is not a valid Ed25519 point",
            key.label()
        ))
    })?;
    for sig in matching {
        let ok = Signature::from_slice(&sig.signature)
            .map(|s| verifying.verify_strict(text, &s).is_ok())
            .unwrap_or(false);
        if !ok {
            return Err(CheckpointError::BadSignature { name: key.label() });
        }
    }
    Ok(())
}

/// A checkpoint with its signatures: a signed note whose text is
/// [`Checkpoint::body`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The signed body.
    pub checkpoint: Checkpoint,
    /// The signatures, in note order.
    pub signatures: Vec<NoteSignature>,
}

impl SignedCheckpoint {
    /// The full note text: the body, a blank line, then
    /// `— <name> base64(key ID ‖ signature)\n` per signature.
    pub fn to_text(&self) -> String {
        SignedNote {
            text: self.checkpoint.body(),
            signatures: self.signatures.clone(),
        }
        .to_text()
    }

    /// Parses a signed checkpoint (signatures are not verified: call
    /// [`verify`](SignedCheckpoint::verify)).
    ///
    /// # Errors
    /// [`CheckpointError::Malformed`] as [`SignedNote::parse`] and
    /// [`Checkpoint::parse_body`] say.
    pub fn parse(text: &str) -> Result<SignedCheckpoint, CheckpointError> {
        let note = SignedNote::parse(text)?;
        let checkpoint = Checkpoint::parse_body(&note.text)?;
        Ok(SignedCheckpoint {
            checkpoint,
            signatures: note.signatures,
        })
    }

    /// Ok if a signature by `key` verifies over the body; signatures by
    /// other keys are ignored. Does not compare the origin with the key name:
    /// callers that expect a given log check `checkpoint.origin` themselves.
    ///
    /// # Errors
    /// As [`SignedNote::verify`]: [`CheckpointError::NoSignatureByKey`],
    /// [`CheckpointError::BadSignature`], [`CheckpointError::BadKey`].
    pub fn verify(&self, key: &VerifierKey) -> Result<(), CheckpointError> {
        verify_signatures(self.checkpoint.body().as_bytes(), &self.signatures, key)
    }
}

// ---------------------------------------------------------------------------
// Keys

/// An Ed25519 public key with its note key name and key ID: what an auditor
/// keeps to check checkpoints.
///
/// Encoded as `<name>+<8 lowercase hex digits of key ID>+<base64(0x01 ‖ public key)>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    /// The key name (by convention the log's origin).
    pub name: String,
    /// `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public_key)[..4]`.
    pub key_id: [u8; 4],
    /// The 32-byte Ed25519 public key (RFC 8032 encoding).
    pub public_key: [u8; 32],
}

impl VerifierKey {
    /// The verifier key for an Ed25519 public key under `name`, with its
    /// key ID computed.
    ///
    /// # Errors
    /// [`CheckpointError::BadKey`] for an invalid name (see [`check_key_name`])
    /// or a public key that is not a valid Ed25519 point.
    pub fn new(name: &str, public_key: [u8; 32]) -> Result<VerifierKey, CheckpointError> {
        check_key_name(name)?;
        VerifyingKey::from_bytes(&public_key)
            .map_err(|_| bad_key("the public key is not a valid Ed25519 point"))?;
        Ok(VerifierKey {
            name: name.to_owned(),
            key_id: key_id(name, &public_key),
            public_key,
        })
    }

    /// `<name>+<8 hex digits of key ID>`, the form that names a key in errors.
    pub fn label(&self) -> String {
        format!("{}+{}", self.name, hex::encode(self.key_id))
    }

    /// `<name>+<8 hex digits of key ID>+<base64(0x01 ‖ public key)>`.
    pub fn to_encoded(&self) -> String {
        let mut typed = Vec::with_capacity(33);
        typed.push(ED25519_TYPE);
        typed.extend_from_slice(&self.public_key);
        format!("{}+{}", self.label(), BASE64.encode(typed))
    }

    /// Parses `<name>+<8 hex digits>+<base64(0x01 ‖ 32-byte public key)>`.
    ///
    /// # Errors
    /// [`CheckpointError::BadKey`] when a part is missing or malformed, the
    /// signature type is not Ed25519, the key is not 32 bytes or not a valid
    /// point, or the stated key ID is not the one computed from name and key.
    pub fn from_encoded(s: &str) -> Result<VerifierKey, CheckpointError> {
        let (name, rest) = chop(s, '+');
        let (id_hex, key_b64) = chop(rest, '+');
        check_key_name(name)?;
        let stated = parse_key_id(id_hex)?;
        let public_key = parse_typed_key(key_b64, "public key")?;
        let key = VerifierKey::new(name, public_key)?;
        if key.key_id != stated {
            return Err(bad_key(format!(
                "the key ID {id_hex} does not match the key (computed {})",
                hex::encode(key.key_id)
            )));
        }
        Ok(key)
    }
}

/// An Ed25519 signing key with its note key name: the log's secret.
///
/// Encoded as `PRIVATE+KEY+<name>+<8 hex digits of key ID>+<base64(0x01 ‖ 32-byte seed)>`,
/// the format of Go's `note.NewSigner`. `Debug` shows the name and key ID only.
#[derive(Clone)]
pub struct SignerKey {
    name: String,
    key_id: [u8; 4],
    signing: SigningKey,
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerKey")
            .field("name", &self.name)
            .field("key_id", &hex::encode(self.key_id))
            .finish_non_exhaustive()
    }
}

impl SignerKey {
    fn from_seed(name: &str, seed: &[u8; 32]) -> Result<SignerKey, CheckpointError> {
        check_key_name(name)?;
        let signing = SigningKey::from_bytes(seed);
        let key_id = key_id(name, signing.verifying_key().as_bytes());
        Ok(SignerKey {
            name: name.to_owned(),
            key_id,
            signing,
        })
    }

    /// A new key named `name` from the operating system's randomness.
    ///
    /// # Errors
    /// [`CheckpointError::BadKey`] for an invalid name (see
    /// [`check_key_name`]); [`CheckpointError::Randomness`] if the OS
    /// generator fails.
    pub fn generate(name: &str) -> Result<SignerKey, CheckpointError> {
        check_key_name(name)?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| CheckpointError::Randomness(e.to_string()))?;
        let key = SignerKey::from_seed(name, &seed);
        seed.fill(0);
        key
    }

    /// The key name, which signature lines carry.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID, `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[..4]`.
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The matching public verifier key, to give to auditors.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            key_id: self.key_id,
            public_key: self.signing.verifying_key().to_bytes(),
        }
    }

    /// Signs `text` (a note text, ending in `\n`) as-is: the signature line
    /// of this key. Ed25519 is deterministic: the same text and key give the
    /// same signature.
    pub fn sign_text(&self, text: &str) -> NoteSignature {
        NoteSignature {
            key_name: self.name.clone(),
            key_id: self.key_id,
            signature: self.signing.sign(text.as_bytes()).to_bytes().to_vec(),
        }
    }

    /// Signs a checkpoint's [body](Checkpoint::body) (deterministic).
    ///
    /// The checkpoint should be [valid](Checkpoint::validate) (as
    /// [`Checkpoint::new`] makes them): an invalid one is signed all the
    /// same, but the note will not parse back.
    pub fn sign(&self, checkpoint: &Checkpoint) -> SignedCheckpoint {
        SignedCheckpoint {
            checkpoint: checkpoint.clone(),
            signatures: vec![self.sign_text(&checkpoint.body())],
        }
    }

    /// `PRIVATE+KEY+<name>+<8 hex digits of key ID>+<base64(0x01 ‖ seed)>`.
    /// This is the secret: store it readable by its owner only.
    pub fn to_encoded(&self) -> String {
        let mut typed = Vec::with_capacity(33);
        typed.push(ED25519_TYPE);
        typed.extend_from_slice(self.signing.as_bytes());
        let encoded = format!(
            "{PRIVATE_KEY_PREFIX}{}+{}+{}",
            self.name,
            hex::encode(self.key_id),
            BASE64.encode(&typed)
        );
        typed.fill(0);
        encoded
    }

    /// Parses `PRIVATE+KEY+<name>+<8 hex digits>+<base64(0x01 ‖ 32-byte seed)>`.
    ///
    /// # Errors
    /// [`CheckpointError::BadKey`] when the prefix or a part is missing or
    /// malformed, the signature type is not Ed25519, the seed is not 32
    /// bytes, or the stated key ID is not the one of the derived public key.
    pub fn from_encoded(s: &str) -> Result<SignerKey, CheckpointError> {
        let Some(rest) = s.strip_prefix(PRIVATE_KEY_PREFIX) else {
            return Err(bad_key("a signer key must start with PRIVATE+KEY+"));
        };
        let (name, rest) = chop(rest, '+');
        let (id_hex, key_b64) = chop(rest, '+');
        check_key_name(name)?;
        let stated = parse_key_id(id_hex)?;
        let mut seed = parse_typed_key(key_b64, "private key")?;
        let key = SignerKey::from_seed(name, &seed);
        seed.fill(0);
        let key = key?;
        if key.key_id != stated {
            return Err(bad_key(format!(
                "the key ID {id_hex} does not match the key (computed {})",
                hex::encode(key.key_id)
            )));
        }
        Ok(key)
    }

    /// Loads the signer key at `path`, or, when no file is there, generates
    /// one named `name` and writes it.
    ///
    /// The file holds [`to_encoded`](SignerKey::to_encoded) and a newline. A
    /// new file is created with `create_new` and mode `0600`, then the file
    /// and its directory are fsynced, so the key survives a crash once this
    /// returns. A crash while writing can leave an incomplete file, which is
    /// then refused (remove it to generate a new key).
    ///
    /// # Errors
    /// - [`CheckpointError::KeyFilePermissions`] when an existing file is
    ///   accessible by group or others (`mode & 0o077 != 0`); it is not read;
    /// - [`CheckpointError::KeyFile`] when it is not a regular file, does not
    ///   hold one encoded signer key, or holds one named other than `name`;
    /// - [`CheckpointError::BadKey`] for an invalid `name`;
    /// - [`CheckpointError::Randomness`], [`CheckpointError::Io`] (naming the
    ///   path) when generating or the file system fails.
    pub fn load_or_create(path: &Path, name: &str) -> Result<SignerKey, CheckpointError> {
        check_key_name(name)?;
        match File::open(path) {
            Ok(file) => Self::load(path, file, name),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Self::create(path, name),
            Err(e) => Err(io_at(path, "cannot open key file", e)),
        }
    }

    fn load(path: &Path, mut file: File, name: &str) -> Result<SignerKey, CheckpointError> {
        let meta = file
            .metadata()
            .map_err(|e| io_at(path, "cannot stat key file", e))?;
        if !meta.is_file() {
            return Err(CheckpointError::KeyFile {
                path: path.to_owned(),
                reason: "not a regular file".into(),
            });
        }
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(CheckpointError::KeyFilePermissions {
                path: path.to_owned(),
                mode,
            });
        }
        let mut text = String::new();
        file.read_to_string(&mut text)
            .map_err(|e| io_at(path, "cannot read key file", e))?;
        let encoded = text.strip_suffix('\n').unwrap_or(&text);
        let key = SignerKey::from_encoded(encoded).map_err(|e| CheckpointError::KeyFile {
            path: path.to_owned(),
            reason: match e {
                CheckpointError::BadKey { reason } => reason,
                other => other.to_string(),
            },
        });
        text.clear();
        let key = key?;
        if key.name != name {
            return Err(CheckpointError::KeyFile {
                path: path.to_owned(),
                reason: format!("the key is named {:?}, expected {name:?}", key.name),
            });
        }
        Ok(key)
    }

    fn create(path: &Path, name: &str) -> Result<SignerKey, CheckpointError> {
        let key = SignerKey::generate(name)?;
        let mut file = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(file) => file,
            // Someone else created it meanwhile: use theirs.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let file = File::open(path).map_err(|e| io_at(path, "cannot open key file", e))?;
                return Self::load(path, file, name);
            }
            Err(e) => return Err(io_at(path, "cannot create key file", e)),
        };
        let written = file
            .write_all(format!("{}\n", key.to_encoded()).as_bytes())
            .and_then(|()| file.sync_all());
        if let Err(e) = written {
            drop(file);
            let _ = std::fs::remove_file(path);
            return Err(io_at(path, "cannot write key file", e));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_at(dir, "cannot fsync directory", e))?;
        Ok(key)
    }
}
