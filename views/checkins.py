"""Texts and inline keyboards for guided steps, summaries, receipts and problems.

Nothing here talks to Telegram or the database: each function turns domain values into the
(body, keyboard) of the one message a check-in is edited in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain.checkins.elections import type_name
from domain.checkins.kinds import Kind
from domain.checkins.quick import EXAMPLES
from domain.checkins.records import Draft, Filed, local_time
from domain.checkins.rules import Problem
from domain.checkins.steps import (
    FLOWS,
    SKIP,
    Step,
    StepKey,
    StepType,
    applicable,
    choices,
)
from views import checkin_keyboards as kb
from views.texts import Html, catalogue, escape, text

View = tuple[str, InlineKeyboardMarkup | None]


def correction(lang: str, version: int) -> str:
    """' (perbaikan ke-2)' for a corrected check-in; nothing for the first version."""
    return text(lang, "checkin.status.correction", number=version - 1) if version > 1 else ""


def kind_name(lang: str, kind: Kind) -> str:
    return text(lang, f"checkin.kind.{kind.value}")


def header(lang: str, kind: Kind, tps_label: str, relayer: str | None) -> str:
    lines = [
        text(
            lang,
            "checkin.header",
            icon=kb.KIND_ICONS[kind],
            kind=kind_name(lang, kind),
            tps=tps_label,
        )
    ]
    if relayer:
        lines.append(text(lang, "checkin.relay_line", name=relayer))
    return "\n".join(lines)


def option_label(lang: str, key: str, value: Any, election: str) -> str:
    found = catalogue(lang).get(f"checkin.opt.{key}.{value}")
    if found is not None:
        return found
    return type_name(election, str(value))


def value_text(lang: str, key: str, value: Any, election: str) -> str:
    """One answer as people read it (HTML-escaped)."""
    if value is None or value == [] or value == {}:
        return text(lang, "checkin.skipped")
    if isinstance(value, bool):
        return text(lang, "common.yes" if value else "common.no")
    if key == StepKey.WATER:
        label = catalogue(lang).get(f"checkin.opt.water_cm.{value}")
        return f"{value} cm" + (f" ({label})" if label else "")
    if key == StepKey.PHOTO:
        return text(lang, "checkin.photos_count", count=len(value))
    if key == StepKey.LOCATION:
        return f"📍 {value['latitude']:.5f}, {value['longitude']:.5f}"
    if key == StepKey.RECEIVED and isinstance(value, dict):
        return ", ".join(f"{type_name(election, t)} {n}" for t, n in value.items())
    if key in (StepKey.STATUS, StepKey.AFFECTED, StepKey.LEVEL, StepKey.OPERATOR,
               StepKey.FALLBACK, StepKey.CATEGORY, StepKey.SEVERITY):  # fmt: skip
        return escape(option_label(lang, key, value, election))
    return escape(value)


def field_lines(lang: str, kind: Kind, values: dict[str, Any], election: str) -> list[str]:
    """'Label: value' for each answer, in the order the steps ask them."""
    lines = []
    for step in FLOWS[kind]:
        if step.key.value in values:
            value = value_text(lang, step.key, values[step.key.value], election)
            lines.append(f"{text(lang, f'checkin.field.{step.key.value}')}: {value}")
    return lines


def describe(lang: str, kind: Kind, payload: dict[str, Any], election: str) -> str:
    """A stored check-in in one line (status, history)."""
    shown = {k: v for k, v in payload.items() if v not in (None, [], {})}
    return "; ".join(field_lines(lang, kind, shown, election))


def problem_text(lang: str, problem: Problem) -> str:
    key = f"checkin.problem.{problem.code}"
    if key not in catalogue(lang):
        key = "checkin.problem.invalid"
    name = problem.field
    label = catalogue(lang).get(f"checkin.field.{name}", name)
    values = {"field": label, "low": "", "high": "", "value": "", "length": "", "word": "",
              "type": "", "expected": "", "operator": ""}  # fmt: skip
    values.update({k: v for k, v in problem.params.items() if k != "kind"})
    return text(lang, key, **values)


def step_view(
    lang: str,
    draft: Draft,
    step: Step,
    *,
    tps_label: str,
    relayer: str | None,
    election: str,
    now_label: str,
    problem: Problem | None = None,
) -> View:
    kind = draft.kind
    assert kind is not None
    number = len(applicable(kind, draft.answers)) + 1
    values: dict[str, Any] = {}
    if step.key is StepKey.RECEIVED:
        values["type"] = type_name(election, str(draft.answers.get("affected", "")))
    lines = [
        header(lang, kind, tps_label, relayer),
        text(lang, "checkin.step_line", number=number),
        "",
        text(lang, f"checkin.ask.{kind.value}.{step.key.value}", **values),
    ]
    if step.type is StepType.NUMBER and step.presets:
        lines.append(text(lang, "checkin.type_hint"))
    if problem is not None:
        lines += ["", text(lang, "checkin.problem_line", problem=problem_text(lang, problem))]
    return "\n".join(lines), step_keyboard(lang, draft, step, election, now_label)


def step_keyboard(
    lang: str, draft: Draft, step: Step, election: str, now_label: str
) -> InlineKeyboardMarkup:
    token, key = draft.token, step.key.value
    buttons: list[list[InlineKeyboardButton]] = []
    if step.type in (StepType.CHOICE, StepType.YESNO):
        options = [
            kb.button(_choice_label(lang, step, value, election), token, key, value)
            for value in choices(step, election)
        ]
        buttons += kb.rows(options, 2)
    elif step.type is StepType.NUMBER and step.presets:
        options = [kb.button(_number_label(lang, step, n), token, key, n) for n in step.presets]
        buttons += kb.rows(options, 4 if len(options) > 4 else 2)
    elif step.type is StepType.TIME:
        buttons.append([kb.button(text(lang, "checkin.now", time=now_label), token, key, "now")])
    if step.skippable(draft.answers):
        buttons.append([kb.button(text(lang, "checkin.skip"), token, key, SKIP)])
    buttons.append(kb.cancel_row(lang, token, key))
    return InlineKeyboardMarkup(buttons)


def _choice_label(lang: str, step: Step, value: str, election: str) -> str:
    if step.type is StepType.YESNO:
        return text(lang, f"common.{value}")
    return option_label(lang, step.key.value, value, election)


def _number_label(lang: str, step: Step, number: int) -> str:
    found = catalogue(lang).get(f"checkin.opt.{step.key.value}.{number}")
    return found or str(number)


def summary_view(
    lang: str,
    draft: Draft,
    payload: dict[str, Any],
    *,
    tps_label: str,
    relayer: str | None,
    election: str,
) -> View:
    kind = draft.kind
    assert kind is not None
    lines = [header(lang, kind, tps_label, relayer), "", text(lang, "checkin.summary_title")]
    lines += field_lines(lang, kind, applicable_payload(kind, draft, payload), election)
    lines += ["", text(lang, "checkin.summary_hint")]
    token, key = draft.token, StepKey.SUMMARY.value
    markup = InlineKeyboardMarkup(
        [
            [
                kb.button(text(lang, "checkin.send"), token, key, "send"),
                kb.button(text(lang, "checkin.change"), token, key, "change"),
            ],
            kb.cancel_row(lang, token, key),
        ]
    )
    return "\n".join(lines), markup


def applicable_payload(kind: Kind, draft: Draft, payload: dict[str, Any]) -> dict[str, Any]:
    """Show what the person answered (skipped steps as a dash), in the report's cleaned form."""
    return {k: payload.get(k) for k in applicable(kind, draft.answers)}


