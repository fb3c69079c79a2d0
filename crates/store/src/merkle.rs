//! The RFC 6962 Merkle tree over the log's record hashes (RFC 6962 §2.1,
//! restated in RFC 9162 §2.1): tree heads, inclusion proofs and consistency
//! proofs, and the RFC 9162 verifiers for both kinds of proof.
//!
//! Leaf `i` (0-based) of the tree is `leaf_hash(record.hash)` of the record
//! at seq `i + 1`; the tree of size `n` covers the log prefix `1..=n`.
//!
//! ```
//! use grantledger_store::merkle::{leaf_hash, verify_consistency, verify_inclusion, MerkleTree};
//! let mut tree = MerkleTree::new();
//! for data in [&b"a"[..], b"b", b"c"] {
//!     tree.push(leaf_hash(data));
//! }
//! let root3 = tree.root(3)?;
//! let proof: Vec<Vec<u8>> = tree.inclusion_proof(1, 3)?.iter().map(|h| h.to_vec()).collect();
//! verify_inclusion(&leaf_hash(b"b"), 1, 3, &proof, &root3)?;
//!
//! tree.push(leaf_hash(b"d"));
//! let root4 = tree.root(4)?;
//! let proof: Vec<Vec<u8>> = tree.consistency_proof(3, 4)?.iter().map(|h| h.to_vec()).collect();
//! verify_consistency(3, 4, &proof, &root3, &root4)?;
//! # Ok::<(), grantledger_store::merkle::ProofError>(())
//! ```

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::Hash;

/// The length in bytes of every hash in the tree (SHA-256).
pub const HASH_LEN: usize = 32;

/// `SHA-256("")`, the root of the empty tree (RFC 6962 §2.1: `MTH({})`).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The hash of a leaf: `SHA-256(0x00 ‖ data)` (RFC 6962 §2.1, `MTH({d0})`).
///
/// For the log, `data` is a record's 32-byte chain hash.
///
/// ```
/// use grantledger_store::merkle::leaf_hash;
/// assert_eq!(leaf_hash(b"")[..4], [0x6e, 0x34, 0x0b, 0x9c]);
/// ```
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)` (RFC 6962 §2.1).
///
/// ```
/// use grantledger_store::merkle::{leaf_hash, node_hash, MerkleTree};
/// let tree: MerkleTree = [leaf_hash(b"a"), leaf_hash(b"b")].into_iter().collect();
/// assert_eq!(tree.root(2)?, node_hash(&leaf_hash(b"a"), &leaf_hash(b"b")));
/// # Ok::<(), grantledger_store::merkle::ProofError>(())
/// ```
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Why a tree could not answer, or why a proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// A leaf index not below the tree size (an empty tree has no leaves).
    #[error("leaf index {index} is out of range for tree size {size}")]
    IndexOutOfRange {
        /// The 0-based leaf index asked for.
        index: u64,
        /// The tree size it was asked for.
        size: u64,
    },
    /// A tree size larger than the number of leaves the tree holds.
    #[error("tree size {size} exceeds the {len} leaves held")]
    SizeOutOfRange {
        /// The tree size asked for.
        size: u64,
        /// The number of leaves held.
        len: u64,
    },
    /// A consistency proof from a larger tree to a smaller one.
    #[error("consistency from tree size {size1} to the smaller tree size {size2}")]
    SizesOutOfOrder {
        /// The older (first) tree size.
        size1: u64,
        /// The newer (second) tree size.
        size2: u64,
    },
    /// A consistency proof from the empty tree: it proves nothing, so it is
    /// refused (as the RFC 6962 test vectors require), even to the empty tree.
    #[error("a consistency proof from the empty tree (size1 = 0) proves nothing")]
    EmptyFromSize,
    /// A proof with the wrong number of hashes for its index and sizes.
    #[error("proof has {got} hashes, expected {want}")]
    WrongProofLength {
        /// The number of hashes in the proof given.
        got: usize,
        /// The number the index and sizes call for.
        want: usize,
    },
    /// A leaf hash, root or proof element that is not 32 bytes long.
    #[error("{what} is {len} bytes long, expected 32")]
    BadHashLength {
        /// Which input: `"leaf hash"`, `"root"`, `"root1"`, `"root2"` or
        /// `"proof element"`.
        what: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// An inclusion proof that leads to a root other than the one given.
    #[error("the inclusion proof does not lead to the given root")]
    RootMismatch,
    /// A consistency proof that does not lead to the given first root.
    #[error("the consistency proof does not lead to the given root1")]
    Root1Mismatch,
    /// A consistency proof that does not lead to the given second root.
    #[error("the consistency proof does not lead to the given root2")]
    Root2Mismatch,
    /// Two trees of equal size whose roots differ.
    #[error("equal tree sizes with different roots")]
    RootsDiffer,
    /// The [`LeafSource`] of a tree that keeps only its newest leaves could
    /// not give older ones (the log could not be read).
    #[error("the leaf hashes from index {start} could not be read: {reason}")]
    LeavesUnreadable {
        /// The first leaf index asked for.
        start: u64,
        /// Why.
        reason: String,
    },
}

