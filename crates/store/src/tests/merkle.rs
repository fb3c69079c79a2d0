//! The RFC 6962 Merkle tree: the transparency-dev test vectors (see
//! `tests/testdata/README.md`), the canonical eight-leaf trees, and property
//! tests against a naive, literal transcription of RFC 6962 §2.1.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use proptest::prelude::*;
use serde::Deserialize;

use crate::merkle::{
    leaf_hash, node_hash, verify_consistency, verify_inclusion, LeafSource, MerkleTree, ProofError,
    EMPTY_ROOT,
};
use crate::Hash;

// ---------------------------------------------------------------------------
// A naive RFC 6962 §2.1, transcribed literally (O(n) hashes per call).

/// The largest power of two smaller than `n` (`n >= 2`).
fn k_of(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) over leaf hashes.
fn naive_mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => EMPTY_ROOT,
        1 => leaves[0],
        n => {
            let k = k_of(n);
            node_hash(&naive_mth(&leaves[..k]), &naive_mth(&leaves[k..]))
        }
    }
}

/// PATH(m, D[n]).
fn naive_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n == 1 {
        return Vec::new();
    }
    let k = k_of(n);
    let (mut path, sibling) = if m < k {
        (naive_path(m, &leaves[..k]), naive_mth(&leaves[k..]))
    } else {
        (naive_path(m - k, &leaves[k..]), naive_mth(&leaves[..k]))
    };
    path.push(sibling);
    path
}

/// SUBPROOF(m, D[n], b).
fn naive_subproof(m: usize, leaves: &[Hash], whole_old_tree: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if whole_old_tree {
            Vec::new()
        } else {
            vec![naive_mth(leaves)]
        };
    }
    let k = k_of(n);
    let (mut proof, sibling) = if m <= k {
        (
            naive_subproof(m, &leaves[..k], whole_old_tree),
            naive_mth(&leaves[k..]),
        )
    } else {
        (
            naive_subproof(m - k, &leaves[k..], false),
            naive_mth(&leaves[..k]),
        )
    };
    proof.push(sibling);
    proof
}

/// How a verifier uses each proof element, read off the RFC 6962 recursion
/// rather than the RFC 9162 bit arithmetic: two (index, size) or (m, n)
/// pairs with the same shape are indistinguishable to any verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The element is the old tree's hash at the bottom of a consistency proof.
    Seed,
    /// The element is a left sibling.
    Left,
    /// The element is a right sibling.
    Right,
}

fn inclusion_shape(index: u64, size: u64) -> Option<Vec<Step>> {
    if index >= size {
        return None;
    }
    if size == 1 {
        return Some(Vec::new());
    }
    let k = k_of(size as usize) as u64;
    let (mut shape, step) = if index < k {
        (inclusion_shape(index, k)?, Step::Right)
    } else {
        (inclusion_shape(index - k, size - k)?, Step::Left)
    };
    shape.push(step);
    Some(shape)
}

/// The shape of PROOF(m, D[n]) for `0 < m < n` (equal sizes have no proof).
fn consistency_shape(m: u64, n: u64) -> Option<Vec<Step>> {
    fn sub(m: u64, n: u64, whole_old_tree: bool) -> Vec<Step> {
        if m == n {
            return if whole_old_tree {
                Vec::new()
            } else {
                vec![Step::Seed]
            };
        }
        let k = k_of(n as usize) as u64;
        let (mut shape, step) = if m <= k {
            (sub(m, k, whole_old_tree), Step::Right)
        } else {
            (sub(m - k, n - k, false), Step::Left)
        };
        shape.push(step);
        shape
    }
    (0 < m && m < n).then(|| sub(m, n, true))
}

// ---------------------------------------------------------------------------
// Helpers.

fn bytes(proof: &[Hash]) -> Vec<Vec<u8>> {
    proof.iter().map(|h| h.to_vec()).collect()
}

