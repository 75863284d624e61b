"""Long texts are cut into messages Telegram accepts: each part at most 4,096 characters as
Telegram counts them (UTF-16 code units after HTML parsing), each valid HTML on its own, and
nothing lost (`domain.outbox.split_text`)."""

from __future__ import annotations

import html
import re

import pytest

from domain.outbox import MAX_CAPTION, MAX_TEXT, split_caption, split_text
from tests.fakebot.html_check import parse_text, utf16_len

NOTE = "jalan desa tergenang dan listrik padam "


def squeezed(text: str) -> str:
    """The text without whitespace: cuts fall between words and parts lose their edges."""
    return re.sub(r"\s+", "", text)


CASES = {
    "paragraphs": "\n\n".join(f"Catatan {n}: " + NOTE * 14 for n in range(20)),
    "one long line": NOTE * 300,
    "no spaces": "x" * 10_000,
    "bold across cuts": "<b>" + NOTE * 250 + "</b> akhir",
    "nested tags": "<i>miring <b>" + NOTE * 120 + "</b> lagi " + NOTE * 120 + "</i>",
    "entities": ("Tom &amp; Jerry &lt;3 " * 700),
    "emoji notes": "\n".join(f"🌊🌊 Banjir {n} 🌧️🌧️ " + "🚣" * 40 for n in range(120)),
    "emoji without spaces": "📷" * 5000,
}


@pytest.mark.parametrize("body", CASES.values(), ids=CASES.keys())
def test_every_part_is_accepted_and_nothing_is_lost(body: str) -> None:
    parts = split_text(body)
    assert len(parts) >= 2
    parsed = [parse_text(part, "HTML").text for part in parts]  # raises if Telegram would refuse
    assert all(utf16_len(text) <= MAX_TEXT for text in parsed)
    shown = html.unescape(re.sub(r"<[^>]+>", "", body))
    assert squeezed("".join(parsed)) == squeezed(shown)


def test_a_text_that_fits_is_one_part() -> None:
    body = "🌊" * (MAX_TEXT // 2)
    assert split_text(body) == [body]


def test_a_long_caption_goes_after_the_picture_in_parts() -> None:
    fits, rest = split_caption("Rekap " * 100)
    assert fits == "Rekap " * 100 and rest == []
    fits, rest = split_caption("🌊 " * MAX_CAPTION)
    assert fits == "" and rest and all(utf16_len(part) <= MAX_TEXT for part in rest)


def test_a_caption_of_emoji_is_measured_as_telegram_counts() -> None:
    fits, rest = split_caption("🌊" * 600)  # 600 characters, 1,200 UTF-16 code units
    assert fits == "" and "".join(rest) == "🌊" * 600
