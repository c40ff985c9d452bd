//! A real SMTP server for the e-mail tests, on loopback, started by the test process itself: it
//! speaks enough of RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT)
//! for any standard client, keeps what it receives in memory, and can be taken down and brought
//! back to stage an outage. It binds port 0 and keeps its port for its whole life, so no other
//! process can take the port during an outage.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

use super::{ReceivedEmail, eventually};

/// The largest message the server accepts, as it advertises with SIZE.
const MAX_MESSAGE: usize = 10 * 1024 * 1024;

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Vec<u8>>>,
    /// Whether sessions are served; when down, each connection is answered `421` and closed.
    up: AtomicBool,
    /// Connections turned away while down.
    turned_away: AtomicUsize,
    /// Open sessions, aborted when the server goes down.
    sessions: Mutex<Vec<AbortHandle>>,
}

/// The server; its port closes when it is dropped.
pub struct SmtpServer {
    pub port: u16,
    shared: Arc<Shared>,
    accept: AbortHandle,
}

impl SmtpServer {
    /// A server on a port of its own, up.
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            up: AtomicBool::new(true),
            ..Shared::default()
        });
        let serving = shared.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                if !serving.up.load(Ordering::SeqCst) {
                    serving.turned_away.fetch_add(1, Ordering::SeqCst);
                    let _ = stream
                        .write_all(b"421 4.3.2 Service not available\r\n")
                        .await;
                    continue;
                }
                let session = tokio::spawn(serve(stream, serving.clone()));
                serving
                    .sessions
                    .lock()
                    .unwrap()
                    .push(session.abort_handle());
            }
        })
        .abort_handle();
        SmtpServer {
            port,
            shared,
            accept,
        }
    }

    /// Takes the server down (an outage): open sessions drop, and every new connection is
    /// turned away with `421`. What it received stays.
    pub fn stop(&mut self) {
        self.shared.up.store(false, Ordering::SeqCst);
        for session in self.shared.sessions.lock().unwrap().drain(..) {
            session.abort();
        }
    }

    /// Brings it back.
    pub fn resume(&mut self) {
        self.shared.up.store(true, Ordering::SeqCst);
    }

    /// How many connections were turned away while the server was down.
    pub fn turned_away(&self) -> usize {
        self.shared.turned_away.load(Ordering::SeqCst)
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<ReceivedEmail> {
        self.shared
            .received
            .lock()
            .unwrap()
            .iter()
            .map(|raw| ReceivedEmail::parse(raw))
            .collect()
    }

    /// Waits until at least `n` messages arrived; then returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<ReceivedEmail> {
        eventually(&format!("{n} e-mails"), || async {
            let messages = self.messages();
            (messages.len() >= n).then_some(messages)
        })
        .await
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
        self.accept.abort();
    }
}

/// One SMTP session. Any I/O error ends it.
async fn serve(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write
        .write_all(b"220 127.0.0.1 ESMTP test server\r\n")
        .await?;
    let mut line = Vec::new();
    let mut has_sender = false;
    let mut recipients = 0usize;
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line).trim_end().to_owned();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => {
                let reply = format!(
                    "250-127.0.0.1\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE {MAX_MESSAGE}\r\n"
                );
                write.write_all(reply.as_bytes()).await?;
                continue;
            }
            "HELO" | "NOOP" => b"250 OK\r\n",
            "RSET" => {
                has_sender = false;
                recipients = 0;
                b"250 OK\r\n"
            }
            "MAIL" => {
                has_sender = true;
                recipients = 0;
                b"250 OK\r\n"
            }
            "RCPT" if has_sender => {
                recipients += 1;
                b"250 OK\r\n"
            }
            "DATA" if has_sender && recipients > 0 => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let message = read_data(&mut read).await?;
                shared.received.lock().unwrap().push(message);
                has_sender = false;
                recipients = 0;
                b"250 OK queued\r\n"
            }
            "RCPT" | "DATA" => b"503 Bad sequence of commands\r\n",
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"500 Command not recognized\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// The message of a DATA command, up to the line with a single dot, dot-unstuffed.
async fn read_data(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Vec<u8>> {
    let mut message = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(message);
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        if message.len() + unstuffed.len() > MAX_MESSAGE {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
        message.extend_from_slice(unstuffed);
    }
}
