//! `grantledger serve [--demo]`.

use anyhow::Context;
use grantledger_server::{Application, Config};

/// The SINEC demo project, embedded so `serve --demo` works from any directory.
const SINEC: &str = include_str!("../../../fixtures/sinec/events.jsonl");

/// Serves the API until Ctrl-C or SIGTERM; with `demo`, first loads the SINEC
/// fixture into an empty store.
pub fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let app = Application::build(config.clone())
            .await
            .with_context(|| format!("starting over {}", config.data_dir.display()))?;
        let service = &app.state().service;
        if demo {
            let head = service.log().head().seq;
            if head == 0 {
                eprintln!("loading the SINEC demo project (fixtures/sinec) into {}", config.data_dir.display());
                let state = app.state().clone();
                let n = tokio::task::spawn_blocking(move || super::import(&state.service, SINEC, 1_000, "fixtures/sinec/events.jsonl"))
                    .await??;
                eprintln!("loaded {n} events of the SINEC project");
            } else {
                eprintln!("{} already holds {head} events; --demo loads the fixture only into an empty store", config.data_dir.display());
            }
        }
        let addr = app.local_addr()?;
        eprintln!("grantledger listening on http://{addr}");
        eprintln!("try: curl 'http://{addr}/api/v1/indicators?as_of=2017-03-31'");
        eprintln!("     curl 'http://{addr}/api/v1/indicators?as_of=2018-09-30'");
        eprintln!("     curl 'http://{addr}/api/v1/events?limit=5'");
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
