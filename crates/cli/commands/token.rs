//! `grantledger token add|list|revoke`: the API's bearer tokens.

use grantledger_server::auth::TokenStore;

use crate::args::TokenCommand;

/// Runs a token command.
pub fn run(action: TokenCommand) -> anyhow::Result<()> {
    match action {
        TokenCommand::Add {
            role,
            name,
            data_dir,
        } => {
            let store = TokenStore::new(&data_dir);
            let t = store.add(role, &name)?;
            // The secret goes to stdout only, once; everything else to stderr.
            println!("{}", t.secret);
            eprintln!(
                "token {} ({role}, {:?}) added to {}; it is shown only now: send it as `Authorization: Bearer <token>`",
                t.info.id,
                t.info.name,
                store.path().display()
            );
            Ok(())
        }
        TokenCommand::List { data_dir } => {
            let store = TokenStore::new(&data_dir);
            let tokens = store.list()?;
            if tokens.is_empty() {
                eprintln!(
                    "no tokens in {}; make one with `grantledger token add --role ROLE --name NAME`",
                    store.path().display()
                );
                return Ok(());
            }
            println!(
                "{:<8}  {:<7}  {:<20}  {:<7}  name",
                "id", "role", "created_at", "revoked"
            );
            for t in tokens {
                println!(
                    "{:<8}  {:<7}  {:<20}  {:<7}  {}",
                    t.id,
                    t.role.as_str(),
                    t.created_at.to_string(),
                    if t.revoked { "yes" } else { "no" },
                    t.name
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { id, data_dir } => {
            let store = TokenStore::new(&data_dir);
            let (t, already) = store.revoke(&id)?;
            if already {
                eprintln!(
                    "token {} ({}, {:?}) was already revoked",
                    t.id, t.role, t.name
                );
            } else {
                eprintln!(
                    "revoked token {} ({}, {:?}); a running server refuses it from its next request",
                    t.id, t.role, t.name
                );
            }
            Ok(())
        }
    }
}
