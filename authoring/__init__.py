"""Maintainer tools: notebook editions, drift check, builds. Learners never need these."""

__all__ = []
