"""Every sentence in the code has a Dutch translation in the catalog, and nothing stale is kept."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]


def _catalog_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("catalog", ROOT / "scripts" / "catalog.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_message_in_the_code_is_translated_to_dutch() -> None:
    script = _catalog_script()
    in_code = {m.id for m in script.extract() if m.id}
    with script.PO.open("rb") as f:
        catalog = read_po(f, locale="nl")
    translated = {m.id: m.string for m in catalog if m.id}
    missing = sorted(str(i) for i in in_code if i not in translated)
    assert not missing, f"run `python scripts/catalog.py` and translate: {missing}"
    empty = sorted(str(i) for i in in_code
                   if not (translated[i] if isinstance(translated[i], str)
                           else all(translated[i])))
    assert not empty, f"no Dutch yet for: {empty}"
    fuzzy = [str(m.id) for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy translations are not shown: {fuzzy}"
    stale = sorted(str(i) for i in translated if i not in in_code)
    assert not stale, f"stale catalog entries, run scripts/catalog.py: {stale}"


def test_runtime_translation_comes_from_the_catalog() -> None:
    from flows.i18n import _

    assert _("Credit insurance") == "Kredietverzekering"
