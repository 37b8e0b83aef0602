//! Real mail servers on loopback for the connectivity tests: aiosmtpd
//! (SMTP, from the project's venv) and dovecot (IMAP, from Debian), with a
//! test CA made here.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::{free_port, free_ports, workspace_root};

pub const MAIL_USER: &str = "mailbox@example.com";
pub const MAIL_PASSWORD: &str = "correct-horse-battery-9Zk";
pub const MAIL_TOKEN: &str = "ya29.test-oauth-token-Qw8";

/// A CA and a certificate for `localhost` / 127.0.0.1 that it signed.
pub struct TestCa {
    pub ca_pem: String,
    pub dir: PathBuf,
}

impl TestCa {
    pub fn cert_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.join("key.pem")
    }
}

pub fn test_ca() -> &'static TestCa {
    static CA: OnceLock<TestCa> = OnceLock::new();
    CA.get_or_init(|| {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "Mailkeys Test CA");
        let ca_key = KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf_params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
        let dir = std::env::temp_dir().join(format!("mailkeys-test-ca-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cert.pem"), leaf.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), leaf_key.serialize_pem()).unwrap();
        TestCa { ca_pem: ca.pem(), dir }
    })
}

/// A process that stops when the test process ends: a shell starts it and
/// kills it when its standard input (held here) closes.
pub struct TiedProcess {
    lifeline: Option<ChildStdin>,
    wrapper: Child,
    /// What the process printed, for a failing test to show.
    pub log_path: PathBuf,
}

