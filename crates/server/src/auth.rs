//! Bearer tokens and roles (issue 6 part 1; DESIGN.md "HTTP", "Personal data").
//!
//! A token is 256 random bits shown once as `glt_` + base64url (no padding,
//! 47 characters in all). The data directory keeps only its SHA-256 (hex) in
//! `DATA_DIR/tokens.json` (mode 0600, replaced atomically), with an 8-hex-digit
//! id, a name, a [`Role`], `created_at` and a `revoked` flag. Verification
//! hashes the presented token and compares it with every stored hash in
//! constant time ([`subtle::ConstantTimeEq`]).
//!
//! [`require`] is the middleware in front of every `/api/v1` path (not
//! `/healthz`): it decides before routing, so a caller learns nothing about
//! what exists behind a refusal — no, unknown or revoked token → 401 with
//! `WWW-Authenticate: Bearer`, a role that [`RULES`] does not allow → 403, both
//! problem+json. It puts the [`Principal`] into the request extensions (the
//! append handler makes it the envelope's `actor`, `{role}:{name}`), and for a
//! `viewer` masks the personal fields of every event shown in a JSON answer
//! ([`mask_personal`]).
//!
//! [`Authenticator`] re-reads `tokens.json` when it changes (a `stat` per
//! request), so `grantledger token revoke` takes effect on a running server.

use std::fmt;
use std::fs::{File, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ApiError;

/// The token file's name inside the data directory.
pub const TOKENS_FILE: &str = "tokens.json";
/// Every token starts with this.
pub const TOKEN_PREFIX: &str = "glt_";
/// What a `viewer` sees in place of a personal field.
pub const MASK: &str = "***";
/// The personal fields of `participant_registered` (DOMAIN.md R6), masked for
/// a `viewer` wherever the event's data is shown (also inside an
/// `event_corrected` replacement and an `effective` payload).
pub const PERSONAL_FIELDS: [&str; 3] = ["given_name", "family_name", "birth_date"];
/// The event kind whose data holds [`PERSONAL_FIELDS`].
pub const PERSONAL_KIND: &str = "participant_registered";
/// Longest token name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest `Authorization` header value looked at, in bytes.
const MAX_HEADER_BYTES: usize = 512;

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads figures; participants only by id (personal fields masked).
    Viewer,
    /// Reads everything, names included.
    Auditor,
    /// Appends events and reads everything.
    Manager,
    /// Everything, including erasure (`POST /api/v1/participants/{id}/erase`).
    Admin,
}

impl Role {
    /// Every role, least privileged first.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Auditor, Role::Manager, Role::Admin];

    /// The lowercase name used in `tokens.json`, on the command line and in `actor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Auditor => "auditor",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    /// Whether answers to this role show participants' names and birth dates (R6).
    pub fn sees_personal_data(self) -> bool {
        self != Role::Viewer
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a role; one of viewer, auditor, manager, admin"))
    }
}

/// One authorization rule: `method` on paths matching `path` (`{x}` matches
/// one segment, a final `**` any rest) is open to `roles`.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    /// HTTP method.
    pub method: &'static str,
    /// Path pattern.
    pub path: &'static str,
    /// Roles allowed.
    pub roles: &'static [Role],
}

/// Who may do what under `/api/v1`; the first matching rule decides. A request
/// that no rule names (another method, a write to another path) is for
/// [`DEFAULT_ROLES`] only, so a refused request never tells whether its route
/// exists.
pub const RULES: &[Rule] = &[
    Rule {
        method: "POST",
        path: "/api/v1/events",
        roles: &[Role::Manager, Role::Admin],
    },
    Rule {
        method: "POST",
        path: "/api/v1/participants/{id}/erase",
        roles: &[Role::Admin],
    },
    Rule {
        method: "GET",
        path: "/api/v1/**",
        roles: &Role::ALL,
    },
    Rule {
        method: "HEAD",
        path: "/api/v1/**",
        roles: &Role::ALL,
    },
];

