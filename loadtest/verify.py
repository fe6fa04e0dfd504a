"""After the run: is every write the server reported as saved in the database, once, and audited?

Read straight from the database (the app's models, inside an app context), never through the app's
pages. A follow-up is found by its marker in follow_up.content on the item it was written to, and is
audited by audit_event's record.create of that follow_up row; a stage move is found as the project's
history_entry (action "stage") with the marker in its note and the stage it moved to, and is audited
by a record.update of that project from its stage-move form whose changes show the same old → new stage.
"""

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import sqlalchemy as sa

from crm.extensions import db
from crm.models import AuditEvent, FollowUp, HistoryEntry, Project

MAX_LISTED = 20  # problems listed by name; the counts are always complete


def read_writes(path: Path) -> list[dict]:
    """The write attempts the locust users recorded (one JSON object per line)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def verify(writes: list[dict], run_id: str) -> dict:
    """Counts (and the first few cases) of writes found, missing, duplicated and (not) audited."""
    prefix = f"LT-{run_id}-"
    pattern = re.compile(re.escape(prefix) + r"\d+")
    follow_ups = _follow_ups(prefix, pattern)
    moves = _stage_moves(prefix, pattern)
    saved = {"follow_up": follow_ups, "stage": moves}
    audited = {"follow_up": _follow_up_audits(follow_ups), "stage": _stage_audits(moves)}
    result = Counter()
    problems: list[str] = []
    reported = [w for w in writes if w["outcome"] == "ok"]
    for write in reported:
        kind, marker = write["kind"], write["marker"]
        result[f"reported_{kind}"] += 1
        rows = saved[kind].get(marker, [])
        on_item = [row for row in rows if _on_item(write, row)]
        if not on_item:
            result["missing"] += 1
            problems.append(f"缺失：{kind} {marker}（{_item(write)}）{'，但在其他条目上' if rows else ''}")
            continue
        result["found"] += 1
        if len(rows) > 1:
            result["duplicates"] += 1
            problems.append(f"重复：{kind} {marker} 出现 {len(rows)} 次")
        if all(audited[kind](row) for row in rows):
            result["audited"] += 1
        else:
            result["not_audited"] += 1
            problems.append(f"无审计记录：{kind} {marker}（{_item(write)}）")
    result["stage_mismatch"] = _stage_mismatches(reported, moves, problems)
    by_marker = {w["marker"]: w for w in writes}
    for kind, found in saved.items():
        for marker in found:
            outcome = by_marker.get(marker, {}).get("outcome", "unrecorded")
            if outcome == "conflict":
                result["refused_but_saved"] += 1
                problems.append(f"被拒绝却已保存：{kind} {marker}")
            elif outcome != "ok":
                result["saved_unreported"] += 1  # e.g. the confirmation page failed, or cut off at the end
    outcomes = Counter(w["outcome"] for w in writes)
    figures = {
        "attempts": len(writes),
        "reported": len(reported),
        "reported_follow_ups": result["reported_follow_up"],
        "reported_stage_moves": result["reported_stage"],
        "conflicts": outcomes["conflict"],
        "write_errors": outcomes["error"],
        **{key: result[key] for key in ("found", "missing", "duplicates", "audited", "not_audited")},
        **{key: result[key] for key in ("stage_mismatch", "refused_but_saved", "saved_unreported")},
    }
    failed = ("missing", "duplicates", "not_audited", "stage_mismatch", "refused_but_saved")
    figures["ok"] = not any(figures[key] for key in failed)
    figures["problems"] = problems[:MAX_LISTED]
    return figures


def _item(write: dict) -> str:
    kind = write.get("item_kind", "projects")
    return f"/{kind}/{write['item_id']}"


def _on_item(write: dict, row) -> bool:
    if write["kind"] == "stage":
        return row.entity_id == write["item_id"] and row.new_value == write.get("to")
    column = "target_id" if write.get("item_kind") == "targets" else "project_id"
    return getattr(row, column) == write["item_id"]


def _markers(text: str, pattern: re.Pattern) -> set[str]:
    return set(pattern.findall(text or ""))


def _follow_ups(prefix: str, pattern: re.Pattern) -> dict[str, list]:
    rows = db.session.execute(
        sa.select(FollowUp.id, FollowUp.target_id, FollowUp.project_id, FollowUp.content).where(
            FollowUp.content.contains(prefix)
        )
    )
    found = defaultdict(list)
    for row in rows:
        for marker in _markers(row.content, pattern):
            found[marker].append(row)
    return found


def _stage_moves(prefix: str, pattern: re.Pattern) -> dict[str, list]:
    rows = db.session.execute(
        sa.select(
            HistoryEntry.id,
            HistoryEntry.entity_id,
            HistoryEntry.old_value,
            HistoryEntry.new_value,
            HistoryEntry.note,
        ).where(
            HistoryEntry.entity_type == "project",
            HistoryEntry.action == "stage",
            HistoryEntry.note.contains(prefix),
        )
    )
    found = defaultdict(list)
    for row in rows:
        for marker in _markers(row.note, pattern):
            found[marker].append(row)
    return found


def _follow_up_audits(found: dict[str, list]):
    ids = {row.id for rows in found.values() for row in rows}
    audited = set(
        db.session.scalars(
            sa.select(AuditEvent.entity_id).where(
                AuditEvent.action == "record.create",
                AuditEvent.entity_type == "follow_up",
                AuditEvent.entity_id.in_(ids),
            )
        )
    )
    return lambda row: row.id in audited


def _stage_audits(found: dict[str, list]):
    ids = {row.entity_id for rows in found.values() for row in rows}
    moves = set()
    for entity_id, path, changes in db.session.execute(
        sa.select(AuditEvent.entity_id, AuditEvent.path, AuditEvent.changes).where(
            AuditEvent.action == "record.update",
            AuditEvent.entity_type == "project",
            AuditEvent.entity_id.in_(ids),
        )
    ):
        stage = _json(changes).get("stage")
        if path == f"/projects/{entity_id}/stage" and isinstance(stage, list) and len(stage) == 2:
            moves.add((entity_id, stage[0], stage[1]))
    return lambda row: (row.entity_id, row.old_value, row.new_value) in moves


def _json(text: str) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _stage_mismatches(reported: list[dict], moves: dict[str, list], problems: list[str]) -> int:
    """Projects whose stage now is not the stage of their last reported move (by history order)."""
    last: dict[int, tuple[int, str]] = {}
    for write in reported:
        if write["kind"] != "stage":
            continue
        for row in moves.get(write["marker"], []):
            if row.entity_id not in last or row.id > last[row.entity_id][0]:
                last[row.entity_id] = (row.id, row.new_value)
    if not last:
        return 0
    stages = dict(db.session.execute(sa.select(Project.id, Project.stage).where(Project.id.in_(last))).all())
    wrong = [pid for pid, (_, stage) in last.items() if stages.get(pid) is None or stages[pid].value != stage]
    problems += [f"阶段不符：/projects/{pid} 现为“{stages.get(pid)}”" for pid in wrong]
    return len(wrong)
