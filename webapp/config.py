"""Settings read from the environment, with defaults for the embedded SQLite set-up."""
import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _optional_path(variable: str) -> Path | None:
    value = os.environ.get(variable, "").strip()
    return Path(value) if value else None


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
