"""Text-to-speech models: Tacotron 2, WaveNet, WaveGlow, the pipeline (chapters 10–16)."""

__all__ = []
