//! A real Dovecot for the tests (IMAP and LMTP on free 127.0.0.1 ports,
//! passwd-file users, maildirs in a temporary folder, TLS when asked),
//! started from the binary `VIGIE_TEST_IMAP` names, and a real SMTP server
//! in front of it ([`SmtpRelay`]: Debian's `msmtpd`, named by
//! `VIGIE_TEST_SMTPD`, handing each mail to `msmtp`, which delivers it to
//! Dovecot over LMTP), so that the mails Vigie sends land in IMAP
//! mailboxes. A Dovecot may also run its submission service
//! ([`Dovecot::start_submission`]: authenticated SMTP with `STARTTLS` and
//! TLS from the first byte, relaying to such an `msmtpd`). Tests of this
//! crate and of the binary share them; nothing else uses them. Each stops
//! the process it started, by its id, when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The variable naming the `dovecot` binary.
pub const VAR: &str = "VIGIE_TEST_IMAP";

/// The binary to run, `None` to skip; an error when the variable is unset
/// but `VIGIE_REQUIRE_ALL_SUITES` asks for every suite.
pub fn binary() -> Result<Option<String>, String> {
    let found = std::env::var(VAR).ok().filter(|s| !s.is_empty());
    if found.is_none() && std::env::var_os("VIGIE_REQUIRE_ALL_SUITES").is_some() {
        return Err(format!(
            "{VAR} is not set but VIGIE_REQUIRE_ALL_SUITES requires the IMAP suite"
        ));
    }
    Ok(found)
}

/// The variable naming the `msmtpd` binary (`msmtp` is beside it).
pub const SMTPD_VAR: &str = "VIGIE_TEST_SMTPD";

/// The `msmtpd` binary to run, `None` to skip; an error when the variable
/// is unset but `VIGIE_REQUIRE_ALL_SUITES` asks for every suite.
pub fn smtpd_binary() -> Result<Option<String>, String> {
    let found = std::env::var(SMTPD_VAR).ok().filter(|s| !s.is_empty());
    if found.is_none() && std::env::var_os("VIGIE_REQUIRE_ALL_SUITES").is_some() {
        return Err(format!(
            "{SMTPD_VAR} is not set but VIGIE_REQUIRE_ALL_SUITES requires the SMTP suite"
        ));
    }
    Ok(found)
}

/// A running SMTP server that delivers every mail it accepts to a
/// Dovecot's LMTP port (the recipients are Dovecot users).
pub struct SmtpRelay {
    child: Child,
    /// The SMTP port.
    pub port: u16,
}

impl SmtpRelay {
    /// Starts `msmtpd` on a free port in front of `dovecot` and waits until
    /// it answers (at most 30 s).
    pub async fn start(msmtpd: &str, dovecot: &Dovecot) -> std::io::Result<SmtpRelay> {
        let msmtp = std::path::Path::new(msmtpd).with_file_name("msmtp");
        let port = free_port()?;
        let command = format!(
            "{} --host=127.0.0.1 --port={} --protocol=lmtp --auth=off --tls=off -f %F --",
            msmtp.display(),
            dovecot.lmtp_port
        );
        let child = Command::new(msmtpd)
            .arg("--interface=127.0.0.1")
            .arg(format!("--port={port}"))
            .arg(format!("--command={command}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let relay = SmtpRelay { child, port };
        for _ in 0..300 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(relay);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(std::io::Error::other("msmtpd did not answer within 30 s"))
    }

    /// The address to give Vigie (`ServerConfig::smtp_url`).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }
}

impl Drop for SmtpRelay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running Dovecot.
pub struct Dovecot {
    child: Child,
    dir: PathBuf,
    /// The IMAP port.
    pub imap_port: u16,
    /// The LMTP port (delivery).
    pub lmtp_port: u16,
    /// The IMAP-over-TLS port (0 without TLS).
    pub imaps_port: u16,
    /// The submission port, `STARTTLS` offered (0 without submission).
    pub submission_port: u16,
    /// The submission-over-TLS port (0 without submission).
    pub submissions_port: u16,
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The uid of this process, from `/proc` (0 when it cannot be read).
fn my_uid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|u| u.parse().ok())
        })
        .unwrap_or(0)
}

