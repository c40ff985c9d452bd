//! The e-mails' words and layout, in Chinese: a subject, a plain-text body and an HTML body that
//! say the same. Everything a user typed (titles, notes, names) is escaped in the HTML.

use super::Email;

const SITE: &str = "晋中市场景创新两张清单平台";

/// Links are written against this placeholder when the e-mail is queued and resolved to the
/// configured public address when it is sent, so that queueing needs no configuration.
pub const SITE_URL: &str = "{site}";

/// Replaces [`SITE_URL`] with `public_url` in a body (escaped for HTML bodies).
pub fn resolve_links(body: &str, public_url: &str, html: bool) -> String {
    let base = public_url.trim_end_matches('/');
    if html {
        body.replace(SITE_URL, &escape_html(base))
    } else {
        body.replace(SITE_URL, base)
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out
}

/// Appends `c`, escaped for HTML element content and attribute values.
pub fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        _ => out.push(c),
    }
}

/// What an e-mail says, before layout.
pub struct Content<'a> {
    pub kind: &'a str,
    pub to: &'a str,
    pub greeting_name: &'a str,
    pub title: &'a str,
    pub paragraphs: &'a [String],
    /// The button: its label and where it goes.
    pub action: Option<(&'a str, &'a str)>,
    /// The last line, e.g. why the reader got it.
    pub footer: &'a str,
}

/// Lays `content` out as an e-mail with subject `【平台】title`.
pub fn render(content: &Content<'_>) -> Email {
    let subject = format!("【晋中场景创新】{}", content.title);

    let mut text = format!("{}\n\n{}，您好：\n\n", content.title, content.greeting_name);
    for p in content.paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
    }
    if let Some((label, url)) = content.action {
        text.push_str(&format!("{label}：{url}\n\n"));
    }
    text.push_str(&format!("—— {SITE}\n{}\n", content.footer));

    let mut html = String::from(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"></head>\
         <body style=\"font-family:sans-serif;line-height:1.6;color:#222\">\n",
    );
    html.push_str(&format!(
        "<h2 style=\"font-size:18px\">{}</h2>\n<p>{}，您好：</p>\n",
        escape_html(content.title),
        escape_html(content.greeting_name)
    ));
    for p in content.paragraphs {
        html.push_str(&format!("<p>{}</p>\n", escape_html(p)));
    }
    if let Some((label, url)) = content.action {
        html.push_str(&format!(
            "<p><a href=\"{}\" style=\"color:#b8342b\">{}</a></p>\n",
            escape_html(url),
            escape_html(label)
        ));
    }
    html.push_str(&format!(
        "<p style=\"color:#888;font-size:12px\">—— {SITE}<br>{}</p>\n</body></html>\n",
        escape_html(content.footer)
    ));

    Email {
        kind: content.kind.to_owned(),
        to: content.to.to_owned(),
        subject,
        text,
        html,
        attachments: Vec::new(),
    }
}

/// One entry of a digest: a heading, lines under it, and a link to the item's page.
pub struct DigestEntry {
    pub heading: String,
    pub lines: Vec<String>,
    pub link: Option<String>,
}

/// A digest: many entries in one e-mail, with an unsubscribe link that works without signing in.
pub struct Digest<'a> {
    pub kind: &'a str,
    pub to: &'a str,
    pub greeting_name: &'a str,
    pub title: &'a str,
    pub intro: &'a str,
    pub entries: &'a [DigestEntry],
    /// What the unsubscribe link turns off, and the link.
    pub unsubscribe: (&'a str, &'a str),
}

/// Lays a digest out as an e-mail.
pub fn render_digest(digest: &Digest<'_>) -> Email {
    let subject = format!("【晋中场景创新】{}", digest.title);
    let (what, unsubscribe) = digest.unsubscribe;
    let mut text = format!(
        "{}\n\n{}，您好：\n\n{}\n\n",
        digest.title, digest.greeting_name, digest.intro
    );
    let mut html = String::from(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"></head>\
         <body style=\"font-family:sans-serif;line-height:1.6;color:#222\">\n",
    );
    html.push_str(&format!(
        "<h2 style=\"font-size:18px\">{}</h2>\n<p>{}，您好：</p>\n<p>{}</p>\n<ol>\n",
        escape_html(digest.title),
        escape_html(digest.greeting_name),
        escape_html(digest.intro)
    ));
    for (i, entry) in digest.entries.iter().enumerate() {
        text.push_str(&format!("{}. {}\n", i + 1, entry.heading));
        html.push_str("<li>");
        match &entry.link {
            Some(link) => html.push_str(&format!(
                "<a href=\"{}\" style=\"color:#b8342b\">{}</a>",
                escape_html(link),
                escape_html(&entry.heading)
            )),
            None => html.push_str(&escape_html(&entry.heading)),
        }
        for line in &entry.lines {
            text.push_str(&format!("   {line}\n"));
            html.push_str(&format!(
                "<br><span style=\"color:#555\">{}</span>",
                escape_html(line)
            ));
        }
        if let Some(link) = &entry.link {
            text.push_str(&format!("   {link}\n"));
        }
        text.push('\n');
        html.push_str("</li>\n");
    }
    text.push_str(&format!(
        "—— {SITE}\n不想再收到{what}？退订：{unsubscribe}\n"
    ));
    html.push_str(&format!(
        "</ol>\n<p style=\"color:#888;font-size:12px\">—— {SITE}<br>不想再收到{}？\
         <a href=\"{}\">退订</a></p>\n</body></html>\n",
        escape_html(what),
        escape_html(unsubscribe)
    ));
    Email {
        kind: digest.kind.to_owned(),
        to: digest.to.to_owned(),
        subject,
        text,
        html,
        attachments: Vec::new(),
    }
}

