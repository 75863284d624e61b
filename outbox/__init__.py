"""The one door in and out: the inbox of updates, the outbox of calls, and the paced sender.

Below `handlers` and `reminders` (both use it; neither imports the other), above `storage`.
"""
