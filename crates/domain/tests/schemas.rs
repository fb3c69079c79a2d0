//! The committed JSON Schemas in `schemas/events/` equal what the code
//! generates. Regenerate with `UPDATE_SCHEMAS=1 cargo test -p grantledger-domain --test schemas`.

use std::path::PathBuf;

#[test]
fn committed_schemas_match_the_code() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/events");
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for (name, text) in grantledger_domain::schema::all_schemas() {
        let path = dir.join(&name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "schemas differ from the code: {stale:?}; run UPDATE_SCHEMAS=1 cargo test -p grantledger-domain --test schemas"
    );
}
