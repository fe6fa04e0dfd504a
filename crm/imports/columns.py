"""An import's columns: header matching, the downloadable template and the bad-rows file.

Each list names its own columns (ImportColumn); what is done with them is the same for both.
Both spreadsheets go through crm.core.exports.write_xlsx, the one writer (it neutralises formula-like
text).
"""

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from crm.core.exports import Column, Sheet, write_xlsx
from crm.core.ownership import OWNER_ROLES
from crm.core.permissions import scope_clause
from crm.extensions import db
from crm.imports.reader import ImportFileError, plain
from crm.models import Cluster, User

ERRORS_HEADER = "错误原因"
GUIDE_COLUMNS = [Column("栏目", 16), Column("所属集群", 24), Column("可填写的值", 34), Column("说明", 60)]


@dataclass(frozen=True)
class ImportColumn:
    header: str  # the template's header, without the * of required columns
    key: str  # the input field it sets (or a column the list reads itself: first_contact, stage)
    required: bool = False
    width: int = 14
    kind: str = "text"
    note: str = ""

    @property
    def template_header(self) -> str:
        """The header as the template writes it: required columns end with *."""
        return self.header + ("*" if self.required else "")


# The columns of both lists that crm.imports.rows reads (read_cluster, read_segment, read_owner).
CLUSTER = ImportColumn(
    "所属集群", "cluster_id", True, 22, note="必填，见下方集群名称（也可填规划中的集群全称）"
)
SEGMENT = ImportColumn("产业链环节", "segment_id", width=18, note="可空；须为该集群的环节，见下方")
OWNER = ImportColumn(
    "责任人账号",
    "owner_id",
    width=12,
    note="系统登录用户名；招商专员、局领导导入时空白为本人，管理员导入时必填",
)


def labels(columns: list[ImportColumn]) -> dict[str, str]:
    """Column key → header: how messages name a column."""
    return {c.key: c.header for c in columns}


def normal_form(text: str) -> str:
    """Width-folded, without spaces: how headers, clusters, segments and regions are compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def map_columns(headers: list[str], columns: list[ImportColumn]) -> dict[str, int]:
    """Column key → index in the file; unknown headers are ignored, a missing required one refuses."""
    named = labels(columns)
    known = {normal_form(c.header): c.key for c in columns}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = known.get(normal_form(header).rstrip("*"))
        if key is None:
            continue
        if key in found:
            raise ImportFileError(
                f"表头“{named[key]}”出现了两次（第 {found[key] + 1} 列和第 {index + 1} 列）。"
            )
        found[key] = index
    missing = [c.template_header for c in columns if c.required and c.key not in found]
    if missing:
        raise ImportFileError(f"缺少必填列：{'、'.join(missing)}。第 1 行应为表头，请使用导入模板。")
    return found


def template_clusters(actor: User) -> list[Cluster]:
    """The clusters the template offers actor, with their segments and regions loaded."""
    return list(
        db.session.scalars(
            sa.select(Cluster)
            .options(selectinload(Cluster.segments), selectinload(Cluster.region))
            .where(scope_clause(actor, Cluster.region_id))
            .order_by(Cluster.status, Cluster.sort_order)
        )
    )


def example_values(actor: User, clusters: list[Cluster]) -> dict[str, object]:
    """The example row's cluster, segment and owner: the first the actor may use."""
    cluster = clusters[0] if clusters else None
    segment = cluster.segments[0] if cluster and cluster.segments else None
    return {
        "cluster_id": cluster.name if cluster else "",
        "segment_id": segment.name if segment else "",
        "owner_id": actor.username if actor.role in OWNER_ROLES else "",
    }


def template_xlsx(
    sheet: str, columns: list[ImportColumn], example: Mapping[str, object], guide: Iterable[list]
) -> bytes:
    """The template: the header row and one example row, then a 填写说明 sheet of allowed values."""
    return write_xlsx(
        [
            Sheet(
                sheet,
                [Column(c.template_header, c.width, c.kind) for c in columns],
                [[example.get(c.key, "") for c in columns]],
            ),
            Sheet("填写说明", GUIDE_COLUMNS, guide),
        ]
    )


def guide_rows(
    row_noun: str,
    columns: list[ImportColumn],
    clusters: list[Cluster],
    remarks: Iterable[str] = (),
    values: Iterable[tuple[str, str]] = (),
) -> Iterator[list]:
    """The 填写说明 sheet: how to fill in (and the list's remarks), each column, the clusters, then values.

    row_noun is what one row holds (一家企业); values are (column, allowed value) pairs.
    """
    yield [
        "填写方法",
        "",
        "",
        f"第 1 行为表头，请勿修改；第 2 行是示例，导入前请删除；从第 2 行起每行{row_noun}。",
    ]
    yield [
        "",
        "",
        "",
        "带 * 的列必填。预览时会列出每一行的问题，全部改正后才能导入（全部导入或全部不导入）。",
    ]
    for remark in remarks:
        yield ["", "", "", remark]
    yield ["", "", "", "单元格请填写数值，不要使用公式（公式单元格会被拒绝）。"]
    for column in columns:
        yield [column.template_header, "", "", column.note]
    yield from _cluster_rows(clusters)
    for label, value in values:
        yield [label, "", value, ""]


def _cluster_rows(clusters: list[Cluster]) -> Iterator[list]:
    for cluster in clusters:
        yield [
            "所属集群",
            cluster.name,
            cluster.name,
            f"规划名称“{cluster.title}”，{cluster.region.name}，{cluster.status.value}",
        ]
    parents = {s.id: s.name for c in clusters for s in c.segments}
    for cluster in clusters:
        for segment in cluster.segments:
            note = f"属于“{parents.get(segment.parent_id, '')}”" if segment.parent_id else ""
            yield ["产业链环节", cluster.name, segment.name, note]


def bad_rows_xlsx(
    headers: list[str],
    positions: dict[str, int],
    rows: list[tuple[list, list[str]]],
    columns: list[ImportColumn],
) -> bytes:
    """The file's own columns for every bad row, plus 错误原因: fix it and upload it again.

    positions is the file's column key → index (map_columns); columns give the cells their kinds.
    """
    kinds = {index: c.kind for c in columns if (index := positions.get(c.key)) is not None}
    sheet_columns = [
        Column(header or f"第 {index + 1} 列", 16, kinds.get(index, "text"))
        for index, header in enumerate(headers)
    ]
    sheet_columns.append(Column(ERRORS_HEADER, 60))
    width = len(headers)
    lines = (
        [plain(v) for v in (cells + [None] * width)[:width]] + ["；".join(reasons)] for cells, reasons in rows
    )
    return write_xlsx([Sheet("错误行", sheet_columns, lines)])