/// The roles for a request no rule of [`RULES`] names.
pub const DEFAULT_ROLES: &[Role] = &[Role::Admin];

/// Whether `path` is under `/api/v1` (and so needs a token).
pub fn is_api_path(path: &str) -> bool {
    path == "/api/v1" || path.starts_with("/api/v1/")
}

fn matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (want.next(), got.next()) {
            (Some("**"), Some(_)) => return true,
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') => {
                if g.is_empty() {
                    return false;
                }
            }
            (Some(w), Some(g)) if w == g => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// The roles that may send `method` to `path` (a path under `/api/v1`).
pub fn allowed_roles(method: &Method, path: &str) -> &'static [Role] {
    RULES
        .iter()
        .find(|r| r.method == method.as_str() && matches(r.path, path))
        .map_or(DEFAULT_ROLES, |r| r.roles)
}

/// Who sent a request: the token's id, name and role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The token id (8 hex digits).
    pub id: String,
    /// The name given at `token add`.
    pub name: String,
    /// The role.
    pub role: Role,
}

impl Principal {
    /// The envelope `actor` of what this principal appends: `{role}:{name}`.
    pub fn actor(&self) -> String {
        format!("{}:{}", self.role, self.name)
    }
}

/// One token as `tokens.json` keeps it. The hash never leaves this module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenInfo {
    /// 8 lowercase hex digits, unique in the file; names the token to `token revoke`.
    pub id: String,
    /// Who holds it (free text, 1–100 characters, the text rules of
    /// [`crate::request::check_text`]); the `actor` of its appends is `role:name`.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// When it was made.
    pub created_at: Timestamp,
    /// Revoked tokens stay listed and are refused.
    pub revoked: bool,
    /// Hex SHA-256 of the whole token text (`glt_…`).
    sha256: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFile {
    version: u32,
    tokens: Vec<TokenInfo>,
}

const FILE_VERSION: u32 = 1;

/// A token just made: the secret (shown once) and what is kept.
#[derive(Debug)]
pub struct NewToken {
    /// `glt_` + base64url of 32 random bytes; not stored anywhere.
    pub secret: String,
    /// What `tokens.json` now holds for it.
    pub info: TokenInfo,
}

/// What can go wrong managing `tokens.json`.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Reading or writing failed.
    #[error("{}: {what}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// The file does not parse.
    #[error("{} is not a grantledger token file: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// `token revoke` of an id not in the file.
    #[error("no token with id `{0}` (see `grantledger token list`)")]
    UnknownId(String),
    /// A name that is empty, longer than [`MAX_NAME_CHARS`] or breaks the
    /// text rules of what clients send ([`crate::request::check_text`]:
    /// control characters, bidirectional overrides).
    #[error("the token name {name:?} is refused (`--name`, which becomes the `actor` of what the token appends): {reason}")]
    BadName {
        /// The name given.
        name: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// The system gave no randomness.
    #[error("no randomness for a new token: {0}")]
    Randomness(String),
}

fn io_err(path: &Path, what: &'static str) -> impl FnOnce(std::io::Error) -> TokenError {
    let path = path.to_owned();
    move |source| TokenError::Io { path, what, source }
}

/// `DATA_DIR/tokens.json`: list, add, revoke. Changes hold an exclusive lock
/// on `DATA_DIR/tokens.json.lock` and replace the file atomically (temp file,
/// fsync, rename, fsync of the directory), mode 0600.
#[derive(Clone, Debug)]
pub struct TokenStore {
    dir: PathBuf,
}

impl TokenStore {
    /// The token store of data directory `dir` (which need not exist yet).
    pub fn new(dir: impl Into<PathBuf>) -> TokenStore {
        TokenStore { dir: dir.into() }
    }

    /// `DATA_DIR/tokens.json`.
    pub fn path(&self) -> PathBuf {
        self.dir.join(TOKENS_FILE)
    }

    /// Every token, revoked ones included; none if the file does not exist.
    ///
    /// # Errors
    /// The file cannot be read or does not parse.
    pub fn list(&self) -> Result<Vec<TokenInfo>, TokenError> {
        Ok(self.read()?.tokens)
    }