fn flip_bit(h: &[u8], bit: usize) -> Vec<u8> {
    let mut v = h.to_vec();
    let bit = bit % (v.len() * 8);
    v[bit / 8] ^= 1 << (bit % 8);
    v
}

fn tree_of(leaves: &[Hash]) -> MerkleTree {
    leaves.iter().copied().collect()
}

/// The eight canonical leaf inputs of the RFC 6962 vectors.
fn canonical_inputs() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| hex::decode(h).unwrap())
    .collect()
}

fn canonical_leaves() -> Vec<Hash> {
    canonical_inputs().iter().map(|d| leaf_hash(d)).collect()
}

/// The vectors' folder inside this crate.
fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/rfc6962")
}

/// Every `.json` file under `dir`, recursively, sorted.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            out.extend(json_files(&path));
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
    out
}

fn read_case<T: for<'de> Deserialize<'de>>(path: &Path) -> T {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn b64(s: &str) -> Vec<u8> {
    BASE64.decode(s).unwrap()
}

fn b64_all(v: &Option<Vec<String>>) -> Vec<Vec<u8>> {
    v.iter().flatten().map(|s| b64(s)).collect()
}

fn hash_of(b: &[u8]) -> Option<Hash> {
    b.try_into().ok()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InclusionCase {
    leaf_idx: u64,
    tree_size: u64,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

impl InclusionCase {
    fn verify(&self) -> Result<(), ProofError> {
        verify_inclusion(
            &b64(&self.leaf_hash),
            self.leaf_idx,
            self.tree_size,
            &b64_all(&self.proof),
            &b64(&self.root),
        )
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConsistencyCase {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

impl ConsistencyCase {
    fn verify(&self) -> Result<(), ProofError> {
        verify_consistency(
            self.size1,
            self.size2,
            &b64_all(&self.proof),
            &b64(&self.root1),
            &b64(&self.root2),
        )
    }
}

// ---------------------------------------------------------------------------
// The transparency-dev vectors.

#[test]
fn every_rfc6962_test_vector_is_accepted_or_rejected_as_it_expects() {
    let mut failures = Vec::new();
    let mut counts = [0usize; 2];
    for (i, kind) in ["inclusion", "consistency"].into_iter().enumerate() {
        for path in json_files(&vectors_dir().join(kind)) {
            let (desc, want_err, got) = if kind == "inclusion" {
                let case: InclusionCase = read_case(&path);
                let got = case.verify();
                (case.desc, case.want_err, got)
            } else {
                let case: ConsistencyCase = read_case(&path);
                let got = case.verify();
                (case.desc, case.want_err, got)
            };
            counts[i] += 1;
            if want_err != got.is_err() {
                failures.push(format!("{} ({desc}): {got:?}", path.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "failing vectors:\n{}",
        failures.join("\n")
    );
    // All 196 files of the vectors' commit are there (none lost in a copy).
    assert_eq!(counts, [98, 98], "[inclusion, consistency] case counts");
}

#[test]
fn happy_path_vectors_equal_the_proofs_the_tree_makes() {
    let leaves = canonical_leaves();
    let tree = tree_of(&leaves);
    let mut compared = 0;
    for path in json_files(&vectors_dir().join("inclusion")) {
        if !path.ends_with("happy-path.json") {
            continue;
        }
        let case: InclusionCase = read_case(&path);
        let leaf = hash_of(&b64(&case.leaf_hash)).unwrap();
        assert_eq!(leaf, leaves[case.leaf_idx as usize], "{}", path.display());
        let root = tree.root(case.tree_size).unwrap();
        assert_eq!(root.to_vec(), b64(&case.root), "{}", path.display());
        let proof = tree.inclusion_proof(case.leaf_idx, case.tree_size).unwrap();
        assert_eq!(bytes(&proof), b64_all(&case.proof), "{}", path.display());
        compared += 1;
    }
    for path in json_files(&vectors_dir().join("consistency")) {
        if !path.ends_with("happy-path.json") {
            continue;
        }
        let case: ConsistencyCase = read_case(&path);
        let root1 = tree.root(case.size1).unwrap();
        let root2 = tree.root(case.size2).unwrap();
        assert_eq!(root1.to_vec(), b64(&case.root1), "{}", path.display());
        assert_eq!(root2.to_vec(), b64(&case.root2), "{}", path.display());
        let proof = tree.consistency_proof(case.size1, case.size2).unwrap();
        assert_eq!(bytes(&proof), b64_all(&case.proof), "{}", path.display());
        compared += 1;
    }
    assert_eq!(compared, 10, "5 inclusion + 5 consistency happy paths");
}

// ---------------------------------------------------------------------------
// The canonical eight-leaf trees.

#[test]
fn roots_of_the_canonical_trees_match_the_vectors_readme() {
    let want = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    let leaves = canonical_leaves();
    let mut grown = MerkleTree::new();
    for (n, want) in want.iter().enumerate() {
        let full = tree_of(&leaves);
        assert_eq!(hex::encode(full.root(n as u64).unwrap()), *want, "size {n}");
        assert_eq!(grown.root(n as u64).unwrap(), full.root(n as u64).unwrap());
        if n < leaves.len() {
            grown.push(leaves[n]);
        }
    }
}

#[test]
fn empty_root_is_the_sha256_of_nothing() {
    use sha2::{Digest, Sha256};
    assert_eq!(EMPTY_ROOT, <[u8; 32]>::from(Sha256::digest(b"")));
    assert_eq!(MerkleTree::new().root(0), Ok(EMPTY_ROOT));
}

#[test]
fn every_proof_of_the_canonical_trees_verifies_and_equals_rfc6962() {
    let leaves = canonical_leaves();
    for len in 1..=leaves.len() {
        let tree = tree_of(&leaves[..len]);
        let n = len as u64;
        let root = tree.root(n).unwrap();
        for index in 0..n {
            let proof = tree.inclusion_proof(index, n).unwrap();
            assert_eq!(proof, naive_path(index as usize, &leaves[..len]));
            verify_inclusion(&leaves[index as usize], index, n, &bytes(&proof), &root)
                .unwrap_or_else(|e| panic!("inclusion ({index}, {n}): {e}"));
        }
        for m in 1..=n {
            let proof = tree.consistency_proof(m, n).unwrap();
            assert_eq!(proof, naive_subproof(m as usize, &leaves[..len], true));
            let root1 = tree.root(m).unwrap();
            verify_consistency(m, n, &bytes(&proof), &root1, &root)
                .unwrap_or_else(|e| panic!("consistency ({m}, {n}): {e}"));
        }
    }
}

// ---------------------------------------------------------------------------
// The tree's errors.

#[test]
fn tree_refuses_sizes_beyond_its_leaves() {
    let tree = tree_of(&canonical_leaves()[..3]);
    let too_big = ProofError::SizeOutOfRange { size: 4, len: 3 };
    assert_eq!(tree.root(4), Err(too_big.clone()));
    assert_eq!(tree.inclusion_proof(0, 4), Err(too_big.clone()));
    assert_eq!(tree.consistency_proof(1, 4), Err(too_big));
    assert_eq!(
        MerkleTree::new().inclusion_proof(0, 0),
        Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
    );
}

#[test]
fn tree_refuses_an_index_not_below_the_size() {
    let tree = tree_of(&canonical_leaves());
    assert_eq!(
        tree.inclusion_proof(5, 5),
        Err(ProofError::IndexOutOfRange { index: 5, size: 5 })
    );
}

#[test]
fn tree_refuses_consistency_from_empty_or_to_a_smaller_tree() {
    let tree = tree_of(&canonical_leaves());
    assert_eq!(tree.consistency_proof(0, 3), Err(ProofError::EmptyFromSize));
    assert_eq!(tree.consistency_proof(0, 0), Err(ProofError::EmptyFromSize));
    assert_eq!(
        tree.consistency_proof(4, 3),
        Err(ProofError::SizesOutOfOrder { size1: 4, size2: 3 })
    );
    assert_eq!(tree.consistency_proof(3, 3), Ok(Vec::new()));
}

#[test]
fn tree_gives_back_its_leaves_and_length() {
    let leaves = canonical_leaves();
    let tree = tree_of(&leaves);
    assert_eq!(tree.len(), 8);
    assert!(!tree.is_empty() && MerkleTree::new().is_empty());
    assert_eq!(tree.leaf(7), Ok(leaves[7]));
    assert_eq!(
        tree.leaf(8),
        Err(ProofError::IndexOutOfRange { index: 8, size: 8 })
    );
}

/// A tree that reads its older leaves from `leaves` (as the server's reads
/// them from the log), refusing any read that is not within one aligned
/// block of 64.
fn tree_with_source(leaves: &[Hash]) -> MerkleTree {
    let held: std::sync::Arc<Vec<Hash>> = std::sync::Arc::new(leaves.to_vec());
    let source: LeafSource = std::sync::Arc::new(move |start, n| {
        let end = start + n as u64;
        if n == 0 || n > 64 || start / 64 != (end - 1) / 64 {
            return Err(format!("asked for {n} leaves from {start}"));
        }
        Ok(held[start as usize..end as usize].to_vec())
    });
    let mut tree = MerkleTree::with_leaf_source(source);
    tree.extend(leaves.iter().copied());
    tree
}

#[test]
fn a_tree_whose_source_fails_names_the_leaves_it_could_not_read() {
    let leaves: Vec<Hash> = (0..130u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let source: LeafSource = std::sync::Arc::new(|_, _| Err("the log is closed".to_string()));
    let mut tree = MerkleTree::with_leaf_source(source);
    tree.extend(leaves.iter().copied());
    // the last, incomplete block (128, 129) is held; the complete blocks' roots too
    assert_eq!(tree.leaf(129), Ok(leaves[129]));
    assert_eq!(tree.root(128), Ok(naive_mth(&leaves[..128])));
    assert_eq!(tree.root(130), Ok(naive_mth(&leaves)));
    // a leaf, or a subtree smaller than a block, in a complete block is read
    // with its whole block
    assert_eq!(
        tree.leaf(5),
        Err(ProofError::LeavesUnreadable {
            start: 0,
            reason: "the log is closed".into()
        })
    );
    // 100 = 64 + 32 + 4: the subtree [64, 96) is read first
    assert!(matches!(
        tree.root(100),
        Err(ProofError::LeavesUnreadable { start: 64, .. })
    ));
}

#[test]
fn verifiers_name_the_malformed_input() {
    let leaves = canonical_leaves();
    let tree = tree_of(&leaves);
    let root = tree.root(8).unwrap();
    let proof = bytes(&tree.inclusion_proof(2, 8).unwrap());
    assert_eq!(
        verify_inclusion(&leaves[2][..31], 2, 8, &proof, &root),
        Err(ProofError::BadHashLength {
            what: "leaf hash",
            len: 31
        })
    );
    assert_eq!(
        verify_inclusion(&leaves[2], 2, 8, &proof[..2], &root),
        Err(ProofError::WrongProofLength { got: 2, want: 3 })
    );
    assert_eq!(
        verify_inclusion(&leaves[3], 2, 8, &proof, &root),
        Err(ProofError::RootMismatch)
    );
    let root3 = tree.root(3).unwrap();
    let proof = bytes(&tree.consistency_proof(3, 8).unwrap());
    assert_eq!(
        verify_consistency(3, 8, &proof, &root3, &root3),
        Err(ProofError::Root2Mismatch)
    );
    assert_eq!(
        verify_consistency(3, 8, &proof, &root, &root),
        Err(ProofError::Root1Mismatch)
    );
    assert_eq!(
        verify_consistency(3, 8, &proof, &root3, &root[1..]),
        Err(ProofError::BadHashLength {
            what: "root2",
            len: 31
        })
    );
    assert_eq!(
        verify_consistency(3, 3, &[], &root3, &root),
        Err(ProofError::RootsDiffer)
    );
}

// ---------------------------------------------------------------------------
// Larger trees, exhaustively and by property.

#[test]
fn every_proof_of_a_129_leaf_tree_equals_rfc6962_and_verifies() {
    let leaves: Vec<Hash> = (0u32..129).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let tree = tree_of(&leaves);
    for n in 1..=leaves.len() {
        let root = tree.root(n as u64).unwrap();
        assert_eq!(root, naive_mth(&leaves[..n]), "root({n})");
        for index in 0..n {
            let proof = tree.inclusion_proof(index as u64, n as u64).unwrap();
            assert_eq!(proof, naive_path(index, &leaves[..n]), "PATH({index}, {n})");
            verify_inclusion(
                &leaves[index],
                index as u64,
                n as u64,
                &bytes(&proof),
                &root,
            )
            .unwrap_or_else(|e| panic!("inclusion ({index}, {n}): {e}"));
        }
        for m in 1..=n {
            let proof = tree.consistency_proof(m as u64, n as u64).unwrap();
            assert_eq!(
                proof,
                naive_subproof(m, &leaves[..n], true),
                "PROOF({m}, {n})"
            );
            let root1 = tree.root(m as u64).unwrap();
            verify_consistency(m as u64, n as u64, &bytes(&proof), &root1, &root)
                .unwrap_or_else(|e| panic!("consistency ({m}, {n}): {e}"));
        }
    }
}

/// Up to 300 leaves of random record hashes (distinct with overwhelming
/// probability, so no two subtrees share a hash), and a tree size.
fn tree_and_size() -> impl Strategy<Value = (Vec<Hash>, u64)> {
    proptest::collection::vec(any::<[u8; 32]>(), 1..=300).prop_flat_map(|records| {
        let len = records.len() as u64;
        let leaves: Vec<Hash> = records.iter().map(|r| leaf_hash(r)).collect();
        (Just(leaves), 1..=len)
    })
}

/// Checks the inclusion proof of `index` in the tree of `size` leaves and
/// that every tampering with it is refused.
fn check_inclusion(
    tree: &MerkleTree,
    leaves: &[Hash],
    index: u64,
    size: u64,
    salt: usize,
) -> Result<(), TestCaseError> {
    let root = tree.root(size).unwrap();
    let leaf = leaves[index as usize];
    let proof = bytes(&tree.inclusion_proof(index, size).unwrap());
    prop_assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root), Ok(()));
    // A changed leaf.
    prop_assert!(verify_inclusion(&flip_bit(&leaf, salt), index, size, &proof, &root).is_err());
    // A changed root.
    prop_assert!(verify_inclusion(&leaf, index, size, &proof, &flip_bit(&root, salt)).is_err());
    // A changed index: the leaf sits at exactly one position.
    for other in [
        index ^ 1,
        index + 1,
        index.wrapping_sub(1),
        (index + salt as u64) % size,
    ] {
        if other != index {
            prop_assert!(verify_inclusion(&leaf, other, size, &proof, &root).is_err());
        }
    }
    // A wrong size: accepted exactly when the RFC 6962 recursion gives the
    // proof the same shape (an inclusion proof does not bind the size; the
    // signed checkpoint does).
    let shape = inclusion_shape(index, size);
    for other in [
        size - 1,
        size + 1,
        size * 2,
        size / 2,
        1 + salt as u64 % (2 * size),
    ] {
        if other != size {
            let got = verify_inclusion(&leaf, index, other, &proof, &root);
            prop_assert_eq!(
                got.is_ok(),
                inclusion_shape(index, other) == shape,
                "size {} read as {}: {:?}",
                size,
                other,
                got
            );
        }
    }
    // A changed element; a truncated or extended proof.
    for (i, element) in proof.iter().enumerate() {
        let mut changed = proof.clone();
        changed[i] = flip_bit(element, salt + i);
        prop_assert!(verify_inclusion(&leaf, index, size, &changed, &root).is_err());
    }
    if !proof.is_empty() {
        prop_assert!(verify_inclusion(&leaf, index, size, &proof[1..], &root).is_err());
        prop_assert!(
            verify_inclusion(&leaf, index, size, &proof[..proof.len() - 1], &root).is_err()
        );
    }
    let mut longer = proof.clone();
    longer.push(root.to_vec());
    prop_assert!(verify_inclusion(&leaf, index, size, &longer, &root).is_err());
    longer.rotate_right(1);
    prop_assert!(verify_inclusion(&leaf, index, size, &longer, &root).is_err());
    Ok(())
}

/// Checks the consistency proof from `m` to `n` leaves and that every
/// tampering with it is refused.
fn check_consistency(tree: &MerkleTree, m: u64, n: u64, salt: usize) -> Result<(), TestCaseError> {
    let (root1, root2) = (tree.root(m).unwrap(), tree.root(n).unwrap());
    let proof = bytes(&tree.consistency_proof(m, n).unwrap());
    prop_assert_eq!(verify_consistency(m, n, &proof, &root1, &root2), Ok(()));
    if m == n {
        prop_assert!(proof.is_empty());
        prop_assert!(verify_consistency(m, n, &[root1.to_vec()], &root1, &root2).is_err());
        prop_assert!(verify_consistency(m, n, &proof, &flip_bit(&root1, salt), &root2).is_err());
        return Ok(());
    }
    // Changed roots.
    prop_assert!(verify_consistency(m, n, &proof, &flip_bit(&root1, salt), &root2).is_err());
    prop_assert!(verify_consistency(m, n, &proof, &root1, &flip_bit(&root2, salt)).is_err());
    prop_assert!(verify_consistency(m, n, &proof, &root2, &root1).is_err());
    // Wrong sizes: accepted exactly when the proof has the same shape.
    let shape = consistency_shape(m, n);
    let others = [
        (m - 1, n),
        (m + 1, n),
        (m, n - 1),
        (m, n + 1),
        (m, 2 * n),
        (m / 2, n),
        (1 + salt as u64 % n, n),
        (m, m + salt as u64 % (2 * n)),
    ];
    for (m2, n2) in others {
        if (m2, n2) != (m, n) {
            let got = verify_consistency(m2, n2, &proof, &root1, &root2);
            prop_assert_eq!(
                got.is_ok(),
                consistency_shape(m2, n2) == shape,
                "({}, {}) read as ({}, {}): {:?}",
                m,
                n,
                m2,
                n2,
                got
            );
        }
    }
    // A changed element; a truncated or extended proof.
    for (i, element) in proof.iter().enumerate() {
        let mut changed = proof.clone();
        changed[i] = flip_bit(element, salt + i);
        prop_assert!(verify_consistency(m, n, &changed, &root1, &root2).is_err());
    }
    prop_assert!(verify_consistency(m, n, &proof[1..], &root1, &root2).is_err());
    prop_assert!(verify_consistency(m, n, &proof[..proof.len() - 1], &root1, &root2).is_err());
    let mut longer = proof.clone();
    longer.push(root1.to_vec());
    prop_assert!(verify_consistency(m, n, &longer, &root1, &root2).is_err());
    longer.rotate_right(1);
    prop_assert!(verify_consistency(m, n, &longer, &root1, &root2).is_err());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn root_of_every_size_equals_the_naive_mth(
        records in proptest::collection::vec(any::<Vec<u8>>(), 0..=300),
    ) {
        let leaves: Vec<Hash> = records.iter().map(|r| leaf_hash(r)).collect();
        let mut tree = MerkleTree::new();
        prop_assert_eq!(tree.root(0), Ok(EMPTY_ROOT));
        for (i, leaf) in leaves.iter().enumerate() {
            tree.push(*leaf);
            prop_assert_eq!(tree.root(i as u64 + 1).unwrap(), naive_mth(&leaves[..=i]));
        }
        for n in 0..=leaves.len() {
            prop_assert_eq!(tree.root(n as u64).unwrap(), naive_mth(&leaves[..n]));
        }
    }

    #[test]
    fn a_tree_reading_its_older_leaves_answers_as_one_holding_them(
        records in proptest::collection::vec(any::<u16>(), 0..=300),
    ) {
        let leaves: Vec<Hash> = records.iter().map(|r| leaf_hash(&r.to_be_bytes())).collect();
        let (full, lean) = (tree_of(&leaves), tree_with_source(&leaves));
        let size = leaves.len() as u64;
        prop_assert_eq!(lean.len(), size);
        for n in 0..=size {
            prop_assert_eq!(lean.root(n), full.root(n));
        }
        for i in 0..size {
            prop_assert_eq!(lean.leaf(i), Ok(leaves[i as usize]));
            prop_assert_eq!(lean.inclusion_proof(i, size), full.inclusion_proof(i, size));
        }
        for m in 1..=size {
            prop_assert_eq!(lean.consistency_proof(m, size), full.consistency_proof(m, size));
            let older = (m * 7 / 11).max(1);
            prop_assert_eq!(lean.consistency_proof(older, m), full.consistency_proof(older, m));
        }
    }

    #[test]
    fn every_inclusion_proof_verifies_and_any_tampering_is_refused(
        (leaves, size) in tree_and_size(),
        salt in any::<usize>(),
    ) {
        let tree = tree_of(&leaves);
        for index in 0..size {
            check_inclusion(&tree, &leaves, index, size, salt.wrapping_add(index as usize))?;
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_any_tampering_is_refused(
        (leaves, size) in tree_and_size(),
        salt in any::<usize>(),
    ) {
        let tree = tree_of(&leaves);
        for m in 1..=size {
            check_consistency(&tree, m, size, salt.wrapping_add(m as usize))?;
        }
    }

    #[test]
    fn proofs_equal_the_rfc6962_definitions(
        (leaves, size) in tree_and_size(),
        index in any::<u64>(),
        m in any::<u64>(),
    ) {
        let tree = tree_of(&leaves);
        let n = size as usize;
        let index = index % size;
        let m = 1 + m % size;
        prop_assert_eq!(
            tree.inclusion_proof(index, size).unwrap(),
            naive_path(index as usize, &leaves[..n])
        );
        prop_assert_eq!(
            tree.consistency_proof(m, size).unwrap(),
            naive_subproof(m as usize, &leaves[..n], true)
        );
    }
}

/// A proof reads each block of older leaves it needs once: an inclusion
/// proof needs the leaf's block and, for an older tree size, the block of
/// that size's last leaves; a consistency proof at most one more.
#[test]
fn a_proof_reads_each_block_of_older_leaves_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let leaves: Vec<Hash> = (0..1000u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let held = leaves.clone();
    let reads = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&reads);
    let source: LeafSource = Arc::new(move |start, n| {
        counted.fetch_add(1, Ordering::SeqCst);
        Ok(held[start as usize..start as usize + n].to_vec())
    });
    let mut tree = MerkleTree::with_leaf_source(source);
    tree.extend(leaves.iter().copied());
    let full = tree_of(&leaves);
    let count = |f: &dyn Fn(&MerkleTree) -> Vec<Hash>| {
        reads.store(0, Ordering::SeqCst);
        assert_eq!(f(&tree), f(&full));
        reads.load(Ordering::SeqCst)
    };
    // leaf 5 at the head's size: its block only (the head's tail is held)
    assert_eq!(count(&|t| t.inclusion_proof(5, 1000).unwrap()), 1);
    // at size 700 (= 640 + 32 + 16 + 8 + 4): also the block [640, 704)
    assert_eq!(count(&|t| t.inclusion_proof(5, 700).unwrap()), 2);
    assert_eq!(count(&|t| t.inclusion_proof(650, 700).unwrap()), 1);
    assert_eq!(count(&|t| vec![t.leaf(5).unwrap()]), 1);
    assert!(count(&|t| t.consistency_proof(5, 700).unwrap()) <= 2);
}
