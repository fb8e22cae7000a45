"""A local web page for ``workout analyze``: upload a video or landmark file, read the coach's note,
look at the rep timeline. ``workout serve`` starts it; :func:`make_server` is the Python entry."""

from .server import make_server, serve

__all__ = ["make_server", "serve"]
