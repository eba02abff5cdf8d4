"""Keep the site offline: the course does not use Thebe (live code from Binder), and
sphinx-thebe, which Jupyter Book 1 always loads, declares its script twice per page."""


def _drop_thebe(app):
    for event in ("env-before-read-docs", "doctree-resolved"):
        listeners = app.events.listeners.get(event, [])
        app.events.listeners[event] = [
            listener for listener in listeners if not listener.handler.__module__.startswith("sphinx_thebe")
        ]


def setup(app):
    app.connect("builder-inited", _drop_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
