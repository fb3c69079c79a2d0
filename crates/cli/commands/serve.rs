//! `grantledger serve [--demo]`.

use anyhow::Context;
use grantledger_server::auth::{NewToken, Role, TokenStore};
use grantledger_server::{Application, Config};

/// The SINEC demo project, embedded so `serve --demo` works from any directory.
const SINEC: &str = include_str!("../../../fixtures/sinec/events.jsonl");

/// Serves the API until Ctrl-C or SIGTERM; with `demo`, first loads the SINEC
/// fixture into an empty store and, when `tokens.json` has no active token,
/// makes a demo manager and a demo auditor token and prints them (stdout).
/// Refuses a non-loopback address while no token is active.
pub fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let tokens = TokenStore::new(&config.data_dir);
    let mut demo_tokens: Vec<NewToken> = Vec::new();
    if demo && tokens.active_count()? == 0 {
        for (role, name) in [
            (Role::Manager, "demo manager"),
            (Role::Auditor, "demo auditor"),
        ] {
            demo_tokens.push(tokens.add(role, name)?);
        }
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let app = match Application::build(config.clone()).await {
            Ok(app) => app,
            Err(e) => {
                // Never printed, so never usable: do not leave them active.
                for t in &demo_tokens {
                    let _ = tokens.revoke(&t.info.id);
                }
                return Err(e).with_context(|| format!("starting over {}", config.data_dir.display()));
            }
        };
        let service = &app.state().service;
        if demo {
            let head = service.log().head().seq;
            if head == 0 {
                eprintln!("loading the SINEC demo project (fixtures/sinec) into {}", config.data_dir.display());
                let state = app.state().clone();
                let n = tokio::task::spawn_blocking(move || super::import(&state.service, SINEC.as_bytes(), 10_000, "fixtures/sinec/events.jsonl"))
                    .await??;
                eprintln!("loaded {} events of the SINEC project", n.stored);
            } else {
                eprintln!("{} already holds {head} events; --demo loads the fixture only into an empty store", config.data_dir.display());
            }
        }
        let addr = app.local_addr()?;
        eprintln!("grantledger listening on http://{addr}");
        if demo_tokens.is_empty() {
            match tokens.active_count()? {
                0 => eprintln!(
                    "no active token in {}: every /api/v1 request is refused (401); make one with\n    \
                     grantledger token add --role manager --name NAME --data-dir {}",
                    tokens.path().display(),
                    config.data_dir.display()
                ),
                n => eprintln!(
                    "{n} active token(s) in {} (`grantledger token list`); send one as `Authorization: Bearer <token>`",
                    tokens.path().display()
                ),
            }
        } else {
            // Shown once: only their SHA-256 is kept.
            println!("demo tokens (shown only now; {} keeps their SHA-256):", tokens.path().display());
            for t in &demo_tokens {
                println!("  {:<8} {}  (id {})", t.info.role.as_str(), t.secret, t.info.id);
            }
            let auditor = demo_tokens.iter().find(|t| t.info.role == Role::Auditor).map_or("", |t| t.secret.as_str());
            println!("try:");
            println!("  export TOKEN={auditor}");
            println!("  curl -H \"Authorization: Bearer $TOKEN\" 'http://{addr}/api/v1/indicators?as_of=2017-03-31'");
            println!("  curl -H \"Authorization: Bearer $TOKEN\" 'http://{addr}/api/v1/indicators?as_of=2018-09-30'");
            println!("  curl -H \"Authorization: Bearer $TOKEN\" 'http://{addr}/api/v1/events?limit=5'");
        }
        app.run_until(shutdown_signal()).await?;
        eprintln!("stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
