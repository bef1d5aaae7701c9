"""The complete case file 档案 of one item (PROCESS.md §6): one .zip with everything the system holds
about its instance.

    manifest.json       what the archive holds: the item, and per entry its path, size and SHA-256
    files/              every stored file of the instance (uploads, generated letters and reports)
    texts/              every long text entered in a form, one .txt each
    process_data.json   the process variables, with each unit's running handling
    audit_trail.csv     the audit trail (who did what, when), UTF-8 with BOM for Excel
"""
import csv
import hashlib
import io
import json
import zipfile
from datetime import date, datetime, timezone

from sqlalchemy import select

from ..engine import history
from ..engine.runtime import STATUS_LABELS
from ..models import Instance, StoredFile, TextBlob

ZIP_CONTENT_TYPE = "application/zip"


def case_file(session, runtime, instance_id: int, generated_by: str = "") -> tuple[str, bytes]:
    """(file name, .zip bytes) of the instance's case file."""
    inst = session.get(Instance, instance_id)
    files = list(session.scalars(select(StoredFile).where(StoredFile.instance_id == instance_id)
                                 .order_by(StoredFile.id)))
    texts = list(session.scalars(select(TextBlob).where(TextBlob.instance_id == instance_id).order_by(TextBlob.id)))
    events = history.for_instance(session, instance_id)
    data = runtime.variables(session, instance_id)
    scopes = runtime.running_scopes(session, instance_id, "unit_handling")

    entries = []  # (path, bytes, description)
    used = set()
    for f in files:
        path = _unique(f"files/{f.id}_{_safe(f.filename)}", used)
        entries.append((path, f.content, {"kind": "file", "file_id": f.id, "filename": f.filename,
                                          "content_type": f.content_type, "created_at": _iso(f.created_at)}))
    for t in texts:
        entries.append((f"texts/{t.id}.txt", t.content.encode("utf-8"),
                        {"kind": "text", "text_id": t.id, "created_at": _iso(t.created_at)}))
    process = {"variables": data, "running_unit_handling": scopes}
    entries.append(("process_data.json", _json(process), {"kind": "process_data"}))
    entries.append(("audit_trail.csv", _audit_csv(events), {"kind": "audit_trail", "events": len(events)}))

    manifest = {
        "business_key": inst.business_key, "title": inst.title, "process_key": inst.process_key,
        "process_version": inst.process_version.version if inst.process_version else None,
        "status": STATUS_LABELS.get(inst.status, inst.status), "started_at": _iso(inst.started_at),
        "ended_at": _iso(inst.ended_at), "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "generated_by": generated_by,
        "entries": [{"path": path, "size": len(content), "sha256": hashlib.sha256(content).hexdigest(), **info}
                    for path, content, info in entries],
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", _json(manifest))
        for path, content, _info in entries:
            z.writestr(path, content)
    return f"{_safe(inst.business_key)}_档案.zip", out.getvalue()


AUDIT_HEADER = ["时间", "办理人", "操作", "操作代码", "环节", "环节ID", "内容"]


def _audit_csv(events) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_HEADER)
    for e in events:
        writer.writerow([_iso(e.at), e.actor_name, history.ACTION_LABELS.get(e.action, e.action), e.action,
                         e.element_name or "", e.element_id or "",
                         json.dumps(e.detail, ensure_ascii=False, default=str) if e.detail else ""])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=_plain).encode("utf-8")


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _safe(name: str) -> str:
    return "".join("_" if c in '\\/:*?"<>|\n\r\t' else c for c in str(name)).strip(" .") or "file"


def _unique(path: str, used: set) -> str:
    candidate, n = path, 1
    while candidate in used:
        n += 1
        stem, dot, ext = path.rpartition(".")
        candidate = f"{stem}_{n}.{ext}" if dot else f"{path}_{n}"
    used.add(candidate)
    return candidate