impl TiedProcess {
    pub fn spawn(program: &str, args: &[String]) -> TiedProcess {
        let log_path = std::env::temp_dir().join(format!("mailkeys-server-{}.log", ulid::Ulid::new()));
        let mut wrapper = Command::new("sh")
            .arg("-c")
            .arg(r#"log=$1; shift; "$@" >"$log" 2>&1 </dev/null & pid=$!; echo $pid >"$log.pid"; cat >/dev/null; kill -CONT $pid 2>/dev/null; kill $pid 2>/dev/null; wait"#)
            .arg("sh")
            .arg(&log_path)
            .arg(program)
            .args(args)
            .stdin(Stdio::piped())
            .spawn()
            .expect("start a test server");
        let lifeline = wrapper.stdin.take().expect("piped stdin");
        TiedProcess { lifeline: Some(lifeline), wrapper, log_path }
    }

    /// The server's process id (written by the wrapper once it started it).
    pub fn pid(&self) -> u32 {
        let path = PathBuf::from(format!("{}.pid", self.log_path.display()));
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(pid) = std::fs::read_to_string(&path).ok().and_then(|p| p.trim().parse().ok()) {
                return pid;
            }
            assert!(Instant::now() < deadline, "the wrapper wrote no pid");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Freezes the server (SIGSTOP) until the guard is dropped (SIGCONT):
    /// a dependency that accepts connections and never answers.
    pub fn freeze(&self) -> Frozen {
        let pid = self.pid();
        signal(pid, "-STOP");
        Frozen(pid)
    }
}

fn signal(pid: u32, which: &str) {
    let status = Command::new("kill").arg(which).arg(pid.to_string()).status().expect("kill runs");
    assert!(status.success(), "kill {which} {pid}");
}

/// A frozen server; dropping this lets it run again.
pub struct Frozen(u32);

impl Drop for Frozen {
    fn drop(&mut self) {
        signal(self.0, "-CONT");
    }
}

impl Drop for TiedProcess {
    fn drop(&mut self) {
        // Closing the pipe stops the server; then reap the shell.
        drop(self.lifeline.take());
        let _ = self.wrapper.wait();
    }
}

pub fn wait_for_port(port: u16, process: &TiedProcess) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(&process.log_path).unwrap_or_default();
            panic!("nothing listens on port {port}; the server said:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[derive(Clone, Copy, Debug)]
pub enum SmtpMode {
    Plain,
    StartTls,
    Implicit,
}

/// aiosmtpd on a free loopback port.
pub struct SmtpServer {
    pub port: u16,
    /// Every message the server accepted, appended.
    pub mailbox: PathBuf,
    /// Every AUTH attempt's credentials, one line each.
    pub auth_log: PathBuf,
    _process: TiedProcess,
}

impl SmtpServer {
    pub fn received(&self) -> String {
        std::fs::read_to_string(&self.mailbox).unwrap_or_default()
    }

    /// The credentials of every AUTH this server was sent (a test secret
    /// must be checked against this, never printed from it).
    pub fn auth_attempts(&self) -> String {
        std::fs::read_to_string(&self.auth_log).unwrap_or_default()
    }
}

impl SmtpServer {
    pub fn start(mode: SmtpMode) -> SmtpServer {
        let ca = test_ca();
        let port = free_port();
        let mailbox = std::env::temp_dir().join(format!("mailkeys-mailbox-{}", ulid::Ulid::new()));
        let auth_log = std::env::temp_dir().join(format!("mailkeys-auth-{}", ulid::Ulid::new()));
        let python = workspace_root().join(".local/venv/bin/python");
        let script = workspace_root().join("tests/servers/smtp_server.py");
        let mode = match mode {
            SmtpMode::Plain => "plain",
            SmtpMode::StartTls => "starttls",
            SmtpMode::Implicit => "implicit",
        };
        let args = [
            script.display().to_string(),
            "--port".into(),
            port.to_string(),
            "--mode".into(),
            mode.into(),
            "--cert".into(),
            ca.cert_path().display().to_string(),
            "--key".into(),
            ca.key_path().display().to_string(),
            "--user".into(),
            MAIL_USER.into(),
            "--password".into(),
            MAIL_PASSWORD.into(),
            "--token".into(),
            MAIL_TOKEN.into(),
            "--mailbox".into(),
            mailbox.display().to_string(),
            "--auth-log".into(),
            auth_log.display().to_string(),
        ];
        let process = TiedProcess::spawn(&python.display().to_string(), &args);
        wait_for_port(port, &process);
        SmtpServer { port, mailbox, auth_log, _process: process }
    }
}

/// dovecot with IMAP on one free port and IMAPS on another.
pub struct ImapServer {
    pub imap_port: u16,
    pub imaps_port: u16,
    _process: TiedProcess,
}

impl ImapServer {
    pub fn start() -> ImapServer {
        let ca = test_ca();
        let dir = std::env::temp_dir().join(format!("mailkeys-dovecot-{}", ulid::Ulid::new()));
        for sub in ["run", "state", "home"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // Mail processes run as `nobody`, which must be able to write its home.
        Command::new("chmod").arg("1777").arg(dir.join("home")).status().unwrap();
        std::fs::write(dir.join("users"), format!("{MAIL_USER}:{{PLAIN}}{MAIL_PASSWORD}::::::\n")).unwrap();
        let [imap_port, imaps_port] = free_ports();
        let d = dir.display();
        let config = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\nprotocols = imap\nlisten = 127.0.0.1\n\
             ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/users\n}}\n\
             userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={d}/home/%u\n}}\n\
             mail_location = maildir:{d}/home/%u/Maildir\n\
             service imap-login {{\n  inet_listener imap {{\n    port = {imap_port}\n  }}\n  inet_listener imaps {{\n    port = {imaps_port}\n    ssl = yes\n  }}\n}}\n",
            cert = ca.cert_path().display(),
            key = ca.key_path().display(),
        );
        let config_path = dir.join("dovecot.conf");
        std::fs::write(&config_path, config).unwrap();
        let dovecot = if std::path::Path::new("/usr/sbin/dovecot").exists() { "/usr/sbin/dovecot" } else { "dovecot" };
        let process = TiedProcess::spawn(dovecot, &["-F".into(), "-c".into(), config_path.display().to_string()]);
        wait_for_port(imap_port, &process);
        wait_for_port(imaps_port, &process);
        ImapServer { imap_port, imaps_port, _process: process }
    }
}

/// Dovecot serving IMAP, POP3 and submission (each with STARTTLS) whose
/// logins are checked by `mailkeys-checkpassword` against a Mailkeys at
/// `mailkeys_url` with a platform service key; submitted mail is relayed to
/// `make mail`'s own sink (scripts/mail_sink.py), which writes each message
/// into `outbox` as one `.eml` file. Mailboxes are Maildirs under its own
/// folder, one per account.
pub struct MailLoginServer {
    pub imap_port: u16,
    pub pop3_port: u16,
    pub submission_port: u16,
    pub dir: PathBuf,
    pub outbox: PathBuf,
    _sink: TiedProcess,
    _process: TiedProcess,
}

