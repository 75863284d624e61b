"""Telegram HTML from what people type: an allow-list sanitiser and Telegram's length count.

Pure: no telegram, no sqlalchemy.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from html.parser import HTMLParser

MAX_TEXT = 4096
MAX_CAPTION = 1024

_SIMPLE_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "blockquote"}
)
_LINK_SCHEMES = ("http://", "https://", "tg://", "mailto:")
_VERBATIM = frozenset({"code", "pre"})  # Telegram allows no formatting inside these
_DROPPED = frozenset({"tg-emoji"})  # keep the content (the fallback emoji), drop the tag


def _closing(tag: str) -> str:
    return "</tg-spoiler>" if tag == "span" else f"</{tag}>"


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[str] = []
        self.visible: list[str] = []
        self.dropped: list[str] = []

    def _literal(self, raw: str) -> None:
        self.out.append(html.escape(raw, quote=False))
        self.visible.append(raw)

    def handle_data(self, data: str) -> None:
        self._literal(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or f"<{tag}>"
        if tag == "br":
            self._literal("\n")
            return
        if tag == "code" and self.stack[-1:] == ["pre"]:
            self.dropped.append(tag)  # <pre><code class="language-x">: keep the block only
            return
        if tag in _DROPPED:
            self.dropped.append(tag)
            return
        if any(t in _VERBATIM for t in self.stack) or tag in self.stack:
            self._literal(raw)
            return
        if tag == "tg-spoiler" or (tag == "span" and dict(attrs).get("class") == "tg-spoiler"):
            self.out.append("<tg-spoiler>")
            self.stack.append(tag)
            return
        if tag in _SIMPLE_TAGS:
            self.out.append(f"<{tag}>")
            self.stack.append(tag)
            return
        href = (dict(attrs).get("href") or "").strip()
        if tag == "a" and href.lower().startswith(_LINK_SCHEMES):
            self.out.append(f'<a href="{html.escape(href, quote=True)}">')
            self.stack.append(tag)
            return
        if tag == "a":
            self.dropped.append(tag)  # a link to nowhere useful: keep its text
            return
        self._literal(raw)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._literal("\n")
        else:
            self._literal(self.get_starttag_text() or f"<{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.dropped:
            self.dropped.remove(tag)
            return
        if tag not in self.stack:
            verbatim = any(t in _VERBATIM for t in self.stack)
            if verbatim or tag not in _SIMPLE_TAGS | {"a", "span", "tg-spoiler"}:
                self._literal(f"</{tag}>")  # an allowed tag closed twice just disappears
            return
        # Close whatever was opened inside it too, so the result always nests properly.
        while self.stack:
            top = self.stack.pop()
            self.out.append(_closing(top))
            if top == tag:
                break

    def handle_comment(self, data: str) -> None:
        self._literal(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self._literal(f"<!{decl}>")

    def unknown_decl(self, data: str) -> None:
        self._literal(f"<![{data}]>")

    def handle_pi(self, data: str) -> None:
        self._literal(f"<?{data}>")


@dataclass(frozen=True, slots=True)
class Formatted:
    html: str  # safe for parse_mode=HTML
    length: int  # as Telegram counts it: UTF-16 code units of the visible text


def sanitise(text: str) -> Formatted:
    """Keep Telegram's basic tags (b, i, u, s, a href, code, pre, blockquote), escape the rest.

    The result always parses: unknown tags and stray `<` show literally, unclosed tags are
    closed, links keep only http(s)/tg/mailto targets.
    """
    parser = _Sanitiser()
    parser.feed(text)
    parser.close()
    while parser.stack:
        parser.out.append(_closing(parser.stack.pop()))
    visible = "".join(parser.visible).strip()
    return Formatted(html="".join(parser.out).strip(), length=len(visible.encode("utf-16-le")) // 2)


def too_long(formatted: Formatted, *, caption: bool) -> int:
    """How many characters over Telegram's limit (0 when it fits)."""
    limit = MAX_CAPTION if caption else MAX_TEXT
    return max(0, formatted.length - limit)
