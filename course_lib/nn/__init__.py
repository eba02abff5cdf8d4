"""Teaching-sized neural-network building blocks (chapters 01–05 and 09)."""

__all__ = []
