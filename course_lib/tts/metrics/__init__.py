"""Objective evaluation: attention alignment (chapter 11), speech against recordings (chapter 15),
vocoder quality and harmonics (chapter 14). Import the modules directly."""

__all__ = []
