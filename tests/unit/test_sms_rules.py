"""The gateway's signature, envelopes and dedupe key; GSM-7; watch hours (domain.sms)."""

from datetime import UTC, datetime, time, timedelta, timezone

import pytest

from domain.sms import (
    EnvelopeError,
    Verdict,
    dedupe_key,
    fit_one_part,
    is_plain_gsm7,
    parse_envelope,
    parse_received,
    septets,
    sign,
    to_gsm7,
    verify,
)
from sms.watch import in_watch_hours

KEY = "a-long-signing-key-0123456789abcdef"
NOW = datetime(2024, 2, 13, 1, 0, tzinfo=UTC)
BODY = b'{"event":"sms:received","payload":{"message":"SIAP 06:30 7"}}'


def test_the_signature_is_hex_hmac_sha256_of_body_then_timestamp() -> None:
    # Computed independently: printf '%s' "$BODY1707786000" | openssl dgst -sha256 -hmac "$KEY"
    import hashlib
    import hmac

    stamp = str(int(NOW.timestamp()))
    expected = hmac.new(KEY.encode(), BODY + stamp.encode(), hashlib.sha256).hexdigest()
    assert sign(KEY, BODY, stamp) == expected
    assert len(expected) == 64 and expected == expected.lower()


@pytest.mark.parametrize(
    ("signature", "timestamp", "body", "verdict"),
    [
        ("good", "now", BODY, Verdict.OK),
        ("GOOD", "now", BODY, Verdict.OK),  # hex in upper case is the same signature
        (None, "now", BODY, Verdict.UNSIGNED),
        ("good", None, BODY, Verdict.UNSIGNED),
        ("", "", BODY, Verdict.UNSIGNED),
        ("good", "now", BODY + b" ", Verdict.FORGED),  # the body was changed
        ("other-key", "now", BODY, Verdict.FORGED),
        ("0" * 64, "now", BODY, Verdict.FORGED),
        ("good", "old", BODY, Verdict.STALE),
        ("good", "future", BODY, Verdict.STALE),
        ("good", "nonsense", BODY, Verdict.FORGED),
    ],
)
def test_webhooks_are_verified(
    signature: str | None, timestamp: str | None, body: bytes, verdict: Verdict
) -> None:
    stamps = {
        "now": str(int(NOW.timestamp()) - 30),
        "old": str(int((NOW - timedelta(minutes=6)).timestamp())),
        "future": str(int((NOW + timedelta(minutes=6)).timestamp())),
        "nonsense": "12ab",
    }
    stamp = stamps.get(timestamp) if timestamp else timestamp
    given = signature
    if signature in ("good", "GOOD") and stamp is not None:
        given = sign(KEY, BODY, stamp)
        given = given.upper() if signature == "GOOD" else given
    elif signature == "other-key" and stamp is not None:
        given = sign("another-key", BODY, stamp)
    result = verify(KEY, body, signature=given, timestamp=stamp, now=NOW, window_seconds=300)
    assert result is verdict


def test_an_sms_received_envelope_is_read_as_the_app_writes_it() -> None:
    envelope = parse_envelope(
        {
            "id": "Ey6ECgOkVVFjz3CL48B8C",
            "webhookId": "LreFUt-Z3sSq0JufY9uWB",
            "deviceId": "PyDmBQZZXYmyxMwED8Fzy",
            "event": "sms:received",
            "payload": {
                "messageId": "abc",
                "message": "SIAP 06:30 7",
                "phoneNumber": "+6281234567890",
                "simNumber": None,
                "receivedAt": "2024-02-13T07:59:30.000+07:00",
            },
        }
    )
    sms = parse_received(envelope.payload)
    assert (sms.sender, sms.text, sms.sim_number) == ("+6281234567890", "SIAP 06:30 7", None)
    assert sms.received_at == datetime(2024, 2, 13, 0, 59, 30, tzinfo=UTC)
    for bad in ([], {"event": "sms:received"}, {"payload": {}}):
        with pytest.raises(EnvelopeError):
            parse_envelope(bad)
    for payload in ({"message": "x", "receivedAt": "2024-02-13T07:59:30+07:00"},
                    {"message": "x", "sender": "1", "receivedAt": "yesterday"},
                    {"message": "x", "sender": "1", "receivedAt": "2024-02-13T07:59:30"}):  # fmt: skip
        with pytest.raises(EnvelopeError):
            parse_received(payload)


def test_the_dedupe_key_ignores_the_envelope_and_the_offset_but_not_the_content() -> None:
    wib = timezone(timedelta(hours=7))
    at = datetime(2024, 2, 13, 7, 59, 30, tzinfo=wib)
    key = dedupe_key("+6281234567890", at, "SIAP 06:30 7", 1)
    assert key == dedupe_key("+6281234567890", at.astimezone(UTC), "SIAP 06:30 7", 1)
    others = {
        dedupe_key("+6281234567891", at, "SIAP 06:30 7", 1),
        dedupe_key("+6281234567890", at + timedelta(seconds=1), "SIAP 06:30 7", 1),
        dedupe_key("+6281234567890", at, "SIAP 06:30 6", 1),
        dedupe_key("+6281234567890", at, "SIAP 06:30 7", 2),
    }
    assert key not in others and len(others) == 4 and len(key) == 64


@pytest.mark.parametrize(
    ("text", "plain", "length"),
    [
        ("SIAP 06:30 7", "SIAP 06:30 7", 12),
        ("Banjir 😀", "Banjir ?", None),
        ("“kutip” – ok…", '"kutip" - ok...', None),
        ("Ōtsuka café", "Otsuka café", None),  # é is in GSM-7, Ō is not
        ("a{b}", "a?b?", 6),  # extension characters count two; plain GSM-7 leaves them out
    ],
)
def test_gsm7(text: str, plain: str, length: int | None) -> None:
    assert to_gsm7(text) == plain
    assert septets(text) == length


def test_one_part_is_160_plain_characters() -> None:
    cut = fit_one_part("é" * 200)
    assert len(cut) == 160 and cut.endswith("...") and is_plain_gsm7(cut)
    assert not is_plain_gsm7("a{b}")


@pytest.mark.parametrize(
    ("utc_hour", "start", "end", "inside"),
    [
        (1, time(6), time(20), True),  # 08:00 WIB
        (15, time(6), time(20), False),  # 22:00 WIB
        (22, time(6), time(20), False),  # 05:00 WIB
        (15, time(21), time(2), True),  # a window past midnight: 22:00 WIB
        (1, time(21), time(2), False),
    ],
)
def test_watch_hours_are_local(utc_hour: int, start: time, end: time, inside: bool) -> None:
    moment = datetime(2024, 2, 13, utc_hour, tzinfo=UTC)
    assert in_watch_hours(moment, start, end, "Asia/Jakarta") is inside
