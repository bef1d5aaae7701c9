"""Command line: `flask --app webapp <command>`.

    init-db      create or upgrade the database schema
    deploy       validate bpmn/ and dmn/ and store new versions of what changed
    worker       fire due timers and run service-task jobs until stopped
    seed-demo    the demo city: units, people and ~200 items at every stage (on an empty database)
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


@click.command("seed-demo")
@click.option("--items", "item_count", type=click.IntRange(0, 2000), default=None,
              help="演示建议提案的件数（默认约 200 件；0 为只建用户）")
def seed_demo(item_count):
    """The demo city (units, people, ~200 items at every stage) on a database without users."""
    from .demo import DEFAULT_ITEMS, DEMO_PASSWORD, seed_demo as seed
    from .demo.flow import DemoError
    try:
        result = seed(_engine(), DEFAULT_ITEMS if item_count is None else item_count, progress=click.echo)
    except (DemoError, DeployError) as e:
        raise click.ClickException(str(e)) from e
    if result is None:
        click.echo("已有用户，未创建演示数据。")
    else:
        click.echo(f"已创建演示数据：{result.users} 个用户（密码均为 {DEMO_PASSWORD}），{result.items} 件建议提案，"
                   f"用时 {result.seconds:.0f} 秒。")


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
