"""Uploading a delivered reply to the deputies' and members' platforms (运城 二(五)2: 上传至平台):
the 代表履职服务平台 for suggestions, the 智慧政协平台 for proposals.

The endpoint is configuration (Settings: PLATFORM_NPC_URL, PLATFORM_CPPCC_URL, PLATFORM_TOKEN). The
upload is one HTTP POST of a JSON document — the reply's metadata and its files (the signed scan, the
generated letter) in base64 — with `Authorization: Bearer <token>` and an `Idempotency-Key` that stays
the same for every attempt of the job, so a platform can drop a repeat. A refused or failed request
raises, and the job machinery retries it with back-off and finally opens an incident.

With no endpoint configured for the item's platform the upload goes to the outbox instead: a folder
`<outbox>/platform/<npc|cppcc>/<business key>_<unit>_job<id>/` with `metadata.json` and the files,
for someone to upload by hand.

Once per job (`ctx.once`): a retry after a successful upload does not upload again.
"""
import base64
import json
import re
import shutil
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from service_tasks import Parameter, topic
from webapp.config import PROJECT_ROOT
from webapp.models import StoredFile

PLATFORMS = {"npc": "代表履职服务平台", "cppcc": "智慧政协平台"}
EFFECT = "platform_upload"  # the side-effect key of the one upload per job
USER_AGENT = "suggestion-handling/1 (+platform_upload)"


class PlatformError(RuntimeError):
    """The platform refused the upload or could not be reached; the message is for administrators."""


def platform_for(item_type: str) -> str:
    """proposals go to the CPPCC platform, suggestions (and motions turned into suggestions) to the NPC's."""
    return "cppcc" if str(item_type or "").strip() in ("proposal", "提案", "政协提案", "cppcc") else "npc"


@topic("platform_upload", "上传履职平台", [
    Parameter("item_type", "事项类型：suggestion（建议，代表履职服务平台）或 proposal（提案，智慧政协平台）",
              required=True),
    Parameter("session", "届次，如“十七届五次”"),
    Parameter("item_no", "建议/提案编号", required=True),
    Parameter("title", "案由"),
    Parameter("proposer_name", "领衔代表/委员"),
    Parameter("unit", "承办单位代码", required=True),
    Parameter("unit_name", "承办单位名称"),
    Parameter("unit_role", "办理角色：single、lead、split 或 co"),
    Parameter("result_class", "办理结果类别"),
    Parameter("publication", "公开属性"),
    Parameter("delivered_on", "送达日期"),
    Parameter("delivery_method", "送达方式"),
    Parameter("scan", "签字盖章的答复函扫描件（文件）", required=True),
    Parameter("letter", "生成的答复函（文件）"),
])
def platform_upload(ctx, item_type, item_no, unit, scan, session="", title="", proposer_name="", unit_name="",
                    unit_role="", result_class="", publication="", delivered_on="", delivery_method="", letter=None):
    """Posts the reply's metadata and files to the item's platform (or writes them to the outbox when no
    endpoint is configured); returns {"platform_upload": {"status", "platform", …}}."""
    platform = platform_for(item_type)
    metadata = {
        "business_key": ctx.business_key, "platform": platform, "item_type": str(item_type or ""),
        "session": _s(session), "item_no": _s(item_no), "title": _s(title), "proposer_name": _s(proposer_name),
        "unit": {"code": _s(unit), "name": _s(unit_name) or _s(unit), "role": _s(unit_role)},
        "result_class": _s(result_class), "publication": _s(publication), "delivered_on": _s(delivered_on)[:10],
        "delivery_method": _s(delivery_method),
    }
    settings = ctx.settings
    url = (settings.platform_cppcc_url if platform == "cppcc" else settings.platform_npc_url) or ""
    idempotency_key = f"{ctx.business_key}/{metadata['unit']['code']}/job-{ctx.job_id}"
    outcome = {"platform": platform, "platform_name": PLATFORMS[platform], "idempotency_key": idempotency_key}
    if not ctx.once(EFFECT):  # an earlier attempt of this job got through; its receipt was not kept
        return {"platform_upload": {**outcome, "status": "uploaded", "at": None, "repeated": True}}
    files = _files(ctx, [("scan", scan), ("letter", letter)])
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if url:
        receipt = _post(url, settings, idempotency_key, metadata, files)
        outcome.update(status="uploaded", at=at, receipt=receipt)
    else:
        folder = _write_outbox(_outbox(settings) / platform, idempotency_key, metadata, files)
        outcome.update(status="outbox", at=at, path=str(folder))
    ctx.done(EFFECT)
    return {"platform_upload": outcome}


