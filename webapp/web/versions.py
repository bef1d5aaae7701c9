"""A process's versions (流程版本) and moving running items between them (版本迁移).

/modeler/processes/<key>/versions lists the versions of a deployed process (who deployed each, when,
from the command line or the browser), how many items run on each — per deployment, since items are
pinned to the deployment they started in — and each version's XML. From a deployment with items
that is not the newest, a dry run (/modeler/processes/<key>/migration?from=…) tells per item whether
it can move to a newer deployment and why not; the move itself takes the items chosen, or every one
that can. Process owners and administrators only, like the modeler pages; the work is in
webapp/engine/migration.py (free of Flask).
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..engine.errors import EngineError, NotFound
from ..engine.migration import Migration
from ..models import Deployment
from ..modeling.service import Modeling
from .helpers import actor, get_engine, restrict
from .modeler import may_model

bp = Blueprint("versions", __name__, url_prefix="/modeler/processes")

SOURCE_LABELS = {"cli": "命令行", "browser": "浏览器"}
REASONS_IN_MESSAGE = 5  # refused items named in the message after a move


restrict(bp, may_model, "只有流程管理员和系统管理员可以查看流程版本和迁移事项。")


def _definition(key: str):
    try:
        return Modeling(get_engine()).definition("bpmn", key)
    except NotFound as e:
        abort(404, description=str(e))


@bp.get("/<key>/versions")
def index(key):
    definition = _definition(key)
    engine = get_engine()
    migration = Migration(engine)
    with engine.db.read() as session:
        usage = migration.usage(session, key)
        deployments = {d.id: d for d in session.scalars(
            select(Deployment).where(Deployment.id.in_({u.deployment_id for u in usage})))}
        newer = {(u.process_key, u.deployment_id): bool(migration.targets(session, u.process_key, u.deployment_id))
                 for u in usage}
    per_version: dict[int, dict[str, int]] = {}
    for u in usage:
        totals = per_version.setdefault(u.version, {"running": 0, "suspended": 0})
        totals["running"] += u.running
        totals["suspended"] += u.suspended
    return render_template("modeler_versions.html", definition=definition, usage=usage, deployments=deployments,
                           newer=newer, per_version=per_version, source_labels=SOURCE_LABELS)


@bp.get("/<key>/migration")
def dry_run(key):
    """The dry run: every item of the source deployment, whether it can move to the target and why not."""
    source = request.args.get("from", type=int)
    if source is None:
        abort(400, description="请指定要迁移的事项所在的部署（from）。")
    engine = get_engine()
    migration = Migration(engine)
    try:
        plan = migration.plan(key, source, request.args.get("to", type=int))
    except NotFound as e:
        abort(404, description=str(e))
    except EngineError as e:
        flash(str(e), "error")
        return redirect(url_for("versions.index", key=key))
    with engine.db.read() as session:
        targets = migration.targets(session, key, source)
    return render_template("modeler_migration.html", plan=plan, targets=targets, key=key)


@bp.post("/<key>/migration")
def migrate(key):
    source = request.form.get("from", type=int)
    target = request.form.get("to", type=int)
    if source is None or target is None:
        abort(400, description="请求中缺少迁移的来源或目标部署。")
    everything = request.form.get("all") == "1"
    chosen = request.form.getlist("instance_id", type=int)
    back = url_for("versions.dry_run", key=key, **{"from": source, "to": target})
    if not everything and not chosen:
        flash("请选择要迁移的事项，或选择“迁移全部可迁移事项”。", "error")
        return redirect(back)
    try:
        result = Migration(get_engine()).migrate(key, source, target, actor=actor(),
                                                 instance_ids=None if everything else chosen)
    except NotFound as e:
        abort(404, description=str(e))
    except EngineError as e:
        flash(str(e), "error")
        return redirect(back)
    if result.moved:
        flash(f"已将 {len(result.moved)} 件事项从{result.source.label}迁移到{result.target.label}，"
              "待办、定时器和服务任务已随之更新。", "success")
    if result.refused:
        named = "；".join(f"{c.business_key or c.instance_id}：{c.reasons[0]}"
                         for c in result.refused[:REASONS_IN_MESSAGE])
        more = f"等 {len(result.refused)} 件" if len(result.refused) > REASONS_IN_MESSAGE else ""
        flash(f"{len(result.refused)} 件事项未迁移，仍按原版本办理（{named}{more}）。", "error")
    if not result.moved and not result.refused:
        flash("没有可迁移的事项。", "info")
    return redirect(url_for("versions.index", key=key))
