"""Event contracts of every Homeward service; importing this registers them all."""

from homeward.common.contracts import intake

__all__ = ["intake"]
