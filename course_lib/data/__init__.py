"""Datasets: the course speech corpus, the LJSpeech layout, collate and feature cache (chapter 08)."""
