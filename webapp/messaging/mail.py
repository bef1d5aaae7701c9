"""E-mail: a plain-text message in UTF-8, sent over SMTP or, with no SMTP host configured, written to
the outbox folder as an .eml file (administrators read it at /admin/outbox).

Settings (webapp/config.py, from the environment): SMTP_HOST, SMTP_PORT, SMTP_TLS (none | starttls |
ssl), SMTP_USERNAME, SMTP_PASSWORD, SMTP_CA_FILE, SMTP_TIMEOUT, MAIL_SENDER, OUTBOX_DIR.

`Mailer` opens one SMTP connection when the first message needs it and keeps it for the rest. A
recipient the server refuses for good (a 5xx reply) raises `MailRefused`; anything else that goes
wrong (no connection, a 4xx reply, a login failure) raises `MailError`, which a job retries.
"""
import os
import re
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import formatdate, getaddresses, parseaddr
from pathlib import Path

OUTBOX_NAME = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,200}\.eml$")
SIGNATURE = "此邮件由建议提案办理系统自动发送，请勿直接回复。"


class MailError(Exception):
    """A mail that could not be sent now; trying again later may work."""


class MailRefused(MailError):
    """The server refused the recipient for good (5xx): trying again will not help."""


def sender_domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "localhost"


def valid_address(address: str | None) -> bool:
    return bool(address) and re.fullmatch(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+", address.strip()) is not None


def build_message(sender: str, to_address: str, to_name: str, subject: str, body: str,
                  message_id: str | None = None) -> EmailMessage:
    """A plain-text UTF-8 message; display names and subject in Chinese are encoded as RFC 2047 asks."""
    message = EmailMessage()
    message["From"] = sender
    local, _, domain = to_address.strip().rpartition("@")
    message["To"] = Address(display_name=to_name or "", username=local, domain=domain)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@{sender_domain(sender)}>"
    # base64: safe through servers without 8BITMIME; every mail client decodes it.
    message.set_content(body if body.endswith("\n") else body + "\n", charset="utf-8", cte="base64")
    return message


class Mailer:
    """Sends messages with the settings' SMTP server, or into the outbox; use as a context manager."""

    def __init__(self, settings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    @property
    def uses_smtp(self) -> bool:
        return bool(self.settings.smtp_host)

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def send(self, message: EmailMessage) -> str:
        """Send (or file) the message; returns where it went: "smtp" or the outbox file's name."""
        if not self.uses_smtp:
            return write_outbox(self.settings.outbox_dir, message)
        to = message["To"].addresses[0].addr_spec if message["To"] else "?"
        smtp = self._connection()
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as e:
            codes = [code for code, _text in e.recipients.values()]
            detail = "；".join(f"{code} {_text(text)}" for code, text in e.recipients.values())
            if codes and all(code >= 500 for code in codes):
                raise MailRefused(f"邮件服务器拒收收件人 {to}：{detail}") from e
            raise MailError(f"邮件服务器暂不接收收件人 {to}：{detail}") from e
        except smtplib.SMTPResponseException as e:
            raise MailError(f"发送给 {to} 的邮件被邮件服务器拒绝：{e.smtp_code} {_text(e.smtp_error)}") from e
        except (smtplib.SMTPException, OSError) as e:
            self._drop()
            raise MailError(f"发送给 {to} 的邮件失败：{type(e).__name__}: {e}") from e
        return "smtp"

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        s = self.settings
        host, port = s.smtp_host, s.smtp_effective_port
        where = f"{host}:{port}"
        context = ssl.create_default_context(cafile=str(s.smtp_ca_file) if s.smtp_ca_file else None)
        smtp = None
        try:
            if s.smtp_tls == "ssl":
                smtp = smtplib.SMTP_SSL(host, port, timeout=s.smtp_timeout, context=context)
            else:
                smtp = smtplib.SMTP(host, port, timeout=s.smtp_timeout)
            smtp.ehlo()
            if s.smtp_tls == "starttls":
                if not smtp.has_extn("starttls"):
                    raise MailError(f"邮件服务器 {where} 不支持 STARTTLS；请确认端口，或把 SMTP_TLS 设为 ssl 或 none")
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password)
        except MailError:
            smtp.close()
            raise
        except smtplib.SMTPAuthenticationError as e:
            smtp.close()
            raise MailError(f"邮件服务器 {where} 登录失败（用户名 {s.smtp_username}）：{e.smtp_code} "
                            f"{_text(e.smtp_error)}") from e
        except ssl.SSLError as e:
            if smtp is not None:
                smtp.close()
            raise MailError(f"与邮件服务器 {where} 建立加密连接失败（SMTP_TLS={s.smtp_tls}）：{e}") from e
        except (smtplib.SMTPException, OSError) as e:
            if smtp is not None:
                smtp.close()
            raise MailError(f"无法连接邮件服务器 {where}：{type(e).__name__}: {e}") from e
        self._smtp = smtp
        return smtp


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


# --- the outbox ------------------------------------------------------------------------------------------

def write_outbox(directory: Path, message: EmailMessage) -> str:
    """Write the message as `<UTC time>-<random>.eml` (complete or not at all); returns the file name."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    temporary = directory / f".{name}.tmp"
    temporary.write_bytes(message.as_bytes(policy=policy.SMTP))
    os.replace(temporary, directory / name)
    return name


@dataclass
class OutboxEntry:
    name: str
    size: int
    written_at: datetime
    to: str
    subject: str
    sender: str = ""
    date: str = ""
    message_id: str = ""


def _entry(path: Path, headers) -> OutboxEntry:
    stat = path.stat()
    to = "、".join(f"{name} <{addr}>" if name else addr for name, addr in getaddresses(headers.get_all("To", [])))
    return OutboxEntry(name=path.name, size=stat.st_size,
                       written_at=datetime.fromtimestamp(stat.st_mtime, timezone.utc),
                       to=to, subject=str(headers.get("Subject", "")), sender=str(headers.get("From", "")),
                       date=str(headers.get("Date", "")), message_id=str(headers.get("Message-ID", "")))


def outbox_entries(directory: Path, limit: int = 500) -> tuple[list[OutboxEntry], int]:
    """The newest `limit` mails of the outbox (newest first) and how many there are in all."""
    directory = Path(directory)
    if not directory.is_dir():
        return [], 0
    names = sorted((p.name for p in directory.iterdir() if OUTBOX_NAME.match(p.name) and p.is_file()), reverse=True)
    parser = BytesHeaderParser(policy=policy.default)
    entries = []
    for name in names[:limit]:
        path = directory / name
        try:
            with path.open("rb") as f:
                entries.append(_entry(path, parser.parse(f)))
        except OSError:
            continue  # removed meanwhile
    return entries, len(names)


def outbox_path(directory: Path, name: str) -> Path | None:
    """The outbox file of that name, or None (also for anything that is not a plain outbox file name)."""
    if not OUTBOX_NAME.match(name or ""):
        return None
    path = Path(directory) / name
    return path if path.is_file() else None


def read_outbox(directory: Path, name: str) -> tuple[OutboxEntry, str] | None:
    """One outbox mail: its headers and its text (None when there is no such file)."""
    path = outbox_path(directory, name)
    if path is None:
        return None
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    part = message.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else ""
    return _entry(path, message), text
