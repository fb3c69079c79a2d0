//! Tests of signed checkpoints. The interoperability vectors are copied
//! verbatim from the sources named beside each (see README.md here).

use std::os::unix::fs::PermissionsExt;

use super::*;

// --- golang.org/x/mod/sumdb/note: repository golang/mod, sumdb/note/note_test.go
// (TestNewVerifier, TestNewSigner, TestSign, TestOpen).
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                       then you don't know what your problem is.\n";
const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

// --- A real sum.golang.org checkpoint: repository transparency-dev/formats,
// log/note_test.go (TestSumDBNoteParsing); its key: repository golang/go,
// src/cmd/go/internal/modfetch/key.go (knownGOSUMDB).
const SUMDB_VKEY: &str = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";
const SUMDB_CHECKPOINT: &str = "go.sum database tree
6476701
mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=

— sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=
";

// --- Key pairs made by Go's note.GenerateKey: repository transparency-dev/formats,
// log/note_test.go.
const FORMATS_KEY_PAIRS: [(&str, &str); 3] = [
    (
        "Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs",
        "PRIVATE+KEY+Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ",
    ),
    (
        "Known+451c786d+AXAQ0T7lbwuY4ABJ9/MYY9bWV3hmSyOGVt2x42NkmdUH",
        "PRIVATE+KEY+Known+451c786d+AQPRoE2+Z+Ed1HaHBA9F/FfracvcZ2rDU39kCecMEoci",
    ),
    (
        "KnownAgain+4893b26c+AQ+LR7BFF/F/dkpIBjBpSvT0crkteizuUkavAoGeaYMj",
        "PRIVATE+KEY+KnownAgain+4893b26c+ARhZda/l25zjGZswYLDZsLNRzNpmv5wYTN9IoTr1OJ2+",
    ),
];

const ORIGIN: &str = "grantledger.example/sinec";

fn root(byte: u8) -> [u8; 32] {
    [byte; 32]
}

fn test_key() -> SignerKey {
    // A fixed seed keeps failures reproducible.
    SignerKey::from_seed(ORIGIN, &[42; 32]).unwrap()
}

fn signed_text() -> String {
    let checkpoint = Checkpoint::new(ORIGIN, 1234, root(9), vec![]).unwrap();
    test_key().sign(&checkpoint).to_text()
}

#[track_caller]
fn assert_malformed(result: Result<impl fmt::Debug, CheckpointError>, line: usize, fragment: &str) {
    match result {
        Err(CheckpointError::Malformed { line: l, reason }) => {
            assert_eq!(l, line, "wrong line for {reason:?}");
            assert!(
                reason.contains(fragment),
                "{reason:?} does not mention {fragment:?}"
            );
        }
        other => panic!("expected Malformed at line {line} ({fragment}), got {other:?}"),
    }
}

