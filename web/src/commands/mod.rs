//! The `roster` commands.

mod bootstrap;

use migration::MigratorTrait;
use roster_resolvers::kernel::documents::{Documents, Trusted};

use crate::{
    config::{Cli, Command, Settings},
    db,
    http::{self, App},
};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&cli.settings).await,
        Command::Migrate => {
            let conn = db::connect(&cli.settings).await?;
            let applied = db::migrate(&conn).await?;
            let total = migration::Migrator::migrations().len();
            println!(
                "Applied {applied} migration(s); the database is up to date ({total} in all)."
            );
            Ok(())
        }
        Command::Bootstrap(args) => bootstrap::run(&cli.settings, args).await,
        Command::PrintSchema => {
            print!("{}", roster_schema::sdl());
            Ok(())
        }
    }
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let mut conn = db::connect(settings).await?;
    crate::metrics::instrument(&mut conn, settings.slow_statement);
    let applied = db::migrate(&conn).await?;
    if applied > 0 {
        tracing::info!(applied, "database migrated");
    }
    roster_resolvers::kernel::plan_audit::enable(settings.audit_plans);
    let mut state = roster_resolvers::AppState::new(conn, settings.session_ttl)
        .with_mail(settings.mail())
        .with_import_keys_in_memory(settings.import_keys_in_memory as usize);
    if let Some(url) = &settings.redis_url {
        let bus = roster_resolvers::kernel::events::EventBus::redis(url)
            .map_err(|e| anyhow::anyhow!("REDIS_URL: {e}"))?;
        state = state.with_events(bus);
        let namespace = roster_resolvers::kernel::auth::token::digest(&settings.database_url());
        let throttle = roster_resolvers::kernel::throttle::Throttle::redis(
            settings.limits(),
            url,
            &namespace[..16],
        )
        .map_err(|e| anyhow::anyhow!("REDIS_URL: {e}"))?;
        state = state.with_throttle(throttle);
        let documents = Documents::redis(url, &namespace[..16])
            .map_err(|e| anyhow::anyhow!("REDIS_URL: {e}"))?;
        state = state.with_documents(trusted_documents(settings, documents)?);
        tracing::info!(
            "events, rate limits and persisted queries are shared with other instances through Redis"
        );
    } else {
        state = state.with_throttle(roster_resolvers::kernel::throttle::Throttle::in_memory(
            settings.limits(),
        ));
        state = state.with_documents(trusted_documents(settings, Documents::in_memory())?);
    }
    crate::memory::spawn_trimmer();
    let workers = [
        roster_resolvers::imports::worker::spawn(state.clone()),
        roster_resolvers::mail::outbox::spawn(state.clone()),
    ];
    let options = roster_schema::Options {
        introspection: settings.introspection,
        max_cost: settings.max_query_cost,
    };
    let app = App {
        schema: roster_schema::build_with(state.clone(), options),
        state,
        cors: crate::http::Cors::new(&settings.cors_origins),
        graphiql: settings.graphiql,
        sockets: crate::http::SocketSettings {
            init_timeout: settings.ws_init_timeout,
            keepalive: settings.ws_keepalive,
            max_operations: settings.ws_max_operations as usize,
        },
    };
    let stopping = app.state.stopping.clone();
    http::serve(app, settings.listen, settings.shutdown_delay, |addr| {
        // Scripts and tests read this line to learn the port.
        println!("Roster is listening on http://{addr}/ (GraphiQL at http://{addr}/)");
        tracing::info!(%addr, database = %db::redact(&settings.database_url()), "serving");
    })
    .await?;
    // The server has stopped taking requests; let the workers reach their
    // batch boundary (they saw `stopping` when the signal came).
    stopping.stop();
    let drained = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        futures_util::future::join_all(workers),
    )
    .await;
    if drained.is_err() {
        tracing::warn!("background workers did not stop within 30 s");
    }
    tracing::info!("stopped");
    Ok(())
}

/// `documents` with the trusted documents of `--trusted-documents`, if set.
fn trusted_documents(settings: &Settings, documents: Documents) -> anyhow::Result<Documents> {
    let Some(path) = &settings.trusted_documents else {
        return Ok(documents);
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        anyhow::anyhow!(
            "ROSTER_TRUSTED_DOCUMENTS: cannot read {}: {e}",
            path.display()
        )
    })?;
    let trusted = Trusted::parse(&text)
        .map_err(|e| anyhow::anyhow!("ROSTER_TRUSTED_DOCUMENTS: {}: {e}", path.display()))?;
    tracing::info!(documents = trusted.len(), "only trusted documents run");
    Ok(documents.with_trusted(trusted))
}
