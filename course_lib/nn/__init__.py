"""Teaching-sized neural-network building blocks (chapters 01–05, 09, 12 and 13), and the layers Tacotron 2 shares."""

__all__ = []
