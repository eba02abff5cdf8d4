"""Text front end for speech: cleaners, numbers, symbols (chapter 08)."""
