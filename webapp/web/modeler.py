"""The modeler pages: process owners change diagrams and decision tables in the browser.

/modeler lists the deployed processes and decisions with their versions. A process opens in the
Camunda 7 modeler (camunda-bpmn-js, properties panel in Chinese, service tasks from element
templates), a decision in the decision table editor (dmn-js) with a trial-run form. Both save
drafts, check a draft the way a deploy would (plus bpmnlint), show what differs from the version in
service, and deploy a new version. Only process owners (role `process_owner`) and administrators
may; the work itself is in webapp/modeling (free of Flask).
"""
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for

from service_tasks import TOPICS

from ..engine.errors import DeployError, EngineError, NotFound
from ..modeling.element_templates import element_templates
from ..modeling.service import Modeling, convert_input
from . import vendor
from .helpers import actor, get_engine, restrict

PROCESS_OWNER_ROLE = "process_owner"
KIND_PATHS = {"processes": "bpmn", "decisions": "dmn"}
KIND_LABELS = {"bpmn": "流程", "dmn": "决策表"}

bp = Blueprint("modeler", __name__, url_prefix="/modeler")


def may_model(user) -> bool:
    """Process owners and administrators change the procedure."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_admin or any(r.role_code == PROCESS_OWNER_ROLE for r in user.roles))


restrict(bp, may_model, "只有流程管理员和系统管理员可以修改流程和决策表。")


@bp.app_context_processor
def modeler_context():
    from flask_login import current_user
    return {"can_model": may_model(current_user)}


def modeling() -> Modeling:
    return Modeling(get_engine())


def _kind(kind_path: str) -> str:
    kind = KIND_PATHS.get(kind_path)
    if kind is None:
        abort(404)
    return kind


def _username() -> str:
    return actor().username


# --- pages --------------------------------------------------------------------------------------------

@bp.get("/")
def index():
    processes, decisions = modeling().catalog()
    return render_template("modeler_index.html", processes=processes, decisions=decisions,
                           bpmn_ready=vendor.available("camunda-bpmn-js", "bpmn-js-i18n"),
                           dmn_ready=vendor.available("dmn-js"))


@bp.get("/processes/<key>")
def process(key):
    return _editor("bpmn", key)


@bp.get("/decisions/<key>")
def decision(key):
    return _editor("dmn", key)


def _editor(kind: str, key: str):
    service = modeling()
    definition = service.definition(kind, key)
    version = request.args.get("version", type=int)
    draft = definition.draft
    if version is None and draft is not None:
        xml, base_version, showing = draft.xml, draft.base_version, "draft"
    else:
        xml, base_version = service.version_xml(kind, key, version)
        showing = "version"
    ready = vendor.available("camunda-bpmn-js", "bpmn-js-i18n") if kind == "bpmn" else vendor.available("dmn-js")
    kind_path = "processes" if kind == "bpmn" else "decisions"
    config = {
        "kind": kind, "key": key, "xml": xml, "baseVersion": base_version,
        "currentVersion": definition.current.version, "filename": definition.filename,
        "urls": {
            "draft": url_for("modeler.save_draft", kind_path=kind_path, key=key),
            "check": url_for("modeler.check", kind_path=kind_path, key=key),
            "deploy": url_for("modeler.deploy", kind_path=kind_path, key=key),
            "templates": url_for("modeler.templates"),
            "evaluate": url_for("modeler.evaluate", key=key) if kind == "dmn" else None,
        },
    }
    inputs = []
    if kind == "dmn":
        try:
            inputs = [vars(i) for i in service.decision_inputs(xml)]
        except Exception:  # an unreadable draft: the editor shows the XML error itself
            inputs = []
    config["inputs"] = inputs
    template = "modeler_bpmn.html" if kind == "bpmn" else "modeler_dmn.html"
    return render_template(template, definition=definition, draft=draft, showing=showing, version=base_version,
                           config=config, ready=ready, kind_path=kind_path, label=KIND_LABELS[kind])


@bp.get("/<kind_path>/<key>/versions/<int:version>.xml")
def version_xml(kind_path, key, version):
    kind = _kind(kind_path)
    xml, _version = modeling().version_xml(kind, key, version)
    filename = f"{key}-v{version}.{kind}"
    return xml, 200, {"Content-Type": "application/xml; charset=utf-8",
                      "Content-Disposition": f"attachment; filename={filename}"}


@bp.get("/element-templates.json")
def templates():
    response = jsonify(element_templates(TOPICS))
    response.cache_control.no_cache = True
    return response


# --- drafts, checks, deploy (JSON, called by the editor pages) ----------------------------------------

def _xml_from_request() -> str:
    payload = request.get_json(silent=True) or {}
    xml = payload.get("xml")
    if not isinstance(xml, str) or not xml.strip():
        abort(400, description="请求中没有流程图 XML。")
    return xml


def _problems_json(problems, filename: str) -> list[dict]:
    return [{"file": p.file, "element_id": p.element_id, "reason": p.reason, "in_draft": p.file == filename}
            for p in problems]


@bp.post("/<kind_path>/<key>/draft")
def save_draft(kind_path, key):
    kind = _kind(kind_path)
    payload = request.get_json(silent=True) or {}
    xml = _xml_from_request()
    try:
        draft = modeling().save_draft(kind, key, xml, payload.get("baseVersion"), _username())
    except DeployError as e:
        return jsonify(ok=False, message="草稿未保存：XML 无法读取。",
                       problems=_problems_json(e.problems, "")), 422
    return jsonify(ok=True, message=f"草稿已保存（基于第 {draft.base_version} 版）。",
                   updated_by=draft.updated_by, updated_at=draft.updated_at.isoformat())


@bp.post("/<kind_path>/<key>/draft/discard")
def discard_draft(kind_path, key):
    kind = _kind(kind_path)
    if modeling().discard_draft(kind, key):
        flash("草稿已放弃，显示现行版本。", "success")
    return redirect(url_for("modeler.process" if kind == "bpmn" else "modeler.decision", key=key))


@bp.post("/<kind_path>/<key>/check")
def check(kind_path, key):
    """The deploy's checks and bpmnlint on the draft, and its difference from the version in service."""
    kind = _kind(kind_path)
    xml = _xml_from_request()
    service = modeling()
    result = service.check(kind, key, xml)
    try:
        diff, version = service.diff(kind, key, xml)
        diff_json = diff.as_dict()
    except DeployError:
        diff_json, version = None, None
    return jsonify(ok=result.ok, problems=_problems_json(result.problems, result.filename),
                   lint={"available": result.lint_available, "notice": result.lint_notice} if kind == "bpmn" else None,
                   diff=diff_json, current_version=version)


