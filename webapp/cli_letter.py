"""`flask --app webapp letter …`: reply letters (答复函) from the command line, to preview the layout.

    letter sample OUT.docx     a letter with fictional demo data, in the configured template (or built-in)
    letter template OUT.docx   the built-in layout with {{placeholders}}: a starting point for a template
"""
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .documents.letter import LetterError, render_reply_letter, render_template, sample_letter


@click.group("letter", cls=AppGroup)
def letter_group():
    """Reply letters in the GB/T 9704 letter format."""


@letter_group.command("sample")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--type", "item_type", type=click.Choice(["suggestion", "proposal"]), default="suggestion",
              show_default=True, help="建议或提案")
@click.option("--co-unit", is_flag=True, help="协办意见")
@click.option("--mark", "position", type=click.Choice(["top_right", "top_left"]), default="top_right",
              show_default=True, help="类别标记位置")
@click.option("--template", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="模板（默认为设置 LETTER_TEMPLATE_PATH，未设置时为内置版式）")
@click.option("--builtin", is_flag=True, help="使用内置版式，不用设置的模板")
def sample(out, item_type, co_unit, position, template, builtin):
    """Write a sample letter with fictional data to OUT."""
    if template is None and not builtin:
        template = current_app.extensions["settings"].letter_template_path
    try:
        data = render_reply_letter(sample_letter(item_type, co_unit, position), template)
    except LetterError as e:
        raise click.ClickException(str(e)) from None
    out.write_bytes(data)
    click.echo(f"已写入 {out}（{'模板 ' + str(template) if template else '内置版式'}，{len(data)} 字节）。")


@letter_group.command("template")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def template(out):
    """Write the built-in layout with {{placeholders}} to OUT, to edit in Word as a template."""
    out.write_bytes(render_template())
    click.echo(f"已写入 {out}。编辑后将 LETTER_TEMPLATE_PATH 设为该文件即可使用。")