    /// How many tokens are not revoked.
    ///
    /// # Errors
    /// As [`TokenStore::list`].
    pub fn active_count(&self) -> Result<usize, TokenError> {
        Ok(self.list()?.iter().filter(|t| !t.revoked).count())
    }

    /// Makes a token for `name` with `role`, keeps its hash, returns the secret.
    /// Creates the data directory if missing.
    ///
    /// # Errors
    /// A bad name, no randomness, or the file cannot be read or written.
    pub fn add(&self, role: Role, name: &str) -> Result<NewToken, TokenError> {
        let name = name.trim();
        let bad = |reason: String| TokenError::BadName {
            name: name.to_string(),
            reason,
        };
        if name.is_empty() {
            return Err(bad(format!(
                "a name is 1 to {MAX_NAME_CHARS} characters; this one is empty"
            )));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(bad(format!(
                "a name is 1 to {MAX_NAME_CHARS} characters; this one has {}",
                name.chars().count()
            )));
        }
        crate::request::check_text(name, "name").map_err(|r| bad(r.message))?;
        std::fs::create_dir_all(&self.dir).map_err(io_err(&self.dir, "cannot create"))?;
        let _lock = self.lock()?;
        let mut file = self.read()?;
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| TokenError::Randomness(e.to_string()))?;
        let secret = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
        let id = loop {
            let mut raw = [0u8; 4];
            getrandom::fill(&mut raw).map_err(|e| TokenError::Randomness(e.to_string()))?;
            let id = hex::encode(raw);
            if file.tokens.iter().all(|t| t.id != id) {
                break id;
            }
        };
        let info = TokenInfo {
            id,
            name: name.to_string(),
            role,
            created_at: Timestamp::now()
                .round(jiff::Unit::Second)
                .unwrap_or_else(|_| Timestamp::now()),
            revoked: false,
            sha256: hex::encode(Sha256::digest(secret.as_bytes())),
        };
        file.tokens.push(info.clone());
        self.write(&file)?;
        Ok(NewToken { secret, info })
    }

    /// Marks token `id` revoked; returns it as it now is and whether it was
    /// revoked before.
    ///
    /// # Errors
    /// No such id, or the file cannot be read or written.
    pub fn revoke(&self, id: &str) -> Result<(TokenInfo, bool), TokenError> {
        let _lock = self.lock()?;
        let mut file = self.read()?;
        let token = file
            .tokens
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or_else(|| TokenError::UnknownId(id.to_string()))?;
        let was = token.revoked;
        token.revoked = true;
        let info = token.clone();
        if !was {
            self.write(&file)?;
        }
        Ok((info, was))
    }

    fn read(&self) -> Result<TokenFile, TokenError> {
        let path = self.path();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(TokenFile {
                    version: FILE_VERSION,
                    tokens: Vec::new(),
                })
            }
            Err(e) => return Err(io_err(&path, "cannot read")(e)),
        };
        let file: TokenFile = serde_json::from_str(&text).map_err(|e| TokenError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if file.version != FILE_VERSION {
            return Err(TokenError::Corrupt {
                path,
                reason: format!(
                    "version {} (this program reads {FILE_VERSION})",
                    file.version
                ),
            });
        }
        for t in &file.tokens {
            let ok = t.sha256.len() == 64
                && t.sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !ok {
                return Err(TokenError::Corrupt {
                    path,
                    reason: format!("token {} has no valid sha256", t.id),
                });
            }
        }
        Ok(file)
    }

    fn write(&self, file: &TokenFile) -> Result<(), TokenError> {
        let path = self.path();
        let tmp = self
            .dir
            .join(format!(".{TOKENS_FILE}.{}.tmp", std::process::id()));
        let mut text = serde_json::to_string_pretty(file).map_err(|e| TokenError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        text.push('\n');
        let written = (|| {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            // `mode` applies only when the file is created; a leftover keeps its own.
            f.set_permissions(Permissions::from_mode(0o600))?;
            f.write_all(text.as_bytes())?;
            f.sync_all()
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(io_err(&tmp, "cannot write")(e));
        }
        std::fs::rename(&tmp, &path).map_err(io_err(&path, "cannot replace"))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(&self.dir, "cannot fsync"))
    }

    /// An exclusive `flock` on `tokens.json.lock`, released when the file is
    /// dropped (also when the process dies).
    fn lock(&self) -> Result<File, TokenError> {
        let path = self.dir.join(format!("{TOKENS_FILE}.lock"));
        let f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(io_err(&path, "cannot open lock file"))?;
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a file descriptor we own for the lifetime of `f`.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(io_err(&path, "cannot lock")(std::io::Error::last_os_error()));
        }
        Ok(f)
    }
}

