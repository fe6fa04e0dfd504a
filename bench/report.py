"""The results: figures at both scales put side by side, judged against issue 8's targets, written out."""

import json
from dataclasses import asdict
from pathlib import Path

from bench.pages import BASELINE, abbreviate

TARGETS = {
    "page_p95_ms": 150,  # every page at scale 10, server time
    "statements_ratio": 1.0,  # statements per page, scale 10 / scale 1
    "job_s": 5,  # the reminder scan and each weekly export at scale 10
}
DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
JOB_NAMES = {
    "reminder_dry_run": "停滞提醒扫描（dry run）",
    "reminder_run": "停滞提醒扫描并发送（首次，写入）",
    "reminder_run_again": "再次扫描（已发送过，无新内容）",
    "export_xlsx": "周调度导出 .xlsx（汇总已生成）",
    "export_docx": "周调度导出 .docx（汇总已生成）",
    "export_html": "周调度导出 HTML 打印页（汇总已生成）",
    "weekly_build_last": "周调度汇总首次生成（上周，全市，不用缓存）",
    "weekly_build_current": "周调度汇总首次生成（本周，全市，不用缓存）",
}


def mark(ok: bool) -> str:
    return "✔" if ok else "✘"


def combine(main: dict, small: dict) -> dict:
    """One database's results: each page at the main scale beside its scale-1 figures."""
    roles = {}
    for role, measured in main["pages"].items():
        pages = measured["pages"]
        baseline = pages[BASELINE]["p50_ms"]
        roles[role] = {
            "username": measured["username"],
            "pages": {
                key: _judge_page(figures, small["pages"][role]["pages"][key], baseline)
                for key, figures in pages.items()
            },
        }
    jobs = {
        key: figures | {"ok": figures["median_s"] < TARGETS["job_s"]} for key, figures in main["jobs"].items()
    }
    return {
        "version": main["version"],
        "scale": main["scale"],
        "load_s": {str(main["scale"]): main["load_s"], str(small["scale"]): small["load_s"]},
        "people": asdict(main["people"]),
        "roles": roles,
        "jobs": jobs,
    }


def _judge_page(figures: dict, small: dict, baseline_p50: float) -> dict:
    ratio = figures["statements"] / small["statements"] if small["statements"] else None
    counts = figures["profile"].pop("statement_counts")
    small_counts = small["profile"].get("statement_counts", counts)
    differing = [
        {"sql": sql, "scale_n": counts.get(sql, 0), "scale_1": small_counts.get(sql, 0)}
        for sql in sorted(counts.keys() | small_counts.keys())
        if counts.get(sql, 0) != small_counts.get(sql, 0)
    ]
    return figures | {
        "statements_differing": differing,
        "scale1": {k: small[k] for k in ("p50_ms", "p95_ms", "statements", "statements_vary")},
        "baseline_ratio": round(figures["p50_ms"] / baseline_p50, 1) if baseline_p50 else None,
        "statements_ratio": round(ratio, 2) if ratio is not None else None,
        "p95_ok": figures["p95_ms"] < TARGETS["page_p95_ms"],
        "statements_ok": figures["statements"] == small["statements"],
    }


def write(results: dict, json_path: Path, md_path: Path) -> None:
    json_path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(markdown(results), encoding="utf-8")


def markdown(results: dict) -> str:
    env = results["environment"]
    lines = [
        "# 性能基准 / Benchmark results",
        "",
        f"`make bench` on {env['date']}: scale {env['scale']}, {env['requests_per_page']} timed requests per page "
        f"after {env['warmup_requests']} warm-up, jobs {env['job_runs']} runs. {env['cpu_count']} CPUs "
        f"(load average {_load(env['load_average_start'])} at start, {_load(env.get('load_average_end'))} "
        f"at end; the machine is shared, so expect noise), Python {env['python']}, SQLite {env['sqlite']}.",
        "",
        f"Targets (issue 8): page p95 < {TARGETS['page_p95_ms']} ms server time; statements per page the same "
        f"at scale {env['scale']} and scale 1; the reminder scan and each export < {TARGETS['job_s']} s (median).",
        "Server time is measured in-process (Flask test client), so it excludes the network and the browser. "
        "× baseline: the page's p50 over `/account/password`'s. SQL ms: one request's statements, each timed "
        "until the database hands back its first row (SQLite steps through the rest while rows are fetched, "
        "which counts as Python time).",
        "",
    ]
    for kind, result in results["databases"].items():
        lines += _database_section(kind, result)
    return "\n".join(lines) + "\n"


