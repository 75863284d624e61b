"""Scheduled and background work on the JobQueue: deadlines, escalation, digests, broadcasts.

The database is the source of truth; every job is rebuilt from it when the bot starts.
"""