@bp.post("/<kind_path>/<key>/deploy")
def deploy(kind_path, key):
    kind = _kind(kind_path)
    xml = _xml_from_request()
    service = modeling()
    filename = service.definition(kind, key).filename
    try:
        result = service.deploy(kind, key, xml, _username())
    except DeployError as e:
        return jsonify(ok=False, message="部署被拒绝，未保存任何内容。请按下列问题修改后再部署。",
                       problems=_problems_json(e.problems, filename)), 422
    if not result.changed:
        return jsonify(ok=True, changed=False, message=result.summary())
    new_version = dict(result.new_processes if kind == "bpmn" else result.new_decisions).get(key)
    message = result.summary() + "。新发起的事项使用新版本，办理中的事项仍按原版本办理。"
    flash(message, "success")
    target = url_for("modeler.process" if kind == "bpmn" else "modeler.decision", key=key)
    return jsonify(ok=True, changed=True, message=message, version=new_version, redirect=target)


@bp.post("/decisions/<key>/evaluate")
def evaluate(key):
    """试算: the draft table (not deployed) and the deployed one on the same inputs."""
    payload = request.get_json(silent=True) or {}
    xml = _xml_from_request()
    service = modeling()
    try:
        fields = service.decision_inputs(xml)
    except Exception:
        fields = []
    raw = payload.get("inputs") or {}
    inputs, errors = {}, []
    for field in fields:
        try:
            inputs[field.name] = convert_input(raw.get(field.name), field.type)
        except ValueError:
            errors.append(f"“{field.label}”应为{'整数' if field.type in ('integer', 'long') else '数字'}")
    if errors:
        return jsonify(ok=False, message="；".join(errors), inputs=[vars(f) for f in fields]), 422
    answer = {"ok": True, "inputs": [vars(f) for f in fields], "values": inputs}
    for side, run in (("draft", lambda: service.evaluate_draft(key, xml, inputs)),
                      ("deployed", lambda: service.evaluate_deployed(key, inputs))):
        try:
            answer[side] = run()
        except DeployError as e:
            answer[side] = {"error": "；".join(p.reason for p in e.problems)}
        except (EngineError, NotFound) as e:
            answer[side] = {"error": str(e)}
        except Exception as e:  # an expression failing on these inputs: say so, the page stays usable
            answer[side] = {"error": "试算出错：" + (str(e).splitlines()[0] if str(e) else type(e).__name__)}
    return jsonify(_jsonable(answer))


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
