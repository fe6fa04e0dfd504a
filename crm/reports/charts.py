"""Inline SVG charts for pages that are read on screen and printed in black and white.

Pure functions: numbers and labels in, an SVG string out. Every bar carries its number as text
beside it, series differ by grey and pattern rather than by colour, and every label passes through
markupsafe, so a name such as "=HYPERLINK(...)" or "<b>" is shown as text. No script, no external
asset: the SVG sits in the page (the CSP allows it) and scales with its container.
"""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

FONT = 12
ROW = 24  # height of one bar's row in a horizontal chart
BAR = 14  # thickness of a bar
# fills of the series, told apart in grey print: dark, hatched, light with an outline
FILLS = ("#444", "url(#{id}-hatch)", "#c8c8c8")


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | int  # what the bar's length shows
    text: str  # the number printed beside it (already formatted)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]


def text_width(text: str, size: int = FONT) -> float:
    """Approximate rendered width: CJK and full-width characters one em, others about half."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def fit(text: str, width: float, size: int = FONT) -> str:
    """text shortened with "…" so that it fits in width."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def lengths(
    values: Sequence[Decimal | int], room: float, maximum: Decimal | int | None = None
) -> list[float]:
    """Bar lengths proportional to the values, the largest (or maximum) filling room; never negative."""
    top = maximum if maximum is not None else max(values, default=0)
    if not top or top <= 0:
        return [0.0 for _ in values]
    return [round(max(0.0, min(float(v) / float(top), 1.0)) * room, 1) for v in values]


def _svg(chart_id: str, title: str, width: int, height: int, body: Markup) -> Markup:
    return Markup(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}"'
        ' role="img" aria-labelledby="{id}-title" font-size="{font}">'
        '<title id="{id}-title">{title}</title>{defs}{body}</svg>'
    ).format(w=width, h=height, id=chart_id, font=FONT, title=title, defs=_defs(chart_id), body=body)


def _defs(chart_id: str) -> Markup:
    return Markup(
        '<defs><pattern id="{id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#222" stroke-width="2.5"/></pattern></defs>'
    ).format(id=chart_id)


def _text(
    x: float, y: float, content: str, anchor: str = "start", size: int = FONT, full: str = ""
) -> Markup:
    tip = Markup("<title>{}</title>").format(full) if full and full != content else Markup("")
    return Markup('<text x="{}" y="{}" text-anchor="{}" font-size="{}" fill="#000">{}{}</text>').format(
        x, y, anchor, size, tip, content
    )


def bar_chart(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    *,
    width: int = 640,
    label_width: int = 150,
    text_room: int = 150,
    maximum: Decimal | int | None = None,
    reference: str = "",
) -> Markup:
    """Horizontal bars, a label on the left and the number right of each bar.

    With maximum, bars are drawn against it (a longer value stops at the end) and reference names
    the line drawn there (e.g. "2025 目标").
    """
    room = width - label_width - text_room
    top = FONT + 8 if reference else 4
    height = top + ROW * len(bars) + 4
    parts = []
    for i, (bar, length) in enumerate(
        zip(bars, lengths([b.value for b in bars], room, maximum), strict=True)
    ):
        y = top + i * ROW
        label = fit(bar.label, label_width - 8)
        parts.append(_text(label_width - 6, y + BAR - 2, label, "end", full=bar.label))
        parts.append(
            Markup(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="#555" stroke="#000" stroke-width="0.5"/>'
            ).format(label_width, y, length, BAR)
        )
        parts.append(_text(label_width + length + 4, y + BAR - 2, bar.text))
    if reference:
        x = label_width + room
        parts.append(
            Markup('<line x1="{x}" y1="{t}" x2="{x}" y2="{b}" stroke="#000" stroke-dasharray="4 3"/>').format(
                x=x, t=top - 2, b=height - 2
            )
        )
        parts.append(_text(x, FONT, reference, "middle", size=FONT - 1))
    return _svg(chart_id, title, width, height, Markup("").join(parts))


def column_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 720,
    plot_height: int = 150,
) -> Markup:
    """Grouped vertical bars, one group per category, each bar with its number above it; a legend."""
    left, legend_height, axis_height = 8, FONT + 12, FONT + 8
    group = (width - left * 2) / max(len(categories), 1)
    bar = min(18.0, (group - 6) / max(len(series), 1))
    top = legend_height + FONT + 4  # room for the numbers above the tallest bar
    base = top + plot_height
    highest = max((v for s in series for v in s.values), default=0)
    parts = [_legend(chart_id, series, left)]
    for s_index, s in enumerate(series):
        fill = FILLS[s_index % len(FILLS)].format(id=chart_id)
        for c_index, (value, height) in enumerate(
            zip(s.values, lengths(s.values, plot_height, highest), strict=True)
        ):
            x = round(left + c_index * group + (group - bar * len(series)) / 2 + s_index * bar, 1)
            parts.append(
                Markup(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#000" stroke-width="0.5"/>'
                ).format(x, round(base - height, 1), round(bar - 1, 1), height, fill)
            )
            parts.append(
                _text(round(x + bar / 2, 1), round(base - height - 3, 1), str(value), "middle", FONT - 3)
            )
    parts.append(
        Markup('<line x1="{}" y1="{b}" x2="{}" y2="{b}" stroke="#000"/>').format(left, width - left, b=base)
    )
    for c_index, category in enumerate(categories):
        x = round(left + c_index * group + group / 2, 1)
        parts.append(_text(x, base + FONT + 2, fit(category, group), "middle", FONT - 2, full=category))
    return _svg(chart_id, title, width, base + axis_height, Markup("").join(parts))


def _legend(chart_id: str, series: Sequence[Series], left: int) -> Markup:
    parts: list[Markup] = []
    x: float = left
    for index, s in enumerate(series):
        fill = FILLS[index % len(FILLS)].format(id=chart_id)
        parts.append(
            Markup(
                '<rect x="{}" y="4" width="14" height="12" fill="{}" stroke="#000" stroke-width="0.5"/>'
            ).format(x, fill)
        )
        parts.append(_text(x + 18, 15, s.name))
        x += 18 + text_width(s.name) + 16
    return Markup("").join(parts)