impl MailLoginServer {
    pub fn start(mailkeys_url: &str, service_key: &str) -> MailLoginServer {
        let ca = test_ca();
        let dir = std::env::temp_dir().join(format!("mailkeys-mail-{}", ulid::Ulid::new()));
        let (outbox, sink_port) = (dir.join("outbox"), free_port());
        let python = workspace_root().join(".local/venv/bin/python");
        let sink_script = workspace_root().join("scripts/mail_sink.py");
        let sink_args = [sink_script.display().to_string(), sink_port.to_string(), outbox.display().to_string()];
        let sink = TiedProcess::spawn(&python.display().to_string(), &sink_args);
        wait_for_port(sink_port, &sink);
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // The auth and mail processes run as Dovecot's own users and nobody.
        Command::new("chmod").args(["-R", "a+rwX"]).arg(&dir).status().unwrap();
        let key_file = dir.join("service-key");
        std::fs::write(&key_file, format!("{service_key}\n")).unwrap();
        let adapter = crate::tool_binary("mailkeys-checkpassword");
        let [imap_port, pop3_port, submission_port] = free_ports();
        let d = dir.display();
        let config = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
             protocols = imap pop3 submission\nlisten = 127.0.0.1\n\
             ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\n\
             auth_cache_size = 0\nauth_failure_delay = 0\n\
             import_environment = TZ MAILKEYS_URL={mailkeys_url} MAILKEYS_SERVICE_KEY_FILE={key_file}\n\
             passdb {{\n  driver = checkpassword\n  args = {adapter}\n}}\n\
             userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={d}/mail/%u\n}}\n\
             mail_location = maildir:{d}/mail/%u/Maildir\n\
             submission_relay_host = 127.0.0.1\nsubmission_relay_port = {sink_port}\nsubmission_relay_trusted = no\n\
             hostname = localhost\n\
             service imap-login {{\n  inet_listener imap {{\n    port = {imap_port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service pop3-login {{\n  inet_listener pop3 {{\n    port = {pop3_port}\n  }}\n  inet_listener pop3s {{\n    port = 0\n  }}\n}}\n\
             service submission-login {{\n  inet_listener submission {{\n    port = {submission_port}\n  }}\n}}\n",
            cert = ca.cert_path().display(),
            key = ca.key_path().display(),
            key_file = key_file.display(),
            adapter = adapter.display(),
            sink_port = sink_port,
        );
        let config_path = dir.join("dovecot.conf");
        std::fs::write(&config_path, config).unwrap();
        let dovecot = if std::path::Path::new("/usr/sbin/dovecot").exists() { "/usr/sbin/dovecot" } else { "dovecot" };
        let process = TiedProcess::spawn(dovecot, &["-F".into(), "-c".into(), config_path.display().to_string()]);
        for port in [imap_port, pop3_port, submission_port] {
            wait_for_port(port, &process);
        }
        MailLoginServer { imap_port, pop3_port, submission_port, dir, outbox, _sink: sink, _process: process }
    }

    /// Logs in with Python's own client for `protocol` (`imap`, `pop3`,
    /// `submission`) from the loopback address `source` (127.0.0.N: the
    /// mail client's address, which Dovecot's failure penalty and Mailkeys'
    /// throttle count by); with `recipient`, submission also sends one
    /// message. The first word of the answer is `ok`, `refused`,
    /// `temporary` or `error`.
    pub fn login_from(
        &self,
        source: &str,
        protocol: &str,
        user: &str,
        password: &str,
        recipient: Option<&str>,
    ) -> String {
        let port = match protocol {
            "imap" => self.imap_port,
            "pop3" => self.pop3_port,
            _ => self.submission_port,
        };
        let password_file = self.dir.join(format!("password-{}", ulid::Ulid::new()));
        std::fs::write(&password_file, password).unwrap();
        let script = workspace_root().join("tests/servers/mail_login.py");
        let mut command = Command::new("python3");
        command.arg(script).arg(protocol).arg(port.to_string()).arg(user).arg(&password_file).arg(source);
        command.args(recipient);
        let out = command.output().expect("python3 runs");
        let _ = std::fs::remove_file(&password_file);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// [`MailLoginServer::login_from`] a client address of its own.
    pub fn login(&self, protocol: &str, user: &str, password: &str, recipient: Option<&str>) -> String {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst) % 250 + 2;
        self.login_from(&format!("127.0.0.{n}"), protocol, user, password, recipient)
    }

    /// Dovecot's log, for a failing test to show.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }
}
