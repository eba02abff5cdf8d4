"""Interactive ipywidgets + matplotlib explorers used in the notebooks."""
