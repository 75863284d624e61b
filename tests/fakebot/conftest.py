from .fixtures import fake_api, fake_bot

__all__ = ["fake_api", "fake_bot"]