/// Where a tree made with [`MerkleTree::with_leaf_source`] reads the leaf
/// hashes it no longer holds: `source(start, n)` gives the `n` leaf hashes
/// from 0-based index `start` (for the log: [`leaf_hash`]`(record.hash)` of
/// the records at seqs `start + 1 ..= start + n`). It is asked for at most
/// 2^6 leaves at a time, all in one aligned block of 64.
pub type LeafSource = Arc<dyn Fn(u64, usize) -> Result<Vec<Hash>, String> + Send + Sync>;

/// An append-only Merkle tree of leaf hashes held in memory (RFC 6962 §2.1),
/// answering roots, inclusion proofs and consistency proofs for any tree size
/// up to [`len`](MerkleTree::len).
///
/// It keeps the hash of every complete (power-of-two, aligned) subtree of
/// 2^6 leaves or more, level by level (one hash per 32 leaves), and the leaf
/// hashes: all of them ([`MerkleTree::new`], 32 bytes per leaf), or only
/// those of the last, incomplete block of 64, the older ones read from a
/// [`LeafSource`] when needed ([`MerkleTree::with_leaf_source`]). A smaller
/// complete subtree is hashed again from its leaves (at most 31 hashes).
/// [`push`](MerkleTree::push) costs amortised O(1) hashes; the root of any
/// size `n` folds at most ⌈log₂ n⌉ subtree hashes, and a proof for size `n`
/// costs O(log n) hashes.
///
/// ```
/// use grantledger_store::merkle::{leaf_hash, MerkleTree, EMPTY_ROOT};
/// let mut tree = MerkleTree::new();
/// assert_eq!(tree.root(0)?, EMPTY_ROOT);
/// tree.push(leaf_hash(b""));
/// assert_eq!(tree.root(1)?, leaf_hash(b""));
/// assert!(tree.root(2).is_err());
/// # Ok::<(), grantledger_store::merkle::ProofError>(())
/// ```
#[derive(Clone, Default)]
pub struct MerkleTree {
    /// The number of leaves pushed.
    len: u64,
    /// `levels[l][i]` is the hash of the complete subtree over the leaves
    /// `[i·2^l, (i+1)·2^l)` for `l ≥ STORED_FROM`; `levels[0]` holds the
    /// leaf hashes from index `leaves_from` on. Levels `1..STORED_FROM` are
    /// left empty (see [`STORED_FROM`]).
    levels: Vec<Vec<Hash>>,
    /// The index of `levels[0][0]`: 0, unless `source` gives the leaves
    /// before it (then the start of the last, incomplete block of 64).
    leaves_from: u64,
    /// Where leaves before `leaves_from` are read; `None`: all are held.
    source: Option<LeafSource>,
}

impl std::fmt::Debug for MerkleTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MerkleTree")
            .field("len", &self.len)
            .field("leaves_from", &self.leaves_from)
            .field("levels", &self.levels.len())
            .finish()
    }
}

/// The lowest interior level kept: a complete subtree of fewer than
/// 2^`STORED_FROM` leaves is hashed again from its leaves when a root or a
/// proof needs it (at most 31 hashes, a few microseconds, and at most one
/// per level of a proof), instead of being kept: the levels below hold
/// 31 of every 32 interior hashes, 31 bytes per leaf (31 MB at 10^6
/// records).
const STORED_FROM: u32 = 6;

