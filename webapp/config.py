"""Settings read from the environment, with defaults for the embedded SQLite set-up."""
import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# How the mail connection is secured, with each mode's usual port.
SMTP_TLS_MODES = {"none": 25, "starttls": 587, "ssl": 465}


def _optional_path(variable: str) -> Path | None:
    value = os.environ.get(variable, "").strip()
    return Path(value) if value else None


def _env(variable: str, default: str = "") -> str:
    return os.environ.get(variable, default).strip()


def _default_database_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'instance' / 'app.db'}"


@dataclass
class Settings:
    database_url: str = field(default_factory=lambda: os.environ.get("DATABASE_URL") or _default_database_url())
    secret_key: str = field(default_factory=lambda: os.environ.get("SECRET_KEY", ""))
    bpmn_dir: Path = field(default_factory=lambda: Path(os.environ.get("BPMN_DIR", PROJECT_ROOT / "bpmn")))
    dmn_dir: Path = field(default_factory=lambda: Path(os.environ.get("DMN_DIR", PROJECT_ROOT / "dmn")))
    # Extra modules with service-task topics (comma separated), e.g. for tests or local extensions.
    service_task_modules: list[str] = field(default_factory=lambda: [
        m.strip() for m in os.environ.get("SERVICE_TASK_MODULES", "").split(",") if m.strip()])
    max_upload_bytes: int = field(default_factory=lambda: int(os.environ.get("MAX_UPLOAD_BYTES", 20 * 1024 * 1024)))
    # Texts longer than this go to their own table; workflow data keeps only a reference.
    inline_text_limit: int = 500
    job_max_attempts: int = field(default_factory=lambda: int(os.environ.get("JOB_MAX_ATTEMPTS", 5)))
    job_backoff_seconds: float = field(default_factory=lambda: float(os.environ.get("JOB_BACKOFF_SECONDS", 10)))
    job_lease_seconds: float = field(default_factory=lambda: float(os.environ.get("JOB_LEASE_SECONDS", 300)))
    worker_poll_seconds: float = field(default_factory=lambda: float(os.environ.get("WORKER_POLL_SECONDS", 2)))
    # A Word template for reply letters with {{placeholders}} (see webapp/documents/letter.py);
    # None: the built-in GB/T 9704 layout.
    letter_template_path: Path | None = field(default_factory=lambda: _optional_path("LETTER_TEMPLATE_PATH"))
    # The deputies' and members' platforms (代表履职服务平台 for suggestions, 智慧政协平台 for proposals)
    # that the `platform_upload` topic posts replies to, with a bearer token. With no URL for a platform
    # its uploads are written to `platform_outbox_dir` (default: the outbox's platform/ folder) instead.
    platform_npc_url: str = field(default_factory=lambda: os.environ.get("PLATFORM_NPC_URL", "").strip())
    platform_cppcc_url: str = field(default_factory=lambda: os.environ.get("PLATFORM_CPPCC_URL", "").strip())
    platform_token: str = field(default_factory=lambda: os.environ.get("PLATFORM_TOKEN", "").strip())
    platform_timeout: float = field(default_factory=lambda: float(os.environ.get("PLATFORM_TIMEOUT") or 30))
    platform_outbox_dir: Path | None = field(default_factory=lambda: _optional_path("PLATFORM_OUTBOX_DIR"))
    # PDF previews of generated Word files (LibreOffice), cached per file.
    preview_dir: Path = field(default_factory=lambda: Path(os.environ.get("PREVIEW_DIR", "").strip()
                                                           or PROJECT_ROOT / "instance" / "previews"))
    # E-mail (the `notify` topic mails every recipient who has an address). With no SMTP host each
    # mail is written to `outbox_dir` as an .eml file instead, which administrators read at /admin/outbox.
    smtp_host: str = field(default_factory=lambda: _env("SMTP_HOST"))
    smtp_port: int = field(default_factory=lambda: int(_env("SMTP_PORT") or 0))  # 0: 25, 587 or 465 by TLS mode
    smtp_tls: str = field(default_factory=lambda: _env("SMTP_TLS", "starttls").lower())  # none | starttls | ssl
    smtp_username: str = field(default_factory=lambda: _env("SMTP_USERNAME"))
    smtp_password: str = field(default_factory=lambda: os.environ.get("SMTP_PASSWORD", ""))
    # A CA bundle (PEM) for servers whose certificate a private CA signed; default: the system's CAs.
    smtp_ca_file: Path | None = field(default_factory=lambda: _optional_path("SMTP_CA_FILE"))
    smtp_timeout: float = field(default_factory=lambda: float(_env("SMTP_TIMEOUT") or 30))
    # The From address, e.g. "建议提案办理系统 <noreply@example.gov.cn>".
    mail_sender: str = field(default_factory=lambda: _env("MAIL_SENDER", "建议提案办理系统 <noreply@localhost>"))
    outbox_dir: Path = field(default_factory=lambda: Path(_env("OUTBOX_DIR") or PROJECT_ROOT / "instance" / "outbox"))
    # The address users open the system at (e.g. https://jytb.example.gov.cn), for links in mails.
    app_url: str = field(default_factory=lambda: _env("APP_URL").rstrip("/"))

    def __post_init__(self):
        if self.smtp_tls not in SMTP_TLS_MODES:
            raise ValueError(f"SMTP_TLS 应为 {' / '.join(SMTP_TLS_MODES)}，实际为“{self.smtp_tls}”")

    @property
    def smtp_effective_port(self) -> int:
        return self.smtp_port or SMTP_TLS_MODES[self.smtp_tls]
