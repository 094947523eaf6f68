//! Settings from command-line flags and their environment twins. A setting
//! that is unknown or malformed stops start-up with one line naming it.

use std::{
    collections::BTreeSet, net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration,
};

use clap::{
    error::{ContextKind, ContextValue, ErrorKind},
    Args, CommandFactory, Parser, Subcommand, ValueEnum,
};

/// Prefix of Roster's own environment variables; any other ROSTER_* variable
/// is a typo and refused.
const ENV_PREFIX: &str = "ROSTER_";

#[derive(Parser, Debug)]
#[command(
    name = "roster",
    version,
    about = "Roster: a GraphQL server for the people of a help-desk / SaaS account",
    after_help = "Every flag can also be set by the environment variable shown with it."
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Debug, Clone)]
pub struct Settings {
    /// Address to serve HTTP on; port 0 picks a free port.
    #[arg(
        long,
        env = "ROSTER_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: SocketAddr,

    /// Database: `sqlite://path/to/file.db` or `postgres://user@host/db`.
    /// Default: a SQLite file in the data folder.
    #[arg(long, env = "DATABASE_URL", value_parser = parse_database_url, global = true)]
    pub database_url: Option<String>,

    /// Folder for local data (the default SQLite database); created if missing.
    #[arg(long, env = "ROSTER_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    /// Redis for cross-instance events (`redis://host:6379`); optional.
    #[arg(long, env = "REDIS_URL", value_parser = parse_redis_url, global = true)]
    pub redis_url: Option<String>,

    /// Log filter: a level (error, warn, info, debug, trace) or
    /// tracing directives such as `info,roster=debug`.
    #[arg(long = "log", env = "ROSTER_LOG", default_value = "info,sea_orm_migration=warn", value_parser = parse_log_filter, global = true)]
    pub log: String,

    /// Log format.
    #[arg(long, env = "ROSTER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// How long a login session lasts, e.g. `12h`, `30m`, `7days`.
    #[arg(long, env = "ROSTER_SESSION_TTL", default_value = "12h", value_parser = parse_ttl, global = true)]
    pub session_ttl: Duration,

    /// Where invitation links point: this server as its users reach it.
    /// Default: `http://<listen address>`.
    #[arg(long, env = "ROSTER_PUBLIC_URL", value_parser = parse_public_url, global = true)]
    pub public_url: Option<String>,