/// Leaves in a block of the lowest stored level (2^[`STORED_FROM`]).
const BLOCK: u64 = 1 << STORED_FROM;

/// The block of leaf hashes last read from a tree's [`LeafSource`] during
/// one call (its first leaf's index and the hashes).
#[derive(Default)]
struct Block(Option<(u64, Vec<Hash>)>);

impl MerkleTree {
    /// An empty tree (size 0, root [`EMPTY_ROOT`]) that holds every leaf
    /// hash it is given (32 bytes per leaf, plus the levels above).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty tree that holds only the leaf hashes of its last,
    /// incomplete block of 2^6 and reads older ones from `source` when a
    /// root, proof or [`leaf`](MerkleTree::leaf) needs them (one read of at
    /// most 64 leaves per level of a proof below 2^6): 32 MB less at 10^6
    /// leaves, whose hashes the log holds anyway.
    pub fn with_leaf_source(source: LeafSource) -> Self {
        MerkleTree {
            source: Some(source),
            ..Self::default()
        }
    }

    /// Appends a leaf whose *leaf hash* is already computed (for the log:
    /// [`leaf_hash`]`(record.hash)`), and the hashes of the complete subtrees
    /// it completes.
    pub fn push(&mut self, leaf_hash: Hash) {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf_hash);
        self.len += 1;
        let len = self.len;
        let block = 1u64 << STORED_FROM;
        if !len.is_multiple_of(block) {
            return;
        }
        let mut level = STORED_FROM as usize;
        while self.levels.len() <= level {
            self.levels.push(Vec::new());
        }
        // the block's leaves are the last 64 held: no source is asked
        let held = &self.levels[0];
        let hash = hash_block(&held[held.len() - block as usize..]);
        if self.source.is_some() {
            self.levels[0].clear();
            self.leaves_from = len;
        }
        self.levels[level].push(hash);
        while self.levels[level].len() & 1 == 0 {
            let nodes = &self.levels[level];
            let parent = node_hash(&nodes[nodes.len() - 2], &nodes[nodes.len() - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
    }

    /// The number of leaves pushed: the largest tree size it can answer for.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the tree holds no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The leaf hash at 0-based `index`.
    ///
    /// # Errors
    ///
    /// [`ProofError::IndexOutOfRange`] if `index >= len()`;
    /// [`ProofError::LeavesUnreadable`] if the tree's [`LeafSource`] fails.
    pub fn leaf(&self, index: u64) -> Result<Hash, ProofError> {
        if index >= self.len {
            return Err(ProofError::IndexOutOfRange {
                index,
                size: self.len,
            });
        }
        self.complete(0, index, &mut Block::default())
    }

    /// `MTH(D[0:size])`, the root of the tree of the first `size` leaves
    /// (RFC 6962 §2.1); [`EMPTY_ROOT`] for `size` 0.
    ///
    /// # Errors
    ///
    /// [`ProofError::SizeOutOfRange`] if `size > len()`.
    pub fn root(&self, size: u64) -> Result<Hash, ProofError> {
        self.check_size(size)?;
        Ok(self.right_edge(size, &mut Block::default())?.root())
    }

    /// `PATH(index, D[0:size])` (RFC 6962 §2.1.1): the audit path of the leaf
    /// at 0-based `index` in the tree of the first `size` leaves, from the
    /// leaf's sibling up to the child of the root. Its length is at most
    /// ⌈log₂ size⌉; empty for a tree of one leaf. Verify it with
    /// [`verify_inclusion`].
    ///
    /// # Errors
    ///
    /// [`ProofError::SizeOutOfRange`] if `size > len()`;
    /// [`ProofError::IndexOutOfRange`] if `index >= size`.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(size)?;
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        let block = &mut Block::default();
        let edge = self.right_edge(size, block)?;
        let (mut lo, mut hi) = (0, size);
        let mut path = Vec::new();
        // Descend from the root: each step's sibling is one more element,
        // but PATH lists them leaf first.
        while hi - lo > 1 {
            let k = split(hi - lo);
            if index < lo + k {
                path.push(self.range_hash(lo + k, hi, &edge, block)?);
                hi = lo + k;
            } else {
                path.push(self.range_hash(lo, lo + k, &edge, block)?);
                lo += k;
            }
        }
        path.reverse();
        Ok(path)
    }

    /// `PROOF(m, D[0:n])` (RFC 6962 §2.1.2): the consistency proof that the
    /// tree of the first `n` leaves extends the tree of the first `m`. Its
    /// length is at most ⌈log₂ n⌉ + 1; empty when `m == n`. Verify it with
    /// [`verify_consistency`].
    ///
    /// # Errors
    ///
    /// [`ProofError::SizeOutOfRange`] if `n > len()`;
    /// [`ProofError::EmptyFromSize`] if `m == 0`;
    /// [`ProofError::SizesOutOfOrder`] if `m > n`.
    pub fn consistency_proof(&self, m: u64, n: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(n)?;
        if m == 0 {
            return Err(ProofError::EmptyFromSize);
        }
        if m > n {
            return Err(ProofError::SizesOutOfOrder { size1: m, size2: n });
        }
        if m == n {
            return Ok(Vec::new());
        }
        let block = &mut Block::default();
        let edge = self.right_edge(n, block)?;
        // SUBPROOF(m, D[lo:hi], b), unrolled. `m` is relative to `lo`.
        let (mut lo, mut hi, mut m, mut whole_old_tree) = (0, n, m, true);
        let mut siblings = Vec::new();
        let mut proof = Vec::new();
        loop {
            if m == hi - lo {
                if !whole_old_tree {
                    proof.push(self.range_hash(lo, hi, &edge, block)?);
                }
                break;
            }
            let k = split(hi - lo);
            if m <= k {
                siblings.push(self.range_hash(lo + k, hi, &edge, block)?);
                hi = lo + k;
            } else {
                siblings.push(self.range_hash(lo, lo + k, &edge, block)?);
                lo += k;
                m -= k;
                whole_old_tree = false;
            }
        }
        proof.extend(siblings.into_iter().rev());
        Ok(proof)
    }

    fn check_size(&self, size: u64) -> Result<(), ProofError> {
        let len = self.len();
        if size > len {
            return Err(ProofError::SizeOutOfRange { size, len });
        }
        Ok(())
    }

    /// The complete subtree hash over `[index·2^level, (index+1)·2^level)`.
    /// Below level [`STORED_FROM`] it hashes the subtree's leaves: held, or
    /// read from the source a whole block of 2^[`STORED_FROM`] at a time
    /// (kept in `block` for the rest of one call: a proof asks for up to
    /// [`STORED_FROM`] subtrees of one block).
    fn complete(&self, level: u32, index: u64, block: &mut Block) -> Result<Hash, ProofError> {
        // In range: the caller only asks for subtrees inside `len()` leaves,
        // and a `Vec` of `len()` hashes is indexable by usize.
        if level >= STORED_FROM {
            return Ok(self.levels[level as usize][index as usize]);
        }
        let (start, n) = (index << level, 1usize << level);
        if start >= self.leaves_from {
            let from = (start - self.leaves_from) as usize;
            return Ok(hash_block(&self.levels[0][from..from + n]));
        }
        // a block below `leaves_from` is complete
        let (block_start, width) = (start & !(BLOCK - 1), BLOCK as usize);
        let from = (start - block_start) as usize;
        if let Some((s, leaves)) = &block.0 {
            if *s == block_start {
                return Ok(hash_block(&leaves[from..from + n]));
            }
        }
        let unreadable = |reason: String| ProofError::LeavesUnreadable {
            start: block_start,
            reason,
        };
        let source = self
            .source
            .as_ref()
            .ok_or_else(|| unreadable("no source of older leaves".into()))?;
        let leaves = source(block_start, width).map_err(unreadable)?;
        if leaves.len() != width {
            return Err(unreadable(format!(
                "{} leaf hashes given for {width}",
                leaves.len()
            )));
        }
        let hash = hash_block(&leaves[from..from + n]);
        block.0 = Some((block_start, leaves));
        Ok(hash)
    }

    /// The hashes of the suffixes `D[p:size]` that start at the boundaries
    /// `p` of `size`'s decomposition into complete subtrees (one per set bit,
    /// largest first). Costs popcount(size) − 1 hashes.
    fn right_edge(&self, size: u64, block: &mut Block) -> Result<RightEdge, ProofError> {
        let mut starts = Vec::with_capacity(size.count_ones() as usize);
        let mut hashes = Vec::with_capacity(size.count_ones() as usize);
        let mut start = 0;
        for level in (0..u64::BITS).rev().filter(|l| size & (1 << l) != 0) {
            starts.push(start);
            hashes.push(self.complete(level, start >> level, block)?);
            start += 1 << level;
        }
        for i in (0..hashes.len().saturating_sub(1)).rev() {
            hashes[i] = node_hash(&hashes[i], &hashes[i + 1]);
        }
        Ok(RightEdge { starts, hashes })
    }

    /// `MTH(D[lo:hi])` for a range met while building a proof for the tree
    /// whose right edge is `edge`: either a complete aligned subtree or a
    /// suffix of the tree starting at one of the edge's boundaries.
    fn range_hash(
        &self,
        lo: u64,
        hi: u64,
        edge: &RightEdge,
        block: &mut Block,
    ) -> Result<Hash, ProofError> {
        let width = hi - lo;
        if width.is_power_of_two() && lo & (width - 1) == 0 {
            return self.complete(width.trailing_zeros(), lo >> width.trailing_zeros(), block);
        }
        match edge.starts.binary_search(&lo) {
            Ok(i) => Ok(edge.hashes[i]),
            Err(_) => unreachable!("RFC 6962 ranges are complete subtrees or suffixes of the tree"),
        }
    }
}

impl Extend<Hash> for MerkleTree {
    /// Pushes every leaf hash in order.
    fn extend<I: IntoIterator<Item = Hash>>(&mut self, leaf_hashes: I) {
        for h in leaf_hashes {
            self.push(h);
        }
    }
}

impl FromIterator<Hash> for MerkleTree {
    /// The tree of these leaf hashes, in order.
    fn from_iter<I: IntoIterator<Item = Hash>>(leaf_hashes: I) -> Self {
        let mut tree = MerkleTree::new();
        tree.extend(leaf_hashes);
        tree
    }
}

/// Suffix hashes of one tree size; see [`MerkleTree::right_edge`].
struct RightEdge {
    starts: Vec<u64>,
    hashes: Vec<Hash>,
}

impl RightEdge {
    fn root(&self) -> Hash {
        self.hashes.first().copied().unwrap_or(EMPTY_ROOT)
    }
}

/// `MTH` of a power-of-two run of at most 2^[`STORED_FROM`] leaf hashes,
/// hashed pairwise in place.
fn hash_block(leaves: &[Hash]) -> Hash {
    let n = leaves.len();
    let mut buf = [[0u8; 32]; 1 << STORED_FROM];
    buf[..n].copy_from_slice(leaves);
    let mut width = n;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            buf[i] = node_hash(&buf[2 * i], &buf[2 * i + 1]);
        }
    }
    buf[0]
}

