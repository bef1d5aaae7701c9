"""Logging in and out."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from ..models import User
from .helpers import get_engine, is_safe_target

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = request.values.get("next", "")
    if not is_safe_target(next_url):
        next_url = ""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("inbox.index"))
    error = None
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        password = request.form.get("password", "")
        if not username or not password:
            error = "请输入用户名和密码。"
        else:
            with get_engine().db.read() as session:
                user = session.scalars(select(User).where(User.username == username)).first()
            if user is None or not user.check_password(password):
                error = "用户名或密码错误。"
            elif not user.active:
                error = "该账号已停用，请联系系统管理员。"
            else:
                login_user(user)
                flash(f"欢迎，{user.display_name}。", "success")
                return redirect(next_url or url_for("inbox.index"))
    status = 401 if error else 200
    return render_template("login.html", error=error, username=username, next_url=next_url), status


@bp.post("/logout")
def logout():
    logout_user()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))
