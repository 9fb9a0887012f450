"""Catalog-provided text (names, categories, units, SKUs, reasons) shown through elements that
render Markdown (headers, captions, alerts): encoded so the page shows exactly that text.

Streamlit renders GitHub-flavoured Markdown with its own directives: a product name like
``![x](http://host/pixel.png)`` would become an image the viewer's browser fetches, ``[a](url)``
a link, ``<img ...>`` HTML, ``:red[...]`` coloured text, ``$...$`` math. A backslash before
ASCII punctuation always shows that character as itself (CommonMark), so every character that
can open a construct is escaped - except that GFM's bare-URL and e-mail autolinks are found in
the rendered text, after escapes are resolved (measured in Chromium: ``http\\:\\/\\/host`` is
still linked). Those parts go in a code span, the one place Markdown shows text verbatim and
never links it. Ordinary text (``Cola de contato 2,8 kg``, ``motivo: 12 dias (mínimo 60)``)
comes out unchanged.
"""

from __future__ import annotations

import re
from typing import Any

_BLANKS = re.compile(r"\s+")
# Characters that open a construct anywhere in a line: escapes themselves, code, emphasis,
# strikethrough, links and images, raw HTML and autolinks, blockquotes, tables, math, headings.
_ALWAYS = re.compile(r"([\\`*_~\[\]<>|$#])")
# Only in context: an entity (&amp; &#60;) and a Streamlit directive, emoji or icon
# (:red[...], :smile:, :material/home:).
_ENTITY = re.compile(r"&(?=#?[0-9a-z]+;)", re.IGNORECASE)
# Chromium: escaping the first colon is not enough; both colons and the "/" of an icon are.
_SHORTCODE = re.compile(r":([\w+\-/]+):")
_COLON = re.compile(r"(?<!\\):(?=[0-9a-z_/\[])", re.IGNORECASE)
# A list item or an ordered-list number at the very start of the Markdown.
_BLOCK_START = re.compile(r"^(?:([-+])|(\d+)([.)]))")
# What GFM links by itself: a URL with a scheme or "www.", an e-mail address (broader than
# GFM's own rules: a little more text in code is harmless).
_AUTOLINK = re.compile(
    r"(?:[a-z][a-z0-9+.\-]*:/+|www\d*\.)\S*|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.IGNORECASE
)


def _escape(text: str) -> str:
    text = _ALWAYS.sub(r"\\\1", text)
    text = _ENTITY.sub(r"\\&", text)
    text = _SHORTCODE.sub(lambda m: "\\:" + re.sub(r"([+\-/])", r"\\\1", m[1]) + "\\:", text)
    return _COLON.sub(r"\\:", text)


def _code_span(text: str) -> str:
    """``text`` as a CommonMark code span (a fence longer than any backtick run inside)."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md(value: Any) -> str:
    """``value`` as Markdown source that renders as the literal text (line breaks and runs of
    blanks become one space, as HTML would show them anyway). None is the empty string."""
    if value is None:
        return ""
    text = _BLANKS.sub(" ", str(value))
    out, last = [], 0
    for match in _AUTOLINK.finditer(text):
        out.append(_escape(text[last : match.start()]))
        out.append(_code_span(match.group()))
        last = match.end()
    out.append(_escape(text[last:]))
    return _BLOCK_START.sub(
        lambda m: "\\" + m[1] if m[1] else m[2] + "\\" + m[3], "".join(out), count=1
    )
