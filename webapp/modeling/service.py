"""What the modeler pages do, free of Flask: versions, drafts, checks, differences, deploy, trial runs.

A draft is a process owner's working copy of one process (its BPMN file) or one decision (its DMN
file). Checking and deploying a draft always concern the complete deployed set with the draft in
place of its file, because a diagram's correctness depends on the others (called processes,
decision tables): the checks are exactly the deploy's (`check_definitions`, `rule_reference_problems`)
plus bpmnlint, and a deploy goes through `Repository.deploy` like `flask deploy` does.
"""
import ast
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace

from lxml import etree
from sqlalchemy import select

from .. import clock
from ..engine import expressions
from ..engine.errors import DeployError, NotFound, Problem
from ..engine.repository import DeployResult
from ..engine.validation import DefinitionSource, check_definitions, rule_reference_problems
from ..models import DecisionVersion, DefinitionFile, Deployment, DiagramDraft, ProcessVersion, utcnow
from .diff import DiagramDiff, diff_definitions
from .lint import lint_bpmn

KINDS = ("bpmn", "dmn")


@dataclass
class VersionInfo:
    version: int
    deployment_id: int
    created_at: datetime
    created_by: str | None
    source: str
    filename: str


@dataclass
class Definition:
    """A deployed process or decision with its versions (newest first) and the draft, if any."""
    kind: str
    key: str
    name: str
    filename: str
    versions: list[VersionInfo]
    draft: DiagramDraft | None = None

    @property
    def current(self) -> VersionInfo:
        return self.versions[0]


@dataclass
class CheckResult:
    problems: list[Problem]
    filename: str
    lint_available: bool
    lint_notice: str = ""
    lint_problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class DecisionInput:
    """A field of the trial-run form: a variable that an input expression of the table reads."""
    name: str
    label: str
    type: str  # boolean | integer | long | double | string | date | any


