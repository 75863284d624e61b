"""`deskbot run`, plus one background starter and stopper that announce themselves.

The standby tests start this file instead of `python -m bot` to see, from outside, which
process runs background work and when: the starter sends "background on <pid>" to
ANNOUNCE_CHAT; it must come from the active process only, once per activation.
"""

from __future__ import annotations

import os

from bot.cli import main
from reminders import setup
from services import DeskApplication


async def announce(app: DeskApplication) -> None:
    await app.bot.send_message(int(os.environ["ANNOUNCE_CHAT"]), f"background on {os.getpid()}")


setup.BACKGROUND = (*setup.BACKGROUND, (announce, None))

if __name__ == "__main__":
    raise SystemExit(main(["run"]))
