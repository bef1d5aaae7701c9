"""`flask --app webapp export-diagrams [--dir .]`: the deployed diagrams back to bpmn/ and dmn/."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .engine.errors import NotFound
from .modeling.export import export_definitions


@click.command("export-diagrams")
@click.option("--dir", "target", default=".", type=click.Path(file_okay=False),
              help="项目目录，写入其下的 bpmn/ 和 dmn/（默认当前目录）")
@with_appcontext
def export_diagrams(target):
    """Write the newest deployment's BPMN and DMN files to bpmn/ and dmn/, exactly as deployed."""
    engine = current_app.extensions["engine"]
    try:
        written = export_definitions(engine.db, Path(target))
    except NotFound as e:
        raise click.ClickException(str(e))
    for item in written:
        click.echo(f"{'已更新' if item.changed else '无变化'}  {item.path}")
    changed = sum(1 for item in written if item.changed)
    click.echo(f"共 {len(written)} 个文件，{changed} 个有变化。")
