//! Where and who: flags, then the chosen profile, then the environment,
//! then the profile "default". Profiles live in the user's config directory
//! (~/.config/mailkeys/config.toml on Linux), readable by the user only.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::client::CliError;

pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";
pub const DEFAULT_PROFILE: &str = "default";

#[derive(Default, Serialize, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

#[derive(Serialize, Deserialize)]
struct Profile {
    url: String,
    #[serde(serialize_with = "mailkeys::domain::secret::expose")]
    api_key: SecretString,
}

pub fn config_path() -> Result<PathBuf, CliError> {
    dirs::config_dir()
        .map(|dir| dir.join("mailkeys").join("config.toml"))
        .ok_or_else(|| CliError::Other("cannot find the user's config directory (set HOME)".into()))
}

fn read(path: &Path) -> Result<ConfigFile, CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => SecretString::from(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
        Err(e) => return Err(CliError::Other(format!("cannot read {}: {e}", path.display()))),
    };
    warn_if_shared(path);
    let text = text.expose_secret();
    // The parser's own message may quote the file (a key among it): only
    // the line is told.
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|at| text[..at.start.min(text.len())].matches('\n').count() + 1);
        let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
        CliError::Other(format!(
            "{} is not a valid config file{at}: fix that line, or remove the file and run mailkeys login",
            path.display()
        ))
    })
}

/// Says so when others than the user may read the config file (it holds keys).
fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
            eprintln!(
                "warning: {} can be read by other users and holds API keys; run: chmod 600 {}",
                path.display(),
                path.display()
            );
        }
    }
}

/// The service and key a command uses.
pub struct Target {
    pub url: String,
    pub key: Option<SecretString>,
}

pub struct Choice<'a> {
    pub url: Option<&'a str>,
    pub api_key_file: Option<&'a Path>,
    pub profile: Option<&'a str>,
}

pub fn resolve(choice: Choice) -> Result<Target, CliError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let file = read(&config_path()?)?;
    let profile = match choice.profile {
        Some(name) => Some(file.profiles.get(name).ok_or_else(|| {
            CliError::Usage(format!(
                "no profile \"{name}\" in {}; create it with: mailkeys login --profile {name}",
                config_path().map(|p| p.display().to_string()).unwrap_or_default()
            ))
        })?),
        None => None,
    };
    let fallback = file.profiles.get(DEFAULT_PROFILE);

    let url = choice
        .url
        .map(str::to_string)
        .or_else(|| profile.map(|p| p.url.clone()))
        .or_else(|| env("MAILKEYS_URL"))
        .or_else(|| fallback.map(|p| p.url.clone()))
        .unwrap_or_else(|| DEFAULT_URL.to_string());
    let key = match choice.api_key_file {
        Some(path) => Some(key_from_file(path)?),
        None => profile
            .map(|p| p.api_key.clone())
            .or_else(|| env("MAILKEYS_API_KEY").map(|k| SecretString::from(k.trim().to_string())))
            .or_else(|| fallback.map(|p| p.api_key.clone())),
    };
    Ok(Target { url, key })
}

fn key_from_file(path: &Path) -> Result<SecretString, CliError> {
    let text = SecretString::from(
        std::fs::read_to_string(path).map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?,
    );
    let line = text.expose_secret().lines().next().unwrap_or("").trim().to_string();
    if line.is_empty() {
        return Err(CliError::Usage(format!("{} holds no key", path.display())));
    }
    Ok(SecretString::from(line))
}

/// Writes (or replaces) a profile, the file readable by the user only.
pub fn save_profile(name: &str, url: &str, key: SecretString) -> Result<PathBuf, CliError> {
    let path = config_path()?;
    let mut file = read(&path)?;
    file.profiles.insert(name.to_string(), Profile { url: url.to_string(), api_key: key });
    let text = toml::to_string(&file).map_err(|e| CliError::Other(format!("cannot write the config: {e}")))?;
    let dir = path.parent().expect("a file in a directory");
    let fail = |e: std::io::Error| CliError::Other(format!("cannot write {}: {e}", path.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(fail)?;
    }
    let mut out = options.open(&path).map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        out.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(fail)?;
    }
    out.write_all(text.as_bytes()).map_err(fail)?;
    Ok(path)
}

/// The key a command needs, or what to do to give one.
pub fn no_key() -> CliError {
    CliError::Usage(
        "no API key: set MAILKEYS_API_KEY, pass --api-key-file PATH, or run mailkeys login (then --profile NAME)"
            .into(),
    )
}
