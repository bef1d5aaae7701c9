"""The item page's process diagram: the BPMN of the instance's own deployment with its current,
waiting and completed steps (webapp/reports/progress.py), drawn by bpmn-js's viewer in the browser.
Without node_modules the page keeps its list of current steps and shows no diagram."""
from flask import Blueprint, abort, jsonify

from ..models import Instance
from ..reports.progress import progress
from .access import can_view_instance
from .helpers import actor, get_engine
from .vendor import available, vendor_url

bp = Blueprint("diagram", __name__)

VIEWER_PACKAGE = "camunda-bpmn-js"
VIEWER_FILES = {"script": "dist/camunda-platform-navigated-viewer.production.min.js",
                "styles": ("dist/assets/diagram-js.css", "dist/assets/bpmn-js.css")}


@bp.app_template_global()
def diagram_viewer() -> dict | None:
    """The viewer's files for the page, or None when they are not installed."""
    if not available(VIEWER_PACKAGE):
        return None
    return {"script": vendor_url(VIEWER_PACKAGE, VIEWER_FILES["script"]),
            "styles": [vendor_url(VIEWER_PACKAGE, path) for path in VIEWER_FILES["styles"]]}


@bp.get("/instances/<int:instance_id>/diagram.json")
def data(instance_id):
    engine = get_engine()
    with engine.db.read() as session:
        instance = session.get(Instance, instance_id)
        if instance is None:
            abort(404, description=f"事项实例 {instance_id} 不存在。")
        if not can_view_instance(session, actor(), instance_id):
            abort(403, description="您没有参与该事项，无权查看。")
        result = progress(session, engine.runtime, instance)
    response = jsonify(result)
    response.headers["Cache-Control"] = "no-store"
    return response
