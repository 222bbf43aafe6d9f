"""Shared by the web tests: the `browser` marker (tests that drive headless Chromium).

Select them with `pytest -m browser`, leave them out with `-m "not browser"`.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives the widget in headless Chromium (Playwright, /usr/bin/chromium)"
    )