/// The e-mail that confirms an address after registration.
pub fn email_verification(to: &str, name: &str, link: &str) -> Email {
    render(&Content {
        kind: "EMAIL_VERIFICATION",
        to,
        greeting_name: name,
        title: "请验证您的邮箱",
        paragraphs: &[
            "感谢注册晋中市场景创新两张清单平台。请在 24 小时内点击下方链接完成邮箱验证。"
                .to_owned(),
        ],
        action: Some(("验证邮箱", link)),
        footer: "如果这不是您本人的操作，请忽略本邮件。",
    })
}

/// The e-mail with a password-reset link.
pub fn password_reset(to: &str, name: &str, link: &str) -> Email {
    render(&Content {
        kind: "PASSWORD_RESET",
        to,
        greeting_name: name,
        title: "重置密码",
        paragraphs: &["我们收到了重置您账号密码的请求。请在 1 小时内点击下方链接设置新密码；链接仅可使用一次。重置后，所有已登录的设备都需要重新登录。".to_owned()],
        action: Some(("重置密码", link)),
        footer: "如果这不是您本人的操作，请忽略本邮件，您的密码不会改变。",
    })
}

/// The e-mail to the owner of an address someone tried to register again.
pub fn registration_attempt(to: &str, name: &str) -> Email {
    render(&Content {
        kind: "REGISTRATION_ATTEMPT",
        to,
        greeting_name: name,
        title: "有人尝试用您的邮箱注册",
        paragraphs: &["有人刚刚使用您的邮箱在晋中市场景创新两张清单平台注册新账号。该邮箱已有账号，因此没有创建新账号。如果是您本人，请直接登录；忘记密码可在登录页选择“忘记密码”重置。".to_owned()],
        action: None,
        footer: "如果这不是您本人的操作，请忽略本邮件，您的账号不受影响。",
    })
}

/// The e-mail that invites a colleague into an organization.
pub fn invitation(to: &str, organization: &str, inviter: &str, link: &str) -> Email {
    render(&Content {
        kind: "INVITATION",
        to,
        greeting_name: to,
        title: "邀请您加入单位",
        paragraphs: &[format!(
            "{inviter}邀请您以「{organization}」成员的身份使用晋中市场景创新两张清单平台。请在 7 天内点击下方链接，填写姓名并设置密码；链接仅可使用一次。"
        )],
        action: Some(("接受邀请", link)),
        footer: "如果您不认识邀请人或不属于该单位，请忽略本邮件。",
    })
}

/// The e-mail that appoints a county scenario manager, with the link to set up the account.
pub fn county_manager_appointment(to: &str, region: &str, inviter: &str, link: &str) -> Email {
    render(&Content {
        kind: "INVITATION",
        to,
        greeting_name: to,
        title: "场景经理人任命",
        paragraphs: &[format!(
            "{inviter}任命您为{region}场景经理人：您将负责{region}场景的县级初审、场景挖掘与对接服务。请在 7 天内点击下方链接，填写姓名并设置密码；链接仅可使用一次。"
        )],
        action: Some(("接受任命", link)),
        footer: "如果您不了解此项任命，请忽略本邮件，并告知市场景促进中心。",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_what_users_typed_and_text_keeps_it() {
        let email = render(&Content {
            kind: "MATCH_MESSAGE",
            to: "a@b.cn",
            greeting_name: "张<三>",
            title: "新留言：<script>alert(1)</script>",
            paragraphs: &["\"引号\" & 'single'".to_owned()],
            action: Some(("查看", "http://x/?a=1&b=\"2\"")),
            footer: "页脚",
        });
        assert!(email.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!email.html.contains("<script>"));
        assert!(email.html.contains("张&lt;三&gt;"));
        assert!(
            email
                .html
                .contains("&quot;引号&quot; &amp; &#39;single&#39;")
        );
        assert!(
            email
                .html
                .contains("href=\"http://x/?a=1&amp;b=&quot;2&quot;\"")
        );
        assert!(email.text.contains("新留言") && email.text.contains("\"引号\" & 'single'"));
        assert_eq!(
            email.subject,
            "【晋中场景创新】新留言：<script>alert(1)</script>"
        );
    }

    #[test]
    fn account_emails_carry_their_links() {
        let v = email_verification("a@b.cn", "李四", "http://h/verify-email?token=T1");
        assert_eq!(v.kind, "EMAIL_VERIFICATION");
        assert!(v.text.contains("http://h/verify-email?token=T1"));
        assert!(v.html.contains("http://h/verify-email?token=T1"));
        let r = password_reset("a@b.cn", "李四", "http://h/reset-password?token=T2");
        assert!(r.subject.contains("重置密码"));
        assert!(r.text.contains("token=T2") && r.text.contains("1 小时"));
    }
}