/// Why a request has no principal (all answered 401).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    /// No `Authorization` header.
    Missing,
    /// Not `Bearer <token>`, more than one header, or too long.
    Malformed,
    /// Unknown or revoked token.
    Invalid,
}

impl AuthFailure {
    fn problem(self) -> Response {
        let (detail, challenge) = match self {
            AuthFailure::Missing => (
                "every /api/v1 request needs `Authorization: Bearer <token>`; an admin makes one with `grantledger token add`",
                "Bearer realm=\"grantledger\"",
            ),
            AuthFailure::Malformed => (
                "the Authorization header is not `Bearer <token>`",
                "Bearer realm=\"grantledger\", error=\"invalid_request\"",
            ),
            AuthFailure::Invalid => (
                "the bearer token is not valid (unknown or revoked)",
                "Bearer realm=\"grantledger\", error=\"invalid_token\"",
            ),
        };
        let mut r = ApiError::new(401, "Unauthorized", detail)
            .field("authorization")
            .rule("auth")
            .into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
        r
    }
}

/// The token in the request's `Authorization: Bearer …` header.
///
/// # Errors
/// [`AuthFailure::Missing`] or [`AuthFailure::Malformed`].
pub fn bearer(headers: &HeaderMap) -> Result<&str, AuthFailure> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next().ok_or(AuthFailure::Missing)?;
    if values.next().is_some() || value.len() > MAX_HEADER_BYTES {
        return Err(AuthFailure::Malformed);
    }
    let value = value.to_str().map_err(|_| AuthFailure::Malformed)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthFailure::Malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(AuthFailure::Malformed);
    }
    Ok(token)
}

/// Identity of the file last read: a change of any part means re-read (an
/// atomic replace makes a new inode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    ino: u64,
    dev: u64,
}

struct Entry {
    hash: [u8; 32],
    revoked: bool,
    principal: Principal,
}

#[derive(Default)]
struct Cache {
    stamp: Option<Stamp>,
    entries: Arc<Vec<Entry>>,
}

/// The server's view of `tokens.json`, re-read whenever the file changes.
pub struct Authenticator {
    store: TokenStore,
    cache: RwLock<Cache>,
}

