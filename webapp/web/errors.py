"""Error pages in Chinese: bad request (and expired CSRF tokens), forbidden, not found, too large, failure."""
import logging

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..engine.errors import NotFound as EngineNotFound
from .helpers import file_size, get_settings

log = logging.getLogger(__name__)

TITLES = {
    400: "请求无效",
    403: "没有权限",
    404: "页面不存在",
    405: "不支持的操作",
    413: "上传内容过大",
    500: "系统内部错误",
}
DEFAULT_MESSAGES = {
    400: "提交的内容无法处理，请返回后重试。",
    403: "您没有访问该页面的权限。如需办理，请联系系统管理员。",
    404: "您要找的页面或记录不存在，可能已被删除或链接有误。",
    405: "该页面不支持这种操作方式。",
    500: "系统处理时出现错误，已记录日志。请稍后重试；如果问题持续出现，请联系系统管理员。",
}


def _message(code: int, description: str | None) -> str:
    # Werkzeug's default descriptions are English; ours (passed to abort) are Chinese.
    if description and not description.isascii():
        return description
    return DEFAULT_MESSAGES.get(code, "请求无法完成。")


def render_error(code: int, message: str):
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/healthz"):
        return jsonify(error=TITLES.get(code, "错误"), message=message), code
    return render_template("error.html", code=code, title=TITLES.get(code, "错误"), message=message), code


def register(app):
    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render_error(400, "页面已过期，请刷新后重试")

    @app.errorhandler(413)
    def too_large(e):
        limit = file_size(get_settings().max_upload_bytes)
        return render_error(413, f"上传的文件过大：单个文件不能超过 {limit}。请压缩或拆分文件后重新提交。")

    @app.errorhandler(EngineNotFound)
    def engine_not_found(e):
        return render_error(404, str(e))

    @app.errorhandler(HTTPException)
    def http_error(e):
        if e.code is None or e.code < 400:  # routing redirects are HTTPExceptions too
            return e
        return render_error(e.code or 500, _message(e.code or 500, e.description))

    @app.errorhandler(Exception)
    def failure(e):
        if app.testing:  # let tests see the real traceback
            raise e
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500, DEFAULT_MESSAGES[500])
