"""The web-chat channel (the widget's API) will live here; the web server itself is bot/http.py.

`build_app` is re-exported for callers of the earlier layout.
"""

from __future__ import annotations

from bot.http import build_app

__all__ = ["build_app"]
