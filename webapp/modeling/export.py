"""Write the newest deployment's files back to bpmn/ and dmn/ (`flask export-diagrams`).

Diagrams changed in the browser are deployed to the database; exporting them keeps the repository's
files and the database from drifting apart. Each file is written exactly as it was deployed (the
deploy stores the XML text): a file that was deployed from bpmn/ unchanged is rewritten byte for byte.
"""
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ..engine.errors import NotFound
from ..models import Deployment

FOLDERS = {"bpmn": "bpmn", "dmn": "dmn"}


@dataclass
class Exported:
    path: Path
    changed: bool


def export_definitions(db, target: Path) -> list[Exported]:
    """Write every file of the newest deployment under `target`/bpmn and `target`/dmn."""
    with db.read() as session:
        latest = session.scalars(select(Deployment).order_by(Deployment.id.desc()).limit(1)).first()
        if latest is None:
            raise NotFound("尚未部署任何流程，没有可导出的文件")
        files = [(f.kind, f.filename, f.content) for f in latest.files]
    written = []
    for kind, filename, content in sorted(files, key=lambda f: (f[0], f[1])):
        if Path(filename).name != filename or filename in ("", ".", ".."):
            raise ValueError(f"文件名“{filename}”不是单纯的文件名，拒绝写出")
        folder = target / FOLDERS[kind]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / filename
        data = content.encode("utf-8")
        changed = not path.exists() or path.read_bytes() != data
        if changed:
            path.write_bytes(data)
        written.append(Exported(path, changed))
    return written