    /// SMTP server for invitation mail: `smtp://host:25`,
    /// `smtp://user:pass@host:587?tls=required` or `smtps://host:465`.
    /// Without it, mail is written as `.eml` files to the mail folder.
    #[arg(long, env = "SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Sender of invitation mail.
    #[arg(
        long,
        env = "ROSTER_MAIL_FROM",
        default_value = "Roster <no-reply@roster.invalid>",
        global = true
    )]
    pub mail_from: String,

    /// Folder for `.eml` files when no SMTP server is set.
    /// Default: `<data dir>/outbox`.
    #[arg(long, env = "ROSTER_MAIL_DIR", global = true)]
    pub mail_dir: Option<PathBuf>,

    /// How long an invitation link works, e.g. `7days`, `48h`.
    #[arg(long, env = "ROSTER_INVITATION_TTL", default_value = "7days", value_parser = parse_ttl, global = true)]
    pub invitation_ttl: Duration,

    /// Diagnostics: explain every page a list reads and log a warning
    /// (target `roster::plan_audit`) when its plan sorts or scans a whole
    /// account. Doubles the statements of list reads; off by default.
    #[arg(long, env = "ROSTER_AUDIT_PLANS", global = true)]
    pub audit_plans: bool,

    /// An origin (`https://app.example.com`) whose pages may call the API
    /// from a browser (CORS). Repeat the flag, or separate origins with
    /// commas in the environment. None by default.
    #[arg(long = "cors-origin", env = "ROSTER_CORS_ORIGINS", value_delimiter = ',', value_parser = parse_origin, global = true)]
    pub cors_origins: Vec<String>,

    /// Whether the schema answers introspection (`__schema`, `__type`):
    /// `true` or `false`. GraphiQL and code generators need it.
    #[arg(long, env = "ROSTER_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub introspection: bool,

    /// A file of trusted documents (GraphQL Code Generator's
    /// `persisted-documents.json`, or Apollo's persisted query manifest).
    /// When set, only the operations it lists run: clients send their hash
    /// in `extensions.persistedQuery` (or their exact text), and automatic
    /// persisted queries learn nothing new.
    #[arg(long, env = "ROSTER_TRUSTED_DOCUMENTS", global = true)]
    pub trusted_documents: Option<std::path::PathBuf>,

    /// The cost budget of one GraphQL operation: one point per field, and a
    /// connection costs its page size times its selection per node.
    #[arg(long, env = "ROSTER_MAX_QUERY_COST", default_value_t = roster_schema::cost::DEFAULT_LIMIT, value_parser = clap::value_parser!(usize), global = true)]
    pub max_query_cost: usize,

    /// Sign-in attempts (`login`, `portalLogin`) per email in 15 minutes.
    #[arg(long, env = "ROSTER_LOGIN_LIMIT_PER_EMAIL", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub login_limit_per_email: u32,

    /// Sign-in attempts per client address in 15 minutes.
    #[arg(long, env = "ROSTER_LOGIN_LIMIT_PER_ADDRESS", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub login_limit_per_address: u32,

    /// Requests per session token per minute.
    #[arg(long, env = "ROSTER_REQUEST_LIMIT_PER_TOKEN", default_value_t = 1200, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub request_limit_per_token: u32,

    /// On SIGTERM, how long readiness fails before the listener closes, so
    /// that a load balancer stops sending requests first (e.g. `5s` in
    /// Kubernetes). Requests in flight then get 10 s to finish.
    #[arg(long, env = "ROSTER_SHUTDOWN_DELAY", default_value = "0s", value_parser = parse_threshold, global = true)]
    pub shutdown_delay: Duration,

    /// Sends traces (a span per GraphQL request and per subscription
    /// operation, carrying the request id) to an OpenTelemetry collector
    /// over OTLP/HTTP with JSON bodies: the collector's base URL, e.g.
    /// `http://otel-collector:4318` (spans go to `/v1/traces`). Unset, and
    /// without `OTEL_EXPORTER_OTLP_ENDPOINT` / `_TRACES_ENDPOINT`: no traces.
    #[arg(long, env = "ROSTER_OTLP_ENDPOINT", value_parser = parse_public_url, global = true)]
    pub otlp_endpoint: Option<String>,

    /// SQL statements slower than this are logged as warnings
    /// (`roster::slow_statement`, without their values).
    #[arg(long, env = "ROSTER_SLOW_STATEMENT", default_value = "500ms", value_parser = parse_threshold, global = true)]
    pub slow_statement: Duration,

    /// How long a WebSocket client has to send `connection_init`
    /// (graphql-transport-ws closes with 4408 after it).
    #[arg(long, env = "ROSTER_WS_INIT_TIMEOUT", default_value = "10s", value_parser = parse_ttl, global = true)]
    pub ws_init_timeout: Duration,

    /// How often the server pings WebSocket clients (keep-alive).
    #[arg(long, env = "ROSTER_WS_KEEPALIVE", default_value = "12s", value_parser = parse_ttl, global = true)]
    pub ws_keepalive: Duration,

    /// Operations (subscriptions) one WebSocket connection may run at once.
    #[arg(long, env = "ROSTER_WS_MAX_OPERATIONS", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub ws_max_operations: u32,

    /// Addresses an import's validation keeps in memory to find the file's
    /// duplicates (8 bytes each, about 20 with the table); past this many
    /// it keeps them in the database, so larger files validate in flat
    /// memory.
    #[arg(long, env = "ROSTER_IMPORT_KEYS_IN_MEMORY", default_value_t = roster_resolvers::kernel::context::IMPORT_KEYS_IN_MEMORY as u64, value_parser = clap::value_parser!(u64).range(1..), global = true)]
    pub import_keys_in_memory: u64,

    /// Whether GraphiQL is served at `/` and `/graphiql`: `true` or `false`.
    #[arg(long, env = "ROSTER_GRAPHIQL", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub graphiql: bool,
}

