//! `roster bootstrap`: an account with its first super admin, for scripts.

use anyhow::bail;
use roster_resolvers::{
    kernel::auth::password,
    setup::{
        bootstrap::{self, BootstrapOutcome, BootstrapRequest},
        demo,
    },
};

use crate::{
    config::{BootstrapArgs, Settings},
    db,
};

pub async fn run(settings: &Settings, args: BootstrapArgs) -> anyhow::Result<()> {
    let conn = db::connect(settings).await?;
    db::migrate(&conn).await?;

    let (password, generated) = match args.password {
        Some(p) => (p, false),
        None => (password::generate(), true),
    };
    let outcome = bootstrap::bootstrap(
        &conn,
        BootstrapRequest {
            account_name: args.account,
            email: args.email,
            password: password.clone(),
            first_name: args.first_name,
            last_name: args.last_name,
        },
    )
    .await;
    let mut password_shown = false;
    let (account, user) = match outcome {
        Ok(BootstrapOutcome::Created { account, user }) => {
            println!(
                "Created account \"{}\" with super admin {}.",
                account.name, user.email
            );
            if generated {
                println!("Generated password (shown only this once; store it now): {password}");
                password_shown = true;
            }
            (account, user)
        }
        Ok(BootstrapOutcome::AlreadyDone { account, user }) => {
            println!(
                "Account \"{}\" is already set up with super admin {}; nothing was changed \
                 (the password was not changed).",
                account.name, user.email
            );
            (account, user)
        }
        Err(err) => bail!("bootstrap refused: {err}"),
    };

    if args.demo {
        let domain = user.email.rsplit('@').next().unwrap_or("example.com");
        let summary = demo::load(&conn, account.id, domain).await?;
        println!(
            "Demo data: added {} staff user(s), {} service(s), {} companies and {} customer(s).",
            summary.users_added,
            summary.services_added,
            summary.companies_added,
            summary.customers_added
        );
    }

    let addr = settings.listen;
    let shown_password = if password_shown {
        password.as_str()
    } else {
        "<your password>"
    };
    println!(
        "\nSign in:\n  1. Start the server:   cargo run --release   (serves http://{addr}/)\n  \
         2. In GraphiQL at http://{addr}/ run:\n       \
         mutation {{ login(email: \"{email}\", password: \"{shown_password}\") {{ token }} }}\n  \
         3. Open the Headers tab, add  {{\"Authorization\": \"Bearer <token>\"}}  and run:\n       \
         {{ viewer {{ email role account {{ name }} }} }}",
        email = user.email
    );
    Ok(())
}
