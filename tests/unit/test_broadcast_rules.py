"""Pure broadcast rules: the HTML sanitiser, the audience spec, pacing with injected time."""

from __future__ import annotations

import pytest

from domain.broadcast import (
    Audience,
    AudienceError,
    AudienceKind,
    Tally,
    breakdown_length,
    region_filter,
)
from domain.pacing import ChatPacer, SlidingWindow, TokenBucket, burst_for, retry_delay
from domain.richtext import MAX_CAPTION, sanitise, too_long


@pytest.mark.parametrize(
    ("typed", "html"),
    [
        ("<b>Rapat</b> & <i>aula</i>", "<b>Rapat</b> &amp; <i>aula</i>"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("a < b > c", "a &lt; b &gt; c"),
        ("<b><i>x</b></i>", "<b><i>x</i></b>"),
        ("<b>never closed", "<b>never closed</b>"),
        ("</b>stray close", "stray close"),
        (
            '<a href="https://kpu.go.id/?a=1&b=2">KPU</a>',
            '<a href="https://kpu.go.id/?a=1&amp;b=2">KPU</a>',
        ),
        ('<a href="javascript:alert(1)">klik</a>', "klik"),
        ('<a onclick="x" href="http://x.id">x</a>', '<a href="http://x.id">x</a>'),
        (
            "<pre><code class='language-sh'>a<b>c</b></code></pre>",
            "<pre>a&lt;b&gt;c&lt;/b&gt;</pre>",
        ),
        ("satu<br>dua", "satu\ndua"),
        ('<span class="tg-spoiler">rahasia</span>', "<tg-spoiler>rahasia</tg-spoiler>"),
        ("&lt;b&gt; AT&T", "&lt;b&gt; AT&amp;T"),
        ("<!-- catatan -->teks", "&lt;!-- catatan --&gt;teks"),
        ("  <u>spasi</u>  ", "<u>spasi</u>"),
    ],
    ids=[
        "allowed-tags",
        "script-escaped",
        "bare-angles",
        "misnested",
        "unclosed",
        "stray-close",
        "link-kept",
        "js-link-dropped",
        "attributes-dropped",
        "pre-code",
        "br-newline",
        "spoiler",
        "entities",
        "comment",
        "trimmed",
    ],
)
def test_sanitiser_keeps_basic_tags_and_escapes_the_rest(typed: str, html: str) -> None:
    assert sanitise(typed).html == html


def test_length_counts_visible_utf16_units_like_telegram() -> None:
    assert sanitise("<b>abc</b>").length == 3
    assert sanitise("👍").length == 2  # one emoji is two UTF-16 code units
    assert sanitise("&lt;").length == 1
    assert too_long(sanitise("x" * MAX_CAPTION), caption=True) == 0
    assert too_long(sanitise("x" * (MAX_CAPTION + 5)), caption=True) == 5
    assert too_long(sanitise("x" * (MAX_CAPTION + 5)), caption=False) == 0


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"kind": "role", "value": "mayor"}, "unknown role"),
        ({"kind": "region", "value": ""}, "not a region"),
        ({"kind": "region", "value": "36x"}, "not a region"),
        ({"kind": "not_filed", "value": "pizza"}, "unknown check-in kind"),
        ({"kind": "resend", "value": "abc"}, "not a broadcast id"),
        ({"kind": "everyone"}, "unknown audience kind"),
        ("all", "JSON object"),
    ],
    ids=["role", "region-empty", "region-garbage", "kind", "resend", "audience-kind", "not-dict"],
)
def test_a_bad_audience_spec_is_refused(raw: object, problem: str) -> None:
    with pytest.raises(AudienceError, match=problem):
        Audience.from_json(raw)


def test_audience_round_trips_through_json() -> None:
    for audience in (
        Audience(AudienceKind.ALL),
        Audience(AudienceKind.ROLE, "camat"),
        Audience(AudienceKind.REGION, "367201"),
        Audience(AudienceKind.NOT_FILED, "logistik"),
        Audience(AudienceKind.RESEND, "12"),
    ):
        assert Audience.from_json(audience.to_json()) == audience


