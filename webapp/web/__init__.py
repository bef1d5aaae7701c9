"""The browser side: blueprints, login and CSRF protection, Chinese error pages."""
from flask import request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from ..models import User
from . import (admin, admin_calendar, attachments, auth, errors, health, inbox, instances, items, notifications,
               supervision, tasks)
from . import admin_messages
from . import exports
from . import admin_api_tokens, api, item_import
from .helpers import get_engine, register_filters

# Endpoints anyone may reach without logging in.
PUBLIC_ENDPOINTS = {"auth.login", "health.healthz", "static", "vendor.asset",
                    "public.index", "public.reply"}  # 复文公开: published replies, for everyone

csrf = CSRFProtect()


def register_web(app):
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)

    login_manager = LoginManager(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id):
        if not str(user_id).isdigit():
            return None
        with get_engine().db.read() as session:
            user = session.get(User, int(user_id))
            return user if user is not None and user.active else None

    csrf.init_app(app)

    for module in (auth, inbox, tasks, items, instances, supervision, attachments, notifications, admin, admin_calendar,
                   health):
        app.register_blueprint(module.bp)
    app.register_blueprint(exports.bp)  # ledger and case-file downloads
    # The supervision board, published replies, statistics and the item page's process diagram.
    from . import board, diagram, public, statistics
    for module in (board, diagram, public, statistics):
        app.register_blueprint(module.bp)
    # The modeler pages and the browser libraries they load from node_modules/.
    from . import modeler, vendor
    app.register_blueprint(modeler.bp)
    app.register_blueprint(vendor.bp)
    vendor.register_template_helpers(app)
    app.register_blueprint(admin_messages.bp)
    # A process's versions and moving items between them; administrators' operations on an item.
    from . import operations, versions
    app.register_blueprint(versions.bp)
    app.register_blueprint(operations.bp)
    # The task page's live preview of the reply letter (HTML, and the Word 预览稿).
    from . import letter_preview
    app.register_blueprint(letter_preview.bp)
    # 协商记录 on the item page: the lead proposer confirms or disputes each of the units' records.
    from . import consultations
    app.register_blueprint(consultations.bp)

    # Office intake besides the form: spreadsheet batches; the platforms' API (bearer tokens, no cookies:
    # nothing for CSRF to protect) and its administration.
    app.register_blueprint(item_import.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)
    app.register_blueprint(admin_api_tokens.bp)

    @app.before_request
    def require_login():
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint in api.PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    register_filters(app)
    app.context_processor(notifications.header_context)
    app.context_processor(admin.calendar_context)
    errors.register(app)
