"""Persistence: SQLAlchemy 2 async models, repositories and migrations.

Repositories take an `AsyncSession` and never commit: the caller owns the transaction.
"""