def _s(value) -> str:
    return "" if value is None else str(value).strip()


def _files(ctx, refs) -> list[dict]:
    """The stored files behind the file references (of this instance), each with its role."""
    wanted = [(role, ref) for role, ref in refs if isinstance(ref, dict) and ref.get("file_id")]
    ids = [int(ref["file_id"]) for _role, ref in wanted]
    if not ids:
        raise PlatformError("没有可上传的文件（签章扫描件）")
    with ctx.db.read() as session:
        rows = {r.id: r for r in session.scalars(select(StoredFile).where(StoredFile.id.in_(ids),
                                                                          StoredFile.instance_id == ctx.instance_id))}
    files = []
    for role, ref in wanted:
        row = rows.get(int(ref["file_id"]))
        if row is None:
            raise PlatformError(f"文件 {ref['file_id']} 不存在或不属于本事项")
        files.append({"role": role, "filename": row.filename, "content_type": row.content_type, "size": row.size,
                      "sha256": row.sha256, "content": row.content})
    return files


def _post(url: str, settings, idempotency_key: str, metadata: dict, files: list[dict]) -> dict:
    body = json.dumps({**metadata, "files": [
        {**{k: v for k, v in f.items() if k != "content"}, "content_base64": base64.b64encode(f["content"]).decode()}
        for f in files]}, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
               "Idempotency-Key": idempotency_key, "User-Agent": USER_AGENT}
    if settings.platform_token:
        headers["Authorization"] = f"Bearer {settings.platform_token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    name = PLATFORMS[metadata["platform"]]
    try:
        with urllib.request.urlopen(request, timeout=settings.platform_timeout) as response:
            status, text = response.status, response.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        detail = e.read(500).decode("utf-8", "replace") if e.fp else ""
        raise PlatformError(f"{name}拒绝了上传：HTTP {e.code} {e.reason} {detail}".strip()) from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise PlatformError(f"无法连接{name}（{url}）：{reason}") from None
    try:
        answer = json.loads(text) if text.strip() else {}
    except ValueError:
        answer = {"text": text[:500]}
    return {"http_status": status, **(answer if isinstance(answer, dict) else {"answer": answer})}


def _outbox(settings) -> Path:
    """PLATFORM_OUTBOX_DIR, else platform/ in the mail outbox (or in instance/outbox)."""
    if settings.platform_outbox_dir:
        return Path(settings.platform_outbox_dir)
    return Path(getattr(settings, "outbox_dir", None) or PROJECT_ROOT / "instance" / "outbox") / "platform"


def _write_outbox(root: Path, idempotency_key: str, metadata: dict, files: list[dict]) -> Path:
    """A folder with metadata.json and the files, written whole or not at all (a retry rewrites it)."""
    name = re.sub(r"[^\w.-]+", "_", idempotency_key.replace("/", "_")).strip("_")
    folder = root / name
    partial = root / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    listed = []
    for i, f in enumerate(files, 1):
        filename = f"{i}_{f['role']}_{_safe(f['filename'])}"
        (partial / filename).write_bytes(f["content"])
        listed.append({**{k: v for k, v in f.items() if k != "content"}, "file": filename})
    (partial / "metadata.json").write_text(json.dumps({**metadata, "files": listed}, ensure_ascii=False, indent=2),
                                           encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder


def _safe(filename: str) -> str:
    return "".join("_" if c in '\\/:*?"<>|' else c for c in filename).strip(" .") or "file"
