"""Alembic migrations of the console database (sessions only)."""