impl Authenticator {
    /// Over the token file of data directory `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Authenticator {
        let auth = Authenticator {
            store: TokenStore::new(dir),
            cache: RwLock::new(Cache::default()),
        };
        if let Ok(meta) = std::fs::metadata(auth.store.path()) {
            if meta.mode() & 0o077 != 0 {
                tracing::warn!(path = %auth.store.path().display(), "the token file is readable by others; chmod 600 it");
            }
        }
        auth
    }

    /// The token store it reads.
    pub fn store(&self) -> &TokenStore {
        &self.store
    }

    /// The current entries, re-read if the file changed since the last call.
    /// A file that cannot be read or parsed counts as no tokens (fail closed).
    fn entries(&self) -> Arc<Vec<Entry>> {
        let stamp = std::fs::metadata(self.store.path()).ok().map(|m| Stamp {
            modified: m.modified().ok(),
            len: m.len(),
            ino: m.ino(),
            dev: m.dev(),
        });
        {
            let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
            if cache.stamp == stamp {
                return cache.entries.clone();
            }
        }
        let entries: Vec<Entry> = match self.store.list() {
            Ok(list) => list
                .into_iter()
                .filter_map(|t| {
                    let mut hash = [0u8; 32];
                    hex::decode_to_slice(&t.sha256, &mut hash).ok()?;
                    Some(Entry {
                        hash,
                        revoked: t.revoked,
                        principal: Principal {
                            id: t.id,
                            name: t.name,
                            role: t.role,
                        },
                    })
                })
                .collect(),
            Err(e) => {
                tracing::error!(error = %e, "cannot read the token file; refusing every token");
                Vec::new()
            }
        };
        tracing::info!(
            tokens = entries.len(),
            active = entries.iter().filter(|e| !e.revoked).count(),
            "token file (re)read"
        );
        let entries = Arc::new(entries);
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        *cache = Cache {
            stamp,
            entries: entries.clone(),
        };
        entries
    }

    /// The principal of a presented token: its SHA-256 is compared with every
    /// stored hash in constant time.
    ///
    /// # Errors
    /// [`AuthFailure::Invalid`] for an unknown or revoked token.
    pub fn authenticate(&self, token: &str) -> Result<Principal, AuthFailure> {
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let entries = self.entries();
        let mut found = None;
        for e in entries.iter() {
            if bool::from(e.hash.ct_eq(&presented)) {
                found = Some(e);
            }
        }
        match found {
            Some(e) if !e.revoked => Ok(e.principal.clone()),
            _ => Err(AuthFailure::Invalid),
        }
    }
}

/// The middleware: authenticate and authorize every `/api/v1` request before
/// routing, hand the [`Principal`] on, mask personal data for a `viewer`.
pub async fn require(
    State(auth): State<Arc<Authenticator>>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if !is_api_path(path) {
        return next.run(req).await;
    }
    let principal = match bearer(req.headers()).and_then(|t| auth.authenticate(t)) {
        Ok(p) => p,
        Err(failure) => return failure.problem(),
    };
    let allowed = allowed_roles(req.method(), path);
    if !allowed.contains(&principal.role) {
        let mut r = ApiError::new(
            403,
            "Forbidden",
            format!(
                "role {} is not permitted to {} {path}",
                principal.role,
                req.method()
            ),
        )
        .rule("auth")
        .into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"grantledger\", error=\"insufficient_scope\""),
        );
        return r;
    }
    tracing::debug!(token_id = %principal.id, role = %principal.role, "authenticated");
    let mask = !principal.role.sees_personal_data();
    req.extensions_mut().insert(principal);
    let response = next.run(req).await;
    if mask {
        mask_response(response).await
    } else {
        response
    }
}

/// Masks the personal fields in a JSON answer (see [`mask_personal`]).
async fn mask_response(response: Response) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let masked = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(ApiError::internal)
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).map_err(ApiError::internal))
        .and_then(|mut v| {
            mask_personal(&mut v);
            serde_json::to_vec(&v).map_err(ApiError::internal)
        });
    match masked {
        Ok(bytes) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(bytes))
        }
        // Fail closed: an answer that cannot be masked is not sent.
        Err(e) => e.into_response(),
    }
}

