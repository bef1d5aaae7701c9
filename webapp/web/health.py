"""Health check for load balancers and monitoring: no login, JSON only."""
import logging

from flask import Blueprint, jsonify
from sqlalchemy import text

from .helpers import get_engine

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    try:
        with get_engine().db.read() as session:
            session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means the database is not usable
        log.exception("health check: database unavailable")
        return jsonify(status="error", database="error"), 503
    return jsonify(status="ok", database="ok")
