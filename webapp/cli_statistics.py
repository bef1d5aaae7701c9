"""`flask --app webapp statistics refresh`: compute the statistics snapshot now (for cron, or after
importing many items); workers otherwise refresh it when it is older than STATISTICS_REFRESH_MINUTES."""
import click
from flask import current_app


@click.group("statistics")
def statistics_group():
    """统计快照（统计页面读取的数据）。"""


@statistics_group.command("refresh")
@click.option("--if-older-than", "minutes", type=float, default=None,
              help="仅当快照早于这么多分钟时才刷新（默认立即刷新）")
def refresh_command(minutes):
    """Recompute the statistics snapshot from every item's process data."""
    from datetime import timedelta

    from .reports.snapshot import refresh, snapshot_info
    engine = current_app.extensions["engine"]
    ran = refresh(engine.db, engine.runtime, computed_by="命令行",
                  max_age=timedelta(minutes=minutes) if minutes is not None else None)
    with engine.db.read() as session:
        info = snapshot_info(session)
    when = info.computed_at.isoformat(timespec="seconds") if info else "—"
    click.echo(f"{'已刷新' if ran else '快照仍在有效期内，未刷新'}：{info.item_count if info else 0} 件事项，截至 {when}。")
