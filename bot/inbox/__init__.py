"""The broker inbox (/broker): users and sessions, the leads, their status, the export and
the funnel page. docs/inbox.md."""

from __future__ import annotations

from bot.inbox.web import Inbox

__all__ = ["Inbox"]
