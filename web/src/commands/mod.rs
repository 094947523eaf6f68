//! The `roster` commands.

mod bootstrap;

use migration::MigratorTrait;

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
    crate::metrics::instrument(&mut conn);
    let applied = db::migrate(&conn).await?;
    if applied > 0 {
        tracing::info!(applied, "database migrated");
    }
    if settings.redis_url.is_some() {
        tracing::info!("REDIS_URL is set; cross-instance events are not used by this version yet");
    }
    let mut mail = settings.mail();
    if settings.public_url.is_none() {
        // With port 0 the real port is known only once bound: links use the
        // listen address as given; set ROSTER_PUBLIC_URL in production.
        mail.public_url = format!("http://{}", settings.listen);
    }
    let state = roster_resolvers::AppState::new(conn, settings.session_ttl).with_mail(mail);
    roster_resolvers::imports::worker::spawn(state.clone());
    roster_resolvers::invitations::outbox::spawn(state.clone());
    let app = App {
        schema: roster_schema::build(state.clone()),
        state,
    };
    http::serve(app, settings.listen, |addr| {
        // Scripts and tests read this line to learn the port.
        println!("Roster is listening on http://{addr}/ (GraphiQL at http://{addr}/)");
        tracing::info!(%addr, database = %db::redact(&settings.database_url()), "serving");
    })
    .await
}
