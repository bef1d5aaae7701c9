"""Browser libraries from node_modules/ (installed by `npm ci`, pinned by package-lock.json), served locally.

The offices' intranets have no internet, and minified third-party bundles are never committed: the
modeler pages load camunda-bpmn-js, bpmn-js-i18n and dmn-js, the item page its diagram viewer (from
camunda-bpmn-js) and the statistics page chart.js, from the npm packages installed beside the app.
Only the files listed in ASSETS are served (a fixed whitelist: a path is looked up in it, never
joined onto a directory), under a URL that carries the installed package's version, so they are
cached for a year and a new version is a new URL. Without node_modules (no Node.js on the
machine) `available()` is false: the modeler pages say so in Chinese, the item page keeps its list of
current steps without the diagram and the statistics page its tables without charts.
"""
import json
import mimetypes
from functools import lru_cache

from flask import Blueprint, abort, send_file, url_for

from ..config import PROJECT_ROOT

NODE_MODULES = PROJECT_ROOT / "node_modules"
CACHE_SECONDS = 365 * 24 * 3600

# package -> files of it the pages use (the stylesheets' @import and url() targets included).
ASSETS = {
    "camunda-bpmn-js": (
        "dist/camunda-platform-modeler.development.js",
        "dist/assets/camunda-platform-modeler.css",
        "dist/assets/base-modeler.css",
        "dist/assets/diagram-js.css",
        "dist/assets/bpmn-js.css",
        "dist/assets/bpmn-font/css/bpmn-embedded.css",
        "dist/assets/bpmn-font/font/bpmn.eot",
        "dist/assets/bpmn-font/font/bpmn.svg",
        "dist/assets/diagram-js-minimap.css",
        "dist/assets/properties-panel.css",
        "dist/assets/color-picker.css",
        "dist/assets/element-templates.css",
        "dist/assets/element-template-chooser.css",
        "dist/assets/popup-menu.css",
        # The item page's read-only diagram (webapp/web/diagram.py): the viewer with Camunda's moddle.
        "dist/camunda-platform-navigated-viewer.production.min.js",
    ),
    "bpmn-js-i18n": (
        "translations/zn.js",  # Chinese (the package names the file zn.js)
    ),
    "dmn-js": (
        "dist/dmn-modeler.development.js",
        "dist/assets/diagram-js.css",
        "dist/assets/dmn-js-shared.css",
        "dist/assets/dmn-js-drd.css",
        "dist/assets/dmn-js-decision-table.css",
        "dist/assets/dmn-js-decision-table-controls.css",
        "dist/assets/dmn-js-literal-expression.css",
        "dist/assets/dmn-js-boxed-expression.css",
        "dist/assets/dmn-js-boxed-expression-controls.css",
        "dist/assets/dmn-font/css/dmn-embedded.css",
        "dist/assets/dmn-font/font/dmn.eot",
        "dist/assets/dmn-font/font/dmn.svg",
    ),
    "chart.js": (
        "dist/chart.umd.js",  # the statistics page's charts (webapp/web/statistics.py)
    ),
}
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml",
         ".eot": "application/vnd.ms-fontobject"}

bp = Blueprint("vendor", __name__, url_prefix="/vendor")


@lru_cache(maxsize=None)
def installed_version(package: str) -> str | None:
    try:
        return json.loads((NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return None


def available(*packages: str) -> bool:
    """Whether every listed file of the packages (default: all) is installed."""
    for package in packages or ASSETS:
        if installed_version(package) is None:
            return False
        if not all((NODE_MODULES / package / path).is_file() for path in ASSETS[package]):
            return False
    return True


def vendor_url(package: str, path: str) -> str:
    return url_for("vendor.asset", package=package, version=installed_version(package) or "missing", path=path)


@bp.get("/<package>/<version>/<path:path>")
def asset(package, version, path):
    if path not in ASSETS.get(package, ()) or version != installed_version(package):
        abort(404)
    file = NODE_MODULES / package / path
    if not file.is_file():
        abort(404)
    suffix = file.suffix.lower()
    mimetype = TYPES.get(suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    response = send_file(file, mimetype=mimetype, max_age=CACHE_SECONDS, conditional=True)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


def register_template_helpers(app):
    app.add_template_global(vendor_url, "vendor_url")
