"""SMS check-ins through an Android gateway phone (SMS Gateway for Android)."""
