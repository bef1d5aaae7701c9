"""Command line: `flask --app webapp <command>`.

    init-db      create or upgrade the database schema
    deploy       validate bpmn/ and dmn/ and store new versions of what changed
    worker       fire due timers and run service-task jobs until stopped
    seed-demo    demo units, roles and people (on an empty database)
    create-user  add a user with roles
    calendar     working days, periods and deadline rules (see webapp/cli_calendar.py)
    letter       sample reply letters and the letter template (see webapp/cli_letter.py)
    export-diagrams  the deployed BPMN/DMN files back to bpmn/ and dmn/ (see webapp/cli_diagrams.py)
    statistics   refresh the statistics snapshot now (see webapp/cli_statistics.py)
"""
import signal
import sys

import click
from flask import current_app
from sqlalchemy import select

from .db import upgrade_schema
from .engine.errors import DeployError
from .engine.repository import sources_from_dirs
from .models import Role, RoleAssignment, Unit, User


def _engine():
    return current_app.extensions["engine"]


def register_commands(app):
    app.cli.add_command(init_db)
    app.cli.add_command(deploy)
    app.cli.add_command(worker)
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    from .cli_calendar import calendar_group
    app.cli.add_command(calendar_group)
    from .cli_letter import letter_group
    app.cli.add_command(letter_group)
    from .cli_diagrams import export_diagrams
    app.cli.add_command(export_diagrams)
    from .cli_statistics import statistics_group
    app.cli.add_command(statistics_group)


@click.command("init-db")
def init_db():
    """Create or upgrade the database schema."""
    upgrade_schema(_engine().db)
    click.echo("数据库结构已是最新。")


@click.command("deploy")
@click.option("--bpmn-dir", type=click.Path(exists=True, file_okay=False), help="BPMN 目录（默认 bpmn/）")
@click.option("--dmn-dir", type=click.Path(exists=True, file_okay=False), help="DMN 目录（默认 dmn/）")
def deploy(bpmn_dir, dmn_dir):
    """Validate every diagram and decision table and deploy what changed."""
    from pathlib import Path
    engine = _engine()
    upgrade_schema(engine.db)
    settings = engine.settings
    sources = sources_from_dirs(Path(bpmn_dir or settings.bpmn_dir), Path(dmn_dir or settings.dmn_dir))
    try:
        result = engine.repository.deploy(sources, created_by="cli", source="cli")
    except DeployError as e:
        click.echo(str(e), err=True)
        sys.exit(1)
    click.echo(result.summary())


@click.command("worker")
@click.option("--once", is_flag=True, help="处理一次到期的定时器和作业后退出")
def worker(once):
    """Fire due timers and run service-task jobs (several workers may run at once)."""
    engine = _engine()
    if once:
        click.echo(f"处理了 {engine.management.run_once()} 项。")
        return
    stopping = {"flag": False}

    def stop(_signum, _frame):
        stopping["flag"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"工作进程 {engine.management.worker_id} 已启动（Ctrl+C 停止）。")
    engine.management.work(stop=lambda: stopping["flag"])


DEMO_PASSWORD = "demo123"
DEMO_ROLES = [
    ("office", "市政府办公室"), ("reviewer_npc", "人大代表工委"), ("reviewer_cppcc", "政协提案委"),
    ("unit_head", "承办单位主要领导"), ("unit_leader", "承办单位分管领导"), ("unit_liaison", "承办单位综合科室"),
    ("unit_handler", "承办单位经办人"), ("vice_mayor", "市政府分管领导"), ("proposer", "代表/委员"),
    ("process_owner", "流程管理员"),
]
DEMO_UNITS = [("office", "市政府办公室", "office"), ("jtj", "市交通运输局", "department"),
              ("jyj", "市教育局", "department"), ("npc", "市人大常委会代表工委", "reviewer"),
              ("cppcc", "市政协提案委", "reviewer")]
# username, name, roles as (role, unit code), admin
DEMO_PEOPLE = [
    ("admin", "系统管理员", [("process_owner", "office")], True),
    ("office", "王秘书（市政府办公室）", [("office", "office")], False),
    ("jtj_handler", "李经办（市交通运输局）", [("unit_handler", "jtj")], False),
    ("jtj_liaison", "赵科长（交通局综合科）", [("unit_liaison", "jtj")], False),
    ("jtj_head", "陈局长（市交通运输局）", [("unit_head", "jtj"), ("unit_leader", "jtj")], False),
    ("jyj_handler", "周经办（市教育局）", [("unit_handler", "jyj")], False),
    ("npc_reviewer", "孙主任（代表工委）", [("reviewer_npc", "npc")], False),
    ("deputy", "刘代表", [("proposer", None)], False),
]


def demo_logins() -> list[tuple[str, str]]:
    return [(username, name) for username, name, _roles, _admin in DEMO_PEOPLE]


@click.command("seed-demo")
def seed_demo():
    """Demo units, roles and people; does nothing if users exist already."""
    engine = _engine()
    upgrade_schema(engine.db)
    if seed_demo_people(engine):
        click.echo(f"已创建演示用户（密码均为 {DEMO_PASSWORD}）。")
    else:
        click.echo("已有用户，未创建演示数据。")


def seed_demo_people(engine) -> bool:
    with engine.db.write() as s:
        if s.scalar(select(User.id).limit(1)) is not None:
            return False
        s.add_all(Role(code=c, name=n) for c, n in DEMO_ROLES)
        units = {code: Unit(code=code, name=name, kind=kind) for code, name, kind in DEMO_UNITS}
        s.add_all(units.values())
        s.flush()
        for username, name, roles, admin in DEMO_PEOPLE:
            # Reserved example addresses: without SMTP_HOST the demo's mails land in the outbox.
            user = User(username=username, display_name=name, is_admin=admin, email=f"{username}@example.org")
            user.set_password(DEMO_PASSWORD)
            s.add(user)
            s.flush()
            for role, unit in roles:
                s.add(RoleAssignment(user_id=user.id, role_code=role, unit_id=units[unit].id if unit else None))
    return True


@click.command("create-user")
@click.argument("username")
@click.option("--name", required=True, help="显示名称")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="系统管理员")
@click.option("--role", "roles", multiple=True, help="角色，可写作 role 或 role@单位代码，可重复")
@click.option("--email", default=None, help="电子邮箱（通知同时发送邮件）")
def create_user(username, name, password, admin, roles, email):
    """Add a user with roles, e.g. --role unit_handler@jtj."""
    from .messaging.mail import valid_address
    if email is not None and not valid_address(email):
        raise click.ClickException(f"电子邮箱“{email}”格式不正确")
    engine = _engine()
    with engine.db.write() as s:
        if s.scalar(select(User.id).where(User.username == username)):
            raise click.ClickException(f"用户名“{username}”已存在")
        user = User(username=username, display_name=name, is_admin=admin, email=email.strip() if email else None)
        user.set_password(password)
        s.add(user)
        s.flush()
        for spec in roles:
            role, _, unit_code = spec.partition("@")
            if s.get(Role, role) is None:
                raise click.ClickException(f"角色“{role}”不存在")
            unit_id = None
            if unit_code:
                unit_id = s.scalar(select(Unit.id).where(Unit.code == unit_code))
                if unit_id is None:
                    raise click.ClickException(f"单位“{unit_code}”不存在")
            s.add(RoleAssignment(user_id=user.id, role_code=role, unit_id=unit_id))
    click.echo(f"已创建用户 {username}。")
