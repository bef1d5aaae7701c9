"""Flask application factory. The engine (webapp.engine) is Flask-free; this wires it to the web."""
import secrets

from flask import Flask

from .config import Settings
from .engine import Engine


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Flask:
    settings = settings or Settings()
    engine = engine or Engine(settings)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key or _instance_secret(app),
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.extensions["engine"] = engine
    app.extensions["settings"] = settings

    from .web import register_web
    register_web(app)
    from .cli import register_commands
    register_commands(app)

    return app


def _instance_secret(app: Flask) -> str:
    """A stable secret per installation, kept in the instance folder (never committed)."""
    from pathlib import Path
    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()
