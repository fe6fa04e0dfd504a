"""The weekly summary as a file: .xlsx, .docx (crm.reports.export) or a printable HTML page.

One function for the page's download buttons, the archive and `flask export-weekly`, so every
route to a file gives the same file.
"""

from flask import render_template

from crm.core.exports import XLSX_MIMETYPE
from crm.reports import export
from crm.reports.weekly import WeeklySummary

MIMETYPES = {
    "xlsx": XLSX_MIMETYPE,
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
}


def render(summary: WeeklySummary, fmt: str) -> tuple[str, bytes]:
    """(file name, content) of the summary in fmt (xlsx, docx or html); needs an app context."""
    if fmt == "xlsx":
        content = export.to_xlsx(summary)
    elif fmt == "docx":
        content = export.to_docx(summary)
    elif fmt == "html":
        content = render_template("reports/weekly_document.html", summary=summary).encode()
    else:
        raise ValueError(f"未知的导出格式“{fmt}”，应为 xlsx、docx 或 html。")
    return export.filename(summary, fmt), content
