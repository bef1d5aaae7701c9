"""PDF previews of Word documents, made with LibreOffice when the server has it (free of Flask).

    path = pdf_preview(file_id, sha256, content, "答复函.docx", cache_dir)

`soffice --headless --convert-to pdf` runs in a temporary folder with a profile of its own (so
several conversions may run at once) and a time limit; the PDF is kept in `cache_dir` under the
file's id and content hash, so each file is converted once. Without LibreOffice, PreviewUnavailable
says so in Chinese; LibreOffice is large and optional — the Word file can always be downloaded.
"""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .layout import DOCX_CONTENT_TYPE

WORD_TYPES = {DOCX_CONTENT_TYPE, "application/msword", "application/vnd.oasis.opendocument.text"}
WORD_SUFFIXES = (".docx", ".doc", ".odt")
PDF_TYPE = "application/pdf"
TIMEOUT_SECONDS = 120
MISSING = ("服务器未安装 LibreOffice，无法在线预览 Word 文件。请下载后用 Word 或 WPS 打开；"
           "如需在线预览，请系统管理员在服务器上安装 LibreOffice（soffice）。")


class PreviewUnavailable(RuntimeError):
    """No LibreOffice on this server; the message is for the user."""


class PreviewFailed(RuntimeError):
    """LibreOffice could not convert the file; the message is for the user."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def can_preview() -> bool:
    return soffice() is not None


def is_pdf(content_type: str | None, filename: str) -> bool:
    return content_type == PDF_TYPE or filename.lower().endswith(".pdf")


def is_word(content_type: str | None, filename: str) -> bool:
    return content_type in WORD_TYPES or filename.lower().endswith(WORD_SUFFIXES)


def previewable(content_type: str | None, filename: str) -> bool:
    """A PDF is shown as it is; a Word file when LibreOffice can convert it."""
    return is_pdf(content_type, filename) or (is_word(content_type, filename) and can_preview())


def cached_preview(cache_dir: Path, file_id: int, sha256: str) -> Path:
    return Path(cache_dir) / f"{file_id}-{sha256[:16]}.pdf"


def pdf_preview(file_id: int, sha256: str, content: bytes, filename: str, cache_dir: Path,
                timeout: float = TIMEOUT_SECONDS) -> Path:
    """The PDF of a Word file, converted once and then taken from the cache."""
    target = cached_preview(cache_dir, file_id, sha256)
    if target.is_file():
        return target
    exe = soffice()
    if exe is None:
        raise PreviewUnavailable(MISSING)
    suffix = Path(filename).suffix.lower() if Path(filename).suffix.lower() in WORD_SUFFIXES else ".docx"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="preview-") as tmp:
        work = Path(tmp)
        source = work / f"source{suffix}"
        source.write_bytes(content)
        command = [exe, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
                   "--nolockcheck", "--convert-to", "pdf", "--outdir", str(work), str(source)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, cwd=work,
                                  env={**os.environ, "HOME": str(work)})
        except subprocess.TimeoutExpired:
            raise PreviewFailed(f"转换“{filename}”超过 {int(timeout)} 秒，已放弃。请下载后查看。") from None
        pdf = work / "source.pdf"
        if done.returncode != 0 or not pdf.is_file():
            detail = (done.stderr or done.stdout or b"").decode("utf-8", "replace").strip()[-300:]
            raise PreviewFailed(f"无法将“{filename}”转换为 PDF：{detail or '无输出'}")
        partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        shutil.copyfile(pdf, partial)
        os.replace(partial, target)  # whole or not at all, even with two conversions at once
    return target
