"""Which of the desk's bots serves whom: regencies spread over bots by TPS count.

Pure (no telegram, no sqlalchemy). Telegram lets a bot send about 30 proactive messages a
second (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this), so a
desk that must reach more people in a reminder round than one bot can runs several bots and
gives each a share of the regencies. A person is bound to the bot they started (only that bot
may write to them); an invite's link is the link of the bot serving its scope.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

REGENCY_DIGITS = 4  # Kemendagri code: 2 digits province, 2 regency (`domain.regions`)


def bot_id_of(token: str) -> int:
    """The bot's numeric id: the part of its token before the colon (0 if there is none).
    Bot API tokens are `<bot id>:<secret>` (https://core.telegram.org/bots/api#authorizing-your-bot)."""
    head = token.split(":", 1)[0]
    return int(head) if head.isdigit() else 0


def spread(
    regencies: Iterable[tuple[str, int]],
    bots: Sequence[int],
    pinned: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """Each regency's bot: pinned ones where an admin put them, the rest spread so that each
    bot carries a similar number of TPS (largest regencies first, each to the bot carrying
    least so far; ties go to the bot listed first).

    `regencies`: (4-digit regency code, TPS count) pairs; `bots`: bot ids in the desk's order;
    `pinned`: regency code -> bot id (pins naming a bot not in `bots` are ignored). Returns
    regency code -> bot id for every regency given; {} when there are no bots.
    """
    if not bots:
        return {}
    order = {bot: i for i, bot in enumerate(bots)}
    pins = {code: bot for code, bot in (pinned or {}).items() if bot in order}
    load = {bot: 0 for bot in bots}
    counts = dict(regencies)
    for code, bot in pins.items():
        load[bot] += counts.get(code, 0)
    heap = [(load[bot], order[bot], bot) for bot in bots]
    heapq.heapify(heap)
    chosen = {code: bot for code, bot in pins.items() if code in counts}
    for code, tps in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])):
        if code in chosen:
            continue
        carried, rank, bot = heapq.heappop(heap)
        chosen[code] = bot
        heapq.heappush(heap, (carried + tps, rank, bot))
    return chosen


@dataclass(frozen=True)
class BotInfo:
    """One of the desk's bots: Telegram's id and its @username (without the @)."""

    id: int
    username: str


@dataclass
class Directory:
    """The desk's bots and which serves each regency, as one process knows them.

    `bots` in the desk's order, the first being the desk's first bot: it serves scopes above a
    regency (a province's or the nation's coordinators and admins) and every chat whose bot is
    not recorded (rows from before the desk had several bots). `regencies`: code -> bot id.
    """

    bots: list[BotInfo] = field(default_factory=list)
    regencies: dict[str, int] = field(default_factory=dict)

    @property
    def first(self) -> BotInfo:
        """The desk's first bot; ValueError when the desk has no bot yet."""
        if not self.bots:
            raise ValueError("the desk has no bot")
        return self.bots[0]

    @property
    def several(self) -> bool:
        """Whether the desk has more than one bot (one bot: nothing needs routing)."""
        return len(self.bots) > 1

    def get(self, bot_id: int | None) -> BotInfo:
        """A bot by id; None or an id the desk no longer has gives the first bot."""
        for info in self.bots:
            if info.id == bot_id:
                return info
        return self.first

    def owner(self, bot_id: int | None) -> int:
        """The id of the bot that writes to a chat whose recorded bot is `bot_id`."""
        return self.get(bot_id).id

    def for_scope(self, scope_code: str) -> BotInfo:
        """The bot serving a scope (a region code of any level): its regency's bot, or the
        first bot for a province, the nation, or a regency not assigned yet."""
        regency = scope_code[:REGENCY_DIGITS] if len(scope_code) >= REGENCY_DIGITS else ""
        return self.get(self.regencies.get(regency))