impl Settings {
    /// The rate limits in force.
    pub fn limits(&self) -> roster_resolvers::kernel::throttle::Limits {
        let mut limits = roster_resolvers::kernel::throttle::Limits::default();
        limits.login_per_email.limit = self.login_limit_per_email;
        limits.login_per_address.limit = self.login_limit_per_address;
        limits.requests_per_token.limit = self.request_limit_per_token;
        limits
    }

    /// How invitation mail is sent.
    pub fn mail(&self) -> roster_resolvers::MailSettings {
        roster_resolvers::MailSettings {
            public_url: self
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", self.listen)),
            from: self.mail_from.clone(),
            smtp_url: self.smtp_url.clone(),
            mail_dir: self
                .mail_dir
                .clone()
                .unwrap_or_else(|| self.data_dir.join("outbox")),
            invitation_ttl: self.invitation_ttl,
        }
    }

    /// The database URL in force: the flag, or a SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("roster.db").display()
            ),
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API (the default when no command is given).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an account with its first super admin and print how to sign in.
    Bootstrap(BootstrapArgs),
    /// Print the GraphQL schema (SDL) to standard output.
    PrintSchema,
}

#[derive(Args, Debug)]
pub struct BootstrapArgs {
    /// Name of the account to create.
    #[arg(long)]
    pub account: String,
    /// Email of its super admin (used to sign in).
    #[arg(long)]
    pub email: String,
    /// Password of the super admin; generated and printed once if not given.
    #[arg(long, env = "ROSTER_ADMIN_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// First name of the super admin.
    #[arg(long, default_value = "Account")]
    pub first_name: String,
    /// Last name of the super admin.
    #[arg(long, default_value = "Owner")]
    pub last_name: String,
    /// Also load a sample data set into the account.
    #[arg(long)]
    pub demo: bool,
}

/// Parses flags and environment. On failure, prints one line (or the help)
/// and returns the exit code to stop with.
pub fn parse() -> Result<Cli, ExitCode> {
    parse_from(std::env::args_os(), std::env::vars())
}

pub fn parse_from(
    args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Cli, ExitCode> {
    if let Err(line) = check_unknown_env(vars) {
        eprintln!("roster: {line}");
        return Err(ExitCode::from(2));
    }
    Cli::try_parse_from(args).map_err(|err| match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("roster: {}", one_line(&err));
            ExitCode::from(2)
        }
    })
}

/// Every environment variable the CLI reads.
fn known_env() -> BTreeSet<String> {
    fn walk(cmd: &clap::Command, out: &mut BTreeSet<String>) {
        for arg in cmd.get_arguments() {
            if let Some(env) = arg.get_env() {
                out.insert(env.to_string_lossy().into_owned());
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, out);
        }
    }
    let mut out = BTreeSet::new();
    walk(&Cli::command(), &mut out);
    out
}

/// Whether `name` is one of the variables Kubernetes sets in every pod for
/// a Service whose name starts with `roster` (`ROSTER_SERVICE_HOST`,
/// `ROSTER_PORT_8080_TCP_ADDR`, `ROSTER_DB_SERVICE_PORT_HTTP`, ...).
fn is_service_link(name: &str) -> bool {
    let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('_').collect();
    parts.iter().enumerate().any(|(i, part)| match *part {
        "SERVICE" => match parts.get(i + 1) {
            Some(&"HOST") => parts.len() == i + 2,
            Some(&"PORT") => true,
            _ => false,
        },
        "PORT" => match &parts[i + 1..] {
            [] => true,
            [port, proto, rest @ ..] => {
                port.chars().all(|c| c.is_ascii_digit())
                    && !port.is_empty()
                    && matches!(*proto, "TCP" | "UDP" | "SCTP")
                    && matches!(rest, [] | ["PROTO"] | ["PORT"] | ["ADDR"])
            }
            _ => false,
        },
        _ => false,
    })
}

