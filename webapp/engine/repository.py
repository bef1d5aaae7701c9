"""Repository service: deploy BPMN/DMN files as versions and hand out parsed specs.

A deployment is the complete set of definition files at one moment. Each process and decision gets
a new version only when its file changed. Instances are pinned to the deployment they started in,
so called processes and decision tables stay the ones they started with.
"""
import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

from types import SimpleNamespace

from sqlalchemy import func, select

from .. import clock
from ..models import DecisionVersion, DefinitionFile, Deployment, ProcessVersion
from .dialect import DialectParser
from .errors import DeployError, NotFound, Problem
from .expressions import SCRIPT_ENGINE
from .validation import DefinitionSource, check_definitions, rule_reference_problems

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


@dataclass
class DeployResult:
    deployment_id: int | None
    new_processes: list[tuple[str, int]] = field(default_factory=list)
    new_decisions: list[tuple[str, int]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.deployment_id is not None

    def summary(self) -> str:
        if not self.changed:
            return "没有变化：所有流程和决策表与当前版本相同，未创建新版本。"
        parts = [f"流程 {k} 第 {v} 版" for k, v in self.new_processes]
        parts += [f"决策表 {k} 第 {v} 版" for k, v in self.new_decisions]
        return f"已部署（部署号 {self.deployment_id}）：" + ("、".join(parts) if parts else "文件集合有变化")


def sources_from_dirs(bpmn_dir: Path, dmn_dir: Path) -> list[DefinitionSource]:
    sources = [DefinitionSource("bpmn", p.name, p.read_text(encoding="utf-8")) for p in sorted(bpmn_dir.glob("*.bpmn"))]
    sources += [DefinitionSource("dmn", p.name, p.read_text(encoding="utf-8")) for p in sorted(dmn_dir.glob("*.dmn"))]
    return sources


def _sha(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


class Repository:
    def __init__(self, db):
        self.db = db
        self.specs = SpecCache(db)

    def deploy(self, sources: list[DefinitionSource], created_by: str | None = None,
               source: str = "cli") -> DeployResult:
        names = [s.filename for s in sources]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise DeployError([Problem(n, None, "文件名重复") for n in sorted(duplicates)])
        parser, problems = check_definitions(sources)
        problems += rule_reference_problems(sources, {rule.name for rule in clock.current().rules()})
        if problems:
            raise DeployError(problems)
        with self.db.write() as session:
            latest = self._latest_deployment(session)
            wanted = {(s.filename, _sha(s.content)) for s in sources}
            if latest is not None and {(f.filename, f.sha256) for f in latest.files} == wanted:
                return DeployResult(None)
            deployment = Deployment(created_by=created_by, source=source)
            session.add(deployment)
            for src in sources:
                deployment.files.append(self._file_row(session, src))
            session.flush()
            result = DeployResult(deployment.id)
            by_name = {f.filename: f for f in deployment.files}
            for process_id, pp in sorted(parser.process_parsers.items()):
                if pp.process_executable and getattr(pp, "parent", None) is None:
                    version = self._new_version(session, ProcessVersion, ProcessVersion.process_key, process_id,
                                                by_name[pp.filename], deployment, name=pp.get_name() or process_id)
                    if version:
                        result.new_processes.append((process_id, version))
            for decision_id, dp in sorted(parser.dmn_parsers.items()):
                version = self._new_version(session, DecisionVersion, DecisionVersion.decision_key, decision_id,
                                            by_name[dp.filename], deployment, name=dp.get_name() or decision_id)
                if version:
                    result.new_decisions.append((decision_id, version))
            deployment.summary = result.summary()
            return result

    @staticmethod
    def _latest_deployment(session):
        return session.scalars(select(Deployment).order_by(Deployment.id.desc()).limit(1)).first()

    @staticmethod
    def _file_row(session, src: DefinitionSource) -> DefinitionFile:
        sha = _sha(src.content)
        row = session.scalars(select(DefinitionFile).filter_by(filename=src.filename, sha256=sha)).first()
        return row or DefinitionFile(kind=src.kind, filename=src.filename, sha256=sha, content=src.content)

    @staticmethod
    def _new_version(session, model, key_col, key, file_row, deployment, name) -> int | None:
        current = session.scalars(select(model).where(key_col == key).order_by(model.version.desc()).limit(1)).first()
        if current is not None and current.file_id == file_row.id:
            return None
        number = (current.version + 1) if current else 1
        session.add(model(**{key_col.key: key}, version=number, name=name, file_id=file_row.id,
                          deployment_id=deployment.id))
        return number

    # --- queries ---

    def latest_process(self, session, process_key: str) -> ProcessVersion:
        row = session.scalars(select(ProcessVersion).where(ProcessVersion.process_key == process_key)
                              .order_by(ProcessVersion.version.desc()).limit(1)).first()
        if row is None:
            raise NotFound(f"流程“{process_key}”尚未部署")
        return row

    def latest_deployment_id(self, session) -> int:
        latest = self._latest_deployment(session)
        if latest is None:
            raise NotFound("尚未部署任何流程")
        return latest.id

    def startable_processes(self, session, exclude=(), user=None) -> list[ProcessVersion]:
        """The newest version of each process of the latest deployment that a person may start on its
        own: not the processes other processes call (they run inside their caller, with its data), nor
        those in `exclude` (started by a service of their own, e.g. the main process with its item);
        with `user`, only those the user may start (`may_start`)."""
        latest = self._latest_deployment(session)
        if latest is None:
            return []
        deployed, called = self.specs.process_keys(latest.id)
        if user is not None:
            deployed = {key for key in deployed if self.may_start(latest.id, key, user)}
        newest = (select(ProcessVersion.process_key, func.max(ProcessVersion.version).label("v"))
                  .group_by(ProcessVersion.process_key).subquery())
        rows = session.scalars(select(ProcessVersion).join(
            newest, (ProcessVersion.process_key == newest.c.process_key) & (ProcessVersion.version == newest.c.v))
            .order_by(ProcessVersion.name))
        return [p for p in rows if p.process_key in deployed and p.process_key not in called
                and p.process_key not in exclude]

    def may_start(self, deployment_id: int, process_key: str, user) -> bool:
        """Whether `user` may start the process: anyone, unless the diagram names its starters
        (camunda:candidateStarterGroups = role codes, camunda:candidateStarterUsers = usernames);
        administrators always."""
        starters = self.specs.starters(deployment_id, process_key)
        if starters is None or user.is_admin:
            return True
        groups, users = starters
        return user.username in users or any(r.role_code in groups for r in user.roles)

    def evaluate_decision(self, decision_key: str, inputs: dict, deployment_id: int | None = None) -> dict:
        """Run a deployed decision table on sample inputs, with the same engine processes use."""
        if deployment_id is None:
            with self.db.read() as session:
                deployment_id = self.latest_deployment_id(session)
        table = self.specs.decision_engine(deployment_id, decision_key)
        probe = SimpleNamespace(data=dict(inputs), workflow=SimpleNamespace(script_engine=SCRIPT_ENGINE))
        return table.result(probe)


class SpecCache:
    """Parsed specs per deployment, built once per process and shared by every instance pinned to it."""

    def __init__(self, db):
        self.db = db
        self._parsers: dict[int, DialectParser] = {}
        self._specs: dict[tuple[int, str], tuple] = {}
        self._process_keys: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
        self._lock = threading.Lock()

    def get(self, deployment_id: int, process_key: str):
        key = (deployment_id, process_key)
        found = self._specs.get(key)
        if found is not None:
            return found
        with self._lock:
            if key not in self._specs:
                parser = self._parser(deployment_id)
                spec = parser.get_spec(process_key)
                self._specs[key] = (spec, parser.get_subprocess_specs(process_key))
            return self._specs[key]

    def process_keys(self, deployment_id: int) -> tuple[frozenset[str], frozenset[str]]:
        """The executable processes of a deployment, and those of them a call activity calls."""
        found = self._process_keys.get(deployment_id)
        if found is None:
            parser = self._parser(deployment_id)
            deployed, called = set(), set()
            for process_id, pp in parser.process_parsers.items():
                if not pp.process_executable:
                    continue
                if getattr(pp, "parent", None) is None:
                    deployed.add(process_id)
                called.update(c.get("calledElement") for c in pp.xpath(".//bpmn:callActivity"))
            found = self._process_keys[deployment_id] = (frozenset(deployed), frozenset(called - {None}))
        return found

    def starters(self, deployment_id: int, process_key: str) -> tuple[frozenset[str], frozenset[str]] | None:
        """The process's candidate starter groups and users, or None if its diagram names neither."""
        pp = self._parser(deployment_id).process_parsers.get(process_key)
        if pp is None:
            return None
        groups, users = (frozenset(v.strip() for v in (pp.node.get(f"{{{CAMUNDA_NS}}}{name}") or "").split(",")
                                   if v.strip())
                         for name in ("candidateStarterGroups", "candidateStarterUsers"))
        return (groups, users) if groups or users else None

    def decision_engine(self, deployment_id: int, decision_key: str):
        parser = self._parser(deployment_id)
        if decision_key not in parser.dmn_parsers:
            raise NotFound(f"决策表“{decision_key}”不存在")
        return parser.get_engine(decision_key, None)

    def _parser(self, deployment_id: int) -> DialectParser:
        parser = self._parsers.get(deployment_id)
        if parser is None:
            with self.db.read() as session:
                deployment = session.get(Deployment, deployment_id)
                if deployment is None:
                    raise NotFound(f"部署 {deployment_id} 不存在")
                files = [(f.kind, f.filename, f.content) for f in deployment.files]
            parser = DialectParser()
            for kind, filename, content in sorted(files, key=lambda f: f[0] != "dmn"):
                if kind == "dmn":
                    parser.add_dmn_str(content.encode("utf-8"), filename=filename)
                else:
                    parser.add_bpmn_str(content.encode("utf-8"), filename=filename)
            self._parsers[deployment_id] = parser
        return parser