fn my_name() -> String {
    std::env::var("USER").unwrap_or_else(|_| "nobody".into())
}

/// A certificate and its key, in PEM, for Dovecot's TLS.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The server's certificate chain.
    pub cert_pem: String,
    /// Its private key.
    pub key_pem: String,
}

impl Dovecot {
    /// Starts Dovecot with these users (login, password) and waits until
    /// it answers on IMAP (at most 30 s).
    pub async fn start(binary: &str, users: &[(&str, &str)]) -> std::io::Result<Dovecot> {
        Dovecot::start_with(binary, users, None).await
    }

    /// Like [`Dovecot::start`], with TLS when `tls` is given: `STARTTLS`
    /// on the IMAP port and TLS from the first byte on
    /// [`Dovecot::imaps_port`].
    pub async fn start_with(
        binary: &str,
        users: &[(&str, &str)],
        tls: Option<&TlsFiles>,
    ) -> std::io::Result<Dovecot> {
        Dovecot::start_full(binary, users, tls, None).await
    }

    /// Like [`Dovecot::start_with`] with TLS, and its submission service
    /// too: its users may send mail, after `STARTTLS` on
    /// [`Dovecot::submission_port`] or over TLS from the first byte on
    /// [`Dovecot::submissions_port`], which it relays to the SMTP server on
    /// 127.0.0.1 at `relay_port` (an [`SmtpRelay`]).
    pub async fn start_submission(
        binary: &str,
        users: &[(&str, &str)],
        tls: &TlsFiles,
        relay_port: u16,
    ) -> std::io::Result<Dovecot> {
        Dovecot::start_full(binary, users, Some(tls), Some(relay_port)).await
    }

