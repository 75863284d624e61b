"""Phone numbers: one E.164 form for a number however it is written, and who a sender is.

Indonesian numbers are written three ways that mean the same line: `0812-3456-7890` (national,
trunk prefix 0), `62812…` and `+62812…` (international). ITU-T E.164 gives them one form,
`+6281234567890`: a plus, the country code 62, then the national number without its leading 0.
A national significant number in Indonesia is 8 to 12 digits (mobile: 8xx…, 9 to 12 digits), so
an E.164 Indonesian number has 10 to 14 digits after the plus; E.164 allows at most 15 in all.

SMS senders that are not people must never be answered (no loops, no bills):
- operator notices come from alphanumeric sender ids ("TELKOMSEL", "INFO", "AXIS") or short
  codes (3 to 6 digits: 363 Telkomsel, 8999 …), which cannot receive an answer or bill for one;
- the desk's own gateway number (an SMS to itself would answer itself forever).
`classify_sender` tells these apart; only `SenderKind.NUMBER` may ever be answered.
"""

from __future__ import annotations

import re
from enum import StrEnum

COUNTRY_CODE = "62"
_SEPARATORS = re.compile(r"[\s\-().]")
_DIGITS = re.compile(r"\d+")
# Shortest full subscriber number we accept (E.164 digits after the plus), and the longest.
MIN_DIGITS = 10
MAX_DIGITS = 15
# Short codes in Indonesia are 3 to 6 digits; anything of 7 digits or fewer is no person.
SHORT_CODE_MAX = 7


class SenderKind(StrEnum):
    NUMBER = "number"  # a full phone number: a person, may be answered
    SHORT_CODE = "short_code"  # an operator or service short code
    ALPHANUMERIC = "alphanumeric"  # a named sender ("TELKOMSEL"): operator notices, adverts
    OWN = "own"  # the desk's own gateway number


class PhoneError(ValueError):
    """The text is not a phone number we can use; the message says why (English, for admins)."""


def normalise_phone(raw: str, *, country_code: str = COUNTRY_CODE) -> str:
    """The E.164 form (`+6281234567890`) of `0812…`, `62812…`, `+62812…` or `0062812…`.

    Spaces, dashes, dots and brackets are ignored. A number in another country keeps its own
    code when written with `+` or `00`. Raises `PhoneError` for anything else.
    """
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("00"):
        digits = text[2:]
    elif text.startswith("0"):
        digits = country_code + text[1:]
    elif text.startswith(country_code):
        digits = text
    elif text.startswith("8"):  # written without the trunk 0, as some phones show it
        digits = country_code + text
    else:
        raise PhoneError(f"{raw!r} is not a phone number (write it like 0812 3456 7890)")
    if not _DIGITS.fullmatch(digits or "x"):
        raise PhoneError(f"{raw!r} holds characters that are not digits")
    if digits.startswith(country_code + "0"):
        digits = country_code + digits[len(country_code) + 1 :]  # "+62 0812…" written twice
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise PhoneError(f"{raw!r} has {len(digits)} digits; a phone number has 10 to 15")
    return "+" + digits


def try_normalise(raw: str | None) -> str | None:
    """`normalise_phone`, or None when it is not a usable number."""
    if raw is None:
        return None
    try:
        return normalise_phone(raw)
    except PhoneError:
        return None


def classify_sender(raw: str, *, own_numbers: frozenset[str] = frozenset()) -> SenderKind:
    """Who sent an SMS, from the sender field alone (`own_numbers` in E.164 form)."""
    text = _SEPARATORS.sub("", raw.strip())
    bare = text.removeprefix("+")
    if not bare or not _DIGITS.fullmatch(bare):
        return SenderKind.ALPHANUMERIC
    if len(bare) <= SHORT_CODE_MAX:
        return SenderKind.SHORT_CODE
    number = try_normalise(text)
    if number is None:
        return SenderKind.SHORT_CODE
    if number in own_numbers:
        return SenderKind.OWN
    return SenderKind.NUMBER
