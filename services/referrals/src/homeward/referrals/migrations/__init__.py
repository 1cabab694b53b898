"""Alembic migrations of the referrals database."""
