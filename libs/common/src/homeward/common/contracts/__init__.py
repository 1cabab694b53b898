"""Event contracts of every Homeward service; importing this registers them all."""

from homeward.common.contracts import documents, intake, referrals, suggestions

__all__ = ["documents", "intake", "referrals", "suggestions"]