class Modeling:
    def __init__(self, engine):
        self.engine = engine
        self.db = engine.db
        self.repository = engine.repository

    # --- what is deployed ------------------------------------------------------------------------

    def catalog(self) -> tuple[list[Definition], list[Definition]]:
        """Every deployed process and decision with its versions and draft."""
        with self.db.read() as session:
            processes = self._definitions(session, "bpmn")
            decisions = self._definitions(session, "dmn")
        return processes, decisions

    def definition(self, kind: str, key: str) -> Definition:
        with self.db.read() as session:
            found = self._definitions(session, kind, key)
        if not found:
            raise NotFound(f"{'流程' if kind == 'bpmn' else '决策表'}“{key}”尚未部署")
        return found[0]

    def _definitions(self, session, kind: str, key: str | None = None) -> list[Definition]:
        model, key_col = (ProcessVersion, ProcessVersion.process_key) if kind == "bpmn" else \
            (DecisionVersion, DecisionVersion.decision_key)
        query = (select(model, DefinitionFile.filename, Deployment)
                 .join(DefinitionFile, DefinitionFile.id == model.file_id)
                 .join(Deployment, Deployment.id == model.deployment_id)
                 .order_by(key_col, model.version.desc()))
        if key is not None:
            query = query.where(key_col == key)
        by_key: dict[str, Definition] = {}
        for row, filename, deployment in session.execute(query):
            row_key = getattr(row, key_col.key)
            info = VersionInfo(row.version, deployment.id, deployment.created_at, deployment.created_by,
                               deployment.source, filename)
            if row_key not in by_key:
                by_key[row_key] = Definition(kind, row_key, row.name, filename, [])
            by_key[row_key].versions.append(info)
        drafts = session.scalars(select(DiagramDraft).where(DiagramDraft.kind == kind))
        for draft in drafts:
            if draft.key in by_key:
                by_key[draft.key].draft = draft
        return sorted(by_key.values(), key=lambda d: (d.name, d.key))

    def version_xml(self, kind: str, key: str, version: int | None = None) -> tuple[str, int]:
        """The XML of a deployed version (default: the newest), exactly as it was deployed."""
        model, key_col = (ProcessVersion, ProcessVersion.process_key) if kind == "bpmn" else \
            (DecisionVersion, DecisionVersion.decision_key)
        with self.db.read() as session:
            query = select(model.version, DefinitionFile.content).join(
                DefinitionFile, DefinitionFile.id == model.file_id).where(key_col == key)
            query = query.where(model.version == version) if version else query.order_by(model.version.desc())
            row = session.execute(query.limit(1)).first()
        if row is None:
            what = "流程" if kind == "bpmn" else "决策表"
            raise NotFound(f"{what}“{key}”" + (f"没有第 {version} 版" if version else "尚未部署"))
        return row.content, row.version

    def current_sources(self) -> list[DefinitionSource]:
        """The files of the newest deployment: the set a draft is checked and deployed with."""
        with self.db.read() as session:
            latest = session.scalars(select(Deployment).order_by(Deployment.id.desc()).limit(1)).first()
            if latest is None:
                raise NotFound("尚未部署任何流程")
            return [DefinitionSource(f.kind, f.filename, f.content) for f in sorted(latest.files, key=lambda f: f.filename)]

    def sources_with(self, kind: str, key: str, xml: str) -> tuple[list[DefinitionSource], str]:
        """The deployed set with the draft in place of its file; and that file's name."""
        filename = self.definition(kind, key).filename
        sources = [s for s in self.current_sources() if s.filename != filename]
        sources.append(DefinitionSource(kind, filename, xml))
        return sources, filename

    # --- drafts ------------------------------------------------------------------------------------

    def draft(self, kind: str, key: str) -> DiagramDraft | None:
        with self.db.read() as session:
            return session.scalars(select(DiagramDraft).filter_by(kind=kind, key=key)).first()

    def save_draft(self, kind: str, key: str, xml: str, base_version: int | None, user: str | None) -> DiagramDraft:
        if kind not in KINDS:
            raise NotFound(f"未知的类型“{kind}”")
        definition = self.definition(kind, key)
        _parse_or_refuse(definition.filename, xml)
        with self.db.write() as session:
            draft = session.scalars(select(DiagramDraft).filter_by(kind=kind, key=key)).first()
            if draft is None:
                draft = DiagramDraft(kind=kind, key=key, filename=definition.filename)
                session.add(draft)
            draft.xml = xml
            draft.base_version = base_version or definition.current.version
            draft.updated_by = user
            draft.updated_at = utcnow()
            session.flush()
            return draft

    def discard_draft(self, kind: str, key: str) -> bool:
        with self.db.write() as session:
            draft = session.scalars(select(DiagramDraft).filter_by(kind=kind, key=key)).first()
            if draft is None:
                return False
            session.delete(draft)
            return True

    # --- checks, differences, deploy ---------------------------------------------------------------

    def check(self, kind: str, key: str, xml: str) -> CheckResult:
        """The deploy's checks over the deployed set with the draft in place, plus bpmnlint on a diagram."""
        sources, filename = self.sources_with(kind, key, xml)
        _parser, problems = check_definitions(sources)
        problems = list(problems)
        problems += rule_reference_problems(sources, {rule.name for rule in clock.current().rules()})
        result = CheckResult(problems, filename, lint_available=False)
        if kind == "bpmn":
            lint = lint_bpmn(filename, xml)
            result.lint_available, result.lint_notice = lint.available, lint.notice
            result.lint_problems = lint.problems
            result.problems += lint.problems
        return result

    def diff(self, kind: str, key: str, xml: str) -> tuple[DiagramDiff, int]:
        """The elements that differ from the version in service (the newest deployed one)."""
        current, version = self.version_xml(kind, key)
        try:
            return diff_definitions(current, xml), version
        except etree.XMLSyntaxError as e:
            raise DeployError([Problem(self.definition(kind, key).filename, None, f"XML 格式错误：{e}")])

    def deploy(self, kind: str, key: str, xml: str, user: str | None) -> DeployResult:
        """Deploy the deployed set with the draft in place as a new deployment (source “browser”).

        Refused (DeployError, nothing stored) on any problem of the deploy's own checks, and on
        bpmnlint's errors and warnings when the linter is installed. The draft is removed once deployed.
        """
        result = self.check(kind, key, xml)
        if result.problems:
            raise DeployError(result.problems)
        sources, _filename = self.sources_with(kind, key, xml)
        deployed = self.repository.deploy(sources, created_by=user, source="browser")
        self.discard_draft(kind, key)
        return deployed

    # --- decision tables: trial runs ----------------------------------------------------------------

    def decision_inputs(self, xml: str) -> list[DecisionInput]:
        """The variables the table's input expressions read, with the input's label and type."""
        root = etree.fromstring(xml.encode("utf-8"))
        ns = root.nsmap.get(None) or root.nsmap.get("dmn")
        reserved = set(expressions.FUNCTIONS) | set(expressions.SAFE_BUILTINS) | {"True", "False", "None"}
        fields: dict[str, DecisionInput] = {}
        for node in root.iter(f"{{{ns}}}input"):
            expression = node.find(f"{{{ns}}}inputExpression")
            text = ((expression.findtext(f"{{{ns}}}text") if expression is not None else "") or "").strip()
            label = node.get("label") or text
            if text.isidentifier():
                type_ref = (expression.get("typeRef") or "any") if expression is not None else "any"
                fields.setdefault(text, DecisionInput(text, label, type_ref.lower()))
                continue
            try:
                tree = ast.parse(text, mode="eval")
            except SyntaxError:
                continue
            for name in sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - reserved):
                fields.setdefault(name, DecisionInput(name, f"{label}（{name}）", "any"))
        return list(fields.values())

    def evaluate_draft(self, key: str, xml: str, inputs: dict) -> dict:
        """Run a decision table that is not deployed (a draft) on sample inputs.

        The table is parsed and checked as a deploy would (`check_definitions` on its file alone) and
        run with the same engine and expression environment as `Repository.evaluate_decision`."""
        filename = self.definition("dmn", key).filename
        parser, problems = check_definitions([DefinitionSource("dmn", filename, xml)])
        if problems:
            raise DeployError(problems)
        if key not in parser.dmn_parsers:
            raise DeployError([Problem(filename, None, f"草稿中没有决策“{key}”（决策的标识不能改）")])
        return _run(parser.get_engine(key, None), inputs)

    def evaluate_deployed(self, key: str, inputs: dict) -> dict:
        """The newest deployed table on the same inputs (`Repository.evaluate_decision`)."""
        with self.db.read() as session:
            deployment_id = self.repository.latest_deployment_id(session)
        outputs = self.repository.evaluate_decision(key, inputs, deployment_id)
        table = self.repository.specs.decision_engine(deployment_id, key)
        return {"outputs": outputs, "rules": _matched(table, inputs)}


