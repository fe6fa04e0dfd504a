"""The figures: locust's CSV statistics read back, then written as results.json and results.md."""

import json
import re
from pathlib import Path

SERVER_ERROR = re.compile(r"HTTP (5\d\d)")


def read_summary(path: Path) -> dict:
    """locust's final figures (loadtest/summary.py): requests, total, failures, users per class."""
    if not path.exists():
        return {"requests": [], "total": {}, "failures": [], "users": {}, "ramp_up_seconds": None}
    summary = json.loads(path.read_text(encoding="utf-8"))
    return {key: summary[key] for key in ("requests", "total", "failures", "users", "ramp_up_seconds")}


def server_errors(failures: list[dict]) -> int:
    """How many failures were 5xx answers (the locustfile names them "HTTP <code>")."""
    return sum(f["occurrences"] for f in failures if SERVER_ERROR.search(f["error"]))


def write(results: dict, json_path: Path, md_path: Path) -> None:
    json_path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(markdown(results), encoding="utf-8")


def _ms(value) -> str:
    return "—" if value is None else f"{value:.0f}"


def markdown(r: dict) -> str:
    env, s, total, w = r["environment"], r["settings"], r.get("total") or {}, r.get("writes") or {}
    verdict = "✔ 通过" if r["ok"] else "✘ 未通过"
    lines = [
        "# 负载测试 / Load test results",
        "",
        f"`make loadtest` on {env['date']}: **{verdict}**. {env['cpu_count']} CPUs (load average "
        f"{_load(env['load_average_start'])} at start, {_load(env.get('load_average_end'))} at end; the "
        f"machine is shared, so expect noise), Python {env['python']}, PostgreSQL {env.get('postgresql', '—')}, "
        f"locust {env.get('locust', '—')}.",
        "",
        f"Setup: gunicorn with {s['workers']} workers (`{s['gunicorn_config']}`) and one `flask scheduler` "
        f"process on 127.0.0.1, a fresh PostgreSQL database with `demo-data --scale {s['scale']}`. locust, "
        f"headless: {s['users']} users ({_users(r.get('users'))}; {_accounts(s['officers'])}), spawned "
        f"{s['spawn_rate']}/s, for {s['seconds']} s, {s['wait']} s between clicks and {s['wait']} s to fill "
        "in a form.",
        "",
        "## Requests",
        "",
        f"Total: {total.get('count', 0)} requests, {total.get('failures', 0)} failed "
        f"({r['server_errors']} of them 5xx), {total.get('rps', 0)} req/s; p50 {_ms(total.get('p50_ms'))} ms, "
        f"p95 {_ms(total.get('p95_ms'))} ms, p99 {_ms(total.get('p99_ms'))} ms (client side, over loopback; "
        "locust rounds percentiles).",
        f"Steady state, from {r.get('ramp_up_seconds')} s after the last user started (everyone signed in; "
        f"{s['users']} scrypt sign-ins at once load the cores meanwhile): {_steady(total.get('steady'))}.",
        "",
        "| request | count | failures | req/s | p50 ms | p95 ms | p99 ms | max ms | steady p50 / p95 ms |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in sorted(r["requests"], key=lambda row: (row["type"] != "GET", row["name"])):
        steady = row.get("steady") or {}
        lines.append(
            f"| {row['type']} {row['name'].removeprefix(row['type'] + ' ')} | {row['count']} | {row['failures']} | "
            f"{row['rps']} | {_ms(row['p50_ms'])} | {_ms(row['p95_ms'])} | {_ms(row['p99_ms'])} | {_ms(row['max_ms'])} | "
            f"{_ms(steady.get('p50_ms'))} / {_ms(steady.get('p95_ms'))} |"
        )
    lines += ["", "## Failures", ""]
    if r["failures"]:
        lines += ["| request | error | times |", "|---|---|--:|"]
        lines += [
            f"| {f['method']} {f['name']} | {f['error'][:200]} | {f['occurrences']} |" for f in r["failures"]
        ]
    else:
        lines.append("None.")
    lines += [
        "",
        "## Writes: nothing lost",
        "",
        "Each follow-up and stage move carries a unique marker; a write counts as reported when the server "
        "answered with the success redirect and the success message. Afterwards the database is read directly.",
        "",
        "| | count |",
        "|---|--:|",
        f"| writes attempted | {w.get('attempts', 0)} |",
        f"| reported saved (follow-ups / stage moves) | {w.get('reported', 0)} "
        f"({w.get('reported_follow_ups', 0)} / {w.get('reported_stage_moves', 0)}) |",
        f"| found in the database | {w.get('found', 0)} |",
        f"| missing | {w.get('missing', 0)} |",
        f"| duplicated (marker more than once) | {w.get('duplicates', 0)} |",
        f"| audited (audit_event row) | {w.get('audited', 0)} |",
        f"| not audited | {w.get('not_audited', 0)} |",
        f"| project stage ≠ its last reported move | {w.get('stage_mismatch', 0)} |",
        f"| refused because someone else saved first (已被他人修改, 项目已处于…; expected, not saved) | {w.get('conflicts', 0)} |",
        f"| refused but saved anyway | {w.get('refused_but_saved', 0)} |",
        f"| failed writes (errors above) | {w.get('write_errors', 0)} |",
        f"| saved without a success report (cut off or failed confirmation) | {w.get('saved_unreported', 0)} |",
        "",
        f"Verification: {'✔ nothing lost, nothing doubled, every write audited' if w.get('ok') else '✘ see below'}.",
    ]
    lines += [f"- {problem}" for problem in w.get("problems", [])]
    lines += ["", f"Servers stopped with exit codes {r.get('exit_codes', {})}.", ""]
    return "\n".join(lines)


def _steady(figures: dict | None) -> str:
    if not figures:
        return "—"
    return (
        f"{figures['count']} requests, {figures['rps']} req/s, p50 {_ms(figures['p50_ms'])} ms, "
        f"p95 {_ms(figures['p95_ms'])} ms, p99 {_ms(figures['p99_ms'])} ms"
    )


def _accounts(officers: int) -> str:
    if officers:
        return f"the officer users share {officers} demo officer accounts, so they edit the same rows"
    return "each signed in as a demo account of its own"


def _users(counts: dict | None) -> str:
    names = {"Officer": "officers", "Head": "heads"}
    return ", ".join(f"{n} {names.get(cls, cls)}" for cls, n in (counts or {}).items()) or "—"


def _load(values) -> str:
    return " / ".join(f"{v:.2f}" for v in values) if values else "—"