/// Replaces [`PERSONAL_FIELDS`] by [`MASK`] in the `data` of every object
/// `{"kind": "participant_registered", "data": {…}}` anywhere in `v` (a
/// record, an `effective` payload, an `event_corrected` replacement); returns
/// how many fields it masked.
pub fn mask_personal(v: &mut Value) -> usize {
    match v {
        Value::Object(o) => {
            let mut n = 0;
            if o.get("kind").and_then(Value::as_str) == Some(PERSONAL_KIND) {
                if let Some(Value::Object(data)) = o.get_mut("data") {
                    for f in PERSONAL_FIELDS {
                        if let Some(x) = data.get_mut(f) {
                            *x = Value::from(MASK);
                            n += 1;
                        }
                    }
                }
            }
            n + o.values_mut().map(mask_personal).sum::<usize>()
        }
        Value::Array(a) => a.iter_mut().map(mask_personal).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_new_token_is_kept_only_as_its_hash_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("data"));
        let t = store.add(Role::Auditor, "  Eva Auditorová ").unwrap();
        assert!(t.secret.starts_with(TOKEN_PREFIX));
        assert_eq!(t.secret.len(), 4 + 43);
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(&t.secret[4..])
                .map(|b| b.len())
                .unwrap(),
            32
        );
        assert_eq!(t.info.name, "Eva Auditorová");
        assert_eq!(t.info.id.len(), 8);
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(!text.contains(&t.secret[4..]));
        assert!(text.contains(&hex::encode(Sha256::digest(t.secret.as_bytes()))));
        let mode = std::fs::metadata(store.path()).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(store.list().unwrap(), vec![t.info]);
    }

    #[test]
    fn names_that_are_empty_too_long_or_have_control_characters_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path());
        for bad in ["", "   ", "a\nb", &"x".repeat(101)] {
            assert!(matches!(
                store.add(Role::Viewer, bad),
                Err(TokenError::BadName { .. })
            ));
        }
        assert!(!store.path().exists());
    }

    /// A token's name becomes the `actor` of what it appends, so it has the
    /// text rules of the events' texts: no bidirectional override or
    /// isolate, no C1 control or DEL either (regression: `token add` took
    /// them, and the actor was stored with them).
    #[test]
    fn a_name_with_a_bidi_override_or_a_c1_control_is_refused_at_creation() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path());
        for (bad, code) in [
            (
                "Jana\u{202E}ávorK",
                "bidirectional formatting character U+202E",
            ),
            ("Jana\u{2066}x", "bidirectional formatting character U+2066"),
            ("Jana\u{200F}x", "bidirectional formatting character U+200F"),
            ("Ja\u{85}na", "control character U+0085"),
            ("Jana\u{7f}", "control character U+007F"),
            ("Ja\u{2028}na", "line or paragraph separator U+2028"),
            ("Ja\u{200B}na", "invisible character U+200B"),
        ] {
            let e = store.add(Role::Manager, bad).unwrap_err();
            assert!(matches!(e, TokenError::BadName { .. }), "{e}");
            let want = format!(
                "(`--name`, which becomes the `actor` of what the token appends): text contains the {code}"
            );
            assert!(e.to_string().ends_with(&want), "{e}");
        }
        assert_eq!(
            store.add(Role::Manager, "").unwrap_err().to_string(),
            "the token name \"\" is refused (`--name`, which becomes the `actor` of what the token appends): a name is 1 to 100 characters; this one is empty"
        );
        assert!(!store.path().exists(), "nothing is stored");
        assert_eq!(
            store.add(Role::Manager, "Jana Králová").unwrap().info.name,
            "Jana Králová"
        );
    }

    #[test]
    fn a_token_authenticates_until_it_is_revoked_even_on_a_running_authenticator() {
        let dir = tempfile::tempdir().unwrap();
        let auth = Authenticator::new(dir.path());
        assert_eq!(auth.authenticate("glt_nothing"), Err(AuthFailure::Invalid));
        let t = auth.store().add(Role::Manager, "Jana").unwrap();
        let other = auth.store().add(Role::Viewer, "Petr").unwrap();
        let p = auth.authenticate(&t.secret).unwrap();
        assert_eq!(p.role, Role::Manager);
        assert_eq!(p.actor(), "manager:Jana");
        assert_eq!(auth.authenticate(&other.secret).unwrap().role, Role::Viewer);
        assert_eq!(
            auth.authenticate(&t.secret[..t.secret.len() - 1]),
            Err(AuthFailure::Invalid)
        );
        let (info, was) = auth.store().revoke(&t.info.id).unwrap();
        assert!(info.revoked && !was);
        assert_eq!(auth.authenticate(&t.secret), Err(AuthFailure::Invalid));
        assert!(auth.authenticate(&other.secret).is_ok());
        assert!(auth.store().revoke(&t.info.id).unwrap().1);
        assert!(matches!(
            auth.store().revoke("00000000"),
            Err(TokenError::UnknownId(_))
        ));
        assert_eq!(auth.store().active_count().unwrap(), 1);
    }

    #[test]
    fn a_corrupt_token_file_refuses_every_token() {
        let dir = tempfile::tempdir().unwrap();
        let auth = Authenticator::new(dir.path());
        let t = auth.store().add(Role::Admin, "root").unwrap();
        assert!(auth.authenticate(&t.secret).is_ok());
        std::fs::write(auth.store().path(), "{not json").unwrap();
        assert_eq!(auth.authenticate(&t.secret), Err(AuthFailure::Invalid));
        assert!(matches!(
            auth.store().list(),
            Err(TokenError::Corrupt { .. })
        ));
    }

    #[test]
    fn writes_need_manager_or_admin_erasure_needs_admin_and_every_read_any_role() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(allowed_roles(&get, "/api/v1/events"), &Role::ALL);
        assert_eq!(allowed_roles(&get, "/api/v1/no/such/route"), &Role::ALL);
        assert_eq!(
            allowed_roles(&post, "/api/v1/events"),
            &[Role::Manager, Role::Admin]
        );
        assert_eq!(
            allowed_roles(&post, "/api/v1/participants/82cbecf4/erase"),
            &[Role::Admin]
        );
        assert_eq!(
            allowed_roles(&post, "/api/v1/participants//erase"),
            DEFAULT_ROLES
        );
        assert_eq!(allowed_roles(&post, "/api/v1/events/x"), DEFAULT_ROLES);
        assert_eq!(
            allowed_roles(&Method::DELETE, "/api/v1/events"),
            DEFAULT_ROLES
        );
        assert!(is_api_path("/api/v1") && is_api_path("/api/v1/x"));
        assert!(!is_api_path("/healthz") && !is_api_path("/api/v10"));
    }

    #[test]
    fn only_a_single_bearer_header_is_taken() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            m
        };
        assert_eq!(bearer(&HeaderMap::new()), Err(AuthFailure::Missing));
        assert_eq!(bearer(&h("Bearer glt_abc")), Ok("glt_abc"));
        assert_eq!(bearer(&h("bearer  glt_abc ")), Ok("glt_abc"));
        assert_eq!(
            bearer(&h("Basic dXNlcjpwdw==")),
            Err(AuthFailure::Malformed)
        );
        assert_eq!(bearer(&h("Bearer")), Err(AuthFailure::Malformed));
        assert_eq!(bearer(&h("Bearer a b")), Err(AuthFailure::Malformed));
        let mut two = h("Bearer a");
        two.append(header::AUTHORIZATION, HeaderValue::from_static("Bearer b"));
        assert_eq!(bearer(&two), Err(AuthFailure::Malformed));
    }

    #[test]
    fn personal_fields_are_masked_in_records_replacements_and_effective_payloads() {
        let person = json!({"participant_id": "p", "given_name": "Tereza", "family_name": "Zkušební",
                            "birth_date": "1985-05-05", "gender": "female"});
        let mut v = json!({
            "event": {"kind": "participant_registered", "data": person},
            "corrections": [{"kind": "event_corrected", "data": {"target_event_id": "x", "reason": "typo",
                "replacement": {"kind": "participant_registered", "data": person}}}],
            "effective": {"kind": "participant_registered", "data": person},
            "other": {"kind": "attendance_recorded", "data": {"given_name": "kept"}},
        });
        assert_eq!(mask_personal(&mut v), 9);
        let text = v.to_string();
        assert!(!text.contains("Tereza") && !text.contains("1985"), "{text}");
        assert_eq!(v["effective"]["data"]["gender"], "female");
        assert_eq!(
            v["corrections"][0]["data"]["replacement"]["data"]["family_name"],
            MASK
        );
        assert_eq!(v["other"]["data"]["given_name"], "kept");
    }
}
