"""Logging in and out, safe `next` redirects, the login wall and CSRF protection."""
import re

from webapp import create_app

from .pages import text_of


def test_login_page_is_chinese(app):
    response = app.test_client().get("/login")
    assert response.status_code == 200
    page = text_of(response)
    assert "登录" in page and "用户名" in page and "密码" in page


def test_wrong_password_shows_chinese_message(app):
    response = app.test_client().post("/login", data={"username": "clerk1", "password": "nope"})
    assert response.status_code == 401
    assert "用户名或密码错误" in text_of(response)
    assert 'value="clerk1"' in response.get_data(as_text=True)  # the user name is kept


def test_unknown_user_and_empty_fields(app):
    client = app.test_client()
    assert "用户名或密码错误" in text_of(client.post("/login", data={"username": "ghost", "password": "x"}))
    assert "请输入用户名和密码" in text_of(client.post("/login", data={"username": "", "password": ""}))


def test_login_then_logout(app):
    client = app.test_client()
    response = client.post("/login", data={"username": "clerk1", "password": "secret"}, follow_redirects=True)
    assert response.status_code == 200
    assert "张经办" in text_of(response) and "待办任务" in text_of(response)
    response = client.post("/logout", follow_redirects=True)
    assert "您已安全退出" in text_of(response)
    assert client.get("/").status_code == 302


def test_logout_needs_post(login):
    client = login("clerk1")
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200  # still logged in


def test_pages_need_login_and_come_back_after(app):
    client = app.test_client()
    response = client.get("/instances?q=abc")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]
    response = client.post("/login", data={"username": "clerk1", "password": "secret", "next": "/instances?q=abc"})
    assert response.headers["Location"] == "/instances?q=abc"


def test_next_to_another_site_is_ignored(app):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        client = app.test_client()
        response = client.post("/login", data={"username": "clerk1", "password": "secret", "next": target})
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target


def test_inactive_user_cannot_log_in(app, engine):
    from webapp.models import User
    with engine.db.write() as s:
        s.query(User).filter_by(username="clerk2").update({"active": False})
    response = app.test_client().post("/login", data={"username": "clerk2", "password": "secret"})
    assert "已停用" in text_of(response)


def test_csrf_token_is_required(settings, deployed, people):
    app = create_app(settings, deployed)
    app.config.update(TESTING=True)  # CSRF protection stays on
    client = app.test_client()
    response = client.post("/login", data={"username": "clerk1", "password": "secret"})
    assert response.status_code == 400
    assert "页面已过期，请刷新后重试" in text_of(response)

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "clerk1", "password": "secret", "csrf_token": token})
    assert response.status_code == 302

    # Logged in, a state-changing POST without the token is still refused.
    response = client.post("/logout")
    assert response.status_code == 400
    assert "页面已过期" in text_of(response)
