"""Event contracts of every Homeward service; importing this registers them all."""

from homeward.common.contracts import documents, intake, referrals

__all__ = ["documents", "intake", "referrals"]
