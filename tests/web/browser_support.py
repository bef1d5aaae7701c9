"""Shared pieces of the browser tests (Debian's headless Chromium driven by Playwright for Python).

- `require()` at the top of a browser test module skips the whole module when Chromium or the playwright
  package is missing, and returns `playwright.sync_api` (for `expect`).
- `serve(app)` serves a Flask app on 127.0.0.1 at a free port in a background thread and yields its URL.
- `shot(page, name, request)` saves a full-page screenshot to test-artifacts/screenshots/.

The fixtures `live_server` (the `app` fixture served) and `browser` (one Chromium per module; each test
opens its own context) live in tests/web/conftest.py.
"""
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return "Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def require(module_level: bool = True):
    """Skip (the module, by default) unless Chromium and playwright are there; return playwright.sync_api."""
    reason = missing()
    if reason:
        pytest.skip(reason, allow_module_level=module_level)
    import playwright.sync_api
    return playwright.sync_api


@contextmanager
def serve(app):
    """The app served on 127.0.0.1 at a free port, in a background thread; yields the base URL."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


@contextmanager
def launch():
    """A headless Chromium from /usr/bin/chromium (Playwright never downloads a browser here)."""
    sync_api = require(module_level=False)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def shot(page, name, request):
    """A full-page screenshot test-artifacts/screenshots/<name>-<parameter id or "run">.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    suffix = request.node.callspec.id if hasattr(request.node, "callspec") else "run"
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{suffix}.png"), full_page=True)
