"""The desk's Telegram bots and the regencies pinned to one of them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class DeskBot(Base):
    """One of the desk's bots. `id` is Telegram's id of the bot (the token's part before the
    colon). `token` is kept for bots added with `deskbot bots add`; a bot whose token comes
    from the settings has none here. The token is a secret: never logged or printed."""

    __tablename__ = "desk_bot"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    username: Mapped[str] = mapped_column(String(64))
    token: Mapped[str | None] = mapped_column(String(100), default=None)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BotRegion(Base):
    """A regency (4-digit code) an admin pinned to a bot; the others are spread by TPS count."""

    __tablename__ = "bot_region"

    regency_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("desk_bot.id", ondelete="CASCADE"))