def _probe(inputs: dict):
    # What a decision table sees of a task: its data and the script engine (as Repository.evaluate_decision).
    return SimpleNamespace(data=dict(inputs), workflow=SimpleNamespace(script_engine=expressions.SCRIPT_ENGINE))


def _run(table, inputs: dict) -> dict:
    return {"outputs": table.result(_probe(inputs)), "rules": _matched(table, inputs)}


def _matched(table, inputs: dict) -> list[str]:
    """Ids of the rules that decide: every matching one under COLLECT, else the first that matches."""
    rules = [rule.id for rule in table.decide(_probe(inputs))]
    return rules if table.decision_table.hit_policy == "COLLECT" else rules[:1]


def convert_input(value, type_ref: str):
    """A form value (text) as the typed value a process variable would hold."""
    if value is None or value == "":
        return None
    if isinstance(value, (bool, int, float)):
        return value
    text = str(value).strip()
    if type_ref == "boolean" or text.lower() in ("true", "false"):
        return text.lower() in ("true", "1", "yes", "on", "是")
    if type_ref in ("integer", "long", "int"):
        return int(text)
    if type_ref in ("double", "number", "float"):
        return float(text)
    if type_ref == "any":
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text
    return text


def _parse_or_refuse(filename: str, xml: str) -> None:
    try:
        etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError as e:
        raise DeployError([Problem(filename, None, f"XML 格式错误：{e}")])
