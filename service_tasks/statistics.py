"""The annual statistics for the office's report (annual summary process)."""
from service_tasks import Parameter, topic


@topic("annual_statistics", "统计年度办理情况", [Parameter("year", "年度", required=True)])
def annual_statistics(ctx, year):
    """收件、立案、按类型／类别／单位统计，按时办结率、满意率（含基本满意）、A/B/C 占比、面商率、重点事项。"""
    from webapp.config import Settings
    from webapp.engine.repository import Repository
    from webapp.engine.runtime import Runtime
    from webapp.reports.statistics import annual_statistics as compute

    runtime = Runtime(ctx.db, Repository(ctx.db), Settings())
    with ctx.db.read() as session:
        return {"statistics": compute(session, runtime, int(year))}
