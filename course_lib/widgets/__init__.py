"""Interactive ipywidgets + matplotlib explorers used in the notebooks."""

__all__ = []
