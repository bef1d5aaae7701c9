"""Health check and the Chinese error pages."""
import io
from contextlib import contextmanager

from .conftest import open_task_id
from .pages import text_of


def test_healthz_ok_without_login(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_database_fails(app, engine, monkeypatch):
    @contextmanager
    def broken():
        raise RuntimeError("database is gone")
        yield  # pragma: no cover

    monkeypatch.setattr(engine.db, "read", broken)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}


def test_unknown_page_is_404_in_chinese(login, people):
    response = login("clerk1").get("/no/such/page")
    assert response.status_code == 404
    page = text_of(response)
    assert "页面不存在" in page and "您要找的页面或记录不存在" in page


def test_upload_too_large_is_413_in_chinese(app, login, deployed, people):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    app.extensions["settings"].max_upload_bytes = 1000
    instance_id = deployed.runtime.start("all_fields", "AF-BIG", actor=people["clerk1"])
    task_id = open_task_id(deployed, instance_id, "fill")
    data = {"subject": "大文件", "attachment": (io.BytesIO(b"x" * 5000), "big.pdf", "application/pdf")}
    response = login("clerk1").post(f"/tasks/{task_id}", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    page = text_of(response)
    assert "上传内容过大" in page and "不能超过 1000 字节" in page


def test_server_error_page(app, login, monkeypatch):
    from webapp.web import inbox
    client = login("clerk1")
    app.testing = False  # render the page instead of raising

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(inbox, "render_template", boom)
    response = client.get("/")
    assert response.status_code == 500
    assert "系统内部错误" in text_of(response)
