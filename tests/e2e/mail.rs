//! Reading mail in tests: `.eml` files written by Roster, and an SMTP
//! server on loopback that the suite brings itself (`SmtpServer`).

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use base64::{engine::general_purpose::STANDARD, Engine};

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

/// A small SMTP server of the suite's own on a free loopback port: it
/// accepts every message and stores it as a file in a maildir's `new/`, so
/// the tests need nothing installed.
pub struct SmtpServer {
    pub port: u16,
    pub maildir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMTP server");
        let port = listener.local_addr().unwrap().port();
        let maildir = tempfile::tempdir().unwrap();
        let inbox = maildir.path().join("mail").join("new");
        std::fs::create_dir_all(&inbox).unwrap();
        let task = tokio::spawn(async move {
            let mut delivered = 0u64;
            while let Ok((stream, _)) = listener.accept().await {
                delivered += 1;
                tokio::spawn(smtp_session(stream, inbox.clone(), delivered));
            }
        });
        SmtpServer {
            port,
            maildir,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Where delivered messages land.
    pub fn inbox(&self) -> PathBuf {
        self.maildir.path().join("mail").join("new")
    }
}

/// One SMTP conversation (RFC 5321, the commands a client sends to deliver
/// without TLS or authentication). Each message becomes a file in `inbox`.
async fn smtp_session(stream: tokio::net::TcpStream, inbox: PathBuf, connection: u64) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 roster-test ESMTP\r\n").await.is_err() {
        return;
    }
    let mut messages = 0u32;
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_ascii_uppercase();
        let answer: &[u8] = if command.starts_with("EHLO") {
            b"250-roster-test\r\n250 8BITMIME\r\n"
        } else if command.starts_with("HELO")
            || command.starts_with("MAIL FROM")
            || command.starts_with("RCPT TO")
            || command.starts_with("RSET")
            || command.starts_with("NOOP")
        {
            b"250 OK\r\n"
        } else if command.starts_with("QUIT") {
            let _ = write.write_all(b"221 Bye\r\n").await;
            return;
        } else if command == "DATA" {
            if write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await
                .is_err()
            {
                return;
            }
            let mut message = String::new();
            loop {
                line.clear();
                match lines.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                // Dot-stuffing: a leading dot was doubled by the client.
                message.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            messages += 1;
            let name = format!("{connection:06}-{messages:04}.eml");
            let partial = inbox.join(format!(".{name}"));
            if std::fs::write(&partial, &message).is_err()
                || std::fs::rename(&partial, inbox.join(&name)).is_err()
            {
                let _ = write.write_all(b"451 Cannot store the message\r\n").await;
                continue;
            }
            b"250 OK: queued\r\n"
        } else {
            b"502 Command not implemented\r\n"
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}

/// Waits until `dir` holds `count` messages addressed to `to` (in any
/// case) and returns them, oldest first.
pub async fn wait_for_mail_to(dir: &Path, to: &str, count: usize) -> Vec<Mail> {
    for _ in 0..600 {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'));
        files.sort();
        let mails: Vec<Mail> = files
            .iter()
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .map(|raw| parse(&raw))
            .filter(|m| m.to.to_lowercase().contains(&to.to_lowercase()))
            .collect();
        if mails.len() >= count {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "fewer than {count} messages to {to} arrived in {} within 60 s",
        dir.display()
    );
}