fn check_unknown_env(vars: impl IntoIterator<Item = (String, String)>) -> Result<(), String> {
    let known = known_env();
    for (name, _) in vars {
        if name.starts_with(ENV_PREFIX) && !known.contains(&name) && !is_service_link(&name) {
            let roster: Vec<_> = known
                .iter()
                .filter(|k| k.starts_with(ENV_PREFIX))
                .cloned()
                .collect();
            return Err(format!(
                "unknown setting {name} in the environment (known: {})",
                roster.join(", ")
            ));
        }
    }
    Ok(())
}

/// Clap's first error line, naming the environment twin of the flag.
fn one_line(err: &clap::Error) -> String {
    let rendered = err.render().to_string();
    let first = rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_owned();
    let Some(ContextValue::String(arg)) = err.get(ContextKind::InvalidArg) else {
        return first;
    };
    let long = arg
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .trim_start_matches("--");
    let env = Cli::command()
        .get_arguments()
        .find(|a| a.get_long() == Some(long))
        .and_then(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()));
    match env {
        Some(env) => format!("{first} (set by --{long} or {env})"),
        None => first,
    }
}

fn parse_database_url(value: &str) -> Result<String, String> {
    let lower = value.to_ascii_lowercase();
    if lower.starts_with("sqlite:")
        || lower.starts_with("postgres://")
        || lower.starts_with("postgresql://")
    {
        Ok(value.to_owned())
    } else {
        Err("expected sqlite://path or postgres://user@host/database".into())
    }
}

fn parse_origin(value: &str) -> Result<String, String> {
    let value = value.trim().trim_end_matches('/');
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or("expected an origin such as https://app.example.com")?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '*', ' ']) {
        return Err("expected an origin such as https://app.example.com (no path)".into());
    }
    Ok(value.to_owned())
}

fn parse_public_url(value: &str) -> Result<String, String> {
    let value = value.trim().trim_end_matches('/');
    if value.starts_with("http://") || value.starts_with("https://") {
        Ok(value.to_owned())
    } else {
        Err("expected an http:// or https:// URL".into())
    }
}

fn parse_redis_url(value: &str) -> Result<String, String> {
    let lower = value.to_ascii_lowercase();
    if (lower.starts_with("redis://") || lower.starts_with("rediss://")) && value.len() > 9 {
        Ok(value.to_owned())
    } else {
        Err("expected redis://host:port".into())
    }
}

fn parse_log_filter(value: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(value)
        .map(|_| value.to_owned())
        .map_err(|e| e.to_string())
}

fn parse_threshold(value: &str) -> Result<Duration, String> {
    humantime::parse_duration(value).map_err(|e| e.to_string())
}

