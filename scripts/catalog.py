"""Bring locales/nl/LC_MESSAGES/messages.po up to date with the message ids in the code.

Run it after adding or changing a sentence: `python scripts/catalog.py`. New ids arrive with an
empty translation (the catalog test fails until someone writes the Dutch); ids no longer in the
code are dropped. The test suite compares the same extraction with the catalog.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locales" / "nl" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
PACKAGES = ("pricing", "flows", "bot")


def extract() -> Catalog:
    template = Catalog(project="intake", fuzzy=False)
    for package in PACKAGES:
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / package,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=("Translators:",),
        ):
            template.add(message, None, [(f"{package}/{filename}", lineno)],
                         auto_comments=comments, context=context)
    return template


def main() -> int:
    template = extract()
    if PO.exists():
        with PO.open("rb") as f:
            catalog = read_po(f, locale="nl")
    else:
        catalog = Catalog(locale="nl", project="intake")
    created = catalog.creation_date
    catalog.update(template, no_fuzzy_matching=True)
    catalog.creation_date = created  # keep the header still, so only real changes show in diffs
    catalog.obsolete.clear()
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as f:
        write_po(f, catalog, width=100, include_lineno=False)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"{len(catalog)} messages, {len(missing)} without Dutch", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
