"""The group robot's Markdown carries user-entered text as text (issue 14, point 6).

Company and project names, officers' names and region names go into the robot's digest; a name that
is itself Markdown or HTML must not become a link, emphasis, a heading, a quote or a <font> tag in the
group chat. The digest is read here by a CommonMark parser (markdown-it-py), not by our own code, and
by the same parser without backslash escapes: robot dialects differ, and some don't honour them.
"""

from datetime import date

import pytest
from markdown_it import MarkdownIt

from crm.reminders import digest
from tests.factories import AS_OF, SHANGHAI

BASE = "http://crm.example"
HOSTILE = [
    "[点我](http://evil.example)",
    "**紧急**通知",
    "__下划线__ 与 _斜体_",
    '<font color="warning">红色</font>',
    "<a href='http://evil.example'>链接</a>",
    "第一行\n# 伪造标题",
    "第一行\r\n> 伪造引用",
    "第一行\u2028## 伪造标题",
    "![图](http://evil.example/x.png)",
    "`代码` ~~删除~~ | 表格 |",
    "http://evil.example/裸链接",
    "&lt;font&gt;实体&lt;/font&gt;",
    "反斜杠\\[不是链接\\](http://evil.example)",
]


def entry(number: int, name: str, owner: str = "王强", region: str = "南湖区") -> digest.Entry:
    return digest.Entry(
        "target", number, name, "yellow", "跟进逾期", date(2026, 11, 20), 3, owner, 7, region, 1
    )


PARSERS = {
    "commonmark": MarkdownIt("commonmark"),
    "no-backslash-escapes": MarkdownIt("commonmark").disable("escape"),
}


def parsed(markdown: str, parser: str) -> list:
    """Every token of the digest, inline children included."""
    tokens = []
    for token in PARSERS[parser].parse(markdown):
        tokens += [token, *(token.children or [])]
    return tokens


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_stays_text_in_the_robots_markdown(name, parser):
    entries = [entry(1, name, owner=name, region=name), entry(2, "正常企业有限公司")]
    markdown = digest.markdown(entries, AS_OF, SHANGHAI, BASE)
    # title, blank, "**黄灯 2 项**", blank, one line per item, blank, signature: no name breaks a line
    assert len(markdown.splitlines()) == 8
    tokens = parsed(markdown, parser)
    links = [t.attrGet("href") for t in tokens if t.type == "link_open"]
    assert links == [f"{BASE}/targets/1", f"{BASE}/targets/2"]  # only the digest's own links
    assert not [t for t in tokens if t.type in ("html_inline", "html_block", "image", "code_inline")]
    assert [t.tag for t in tokens if t.type == "heading_open"] == ["h4"]  # the digest's title only
    emphasis = [t for t in tokens if t.type in ("strong_open", "em_open")]
    assert len(emphasis) == 1  # "**黄灯 2 项**"
    assert [t.type for t in tokens if t.type in ("softbreak", "hardbreak")] == []
    assert len([t for t in tokens if t.type == "list_item_open"]) == 2  # one line per item
    assert len([t for t in tokens if t.type == "blockquote_open"]) == 1  # the signature


def test_markup_characters_become_their_full_width_forms_and_lines_join():
    assert digest.robot_text("[点我](http://evil)") == "［点我］（http：//evil）"
    assert (
        digest.robot_text("A**B**_c_`d`#e>f<g>|h~i!j&k\\l")
        == "A＊＊B＊＊＿c＿｀d｀＃e＞f＜g＞｜h～i！j＆k＼l"
    )
    assert digest.robot_text("第一行\n# 标题\r\n\t第三行\u2029") == "第一行 ＃ 标题   第三行"
    assert (
        digest.robot_text("嘉兴（中国）精密有限公司") == "嘉兴（中国）精密有限公司"
    )  # ordinary names unchanged


def test_the_robot_digest_shows_the_escaped_names_of_a_run(app):
    entries = [entry(5, "[点我](http://evil)", owner="**王**")]
    text = digest.markdown(entries, AS_OF, SHANGHAI, BASE)
    assert (
        f"- [［点我］（http：//evil）]({BASE}/targets/5) · 跟进逾期 · 停滞 3 个工作日 · 责任人 ＊＊王＊＊ · 南湖区"
        in text
    )