def _load(values) -> str:
    return " / ".join(f"{v:.2f}" for v in values) if values else "?"


def _database_section(kind: str, result: dict) -> list[str]:
    name = DATABASE_NAMES.get(kind, kind)
    if "skipped" in result:
        return [f"## {name}", "", f"Skipped: {result['skipped']}", ""]
    loads = ", ".join(f"scale {scale}: {seconds:.0f} s" for scale, seconds in result["load_s"].items())
    people = result["people"]
    lines = [
        f"## {name} {result['version']}",
        "",
        f"Demo data loaded in {loads}. Officer: `{people['officer']}` ({people['officer_open_items']} open "
        f"items at scale {result['scale']}); cluster: {people['cluster']}.",
        "",
    ]
    for role, measured in result["roles"].items():
        lines += _page_table(role, measured, result["scale"])
    lines += _job_table(result["jobs"])
    lines += _diagnosis(result["roles"])
    return lines


def _page_table(role: str, measured: dict, scale: int) -> list[str]:
    who = "局领导（全市）" if role == "head" else "招商专员"
    lines = [
        f"### Pages as {who} `{measured['username']}`",
        "",
        f"| page | p50 ms | p95 ms | × baseline (p50) | statements | at scale 1 | ratio {scale}/1 "
        "| SQL ms (1 request) | p95 | statements |",
        "|---|--:|--:|--:|--:|--:|--:|--:|:-:|:-:|",
    ]
    for figures in measured["pages"].values():
        vary = "~" if figures["statements_vary"] or figures["scale1"]["statements_vary"] else ""
        lines.append(
            f"| {figures['label']} <br>`{figures['path']}` | {figures['p50_ms']:.1f} | {figures['p95_ms']:.1f} "
            f"| {figures['baseline_ratio']} | {vary}{figures['statements']} | {figures['scale1']['statements']} "
            f"| {figures['statements_ratio']} | {figures['profile']['sql_ms']:.1f} "
            f"| {mark(figures['p95_ok'])} | {mark(figures['statements_ok'])} |"
        )
    return lines + ["", "`~`: the count varied between requests (the largest is shown).", ""]


def _job_table(jobs: dict) -> list[str]:
    lines = [
        "### Jobs",
        "",
        "| job | best s | median s | runs | result | < 5 s |",
        "|---|--:|--:|--:|---|:-:|",
    ]
    for key, figures in jobs.items():
        lines.append(
            f"| {JOB_NAMES.get(key, key)} | {figures['best_s']:.2f} | {figures['median_s']:.2f} "
            f"| {len(figures['runs_s'])} | {figures['note']} | {mark(figures['ok'])} |"
        )
    return lines + [""]


def _diagnosis(roles: dict) -> list[str]:
    """For each page that misses a target: its slowest statements and, when slow, its Python profile."""
    lines = []
    for role, measured in roles.items():
        for figures in measured["pages"].values():
            if not (figures["p95_ok"] and figures["statements_ok"]):
                lines += _page_diagnosis(role, figures)
    if lines:
        lines = ["### Pages that miss a target: where the time goes (one request each)", ""] + lines
    return lines


def _page_diagnosis(role: str, figures: dict) -> list[str]:
    profile = figures["profile"]
    lines = [
        f"#### {role}: {figures['label']} `{figures['path']}` — {profile['request_ms']:.0f} ms, "
        f"of which SQL (until the first row) {profile['sql_ms']:.0f} ms",
        "",
        "Slowest statements:",
        "",
    ]
    lines += [
        f"- {s['ms']:.1f} ms ({s['times']}×): `{abbreviate(s['sql'])}`" for s in profile["top_statements"]
    ]
    if figures["statements_differing"]:
        lines += ["", "Statements whose count differs (main scale / scale 1):", ""]
        lines += [f"- {d['scale_n']} / {d['scale_1']}: `{d['sql']}`" for d in figures["statements_differing"]]
    python = figures.get("python_profile")
    if python:
        lines += ["", "Python, most time of its own (cProfile, which slows the request down):", ""]
        lines += [f"- {f['self_ms']:.1f} ms, {f['calls']} calls: `{f['function']}`" for f in python["self"]]
        lines += ["", "The app's functions, most time in total:", ""]
        lines += [
            f"- {f['cumulative_ms']:.1f} ms, {f['calls']} calls: `{f['function']}`"
            for f in python["app_cumulative"]
        ]
    return lines + [""]
