//! The command line: `hearth serve | migrate | admin … | demo`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hearth_core::model::Role;
use tokio::net::TcpListener;

use crate::app::BoxError;
use crate::error::ServiceError;
use crate::services::{accounts, safety, setup};
use crate::{App, Config, Server};

#[derive(Parser)]
#[command(
    name = "hearth",
    version,
    about = "A self-hosted community for organizations that support people."
)]
struct Cli {
    /// A configuration file (default: ./hearth.toml, if it exists).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the community (the default).
    Serve,
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Account administration from the command line.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Load an example cancer-information community, to see Hearth at work;
    /// with --scale, generate a community of that many posts (for benchmarks).
    Demo {
        /// Generate this many posts into an empty database instead.
        #[arg(long)]
        scale: Option<i64>,
        /// Seed of the generator (the same seed gives the same community).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Copy the site (database and key file) into DIR, while it serves
    /// (PostgreSQL: with pg_dump).
    Backup { dir: PathBuf },
    /// Put a backup made with `hearth backup` in place (stop the server
    /// first; PostgreSQL: with pg_restore).
    Restore {
        dir: PathBuf,
        /// Replace the database the data directory already has.
        #[arg(long)]
        force: bool,
    },
    /// Run the safety checks on text from standard input; prints JSON.
    #[command(subcommand)]
    Guard(GuardCommand),
}

#[derive(Subcommand)]
enum GuardCommand {
    /// The personal details found, with their kind, span and confidence.
    Check,
    /// The spam filter's verdict, score and strongest reasons (the model
    /// this community's moderators have taught, on its database).
    Spam,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an account; prints a link to choose its password unless --password-stdin.
    CreateUser {
        #[arg(long)]
        alias: String,
        #[arg(long)]
        email: String,
        /// member, volunteer, staff, moderator or admin
        #[arg(long, default_value = "member")]
        role: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change an account's role.
    SetRole {
        #[arg(long)]
        alias: String,
        #[arg(long)]
        role: String,
    },
    /// Print a password-reset link for an account, or set the password from standard input.
    ResetPassword {
        #[arg(long)]
        alias: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Rebuild the spam filter's learned counts from the moderators'
    /// decisions, and print how well it does on the held-out corpus.
    SpamTrain,
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match execute(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hearth: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(cli: Cli) -> Result<(), BoxError> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            App::open(config).await?;
            println!("The database is up to date.");
            Ok(())
        }
        Command::Demo { scale: None, .. } => {
            let app = App::open(config).await?;
            crate::demo::load(&app).await.map_err(explain)?;
            Ok(())
        }
        Command::Demo {
            scale: Some(posts),
            seed,
        } => {
            if !(1..=crate::generator::MAX_POSTS).contains(&posts) {
                return Err(format!(
                    "--scale takes a number of posts from 1 to {}",
                    crate::generator::MAX_POSTS
                )
                .into());
            }
            let app = App::open(config).await?;
            crate::generator::generate(&app, posts, seed).await
        }
        Command::Admin(command) => admin(App::open(config).await?, command).await,
        Command::Backup { dir } => {
            let file = crate::backup::backup(config, &dir).await?;
            println!("Backed up to {}.", file.display());
            Ok(())
        }
        Command::Restore { dir, force } => {
            crate::backup::restore(config, &dir, force).await?;
            println!("Restored from {}.", dir.display());
            Ok(())
        }
        Command::Guard(GuardCommand::Check) => {
            let findings = hearth_core::guard::personal::find(&read_stdin()?);
            println!("{}", serde_json::to_string_pretty(&findings)?);
            Ok(())
        }
        Command::Guard(GuardCommand::Spam) => {
            let text = read_stdin()?;
            let app = App::open(config).await?;
            let verdict = safety::spam_verdict(&app, &text).await.map_err(explain)?;
            println!("{}", serde_json::to_string_pretty(&verdict)?);
            Ok(())
        }
    }
}

async fn serve(config: Config) -> Result<(), BoxError> {
    crate::overload::raise_open_files_limit();
    let app = App::open(config.clone()).await?;
    let listener = TcpListener::bind(config.bind).await.map_err(|e| {
        format!(
            "cannot listen on {}: {e} (set HEARTH_BIND to another address)",
            config.bind
        )
    })?;
    if let Some(link) = setup::setup_link(&app).await.map_err(explain)? {
        println!(
            "\nHearth has no administrator yet. Open this one-time link to set it up:\n\n    {link}\n"
        );
    }
    let sweeper = crate::services::housekeeping::spawn(app.clone());
    let server = Server::start(app, listener)?;
    tracing::info!(address = %server.addr, base_url = %config.base_url, "Hearth is serving");
    shutdown_signal().await;
    tracing::info!("shutting down");
    sweeper.abort();
    server.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

fn parse_role(text: &str) -> Result<Role, BoxError> {
    Role::parse(text).ok_or_else(|| {
        format!("unknown role {text:?}: use member, volunteer, staff, moderator or admin").into()
    })
}

fn read_password() -> Result<String, BoxError> {
    Ok(read_stdin()?.trim_end_matches(['\n', '\r']).to_owned())
}

fn read_stdin() -> Result<String, BoxError> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    Ok(text)
}

/// Service errors in words for the terminal.
fn explain(e: ServiceError) -> BoxError {
    match e {
        ServiceError::Invalid(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("\n")
            .into(),
        ServiceError::NotFound => "no such account".into(),
        other => other.to_string().into(),
    }
}

async fn admin(app: App, command: AdminCommand) -> Result<(), BoxError> {
    match command {
        AdminCommand::CreateUser {
            alias,
            email,
            role,
            password_stdin,
        } => {
            let role = parse_role(&role)?;
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let account =
                accounts::create_by_operator(&app, &alias, &email, role, password.as_deref())
                    .await
                    .map_err(explain)?;
            println!("Created {} ({}).", account.alias, role.as_str());
            if password.is_none() {
                let link = accounts::reset_link_by_operator(&app, account.alias.as_str())
                    .await
                    .map_err(explain)?;
                println!(
                    "They choose their password with this link (valid for 24 hours):\n    {link}"
                );
            }
        }
        AdminCommand::SetRole { alias, role } => {
            let role = parse_role(&role)?;
            accounts::set_role_by_operator(&app, &alias, role)
                .await
                .map_err(explain)?;
            println!("{alias} is now {}.", role.as_str());
        }
        AdminCommand::ResetPassword {
            alias,
            password_stdin,
        } => {
            if password_stdin {
                accounts::set_password_by_operator(&app, &alias, &read_password()?)
                    .await
                    .map_err(explain)?;
                println!("The password of {alias} is set; their sessions are signed out.");
            } else {
                let link = accounts::reset_link_by_operator(&app, &alias)
                    .await
                    .map_err(explain)?;
                println!("Password-reset link for {alias} (valid for 24 hours):\n    {link}");
            }
        }
        AdminCommand::SpamTrain => {
            let report = safety::retrain_spam(&app).await.map_err(explain)?;
            println!(
                "Retrained from the starter corpus and {} moderators' decisions ({} spam).\n\
                 On the held-out fifth of the corpus: precision {:.3}, recall {:.3}.",
                report.decisions, report.spam_decisions, report.precision, report.recall
            );
        }
    }
    Ok(())
}
