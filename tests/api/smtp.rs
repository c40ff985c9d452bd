//! A real SMTP server for the e-mail tests, on loopback, started by the test process itself: it
//! speaks enough of RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT)
//! for any standard client, keeps what it receives in memory, and can be stopped and started
//! again on the same port to stage an outage.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

use super::ReceivedEmail;

/// The largest message the server accepts, as it advertises with SIZE.
const MAX_MESSAGE: usize = 10 * 1024 * 1024;

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

type Received = Arc<Mutex<Vec<Vec<u8>>>>;

/// The server; stopped when dropped.
pub struct SmtpServer {
    pub port: u16,
    received: Received,
    /// The accepting task and every open session: aborting them closes the port and drops
    /// each connection, as a crashed server would.
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
}

impl SmtpServer {
    /// A server on a free port.
    pub async fn start() -> SmtpServer {
        SmtpServer::start_on(free_port()).await
    }

    pub async fn start_on(port: u16) -> SmtpServer {
        let mut server = SmtpServer {
            port,
            received: Arc::default(),
            tasks: Arc::default(),
        };
        server.resume().await;
        server
    }

    /// Stops the server (an outage): the port closes and open sessions drop. What it received
    /// stays.
    pub fn stop(&mut self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// Starts it again on the same port.
    pub async fn resume(&mut self) {
        self.stop();
        let mut listener = None;
        // A stopped listener closes as its task unwinds: wait for the port to be free.
        for _ in 0..100 {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(bound) => {
                    listener = Some(bound);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        let listener = listener.expect("the SMTP test server can bind its port");
        let received = self.received.clone();
        let tasks = self.tasks.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let session = tokio::spawn(serve(stream, received.clone()));
                tasks.lock().unwrap().push(session.abort_handle());
            }
        });
        self.tasks.lock().unwrap().push(accept.abort_handle());
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<ReceivedEmail> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|raw| ReceivedEmail::parse(raw))
            .collect()
    }

    /// Waits (up to 15 s) until at least `n` messages arrived; then returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<ReceivedEmail> {
        for _ in 0..300 {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} e-mails, got {}", self.messages().len());
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One SMTP session. Any I/O error ends it.
async fn serve(stream: TcpStream, received: Received) -> std::io::Result<()> {
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
                received.lock().unwrap().push(message);
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