/// The largest power of two smaller than `n` (`n >= 2`): RFC 6962's `k`.
fn split(n: u64) -> u64 {
    1 << (u64::BITS - 1 - (n - 1).leading_zeros())
}

/// `bits.Len64`: the number of bits needed to write `x`.
fn bit_len(x: u64) -> u32 {
    u64::BITS - x.leading_zeros()
}

/// The number of hashes in an inclusion proof for `index < size`: the inner
/// ones (below the level where the leaf's path leaves the tree's complete
/// left part) plus the border ones (left siblings along the right edge).
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let inner = bit_len(index ^ (size - 1));
    let border = (index >> inner).count_ones();
    (inner + border) as usize
}

fn to_hash(bytes: &[u8], what: &'static str) -> Result<Hash, ProofError> {
    bytes.try_into().map_err(|_| ProofError::BadHashLength {
        what,
        len: bytes.len(),
    })
}

fn to_hashes(proof: &[Vec<u8>]) -> Result<Vec<Hash>, ProofError> {
    proof.iter().map(|p| to_hash(p, "proof element")).collect()
}

/// Verifies that `leaf_hash` is the leaf at 0-based `index` of the tree of
/// `size` leaves whose root is `root`, given the audit path `proof` (as made
/// by [`MerkleTree::inclusion_proof`]); the algorithm of RFC 9162 §2.1.3.2.
///
/// `leaf_hash` is the leaf's hash ([`leaf_hash`] of its data), not the data.
///
/// # Errors
///
/// In this order: [`ProofError::IndexOutOfRange`] if `index >= size`;
/// [`ProofError::BadHashLength`] if `leaf_hash`, `root` or a proof element
/// is not 32 bytes; [`ProofError::WrongProofLength`] if the proof has more or
/// fewer hashes than `index` and `size` call for;
/// [`ProofError::RootMismatch`] if the proof leads to another root.
pub fn verify_inclusion(
    leaf_hash: &[u8],
    index: u64,
    size: u64,
    proof: &[Vec<u8>],
    root: &[u8],
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let leaf = to_hash(leaf_hash, "leaf hash")?;
    let root = to_hash(root, "root")?;
    let proof = to_hashes(proof)?;
    let want = inclusion_proof_len(index, size);
    let wrong_length = ProofError::WrongProofLength {
        got: proof.len(),
        want,
    };
    if proof.len() != want {
        return Err(wrong_length);
    }
    // RFC 9162 §2.1.3.2, steps 2–5.
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = leaf;
    for p in &proof {
        if snode == 0 {
            return Err(wrong_length);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(wrong_length);
    }
    if r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies that the tree of `size2` leaves with root `root2` extends the
/// tree of `size1` leaves with root `root1`, given the consistency proof
/// `proof` (as made by [`MerkleTree::consistency_proof`]); the algorithm of
/// RFC 9162 §2.1.4.2.
///
/// Sizes: `0 < size1 <= size2`. When `size1 == size2` the proof must be empty
/// and the roots equal; they are then compared as given, whatever their
/// length (as the RFC 6962 test vectors require). Otherwise both roots and
/// every proof element must be 32 bytes.
///
/// # Errors
///
/// In this order: [`ProofError::EmptyFromSize`] if `size1 == 0` (even when
/// `size2 == 0`); [`ProofError::SizesOutOfOrder`] if `size1 > size2`; for
/// equal sizes [`ProofError::WrongProofLength`] if the proof is not empty
/// and [`ProofError::RootsDiffer`]; otherwise [`ProofError::BadHashLength`],
/// [`ProofError::WrongProofLength`] if the proof has more or fewer hashes
/// than the sizes call for, [`ProofError::Root1Mismatch`] and
/// [`ProofError::Root2Mismatch`].
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Vec<u8>],
    root1: &[u8],
    root2: &[u8],
) -> Result<(), ProofError> {
    if size1 == 0 {
        return Err(ProofError::EmptyFromSize);
    }
    if size1 > size2 {
        return Err(ProofError::SizesOutOfOrder { size1, size2 });
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength {
                got: proof.len(),
                want: 0,
            });
        }
        if root1 != root2 {
            return Err(ProofError::RootsDiffer);
        }
        return Ok(());
    }
    let root1 = to_hash(root1, "root1")?;
    let root2 = to_hash(root2, "root2")?;
    let mut path = to_hashes(proof)?;
    // The proof omits the old root when size1 is a power of two (it is then
    // a complete subtree of the new tree, and the verifier knows it).
    let shift = size1.trailing_zeros();
    let seeded = size1 == 1 << shift;
    let want = inclusion_proof_len(size1 - 1, size2) - shift as usize + usize::from(!seeded);
    let wrong_length = ProofError::WrongProofLength {
        got: path.len(),
        want,
    };
    if path.len() != want {
        return Err(wrong_length);
    }
    // RFC 9162 §2.1.4.2, steps 2–7.
    if seeded {
        path.insert(0, root1);
    }
    let (mut fnode, mut snode) = (size1 - 1, size2 - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if snode == 0 {
            return Err(wrong_length);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(wrong_length);
    }
    if fr != root1 {
        return Err(ProofError::Root1Mismatch);
    }
    if sr != root2 {
        return Err(ProofError::Root2Mismatch);
    }
    Ok(())
}
