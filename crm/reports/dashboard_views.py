"""The head dashboard page (招商看板): crm.reports.dashboard's figures for the chosen scope."""

from datetime import UTC, datetime

from flask import abort, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from crm.core.permissions import require
from crm.core.timeutil import local_zone
from crm.reports import bp
from crm.reports.charts import Bar, Series, bar_chart, column_chart
from crm.reports.dashboard import Dashboard, all_clusters, build, clusters_for_reader
from crm.reports.scope import ScopeError, from_args
from crm.templating import amount


@bp.get("/dashboard")
@require("report.view")
def dashboard():
    try:
        scope = from_args(current_user, request.args)
    except ScopeError as error:
        abort(403, str(error))
    clusters = all_clusters()
    data = build(current_user, scope, datetime.now(UTC), local_zone(), clusters)
    return render_template(
        "reports/dashboard.html",
        d=data,
        charts=charts(data),
        cluster_options=clusters_for_reader(current_user, clusters),
        # the lists the counts link to, built once: hundreds of url_for calls cost a page 10 ms
        lists={
            "targets": url_for("targets.index"),
            "projects": url_for("projects.index"),
            "problems": url_for("projects.problems"),
        },
    )


def charts(d: Dashboard) -> dict[str, Markup]:
    """The page's SVG charts, each only when it has something to show; its numbers are in the tables."""
    stages = [Bar(stage, f.amount, f"{f.count} 个 · {amount(f.amount)} 亿元") for stage, f in d.projects.rows]
    progress = [
        Bar(r.cluster.name, r.progress, f"{r.progress}%") for r in d.clusters if r.progress is not None
    ]
    units = [Bar(row.unit, row.total, f"{row.total} 个") for row in d.problems.rows[:10]]
    trend = [
        Series("新增招商企业", [w.targets for w in d.weeks]),
        Series("新增项目", [w.projects for w in d.weeks]),
        Series("项目阶段变更", [w.stage_moves for w in d.weeks]),
    ]
    weeks = [f"{w.week.monday:%m-%d}" for w in d.weeks]
    charts = {
        "stages": d.projects.total.count
        and bar_chart("chart-stages", "项目总投资按阶段（亿元）", stages, text_room=170),
        "progress": progress
        and bar_chart(
            "chart-progress",
            "2021 年增加值占 2025 年目标的比例",
            progress,
            maximum=100,
            reference="2025 目标",
            text_room=70,
        ),
        "problems": units
        and bar_chart("chart-problems", "未解决问题最多的责任单位", units, label_width=200, text_room=60),
        "trend": any(any(s.values) for s in trend)
        and column_chart("chart-trend", "近 12 周新增与阶段变更（按周一日期）", weeks, trend),
    }
    return {name: chart or Markup("") for name, chart in charts.items()}
