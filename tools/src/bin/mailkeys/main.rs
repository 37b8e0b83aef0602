//! `mailkeys`: the command line over the Mailkeys HTTP API, so it works the
//! same against a deployed stack and `make dev`. Each command is one route.

mod args;
mod client;
mod commands;
mod config;
mod output;
mod secrets;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use args::{Cli, Command};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Completions { shell } = cli.command {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "mailkeys", &mut script);
        output::line(String::from_utf8_lossy(&script).trim_end());
        return ExitCode::SUCCESS;
    }
    let verbose = cli.verbose;
    match commands::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error.describe(verbose));
            ExitCode::from(error.exit_code() as u8)
        }
    }
}
