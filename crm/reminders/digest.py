"""The digest: one message per recipient per run listing their stalled items, in Chinese.

Plain text for e-mail and the in-app message, Markdown for the group robot. Items are listed red
first, then by working days stalled.
"""

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from crm.stall.rules import LEVEL_LABELS, RED, YELLOW

KIND_LABELS = {"target": "招商企业", "project": "项目"}
SIGNATURE = "嘉兴市先进制造业集群招商管理系统"
# A city head's digest can hold thousands of red items: list the worst, point to the rest.
LISTED_PER_LEVEL = 50
# Robot dialects differ (DingTalk and 浙政钉 render a Markdown subset, WeCom adds <font> tags) and not
# all of them honour backslash escapes. So every character that could start markup is replaced by its
# full-width form, which reads the same to a person and means nothing to any renderer: a name like
# "[点我](http://evil)" or "**紧急**" stays literal text inside the digest's own link.
MARKUP = str.maketrans("[]()*_`#>!|~<&\\", "［］（）＊＿｀＃＞！｜～＜＆＼")


@dataclass(frozen=True)
class Entry:
    """One stalled item as a digest lists it; (item_type, item_id, since, level) is its episode key."""

    item_type: str
    item_id: int
    name: str
    level: str
    reasons: str
    since: date
    days: int  # working days stalled
    owner: str
    owner_id: int | None
    region: str
    region_id: int

    @property
    def path(self) -> str:
        return f"/{self.item_type}s/{self.item_id}"

    @property
    def sort_key(self) -> tuple:
        return (self.level != RED, -self.days, self.item_type, self.item_id)


def subject(entries: list[Entry], as_of: datetime, zone: ZoneInfo) -> str:
    reds = sum(entry.level == RED for entry in entries)
    counts = "，".join(
        f"{label} {count} 项" for label, count in (("红灯", reds), ("黄灯", len(entries) - reds)) if count
    )
    return f"【嘉兴招商】停滞提醒（{as_of.astimezone(zone):%Y-%m-%d}）：{counts}"


def text(entries: list[Entry], greeting: str, as_of: datetime, zone: ZoneInfo, base_url: str) -> str:
    """The plain-text digest (e-mail and 站内消息)."""
    reds = sum(entry.level == RED for entry in entries)
    lines = [
        f"{greeting}，您好：",
        "",
        f"截至 {as_of.astimezone(zone):%Y年%m月%d日 %H:%M}，以下 {len(entries)} 项跟进停滞"
        + (f"（其中红灯 {reds} 项，已升级督办）" if reds else "")
        + "，请尽快跟进并在系统中登记：",
    ]
    for level in (RED, YELLOW):  # red first
        listed = [entry for entry in entries if entry.level == level]
        if not listed:
            continue
        lines += ["", f"{LEVEL_LABELS[level]}（{len(listed)} 项）"]
        for number, entry in enumerate(listed[:LISTED_PER_LEVEL], 1):
            lines.append(
                f"{number}. [{KIND_LABELS[entry.item_type]}] {entry.name} — {entry.reasons}；"
                f"停滞 {entry.days} 个工作日（自 {entry.since:%Y-%m-%d} 起）；责任人 {entry.owner}；{entry.region}"
            )
            lines.append(f"   {base_url}{entry.path}")
        if len(listed) > LISTED_PER_LEVEL:
            lines.append(f"……另有 {len(listed) - LISTED_PER_LEVEL} 项，见系统“预警”页：{base_url}/warnings")
    lines += ["", "登记跟进记录或推进阶段后，提醒即解除。", SIGNATURE]
    return "\n".join(lines)


def markdown(entries: list[Entry], as_of: datetime, zone: ZoneInfo, base_url: str) -> str:
    """The group-robot digest (DingTalk / 浙政钉 / WeCom markdown)."""
    lines = [f"#### 停滞提醒（{as_of.astimezone(zone):%Y-%m-%d}）"]
    for level in (RED, YELLOW):  # red first
        listed = [entry for entry in entries if entry.level == level]
        if not listed:
            continue
        lines += ["", f"**{LEVEL_LABELS[level]} {len(listed)} 项**", ""]
        lines += [
            f"- [{robot_text(entry.name)}]({base_url}{entry.path}) · {robot_text(entry.reasons)} · "
            f"停滞 {entry.days} 个工作日 · 责任人 {robot_text(entry.owner)} · {robot_text(entry.region)}"
            for entry in listed[:LISTED_PER_LEVEL]
        ]
        if len(listed) > LISTED_PER_LEVEL:
            lines.append(f"- ……另有 {len(listed) - LISTED_PER_LEVEL} 项，[见系统预警页]({base_url}/warnings)")
    lines += ["", f"> {SIGNATURE}"]
    return "\n".join(lines)


def robot_text(value: str) -> str:
    """User-entered text made inert in the group robot's Markdown: one line, no markup, no bare links."""
    line = "".join(" " if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch for ch in value)
    return line.translate(MARKUP).replace("://", "：//").strip()
