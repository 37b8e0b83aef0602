//! Secrets come from stdin (--secret-stdin) or a hidden prompt on a
//! terminal, never from a flag: a flag shows in `ps` and in shell history.

use std::io::{IsTerminal, Read};

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::args::SecretSource;
use crate::client::CliError;

/// What was read: a whole credential block, or one secret.
pub enum SecretInput {
    Block(Map<String, Value>),
    Line(SecretString),
}

/// Reads a secret as `source` says; `prompt` names it on a terminal.
pub fn read(source: SecretSource, prompt: &str) -> Result<SecretInput, CliError> {
    if source.secret_stdin {
        return from_stdin();
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "{prompt} is needed: pipe it in with --secret-stdin (one line, or the credential block as JSON), \
             or run this on a terminal to be asked"
        )));
    }
    prompt_hidden(&format!("{prompt}: "))
}

/// Asks on the terminal without echo.
pub fn prompt_hidden(prompt: &str) -> Result<SecretInput, CliError> {
    let line = rpassword::prompt_password(prompt)
        .map_err(|e| CliError::Other(format!("cannot read from the terminal: {e}")))?;
    one_line(SecretString::from(line))
}

/// All of stdin: a JSON object is a credential block, anything else one
/// secret on its first line.
pub fn from_stdin() -> Result<SecretInput, CliError> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|e| CliError::Other(format!("cannot read stdin: {e}")))?;
    let text = SecretString::from(text);
    let trimmed = text.expose_secret().trim();
    if trimmed.starts_with('{') {
        return match serde_json::from_str::<Value>(trimmed) {
            Ok(Value::Object(block)) => Ok(SecretInput::Block(block)),
            _ => Err(CliError::Usage("stdin starts with { but is not a JSON object".into())),
        };
    }
    one_line(SecretString::from(trimmed.lines().next().unwrap_or("").to_string()))
}

fn one_line(line: SecretString) -> Result<SecretInput, CliError> {
    if line.expose_secret().trim().is_empty() {
        return Err(CliError::Usage("the secret is empty".into()));
    }
    Ok(SecretInput::Line(line))
}

impl SecretInput {
    /// The secret put into `block` under `field` (a whole block is merged in).
    pub fn merge_into(self, block: &mut Map<String, Value>, field: &str) {
        match self {
            SecretInput::Block(given) => block.extend(given),
            SecretInput::Line(secret) => {
                block.insert(field.to_string(), Value::String(secret.expose_secret().to_string()));
            }
        }
    }
}
