//! The background sender: leases due e-mails from the outbox, sends each with lettre and records
//! the outcome. Several instances may run it on one PostgreSQL database; leases keep them apart.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::{Notify, watch};

use super::outbox::{self, OutboxRow};
use super::templates;
use crate::db::{self, Db};

/// The body of an e-mail: plain text and HTML, and its attachments after them.
fn body_of(row: &OutboxRow, public_url: &str) -> Result<MultiPart, Failure> {
    let text = MultiPart::alternative_plain_html(
        templates::resolve_links(&row.text_body, public_url, false),
        templates::resolve_links(&row.html_body, public_url, true),
    );
    let Some(attachments) = &row.attachments else {
        return Ok(text);
    };
    let invalid = |detail: String| Failure {
        category: "邮件内容无效",
        detail,
        permanent: true,
    };
    let attachments: Vec<super::Attachment> =
        serde_json::from_str(attachments).map_err(|e| invalid(e.to_string()))?;
    let mut mixed = MultiPart::mixed().multipart(text);
    for a in attachments {
        let content_type =
            ContentType::parse(&a.content_type).map_err(|e| invalid(e.to_string()))?;
        let body = templates::resolve_links(&a.body, public_url, false);
        mixed = mixed.singlepart(Attachment::new(a.filename).body(body, content_type));
    }
    Ok(mixed)
}

/// How the worker sends and how hard it tries.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// `smtp://host:port` (plain), `smtp://host:port?tls=required` (STARTTLS) or
    /// `smtps://host:port` (TLS), with `user:password@` for credentials. None: `.eml` files.
    pub smtp_url: Option<String>,
    /// Where `.eml` files go when there is no SMTP server.
    pub outbox_dir: PathBuf,
    /// The From address, e.g. `晋中场景创新平台 <noreply@jzcx.cn>`.
    pub from: String,
    /// The site's address, which the links in e-mails start with.
    pub public_url: String,
    /// The wait before the first retry; it doubles with each failed attempt (at most an hour).
    pub retry_base: Duration,
    /// Attempts before an e-mail is marked FAILED.
    pub max_attempts: i64,
    /// How often the worker looks for due e-mails when nobody wakes it.
    pub poll_interval: Duration,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

pub struct MailWorker {
    db: Db,
    settings: MailSettings,
    transport: Transport,
    from: Mailbox,
    wake: Arc<Notify>,
}

const BATCH: i64 = 20;

impl MailWorker {
    /// Checks the settings (the URL and the From address) without connecting.
    pub fn new(db: Db, settings: MailSettings, wake: Arc<Notify>) -> anyhow::Result<MailWorker> {
        let transport = match &settings.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|_| anyhow::anyhow!("TWOLISTS_SMTP_URL is not a valid SMTP URL"))?
                    .timeout(Some(Duration::from_secs(30)))
                    .build(),
            ),
            None => {
                crate::config::private_dir(&settings.outbox_dir)?;
                Transport::Files(AsyncFileTransport::new(&settings.outbox_dir))
            }
        };
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|_| anyhow::anyhow!("the mail From address is not valid"))?;
        Ok(MailWorker {
            db,
            settings,
            transport,
            from,
            wake,
        })
    }

    /// Runs until `shutdown` turns true; a batch in progress is finished first.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let lease_id = db::new_id();
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.send_due(&lease_id).await {
                Ok(0) => {}
                // A full batch: there may be more waiting.
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "reading the e-mail outbox failed"),
            }
            tokio::select! {
                _ = shutdown.changed() => {}
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
        tracing::info!("e-mail worker stopped");
    }

    /// Sends one batch of due e-mails; how many it leased.
    pub async fn send_due(&self, lease_id: &str) -> Result<usize, sqlx::Error> {
        let rows = outbox::lease(&self.db, lease_id, BATCH).await?;
        for row in &rows {
            match self.send(row).await {
                Ok(()) => {
                    if !outbox::mark_sent(&self.db, &row.id, lease_id).await? {
                        tracing::warn!(email = %row.id, "e-mail sent after its lease ran out");
                    }
                }
                Err(failure) => {
                    let attempts = row.attempts + 1;
                    let give_up = failure.permanent || attempts >= self.settings.max_attempts;
                    let retry_in = self.backoff(attempts);
                    tracing::warn!(
                        email = %row.id, attempts, give_up, error = %failure.detail,
                        "sending an e-mail failed"
                    );
                    outbox::mark_attempt_failed(
                        &self.db,
                        &row.id,
                        lease_id,
                        failure.category,
                        retry_in,
                        give_up,
                    )
                    .await?;
                }
            }
        }
        Ok(rows.len())
    }

    /// The wait after `attempts` failed attempts: base · 2^(attempts−1), at most an hour.
    fn backoff(&self, attempts: i64) -> chrono::Duration {
        let factor = 1u32 << (attempts - 1).clamp(0, 16);
        let wait = self
            .settings
            .retry_base
            .saturating_mul(factor)
            .min(Duration::from_secs(3600));
        chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
    }

    async fn send(&self, row: &OutboxRow) -> Result<(), Failure> {
        let to: Mailbox = row.recipient.parse().map_err(|_| Failure {
            category: "收件地址无效",
            detail: "unparsable recipient".into(),
            permanent: true,
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .message_id(Some(format!("<{}@twolists>", row.id)))
            .multipart(body_of(row, &self.settings.public_url)?)
            .map_err(|e| Failure {
                category: "邮件内容无效",
                detail: e.to_string(),
                permanent: true,
            })?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| Failure {
                category: if e.is_permanent() {
                    "邮件服务器拒收"
                } else {
                    "邮件服务器暂时无法送达"
                },
                permanent: e.is_permanent(),
                detail: e.to_string(),
            }),
            Transport::Files(files) => {
                let failure = |detail: String| Failure {
                    category: "写入邮件文件失败",
                    detail,
                    permanent: false,
                };
                let id = files
                    .send(message)
                    .await
                    .map_err(|e| failure(e.to_string()))?;
                // The file holds links that sign its reader in: private, like the folder.
                let path = self.settings.outbox_dir.join(format!("{id}.eml"));
                crate::config::keep_private(&path).map_err(|e| failure(e.to_string()))
            }
        }
    }
}

/// Why an attempt failed: a category for administrators, the detail for the log.
struct Failure {
    category: &'static str,
    detail: String,
    permanent: bool,
}