fn parse_ttl(value: &str) -> Result<Duration, String> {
    let ttl = humantime::parse_duration(value).map_err(|e| e.to_string())?;
    if ttl < Duration::from_secs(1) || ttl > Duration::from_secs(90 * 24 * 3600) {
        return Err("must be between 1s and 90days".into());
    }
    Ok(ttl)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_database_is_sqlite_in_the_data_folder() {
        let cli = Cli::try_parse_from(["roster", "--data-dir", "/srv/roster"]).unwrap();
        let settings = Settings {
            database_url: None,
            ..cli.settings
        };
        assert_eq!(
            settings.database_url(),
            "sqlite:///srv/roster/roster.db?mode=rwc"
        );
    }

    #[test]
    fn every_setting_has_an_environment_twin() {
        let cmd = Cli::command();
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version") {
                continue;
            }
            assert!(
                arg.get_env().is_some(),
                "--{id} has no environment variable"
            );
        }
        assert!(known_env().contains("ROSTER_LISTEN"));
        assert!(known_env().contains("DATABASE_URL"));
    }

    #[test]
    fn kubernetes_service_links_are_tolerated_and_typos_are_not() {
        for name in [
            "ROSTER_PORT",
            "ROSTER_PORT_8080_TCP",
            "ROSTER_PORT_8080_TCP_ADDR",
            "ROSTER_PORT_8080_TCP_PORT",
            "ROSTER_PORT_8080_TCP_PROTO",
            "ROSTER_SERVICE_HOST",
            "ROSTER_SERVICE_PORT",
            "ROSTER_SERVICE_PORT_HTTP",
            "ROSTER_DB_SERVICE_HOST",
            "ROSTER_DB_PORT_5432_TCP_ADDR",
        ] {
            assert!(
                check_unknown_env([(name.to_string(), "tcp://10.0.0.1:8080".to_string())]).is_ok(),
                "{name}"
            );
        }
        for typo in [
            "ROSTER_PORTS",
            "ROSTER_LISTNE",
            "ROSTER_PORT_HTTP",
            "ROSTER_SERVICE",
            "ROSTER_PORT_80_TCP_HOST",
            "ROSTER_SERVICE_HOSTS",
        ] {
            assert!(
                check_unknown_env([(typo.to_string(), "x".to_string())]).is_err(),
                "{typo}"
            );
        }
    }

    #[test]
    fn origins_and_switches() {
        let cli = Cli::try_parse_from([
            "roster",
            "--cors-origin",
            "https://app.example.com/",
            "--cors-origin",
            "http://localhost:5173",
            "--introspection",
            "false",
            "--graphiql",
            "false",
        ])
        .unwrap();
        assert_eq!(
            cli.settings.cors_origins,
            ["https://app.example.com", "http://localhost:5173"]
        );
        assert!(!cli.settings.introspection);
        assert!(!cli.settings.graphiql);
        let cli = Cli::try_parse_from(["roster"]).unwrap();
        assert!(cli.settings.cors_origins.is_empty());
        assert!(cli.settings.introspection && cli.settings.graphiql);
        for bad in [
            "*",
            "app.example.com",
            "https://x.test/path",
            "ftp://x.test",
        ] {
            assert!(
                Cli::try_parse_from(["roster", "--cors-origin", bad]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn refusals() {
        assert!(check_unknown_env([("ROSTER_LISTNE".to_string(), "x".to_string())]).is_err());
        assert!(check_unknown_env([("ROSTER_LISTEN".to_string(), "x".to_string())]).is_ok());
        assert!(
            check_unknown_env([("ROSTER_ADMIN_PASSWORD".to_string(), "x".to_string())]).is_ok()
        );
        assert!(Cli::try_parse_from(["roster", "--listen", "nope"]).is_err());
        assert!(Cli::try_parse_from(["roster", "--database-url", "mysql://x"]).is_err());
        assert!(Cli::try_parse_from(["roster", "--session-ttl", "0s"]).is_err());
        assert!(Cli::try_parse_from(["roster", "--log", "info,[bad"]).is_err());
        assert!(Cli::try_parse_from(["roster", "--redis-url", "http://x"]).is_err());
        assert!(Cli::try_parse_from(["roster", "--import-keys-in-memory", "0"]).is_err());
        assert!(Cli::try_parse_from(["roster", "--import-keys-in-memory", "many"]).is_err());
        let one = Cli::try_parse_from(["roster", "--import-keys-in-memory", "1"]).unwrap();
        assert_eq!(one.settings.import_keys_in_memory, 1);
    }

    #[test]
    fn error_line_names_the_env_twin() {
        let err = Cli::try_parse_from(["roster", "--listen", "nope"]).unwrap_err();
        let line = one_line(&err);
        assert!(
            line.contains("--listen") && line.contains("ROSTER_LISTEN"),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }
}