@pytest.mark.parametrize(
    ("scope", "audience", "prefix"),
    [
        ("3672", Audience(AudienceKind.ALL), "3672"),
        ("3672", Audience(AudienceKind.REGION, "367201"), "367201"),
        ("367201", Audience(AudienceKind.REGION, "3672"), "367201"),
        ("367201", Audience(AudienceKind.REGION, "367202"), None),
        ("", Audience(AudienceKind.REGION, "36"), "36"),
    ],
    ids=["all", "region-inside", "region-above-scope", "region-outside", "nation"],
)
def test_a_sender_never_reaches_outside_their_scope(
    scope: str, audience: Audience, prefix: str | None
) -> None:
    assert region_filter(scope, audience) == prefix


@pytest.mark.parametrize(
    ("scope", "length"),
    [("", 2), ("36", 4), ("3672", 6), ("367201", 10), ("3672011001", 14)],
    ids=["nation", "province", "city", "district", "village"],
)
def test_reports_break_down_one_level_below_the_scope(scope: str, length: int) -> None:
    assert breakdown_length(scope) == length


def test_token_bucket_paces_at_its_rate_with_a_small_burst() -> None:
    bucket = TokenBucket(rate=25, capacity=2)
    assert bucket.available(0.0) == 2
    bucket.take(0.0, 2)
    assert bucket.wait_time(0.0) == pytest.approx(0.04)
    assert bucket.available(0.039) == 0
    assert bucket.available(0.04) == 1
    assert bucket.available(10.0) == 2  # idle time does not pile up beyond the burst


def test_sliding_window_never_allows_more_than_the_limit_in_one_second() -> None:
    window = SlidingWindow(limit=3)
    for moment in (0.0, 0.1, 0.2):
        assert window.wait_time(moment) == 0
        window.note(moment)
    assert window.wait_time(0.5) == pytest.approx(0.5)
    assert window.wait_time(1.0) == 0


def _greedy_worker(rate: float, *, hiccup: float) -> list[float]:
    """Send times of a worker that takes every token as soon as it is there, for 10 s,
    stalling for `hiccup` seconds every 50 sends."""
    bucket, window = TokenBucket(rate, burst_for(rate)), SlidingWindow(int(rate))
    now, sent = 0.0, []
    while now < 10.0:
        wait = max(bucket.wait_time(now), window.wait_time(now))
        if wait > 0:
            now += wait
            continue
        bucket.take(now)
        window.note(now)
        sent.append(now)
        if len(sent) % 50 == 0:
            now += hiccup
    return sent


@pytest.mark.parametrize("hiccup", [0.0, 0.07, 0.5], ids=["steady", "hiccups", "stalls"])
def test_no_second_ever_holds_more_than_the_pace(hiccup: float) -> None:
    sent = _greedy_worker(25.0, hiccup=hiccup)
    worst = max(sum(1 for u in sent if t - 1.0 + 1e-9 < u <= t) for t in sent)
    assert worst <= 25


def test_a_steady_worker_reaches_the_pace() -> None:
    assert len(_greedy_worker(25.0, hiccup=0.0)) / 10.0 >= 0.95 * 25


def test_one_message_a_second_per_chat_and_twenty_a_minute_per_group() -> None:
    pacer = ChatPacer()
    pacer.note(42, 10.0)
    pacer.note(-100, 10.0)
    assert pacer.wait_time(42, 10.5) == pytest.approx(0.5)
    assert pacer.wait_time(42, 11.0) == 0
    assert pacer.wait_time(-100, 11.0) == pytest.approx(2.0)
    assert pacer.wait_time(7, 10.0) == 0


def test_backoff_grows_and_is_capped() -> None:
    assert [retry_delay(n) for n in (1, 2, 3)] == [2, 4, 8]
    assert retry_delay(20) == 300


def test_tally_counts_what_is_left() -> None:
    tally = Tally.of({"sent": 5, "pending": 3, "blocked": 2}, acked=1)
    assert (tally.total, tally.handled, tally.percent, tally.finished) == (10, 7, 70, False)
    assert Tally.of({"sent": 2, "uncertain": 1}).finished
