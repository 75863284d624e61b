"""The digest's figures: moved to `storage.desk` so the desk page can share them; re-exported
here for the scheduler, the alerts and the desk commands."""

from storage.desk import DeskSetup, build, desk_setup, digest_scope

__all__ = ["DeskSetup", "build", "desk_setup", "digest_scope"]
