"""dashboard.text.md: ordinary catalog text is unchanged; Markdown in it is shown literally
(the browser-level proof is test_browser_injection.py)."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from dashboard.text import md

PARSER = MarkdownIt("commonmark").enable(["strikethrough", "table"])


@pytest.mark.parametrize(
    "text",
    [
        "Cola de contato 2,8 kg sem toluol",
        "Espuma D33 placa 2x1m 50mm",
        "histórico insuficiente: 12 dias com preço (mínimo 60)",
        "ESP-00001",
        "galão",
    ],
)
def test_ordinary_text_is_unchanged(text):
    assert md(text) == text


def _rendered(source: str) -> tuple[str, set[str]]:
    text, kinds = [], set()
    for token in PARSER.parse(source):
        kinds.add(token.type)
        for child in token.children or []:
            kinds.add(child.type)
            if child.type in ("text", "code_inline"):
                text.append(child.content)
    return "".join(text), kinds


@pytest.mark.parametrize(
    "text",
    [
        "![x](http://127.0.0.1:9/pixel.png) [click](http://evil)",
        "**bold** <img src=x> _it_ ~~no~~ `code` ``two``",
        "# título",
        "> citação",
        "1. primeiro",
        "- item",
        "+ item",
        "| a | b |",
        "&amp; &#60;b&#62; a & b",
        "\\*já escapado\\*",
        "[ref]: http://evil.test",
        "<http://evil.test> <a@b.co>",
    ],
)
def test_markdown_is_shown_literally(text):
    rendered, kinds = _rendered(md(text))
    assert rendered == text
    assert not kinds & {"link_open", "image", "html_inline", "html_block", "heading_open",
                        "blockquote_open", "bullet_list_open", "ordered_list_open", "s_open",
                        "em_open", "strong_open", "table_open"}  # fmt: skip


def test_line_breaks_become_spaces_and_none_is_empty():
    assert md("a\nb\r\n\tc") == "a b c"
    assert md(None) == ""
