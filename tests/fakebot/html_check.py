"""Telegram-style parsing of message text (parse_mode HTML) and length checks.

Follows the behaviour of Telegram's HTML parser (tdlib ``parse_html``): only the
documented tags are accepted, a bare ``&`` is kept literally, ``&lt; &gt; &amp;
&quot;`` and numeric entities are decoded, anything else after ``<`` is a tag.
Lengths are counted in UTF-16 code units after parsing and stripping.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any

from .state import ApiError, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024

# tag -> entity type for tags without attributes of interest ("span" = tg-spoiler span)
SIMPLE_TYPES = {
    **dict.fromkeys(("b", "strong"), "bold"),
    **dict.fromkeys(("i", "em"), "italic"),
    **dict.fromkeys(("u", "ins"), "underline"),
    **dict.fromkeys(("s", "strike", "del"), "strikethrough"),
    **dict.fromkeys(("tg-spoiler", "span"), "spoiler"),
}
SUPPORTED_TAGS = frozenset({*SIMPLE_TYPES, "a", "code", "pre", "blockquote", "tg-emoji"})
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
UNQUOTED_VALUE_CHARS = frozenset(string.ascii_letters + string.digits + ".-")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass
class ParsedText:
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Open:
    name: str
    offset: int  # UTF-16 offset in the output
    attrs: dict[str, str]


def _parse_error(message: str) -> ApiError:
    return bad_request(f"can't parse entities: {message}")


def _decode_entity(text: str, i: int) -> tuple[str | None, int]:
    """Decode an HTML entity starting at text[i] == '&'. Returns (value, next index)."""
    end = text.find(";", i + 1, i + 12)
    if end == -1:
        return None, i
    body = text[i + 1 : end]
    if body in NAMED_ENTITIES:
        return NAMED_ENTITIES[body], end + 1
    if body.startswith("#") and len(body) > 1:
        digits = body[1:]
        try:
            code = int(digits[1:], 16) if digits[0] in "xX" else int(digits, 10)
        except ValueError:
            return None, i
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code), end + 1
    return None, i


class _HtmlParser:
    def __init__(self, text: str) -> None:
        self.src = text
        self.n = len(text)
        self.i = 0
        self.out: list[str] = []
        self.u16 = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def ch(self, i: int | None = None) -> str:
        pos = self.i if i is None else i
        return self.src[pos] if pos < self.n else ""

    def byte_offset(self, pos: int) -> int:
        return len(self.src[:pos].encode("utf-8", "surrogatepass"))

    def emit(self, value: str) -> None:
        self.out.append(value)
        self.u16 += utf16_len(value)

    def skip_spaces(self) -> None:
        while self.i < self.n and self.src[self.i].isspace():
            self.i += 1

    def run(self) -> ParsedText:
        while self.i < self.n:
            c = self.src[self.i]
            if c == "&":
                value, nxt = _decode_entity(self.src, self.i)
                self.emit(value if value is not None else "&")
                self.i = nxt if value is not None else self.i + 1
            elif c != "<":
                self.emit(c)
                self.i += 1
            elif self.ch(self.i + 1) == "/":
                self.end_tag()
            else:
                self.start_tag()
        if self.stack:
            raise _parse_error(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.out), self.entities)

    def start_tag(self) -> None:
        begin = self.i
        self.i += 1
        start = self.i
        while self.i < self.n and not self.src[self.i].isspace() and self.src[self.i] != ">":
            self.i += 1
        if self.i >= self.n:
            raise _parse_error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = self.src[start : self.i].lower()
        if name not in SUPPORTED_TAGS:
            raise _parse_error(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}'
            )
        attrs: dict[str, str] = {}
        while self.ch() != ">":
            self.skip_spaces()
            if self.i >= self.n:
                raise _parse_error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if self.ch() == ">":
                break
            attr_start = self.i
            while (
                self.i < self.n
                and not self.src[self.i].isspace()
                and self.src[self.i] not in "=>/\"'"
            ):
                self.i += 1
            attr = self.src[attr_start : self.i].lower()
            if not attr:
                raise _parse_error(
                    f'Empty attribute name in the tag "{name}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            self.skip_spaces()
            if self.ch() != "=":
                if self.i >= self.n:
                    raise _parse_error(
                        f'Unclosed start tag "{name}" at byte offset {self.byte_offset(begin)}'
                    )
                attrs[attr] = ""
                continue
            self.i += 1
            self.skip_spaces()
            if self.i >= self.n:
                raise _parse_error(
                    f'Unclosed start tag "{name}" at byte offset {self.byte_offset(begin)}'
                )
            attrs[attr] = self.attr_value()
            if self.i >= self.n:
                raise _parse_error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        self.i += 1  # '>'
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _parse_error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.stack.append(_Open(name=name, offset=self.u16, attrs=attrs))

    def attr_value(self) -> str:
        quote = self.ch()
        if quote not in ("'", '"'):
            start = self.i
            while self.i < self.n and self.src[self.i] in UNQUOTED_VALUE_CHARS:
                self.i += 1
            if self.i < self.n and not self.src[self.i].isspace() and self.src[self.i] != ">":
                raise _parse_error(
                    f"Unexpected end of name token at byte offset {self.byte_offset(self.i)}"
                )
            return self.src[start : self.i].lower()
        self.i += 1
        value: list[str] = []
        while self.i < self.n and self.src[self.i] != quote:
            if self.src[self.i] == "&":
                decoded, nxt = _decode_entity(self.src, self.i)
                if decoded is not None:
                    value.append(decoded)
                    self.i = nxt
                    continue
            value.append(self.src[self.i])
            self.i += 1
        if self.i < self.n:
            self.i += 1  # closing quote
        return "".join(value)

    def end_tag(self) -> None:
        begin = self.i
        if not self.stack:
            raise _parse_error(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        self.i += 2
        start = self.i
        while self.i < self.n and not self.src[self.i].isspace() and self.src[self.i] != ">":
            self.i += 1
        end_name = self.src[start : self.i].lower()
        self.skip_spaces()
        if self.ch() != ">":
            raise _parse_error(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        self.i += 1
        top = self.stack.pop()
        if end_name and end_name != top.name:
            raise _parse_error(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{top.name}>", found "</{end_name}>"'
            )
        if self.u16 > top.offset:
            self.add_entity(top, top.offset, self.u16 - top.offset)

    def add_entity(self, tag: _Open, offset: int, length: int) -> None:
        entity: dict[str, Any] = {"offset": offset, "length": length}
        if tag.name in SIMPLE_TYPES:
            entity["type"] = SIMPLE_TYPES[tag.name]
        elif tag.name == "a":
            href = tag.attrs.get("href", "")
            if not href:
                return
            entity.update(type="text_link", url=href)
        elif tag.name == "code":
            entity["type"] = "code"
            language = tag.attrs.get("class", "")
            if language.startswith("language-"):
                entity["language"] = language[len("language-") :]
        elif tag.name == "pre":
            last = self.entities[-1] if self.entities else None
            if (
                last
                and last["type"] == "code"
                and (last["offset"], last["length"])
                == (
                    offset,
                    length,
                )
            ):
                self.entities.pop()
                if "language" in last:
                    entity["language"] = last["language"]
            entity["type"] = "pre"
        elif tag.name == "blockquote":
            entity["type"] = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
        elif tag.name == "tg-emoji":
            emoji_id = tag.attrs.get("emoji-id", "")
            if not emoji_id.isdigit():
                raise _parse_error("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=emoji_id)
        self.entities.append(entity)


def _strip(parsed: ParsedText) -> ParsedText:
    """Telegram strips leading/trailing whitespace; shift and clip entities."""
    left = parsed.text[: len(parsed.text) - len(parsed.text.lstrip())]
    text = parsed.text.strip()
    shift = utf16_len(left)
    total = utf16_len(text)
    entities: list[dict[str, Any]] = []
    for entity in parsed.entities:
        start = max(0, entity["offset"] - shift)
        end = min(total, entity["offset"] + entity["length"] - shift)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(text, entities)


def parse_text(
    text: Any,
    parse_mode: Any = None,
    entities: Any = None,
    *,
    caption: bool = False,
) -> ParsedText:
    """Validate and parse a text or caption the way sendMessage/sendPhoto do."""
    raw = "" if text is None else str(text)
    mode = str(parse_mode or "").lower()
    if not raw.strip() and not caption:
        raise bad_request("message text is empty")
    if mode == "html":
        parsed = _HtmlParser(raw).run()
    else:
        # Markdown/MarkdownV2 are not interpreted by this fake (see README of fakebot).
        given = entities if isinstance(entities, list) else []
        parsed = ParsedText(raw, [e for e in given if isinstance(e, dict)])
    parsed = _strip(parsed)
    if not parsed.text and not caption:
        raise bad_request("text must be non-empty")
    limit, message = (
        (MAX_CAPTION, "message caption is too long")
        if caption
        else (MAX_TEXT, "message is too long")
    )
    if utf16_len(parsed.text) > limit:
        raise bad_request(message)
    return parsed