    async fn start_full(
        binary: &str,
        users: &[(&str, &str)],
        tls: Option<&TlsFiles>,
        relay: Option<u16>,
    ) -> std::io::Result<Dovecot> {
        let dir = std::env::temp_dir().join(format!(
            "vigie_dovecot_{}_{}",
            std::process::id(),
            free_port()?
        ));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["run", "state", "home"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        let passwd: String = users
            .iter()
            .map(|(u, p)| format!("{u}:{{PLAIN}}{p}\n"))
            .collect();
        std::fs::write(dir.join("passwd"), passwd)?;
        let (imap_port, lmtp_port) = (free_port()?, free_port()?);
        let (ssl, imaps_port) = match tls {
            Some(files) => {
                std::fs::write(dir.join("cert.pem"), &files.cert_pem)?;
                std::fs::write(dir.join("key.pem"), &files.key_pem)?;
                let d = dir.display();
                (
                    format!("ssl = yes\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\n"),
                    free_port()?,
                )
            }
            None => ("ssl = no\n".to_owned(), 0),
        };
        let (protocols, submission, submission_port, submissions_port) = match relay {
            Some(relay) => {
                let (plain, tls) = (free_port()?, free_port()?);
                (
                    "imap lmtp submission",
                    format!(
                        "hostname = vigie-test.invalid\n\
                         submission_relay_host = 127.0.0.1\nsubmission_relay_port = {relay}\n\
                         submission_relay_ssl = no\n\
                         service submission-login {{\n  chroot =\n  inet_listener submission {{\n    address = 127.0.0.1\n    port = {plain}\n  }}\n  inet_listener submissions {{\n    address = 127.0.0.1\n    port = {tls}\n    ssl = yes\n  }}\n}}\n"
                    ),
                    plain,
                    tls,
                )
            }
            None => ("imap lmtp", String::new(), 0, 0),
        };
        // As root, Dovecot runs its services as its own users and mail as
        // `dovecot` (it never gives mail to uid 0); otherwise everything
        // runs as the current user.
        let root = my_uid() == 0;
        let (internal, login, mail) = if root {
            (
                "dovecot".to_owned(),
                "dovenull".to_owned(),
                "dovecot".to_owned(),
            )
        } else {
            (my_name(), my_name(), my_name())
        };
        let d = dir.display();
        let conf = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
             protocols = {protocols}\nlisten = 127.0.0.1\n{ssl}\
             disable_plaintext_auth = no\nauth_mechanisms = plain login\n\
             default_internal_user = {internal}\ndefault_login_user = {login}\n\
             first_valid_uid = 1\nmail_location = maildir:{d}/home/%u/Maildir\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={mail} gid={mail} home={d}/home/%u\n}}\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {imap_port}\n  }}\n  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {imaps_port}\n  }}\n}}\n\
             service lmtp {{\n  inet_listener lmtp {{\n    address = 127.0.0.1\n    port = {lmtp_port}\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n{submission}"
        );
        std::fs::write(dir.join("dovecot.conf"), conf)?;
        if root {
            Command::new("chown")
                .args(["-R", "dovecot:dovecot"])
                .arg(dir.join("home"))
                .status()?;
        }
        let child = Command::new(binary)
            .arg("-F")
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let dovecot = Dovecot {
            child,
            dir,
            imap_port,
            lmtp_port,
            imaps_port,
            submission_port,
            submissions_port,
        };
        for _ in 0..300 {
            let mut up = true;
            for port in [imap_port, lmtp_port, submission_port] {
                if port != 0
                    && tokio::net::TcpStream::connect(("127.0.0.1", port))
                        .await
                        .is_err()
                {
                    up = false;
                }
            }
            if up {
                return Ok(dovecot);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(std::io::Error::other(format!(
            "dovecot did not answer within 30 s: {}",
            std::fs::read_to_string(dovecot.dir.join("dovecot.log")).unwrap_or_default()
        )))
    }

    /// Delivers a mail to a user's inbox over LMTP.
    pub async fn deliver(&self, user: &str, raw: &[u8]) -> std::io::Result<()> {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", self.lmtp_port)).await?;
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        let expect = async |lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
                            code: &str|
               -> std::io::Result<()> {
            loop {
                let mut line = String::new();
                if lines.read_line(&mut line).await? == 0 {
                    return Err(std::io::Error::other("LMTP closed"));
                }
                if !line.starts_with(code) {
                    return Err(std::io::Error::other(format!("LMTP said {line}")));
                }
                if line.as_bytes().get(3) != Some(&b'-') {
                    return Ok(());
                }
            }
        };
        expect(&mut lines, "220").await?;
        for (command, code) in [
            ("LHLO vigie-test".to_owned(), "250"),
            ("MAIL FROM:<sender@vigie-test.invalid>".to_owned(), "250"),
            (format!("RCPT TO:<{user}>"), "250"),
            ("DATA".to_owned(), "354"),
        ] {
            write.write_all(format!("{command}\r\n").as_bytes()).await?;
            expect(&mut lines, code).await?;
        }
        let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
        let mut data = Vec::with_capacity(raw.len() + 64);
        for line in text.split('\n') {
            if line.starts_with('.') {
                data.push(b'.');
            }
            data.extend_from_slice(line.as_bytes());
            data.extend_from_slice(b"\r\n");
        }
        data.extend_from_slice(b".\r\n");
        write.write_all(&data).await?;
        expect(&mut lines, "250").await?;
        write.write_all(b"QUIT\r\n").await?;
        Ok(())
    }
}

impl Dovecot {
    /// How many messages a user's folder holds on disk (`INBOX` or another).
    pub fn count(&self, user: &str, folder: &str) -> usize {
        let mut dir = self.dir.join("home").join(user).join("Maildir");
        if folder != "INBOX" {
            dir = dir.join(format!(".{folder}"));
        }
        ["new", "cur"]
            .iter()
            .map(|sub| std::fs::read_dir(dir.join(sub)).map_or(0, |d| d.count()))
            .sum()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its own children; SIGKILL if not.
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
