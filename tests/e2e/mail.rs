//! Reading mail in tests: `.eml` files written by Roster, and a real SMTP
//! server on loopback (Python's aiosmtpd, installed with pip when missing).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use base64::{engine::general_purpose::STANDARD, Engine};
use tokio::process::{Child, Command};

/// A received message: its headers and its decoded text part.
#[derive(Debug, Clone)]
pub struct Mail {
    pub raw: String,
    pub subject: String,
    pub to: String,
    pub text: String,
}

impl Mail {
    /// The invitation token in the message's link.
    pub fn token(&self) -> String {
        let at = self
            .text
            .find("token=")
            .unwrap_or_else(|| panic!("no link in {}", self.text));
        self.text[at + 6..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect()
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim())
}

/// Decodes an RFC 2047 encoded-word subject (`=?utf-8?b?...?=`).
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut previous_encoded = false;
    for word in value.split(' ') {
        let lower = word.to_ascii_lowercase();
        let decoded = if lower.starts_with("=?utf-8?b?") && word.ends_with("?=") {
            Some(
                String::from_utf8(
                    STANDARD
                        .decode(&word[10..word.len() - 2])
                        .unwrap_or_default(),
                )
                .unwrap_or_default(),
            )
        } else if lower.starts_with("=?utf-8?q?") && word.ends_with("?=") {
            Some(quoted_printable(
                &word[10..word.len() - 2].replace('_', " "),
            ))
        } else {
            None
        };
        // Space between two encoded words is folding, not text.
        let folded = previous_encoded && decoded.is_some();
        if !out.is_empty() && !folded {
            out.push(' ');
        }
        previous_encoded = decoded.is_some();
        out.push_str(&decoded.unwrap_or_else(|| word.to_owned()));
    }
    out
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a message as lettre writes it (multipart/alternative).
pub fn parse(raw: &str) -> Mail {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    // Unfold continued header lines.
    let head = head.replace("\n ", " ").replace("\n\t", " ");
    let subject = decode_words(header(&head, "Subject").unwrap_or_default());
    let to = header(&head, "To").unwrap_or_default().to_owned();
    let mut text = String::new();
    for part in body.split("\n--") {
        let (part_head, part_body) = part.split_once("\n\n").unwrap_or(("", ""));
        let part_head = part_head.replace("\n ", " ");
        if !part_head.to_ascii_lowercase().contains("text/plain") {
            continue;
        }
        let encoding = header(&part_head, "Content-Transfer-Encoding")
            .unwrap_or("7bit")
            .to_ascii_lowercase();
        text = match encoding.as_str() {
            "base64" => String::from_utf8(
                STANDARD
                    .decode(part_body.split_whitespace().collect::<String>())
                    .unwrap_or_default(),
            )
            .unwrap_or_default(),
            "quoted-printable" => quoted_printable(part_body),
            _ => part_body.to_owned(),
        };
    }
    Mail {
        raw: raw.clone(),
        subject,
        to,
        text,
    }
}

/// Waits until `dir` holds `count` messages (files, or a maildir's `new/`)
/// and returns them parsed.
pub async fn wait_for_mail(dir: &Path, count: usize) -> Vec<Mail> {
    for _ in 0..600 {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.')
                    })
                    .collect()
            })
            .unwrap_or_default();
        if files.len() >= count {
            files.sort();
            return files
                .iter()
                .map(|f| parse(&std::fs::read_to_string(f).unwrap()))
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "fewer than {count} messages arrived in {} within 60 s",
        dir.display()
    );
}

/// aiosmtpd on a free loopback port, storing messages in a maildir.
pub struct SmtpServer {
    pub port: u16,
    pub maildir: tempfile::TempDir,
    _child: Child,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let installed = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .status()
            .await
            .is_ok_and(|s| s.success());
        if !installed {
            let status = Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "aiosmtpd"])
                .status()
                .await
                .expect("python3 -m pip");
            assert!(
                status.success(),
                "cannot install aiosmtpd for the SMTP tests"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = tempfile::tempdir().unwrap();
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start aiosmtpd");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return SmtpServer {
                    port,
                    maildir,
                    _child: child,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Where delivered messages land.
    pub fn inbox(&self) -> PathBuf {
        self.maildir.path().join("mail").join("new")
    }
}
