"""SMS rules that need no network and no database: signatures, envelopes, GSM-7, dedupe keys.

Source: SMS Gateway for Android (github.com/capcom6/android-sms-gateway), read at commit
0cdc5d8, and its docs (docs.sms-gate.app, features/webhooks.md):

- A webhook is a POST of a JSON envelope `{id, webhookId, deviceId, event, payload}`
  (`modules/webhooks/domain/WebHookEventDTO.kt`). For `sms:received` the payload is
  `{messageId, message, sender, recipient, simNumber, receivedAt, phoneNumber}`
  (`payload/SmsEventPayload.kt`; `phoneNumber` is the deprecated twin of `sender`).
  `receivedAt` is ISO 8601 with the phone's offset (`extensions/GsonBuilder.kt`:
  `yyyy-MM-dd'T'HH:mm:ss.SSSXXX`), taken from the SMS itself (`ReceiverService.kt`:
  `receivedAt = message.date`). `simNumber` may be null on some phones.
- `messageId` "is generated based on the message content and is not guaranteed to be unique"
  (docs): never a dedupe key. The same SMS also arrives twice with different envelope ids
  (issues #291, #301, #310, #372) and is retried with exponential backoff, 5 s * 2^(n-1)
  (issue #302), up to 15 attempts by default (`WebhooksSettings.retryCount`), about two days
  (issue #125). So the dedupe key is (sender, receivedAt, text, SIM): `dedupe_key`.
- Signing (`plugins/PayloadSingingPlugin.kt`): `X-Timestamp` is Unix seconds at the moment of
  each attempt, `X-Signature` is the lowercase hex HMAC-SHA256, keyed with the signing key's
  UTF-8 bytes, of the raw body text followed by the timestamp text. Each retry is signed
  afresh, so a freshness window does not refuse honest retries. The app's default key is 8
  characters: the desk must set a long one (docs/sms-gateway.md).
- Other events (`sms:sent`, `sms:delivered`, `sms:failed`, `system:ping`, `mms:*`,
  `app:started`) share the envelope; the bot uses `system:ping` as the heartbeat.

GSM 03.38: a single SMS part carries 160 characters of the GSM 7-bit default alphabet; one
character outside it (an emoji, "ō", a curly quote) turns the whole message into UCS-2 with 70
characters a part. The extension table (`^{}\\[~]|€`) costs two septets each.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"
SINGLE_PART_SEPTETS = 160

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"
_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)
# Look-alikes people's phones produce, mapped to plain GSM-7 before anything else.
_REPLACEMENTS = {
    "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-",
    "…": "...", "\u00a0": " ", "\t": " ", "•": "-", "×": "x",
}  # fmt: skip


class Event(StrEnum):
    """Webhook events the gateway sends (`WebHookEvent.kt`); others are acknowledged too."""

    SMS_RECEIVED = "sms:received"
    SMS_SENT = "sms:sent"
    SMS_DELIVERED = "sms:delivered"
    SMS_FAILED = "sms:failed"
    SYSTEM_PING = "system:ping"


class Verdict(StrEnum):
    OK = "ok"
    UNSIGNED = "unsigned"  # no signature or timestamp header
    FORGED = "forged"  # the signature does not match the body
    STALE = "stale"  # signed, but outside the freshness window (a replay, or a wrong clock)


def sign(key: str, body: bytes, timestamp: str) -> str:
    """The gateway's signature: hex HMAC-SHA256 of body + timestamp, keyed with `key`."""
    return hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


def verify(
    key: str,
    body: bytes,
    *,
    signature: str | None,
    timestamp: str | None,
    now: datetime,
    window_seconds: float,
) -> Verdict:
    """Check a webhook's signature (constant time) and that it was signed recently."""
    if not signature or not timestamp:
        return Verdict.UNSIGNED
    expected = sign(key, body, timestamp)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        return Verdict.FORGED
    try:
        signed_at = int(timestamp)
    except ValueError:
        return Verdict.FORGED
    if abs(now.timestamp() - signed_at) > window_seconds:
        return Verdict.STALE
    return Verdict.OK


@dataclass(frozen=True, slots=True)
class Envelope:
    """One webhook request: which event from which device, and its payload."""

    id: str
    event: str
    device_id: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class IncomingSms:
    """An `sms:received` payload, checked."""

    sender: str
    text: str
    sim_number: int | None
    received_at: datetime  # aware; the SMS centre's time as the phone reported it
    message_id: str


class EnvelopeError(ValueError):
    """The body is signed but not an envelope we understand (answered 2xx and logged)."""


def parse_envelope(data: Any) -> Envelope:
    """The envelope fields of a decoded webhook body, or `EnvelopeError`."""
    if not isinstance(data, dict):
        raise EnvelopeError("not a JSON object")
    event, payload = data.get("event"), data.get("payload")
    if not isinstance(event, str) or not isinstance(payload, dict):
        raise EnvelopeError("no event or payload")
    return Envelope(
        id=str(data.get("id") or ""),
        event=event,
        device_id=str(data.get("deviceId") or ""),
        payload=payload,
    )


def parse_received(payload: dict[str, Any]) -> IncomingSms:
    """The `sms:received` payload's fields; `sender` falls back to the older `phoneNumber`."""
    sender = payload.get("sender") or payload.get("phoneNumber")
    text = payload.get("message")
    received = payload.get("receivedAt")
    if not isinstance(sender, str) or not isinstance(text, str) or not isinstance(received, str):
        raise EnvelopeError("sms:received without sender, message or receivedAt")
    try:
        received_at = datetime.fromisoformat(received.replace("Z", "+00:00"))
    except ValueError as exc:
        raise EnvelopeError(f"receivedAt {received!r} is not ISO 8601") from exc
    if received_at.tzinfo is None:
        raise EnvelopeError("receivedAt has no offset")
    sim = payload.get("simNumber")
    return IncomingSms(
        sender=sender.strip(),
        text=text,
        sim_number=sim if isinstance(sim, int) else None,
        received_at=received_at,
        message_id=str(payload.get("messageId") or ""),
    )


def dedupe_key(sender: str, received_at: datetime, text: str, sim_number: int | None) -> str:
    """One stored SMS per (sender, receivedAt to the millisecond, text, SIM): 64 hex chars."""
    moment = round(received_at.timestamp() * 1000)
    raw = "\x1f".join([sender, str(moment), text, str(sim_number or 0)])
    return hashlib.sha256(raw.encode()).hexdigest()


def to_gsm7(text: str) -> str:
    """`text` in the GSM-7 basic alphabet: look-alikes replaced, accents dropped, others '?'."""
    out: list[str] = []
    for char in text:
        char = _REPLACEMENTS.get(char, char)
        if len(char) > 1 or char in _BASIC:
            out.append(char)
            continue
        plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        out.append(plain if plain and all(c in _BASIC for c in plain) else "?")
    return "".join(out)


def septets(text: str) -> int | None:
    """GSM-7 length (extension characters count two), or None if `text` needs UCS-2."""
    total = 0
    for char in text:
        if char in _BASIC:
            total += 1
        elif char in _EXTENSION:
            total += 2
        else:
            return None
    return total


def is_plain_gsm7(text: str) -> bool:
    """Only the GSM-7 basic alphabet (no extension characters, no UCS-2)."""
    return all(char in _BASIC for char in text)


def fit_one_part(text: str) -> str:
    """`text` as plain GSM-7 cut to one 160-character part (with "..." when cut)."""
    plain = to_gsm7(text)
    if len(plain) <= SINGLE_PART_SEPTETS:
        return plain
    return plain[: SINGLE_PART_SEPTETS - 3].rstrip() + "..."
