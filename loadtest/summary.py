"""locust's final figures as JSON (LOADTEST_SUMMARY), written when locust quits.

locust's own CSV files are rewritten every second while the test runs and can miss the requests of
the last moments (the users finishing their task after the time limit); at quit, every request has
been counted. Besides the whole run, each figure is also given for the steady state: from
RAMP_UP_SECONDS after the last user started, when everyone has signed in (a sign-in hashes the
password with scrypt, so twenty of them at once load two cores for a few seconds).
Imported by the locustfile only: it needs locust.
"""

import json
import os
import time

import gevent
from locust import events
from locust.env import Environment
from locust.stats import StatsEntry, StatsError, calculate_response_time_percentile

PERCENTILES = {"p50_ms": 0.5, "p95_ms": 0.95, "p99_ms": 0.99}
RAMP_UP_SECONDS = 5
_state: dict = {"users": {}, "snapshot": None}


def _percentiles(response_times: dict[int, int], count: int) -> dict:
    return {
        key: calculate_response_time_percentile(response_times, count, fraction) if count else None
        for key, fraction in PERCENTILES.items()
    }


def _snapshot() -> None:
    stats = _state["environment"].stats
    entries = {(e.name, e.method): dict(e.response_times) for e in stats.entries.values()}
    _state["snapshot"] = (time.time(), entries)


def _steady(entry: StatsEntry, now: float) -> dict | None:
    """The entry's requests since the snapshot: count, req/s and percentiles (None before it)."""
    if _state["snapshot"] is None:
        return None
    taken_at, entries = _state["snapshot"]
    if entry is _state["environment"].stats.total:
        before: dict[int, int] = {}
        for times in entries.values():
            for ms, n in times.items():
                before[ms] = before.get(ms, 0) + n
    else:
        before = entries.get((entry.name, entry.method), {})
    since = {ms: n - before.get(ms, 0) for ms, n in entry.response_times.items() if n > before.get(ms, 0)}
    count = sum(since.values())
    seconds = now - taken_at
    return {"count": count, "rps": round(count / seconds, 2) if seconds > 0 else 0.0} | _percentiles(
        since, count
    )


def _entry(entry: StatsEntry, seconds: float, now: float) -> dict:
    """One request type's figures; req/s over the whole test (seconds), not the type's own span."""
    figures = {
        "type": entry.method or "",
        "name": entry.name,
        "count": entry.num_requests,
        "failures": entry.num_failures,
        "rps": round(entry.num_requests / seconds, 2) if seconds > 0 else 0.0,
        "avg_ms": round(entry.avg_response_time, 1),
        "max_ms": round(entry.max_response_time or 0, 1),
    }
    return figures | _percentiles(entry.response_times, entry.num_requests) | {"steady": _steady(entry, now)}


@events.init.add_listener
def _remember(environment: Environment, **_) -> None:
    _state["environment"] = environment


@events.spawning_complete.add_listener
def _users(user_count: int, **_) -> None:
    runner = _state["environment"].runner
    _state["users"] = dict(runner.user_classes_count) if runner else {}
    gevent.spawn_later(RAMP_UP_SECONDS, _snapshot)


@events.quit.add_listener
def _write(exit_code: int, **_) -> None:
    path = os.environ.get("LOADTEST_SUMMARY")
    environment = _state.get("environment")
    if not path or environment is None:
        return
    stats = environment.stats
    now = stats.total.last_request_timestamp or stats.total.start_time
    seconds = now - stats.total.start_time
    entries = [e for e in stats.entries.values() if e.num_requests or e.num_failures]
    summary = {
        "requests": [_entry(e, seconds, now) for e in entries],
        "total": _entry(stats.total, seconds, now) | {"seconds": round(seconds, 1)},
        "ramp_up_seconds": RAMP_UP_SECONDS,
        "failures": [
            {
                "method": e.method,
                "name": e.name,
                "error": StatsError.parse_error(e.error),
                "occurrences": e.occurrences,
            }
            for e in stats.errors.values()
        ],
        "users": _state["users"],
        "exit_code": exit_code,
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(summary, f, ensure_ascii=False, indent=2)