def change_view(
    lang: str, draft: Draft, *, tps_label: str, relayer: str | None, election: str
) -> View:
    kind = draft.kind
    assert kind is not None
    token, key = draft.token, StepKey.CHANGE.value
    options = [
        kb.button(text(lang, f"checkin.field.{name}"), token, key, name)
        for name in applicable(kind, draft.answers)
    ]
    buttons = kb.rows(options, 2)
    buttons.append([kb.button(text(lang, "checkin.back"), token, key, "_back")])
    body = "\n".join(
        [header(lang, kind, tps_label, relayer), "", text(lang, "checkin.change_pick")]
    )
    return body, InlineKeyboardMarkup(buttons)


def when_text(moment: datetime, province_code: str, *, with_date: bool = False) -> str:
    local, zone = local_time(moment, province_code)
    stamp = local.strftime("%d/%m %H:%M" if with_date else "%H:%M")
    return f"{stamp} {zone}"


def receipt(lang: str, filed: Filed, *, tps_label: str, province_code: str, election: str) -> str:
    """The answer to a stored check-in; a rehearsal's says SIMULASI first (and no version:
    its number continues the TPS's real ones, which would only confuse)."""
    practice = filed.rehearsal_id is not None
    lines = [text(lang, "rehearsal.banner")] if practice else []
    lines += [
        text(
            lang,
            "checkin.receipt.stored",
            number=filed.id,
            kind=kind_name(lang, filed.kind),
            tps=tps_label,
            time=when_text(filed.received_at, province_code),
        )
    ]
    summary = describe(lang, filed.kind, filed.payload, election)
    if summary:
        lines.append(Html(summary))
    if filed.version > 1 and not practice:
        lines.append(text(lang, "checkin.receipt.version", number=filed.version - 1))
    if filed.late:
        lines.append(
            text(
                lang,
                "checkin.receipt.late",
                sent=when_text(filed.sent_at, province_code, with_date=True),
                received=when_text(filed.received_at, province_code, with_date=True),
            )
        )
    if filed.relayed:
        lines.append(text(lang, "checkin.receipt.relayed", name=filed.filed_by))
    if filed.duplicate:
        lines.append(text(lang, "checkin.receipt.duplicate"))
    return "\n".join(lines)


def quick_problem(lang: str, problem: Problem, *, tps_prefix: str = "") -> str:
    """What was wrong with a line, and a line that works."""
    kind_value = str(problem.params.get("kind") or "")
    kind = Kind(kind_value) if kind_value in {k.value for k in Kind} else Kind.BANJIR
    example = f"{tps_prefix} {EXAMPLES[kind]}".strip()
    return "\n".join(
        [
            "⚠️ " + problem_text(lang, problem),
            text(lang, "checkin.problem.example", example=example),
        ]
    )