#[track_caller]
fn assert_bad_key(result: Result<impl fmt::Debug, CheckpointError>, fragment: &str) {
    match result {
        Err(CheckpointError::BadKey { reason }) => {
            assert!(
                reason.contains(fragment),
                "{reason:?} does not mention {fragment:?}"
            )
        }
        other => panic!("expected BadKey ({fragment}), got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Interoperability

#[test]
fn go_note_vector_verifies_with_both_published_keys() {
    let note = SignedNote::parse(&format!("{GO_TEXT}\n{PETER_SIG}{ENOCH_SIG}")).unwrap();
    assert_eq!(note.text, GO_TEXT);
    assert_eq!(note.signatures.len(), 2);
    assert_eq!(note.signatures[0].key_name, "PeterNeumann");
    assert_eq!(note.signatures[0].key_id, [0xc7, 0x4f, 0x20, 0xa3]);
    assert_eq!(note.signatures[1].key_id, [0xaf, 0x0c, 0xfe, 0x78]);
    note.verify(&VerifierKey::from_encoded(PETER_VKEY).unwrap())
        .unwrap();
    note.verify(&VerifierKey::from_encoded(ENOCH_VKEY).unwrap())
        .unwrap();
    assert_eq!(note.to_text(), format!("{GO_TEXT}\n{PETER_SIG}{ENOCH_SIG}"));
}

#[test]
fn signing_the_go_note_text_reproduces_gos_signature_line() {
    let signer = SignerKey::from_encoded(PETER_SKEY).unwrap();
    assert_eq!(signer.name(), "PeterNeumann");
    assert_eq!(signer.to_encoded(), PETER_SKEY);
    assert_eq!(signer.verifier().to_encoded(), PETER_VKEY);
    let note = SignedNote {
        text: GO_TEXT.to_owned(),
        signatures: vec![signer.sign_text(GO_TEXT)],
    };
    // TestSign's `want`.
    assert_eq!(note.to_text(), format!("{GO_TEXT}\n{PETER_SIG}"));
}

#[test]
fn go_note_vector_with_a_corrupted_signature_is_a_bad_signature() {
    // TestOpen's "Invalid signature": "ABCD" inserted at byte 60 of the line.
    let sig = format!("{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    let note = SignedNote::parse(&format!("{GO_TEXT}\n{sig}")).unwrap();
    let err = note
        .verify(&VerifierKey::from_encoded(PETER_VKEY).unwrap())
        .unwrap_err();
    assert!(
        matches!(&err, CheckpointError::BadSignature { name } if name == "PeterNeumann+c74f20a3")
    );
}

#[test]
fn go_note_vectors_of_malformed_notes_are_refused() {
    // TestOpen's badMsgs.
    let bad = [
        GO_TEXT.to_owned(),
        format!("{GO_TEXT}\n"),
        format!("{GO_TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
        format!("\x01{GO_TEXT}\n{PETER_SIG}"),
        format!(
            "{GO_TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
        ),
        format!("{GO_TEXT}\n{PETER_SIG}Unexpected line.\n"),
    ];
    for msg in bad {
        assert!(
            matches!(
                SignedNote::parse(&msg),
                Err(CheckpointError::Malformed { .. })
            ),
            "accepted {msg:?}"
        );
    }
}

#[test]
fn go_verifier_and_signer_key_manglings_are_refused() {
    // TestNewVerifier / TestNewSigner: every proper substring and every
    // single-byte increment is refused.
    fn check(key: &str, parse: fn(&str) -> bool) {
        let b = key.as_bytes();
        for i in 0..=b.len() {
            for j in i + 1..=b.len() {
                if (i, j) != (0, b.len()) {
                    assert!(!parse(&key[i..j]), "accepted substring {:?}", &key[i..j]);
                }
            }
        }
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] += 1;
            let m = String::from_utf8(m).unwrap();
            assert!(!parse(&m), "accepted mangled {m:?}");
        }
    }
    check(PETER_VKEY, |s| VerifierKey::from_encoded(s).is_ok());
    check(PETER_SKEY, |s| SignerKey::from_encoded(s).is_ok());
    // Wrong key length and unknown algorithm, each with a matching key ID.
    // (The first is not even canonical base64, which Go's decoder tolerates.)
    assert_bad_key(
        VerifierKey::from_encoded(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        ),
        "public key",
    );
    assert_bad_key(
        VerifierKey::from_encoded(
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        ),
        "signature type 0x65",
    );
}

#[test]
fn sum_golang_org_checkpoint_parses_and_verifies_with_the_go_toolchain_key() {
    let signed = SignedCheckpoint::parse(SUMDB_CHECKPOINT).unwrap();
    assert_eq!(signed.checkpoint.origin, "go.sum database tree");
    assert_eq!(signed.checkpoint.tree_size, 6476701);
    assert_eq!(
        BASE64.encode(signed.checkpoint.root_hash),
        "mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk="
    );
    assert!(signed.checkpoint.extensions.is_empty());
    let key = VerifierKey::from_encoded(SUMDB_VKEY).unwrap();
    assert_eq!(key.key_id, [0x03, 0x3d, 0xe0, 0xae]);
    signed.verify(&key).unwrap();
    assert_eq!(signed.to_text(), SUMDB_CHECKPOINT);
}

#[test]
fn sum_golang_org_checkpoint_with_another_tree_size_is_a_bad_signature() {
    let forged = SUMDB_CHECKPOINT.replace("6476701", "6476702");
    let signed = SignedCheckpoint::parse(&forged).unwrap();
    let err = signed
        .verify(&VerifierKey::from_encoded(SUMDB_VKEY).unwrap())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the signature by key sum.golang.org+033de0ae does not verify over the note text"
    );
}

#[test]
fn key_pairs_made_by_go_decode_to_matching_keys() {
    for (vkey, skey) in FORMATS_KEY_PAIRS {
        let signer = SignerKey::from_encoded(skey).unwrap();
        assert_eq!(signer.verifier(), VerifierKey::from_encoded(vkey).unwrap());
        assert_eq!(signer.verifier().to_encoded(), vkey);
        assert_eq!(signer.to_encoded(), skey);
    }
}

// ---------------------------------------------------------------------------
// Round trips

#[test]
fn signed_checkpoint_text_parses_back_identical_and_verifies() {
    let key = test_key();
    let checkpoint =
        Checkpoint::new(ORIGIN, 1234, root(9), vec!["ext one".into(), "x".into()]).unwrap();
    let signed = key.sign(&checkpoint);
    let text = signed.to_text();
    assert!(text.starts_with(&format!(
        "{ORIGIN}\n1234\n{}\next one\nx\n\n— {ORIGIN} ",
        BASE64.encode(root(9))
    )));
    assert!(text.ends_with('\n'));
    let parsed = SignedCheckpoint::parse(&text).unwrap();
    assert_eq!(parsed, signed);
    assert_eq!(parsed.to_text(), text);
    parsed.verify(&key.verifier()).unwrap();
}

#[test]
fn signing_is_deterministic() {
    assert_eq!(signed_text(), signed_text());
}

#[test]
fn empty_tree_checkpoint_round_trips() {
    let empty_root: [u8; 32] = Sha256::digest(b"").into();
    let checkpoint = Checkpoint::new(ORIGIN, 0, empty_root, vec![]).unwrap();
    assert_eq!(
        checkpoint.body(),
        format!("{ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
    );
    assert_eq!(
        Checkpoint::parse_body(&checkpoint.body()).unwrap(),
        checkpoint
    );
}

#[test]
fn largest_tree_size_round_trips() {
    let checkpoint = Checkpoint::new(ORIGIN, u64::MAX, root(1), vec![]).unwrap();
    assert_eq!(
        Checkpoint::parse_body(&checkpoint.body()).unwrap(),
        checkpoint
    );
}

#[test]
fn encoded_keys_round_trip() {
    let key = SignerKey::generate(ORIGIN).unwrap();
    let encoded = key.to_encoded();
    assert!(encoded.starts_with(&format!(
        "PRIVATE+KEY+{ORIGIN}+{}+A",
        hex::encode(key.key_id())
    )));
    let back = SignerKey::from_encoded(&encoded).unwrap();
    assert_eq!(back.to_encoded(), encoded);
    assert_eq!(back.verifier(), key.verifier());

    let vkey = key.verifier().to_encoded();
    assert_eq!(vkey.len(), ORIGIN.len() + 1 + 8 + 1 + 44);
    assert_eq!(VerifierKey::from_encoded(&vkey).unwrap(), key.verifier());
    assert_eq!(
        VerifierKey::new(ORIGIN, key.verifier().public_key).unwrap(),
        key.verifier()
    );
}

#[test]
fn generated_keys_differ() {
    let a = SignerKey::generate(ORIGIN).unwrap();
    let b = SignerKey::generate(ORIGIN).unwrap();
    assert_ne!(a.verifier().public_key, b.verifier().public_key);
}

#[test]
fn a_checkpoint_signed_by_two_keys_verifies_with_each() {
    let log = test_key();
    let witness = SignerKey::generate("witness.example/w1").unwrap();
    let checkpoint = Checkpoint::new(ORIGIN, 7, root(3), vec![]).unwrap();
    let mut signed = log.sign(&checkpoint);
    signed
        .signatures
        .push(witness.sign_text(&checkpoint.body()));
    let parsed = SignedCheckpoint::parse(&signed.to_text()).unwrap();
    parsed.verify(&log.verifier()).unwrap();
    parsed.verify(&witness.verifier()).unwrap();
}

#[test]
fn signer_key_debug_does_not_show_the_secret() {
    let key = test_key();
    let debug = format!("{key:?}");
    assert!(debug.contains(ORIGIN));
    let encoded = key.to_encoded();
    let secret = encoded.rsplit('+').next().unwrap();
    assert!(!debug.contains(secret), "{debug}");
}

// ---------------------------------------------------------------------------
// Refusals of signed checkpoints

#[test]
fn a_changed_byte_of_the_body_is_a_bad_signature() {
    let text = signed_text().replacen("grantledger", "grantLedger", 1);
    let err = SignedCheckpoint::parse(&text)
        .unwrap()
        .verify(&test_key().verifier())
        .unwrap_err();
    assert!(
        matches!(err, CheckpointError::BadSignature { .. }),
        "{err:?}"
    );
}

#[test]
fn a_changed_tree_size_or_root_is_a_bad_signature() {
    let key = test_key();
    let mut signed = SignedCheckpoint::parse(&signed_text()).unwrap();
    signed.checkpoint.tree_size += 1;
    assert!(matches!(
        signed.verify(&key.verifier()),
        Err(CheckpointError::BadSignature { .. })
    ));
    let mut signed = SignedCheckpoint::parse(&signed_text()).unwrap();
    signed.checkpoint.root_hash[31] ^= 1;
    assert!(matches!(
        signed.verify(&key.verifier()),
        Err(CheckpointError::BadSignature { .. })
    ));
}

#[test]
fn a_signature_by_another_key_is_no_signature_by_the_key() {
    let other = SignerKey::generate("someone.else/log").unwrap();
    let err = SignedCheckpoint::parse(&signed_text())
        .unwrap()
        .verify(&other.verifier())
        .unwrap_err();
    assert!(
        matches!(&err, CheckpointError::NoSignatureByKey { name } if name.starts_with("someone.else/log+"))
    );
    assert!(err
        .to_string()
        .starts_with("the note has no signature by key someone.else/log+"));
}

#[test]
fn a_key_of_the_same_name_but_another_id_is_no_signature_by_the_key() {
    let impostor = SignerKey::generate(ORIGIN).unwrap();
    let err = SignedCheckpoint::parse(&signed_text())
        .unwrap()
        .verify(&impostor.verifier())
        .unwrap_err();
    assert!(
        matches!(err, CheckpointError::NoSignatureByKey { .. }),
        "{err:?}"
    );
}

#[test]
fn signatures_by_unknown_keys_are_ignored() {
    let key = test_key();
    let text = format!("{signed_text}{ENOCH_SIG}", signed_text = signed_text());
    SignedCheckpoint::parse(&text)
        .unwrap()
        .verify(&key.verifier())
        .unwrap();
}

#[test]
fn a_bad_second_signature_by_the_key_is_refused() {
    let key = test_key();
    let mut signed = SignedCheckpoint::parse(&signed_text()).unwrap();
    let mut bad = signed.signatures[0].clone();
    bad.signature[0] ^= 1;
    signed.signatures.push(bad);
    assert!(matches!(
        signed.verify(&key.verifier()),
        Err(CheckpointError::BadSignature { .. })
    ));
}

#[test]
fn a_truncated_signature_is_refused() {
    let text = signed_text();
    let body_lines = 3;
    let sig_line = body_lines + 2;
    // One character fewer: not base64 any more.
    let cut = format!("{}\n", &text[..text.len() - 2]);
    assert_malformed(SignedCheckpoint::parse(&cut), sig_line, "base64");
    // One base64 quantum fewer: 62 signature bytes, which cannot verify.
    let cut = format!("{}\n", &text[..text.len() - 5]);
    let signed = SignedCheckpoint::parse(&cut).unwrap();
    assert_eq!(signed.signatures[0].signature.len(), 62);
    assert!(matches!(
        signed.verify(&test_key().verifier()),
        Err(CheckpointError::BadSignature { .. })
    ));
    // Only the key ID left.
    let line = test_key().sign_text("x\n");
    let short = NoteSignature {
        signature: vec![],
        ..line
    };
    assert_malformed(
        NoteSignature::parse_line(&short.to_line(), 9),
        9,
        "4-byte key ID",
    );
}

#[test]
fn a_missing_blank_line_is_refused() {
    let text = signed_text().replacen("\n\n", "\n", 1);
    assert_malformed(SignedCheckpoint::parse(&text), 4, "no blank line");
}

#[test]
fn an_em_dash_replaced_by_a_hyphen_is_refused() {
    let text = signed_text().replacen('—', "-", 1);
    assert_malformed(SignedCheckpoint::parse(&text), 5, "em dash (U+2014)");
}

#[test]
fn a_note_without_a_final_newline_is_refused() {
    let text = signed_text();
    assert_malformed(
        SignedCheckpoint::parse(text.trim_end_matches('\n')),
        5,
        "does not end with a newline",
    );
}

#[test]
fn a_blank_line_without_signatures_is_refused() {
    let body = Checkpoint::new(ORIGIN, 1, root(1), vec![]).unwrap().body();
    assert_malformed(
        SignedCheckpoint::parse(&format!("{body}\n")),
        5,
        "no signature line",
    );
}

#[test]
fn a_control_character_is_refused() {
    let text = signed_text().replacen("grantledger", "grant\tledger", 1);
    assert_malformed(SignedCheckpoint::parse(&text), 1, "control character");
}

#[test]
fn an_invalid_key_name_in_a_signature_line_is_refused() {
    let text = signed_text().replacen(&format!("— {ORIGIN}"), "— a+b", 1);
    assert_malformed(SignedCheckpoint::parse(&text), 5, "'+'");
}

#[test]
fn more_than_the_maximum_of_signatures_is_refused() {
    let text = format!("{GO_TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES + 1));
    assert_malformed(
        SignedNote::parse(&text),
        3 + 1 + MAX_SIGNATURES,
        "more than 100",
    );
    let text = format!("{GO_TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES));
    assert_eq!(
        SignedNote::parse(&text).unwrap().signatures.len(),
        MAX_SIGNATURES
    );
}

#[test]
fn a_note_that_is_not_a_checkpoint_is_refused_as_a_checkpoint() {
    let text = format!("{GO_TEXT}\n{PETER_SIG}");
    assert_malformed(SignedCheckpoint::parse(&text), 2, "not a decimal number");
}

// ---------------------------------------------------------------------------
// Refusals of checkpoint bodies

#[test]
fn checkpoint_bodies_breaking_the_format_are_refused() {
    let r = BASE64.encode(root(5));
    assert!(r.ends_with("BQU="));
    let short = BASE64.encode([5u8; 31]);
    let cases: Vec<(String, usize, &str)> = vec![
        (String::new(), 1, "does not end with a newline"),
        (
            format!("{ORIGIN}\n1\n{r}"),
            3,
            "does not end with a newline",
        ),
        (format!("\n1\n{r}\n"), 1, "origin line is empty"),
        (format!("{ORIGIN}\n"), 2, "tree size line is missing"),
        (format!("{ORIGIN}\n1\n"), 3, "root hash line is missing"),
        (format!("{ORIGIN}\n01\n{r}\n"), 2, "leading zero"),
        (format!("{ORIGIN}\n00\n{r}\n"), 2, "leading zero"),
        (format!("{ORIGIN}\n+1\n{r}\n"), 2, "not a decimal number"),
        (format!("{ORIGIN}\n-1\n{r}\n"), 2, "not a decimal number"),
        (format!("{ORIGIN}\n 1\n{r}\n"), 2, "not a decimal number"),
        (format!("{ORIGIN}\n\n{r}\n"), 2, "not a decimal number"),
        (
            format!("{ORIGIN}\n18446744073709551616\n{r}\n"),
            2,
            "does not fit in 64 bits",
        ),
        (
            format!("{ORIGIN}\n1\n{short}\n"),
            3,
            "31 bytes, expected 32",
        ),
        (
            format!("{ORIGIN}\n1\n{}\n", r.trim_end_matches('=')),
            3,
            "not canonical base64",
        ),
        // Non-zero trailing bits: "…BQU=" is canonical for [5, 5], "…BQV=" is not.
        (
            format!("{ORIGIN}\n1\n{}V=\n", &r[..r.len() - 2]),
            3,
            "not canonical base64",
        ),
        (
            format!("{ORIGIN}\n1\n{r}\n\n"),
            4,
            "extension line is empty",
        ),
        (
            format!("{ORIGIN}\n1\n{r}\next\n\nmore\n"),
            5,
            "extension line is empty",
        ),
        (format!("{ORIGIN}\n1\n{r}\r\n"), 3, "control character"),
    ];
    for (body, line, fragment) in cases {
        assert_malformed(Checkpoint::parse_body(&body), line, fragment);
    }
}

#[test]
fn checkpoint_with_a_zero_tree_size_and_extensions_parses() {
    let r = BASE64.encode(root(5));
    let c = Checkpoint::parse_body(&format!("{ORIGIN}\n0\n{r}\nfoo bar\n")).unwrap();
    assert_eq!(c.tree_size, 0);
    assert_eq!(c.extensions, vec!["foo bar".to_owned()]);
}

#[test]
fn checkpoints_that_would_not_parse_back_cannot_be_made() {
    assert_malformed(
        Checkpoint::new("", 1, root(1), vec![]),
        1,
        "origin line is empty",
    );
    assert_malformed(
        Checkpoint::new("a\nb", 1, root(1), vec![]),
        1,
        "control character",
    );
    assert_malformed(
        Checkpoint::new(ORIGIN, 1, root(1), vec![String::new()]),
        4,
        "empty",
    );
    assert_malformed(
        Checkpoint::new(ORIGIN, 1, root(1), vec!["ok".into(), "a\nb".into()]),
        5,
        "control",
    );
}

// ---------------------------------------------------------------------------
// Refusals of keys

#[test]
fn invalid_key_names_are_refused() {
    for name in ["", "a b", "a+b", "a\u{a0}b", "tab\there", "nul\0"] {
        assert!(SignerKey::generate(name).is_err(), "accepted {name:?}");
        assert!(VerifierKey::new(name, test_key().verifier().public_key).is_err());
    }
}

#[test]
fn an_encoded_key_with_a_wrong_key_id_is_refused() {
    let vkey = PETER_VKEY.replace("c74f20a3", "c74f20a4");
    assert_bad_key(
        VerifierKey::from_encoded(&vkey),
        "does not match the key (computed c74f20a3)",
    );
    let skey = PETER_SKEY.replace("c74f20a3", "00000000");
    assert_bad_key(SignerKey::from_encoded(&skey), "does not match the key");
}

#[test]
fn a_verifier_key_is_not_a_signer_key_and_back() {
    assert_bad_key(SignerKey::from_encoded(PETER_VKEY), "PRIVATE+KEY+");
    assert!(VerifierKey::from_encoded(PETER_SKEY).is_err());
}

// ---------------------------------------------------------------------------
// Key files

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn load_or_create_writes_a_new_key_with_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.key");
    let key = SignerKey::load_or_create(&path, ORIGIN).unwrap();
    assert_eq!(mode_of(&path), 0o600);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{}\n", key.to_encoded())
    );
    assert_eq!(key.name(), ORIGIN);
}

#[test]
fn load_or_create_loads_the_same_key_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.key");
    let created = SignerKey::load_or_create(&path, ORIGIN).unwrap();
    let loaded = SignerKey::load_or_create(&path, ORIGIN).unwrap();
    assert_eq!(loaded.to_encoded(), created.to_encoded());
    let checkpoint = Checkpoint::new(ORIGIN, 5, root(5), vec![]).unwrap();
    assert_eq!(loaded.sign(&checkpoint), created.sign(&checkpoint));
}

#[test]
fn load_or_create_refuses_a_key_file_readable_by_others() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.key");
    SignerKey::load_or_create(&path, ORIGIN).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = SignerKey::load_or_create(&path, ORIGIN).unwrap_err();
    assert!(
        matches!(&err, CheckpointError::KeyFilePermissions { path: p, mode: 0o644 } if p == &path),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("mode 0644") && message.contains("chmod 600"),
        "{message}"
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert!(matches!(
        SignerKey::load_or_create(&path, ORIGIN),
        Err(CheckpointError::KeyFilePermissions { mode: 0o640, .. })
    ));
}

#[test]
fn load_or_create_refuses_a_key_of_another_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.key");
    SignerKey::load_or_create(&path, "other.example/log").unwrap();
    let err = SignerKey::load_or_create(&path, ORIGIN).unwrap_err();
    assert!(
        matches!(&err, CheckpointError::KeyFile { reason, .. } if reason.contains("other.example/log")),
        "{err:?}"
    );
}

#[test]
fn load_or_create_refuses_a_file_that_is_not_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.key");
    std::fs::write(&path, "").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = SignerKey::load_or_create(&path, ORIGIN).unwrap_err();
    assert!(matches!(&err, CheckpointError::KeyFile { .. }), "{err:?}");
    assert!(err.to_string().contains("log.key"), "{err}");
    let err = SignerKey::load_or_create(dir.path(), ORIGIN).unwrap_err();
    assert!(matches!(&err, CheckpointError::KeyFile { .. }), "{err:?}");
}

#[test]
fn load_or_create_names_the_path_when_the_directory_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("log.key");
    let err = SignerKey::load_or_create(&path, ORIGIN).unwrap_err();
    assert!(matches!(&err, CheckpointError::Io(_)), "{err:?}");
    assert!(err.to_string().contains("missing/log.key"), "{err}");
}
