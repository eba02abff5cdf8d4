"""Text-to-speech models: Tacotron 2, WaveGlow, the pipeline (chapters 10–16).

WaveNet and flows are in course_lib.nn."""

__all__ = []
