from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pricing import SECTORS, match_sector
from pricing.tariffs import bi_tariff, credit_tariff

REQUIRED = ["landbouw", "industrie", "bouw", "groothandel", "detailhandel", "transport",
            "horeca", "ict", "zakelijke_dienstverlening", "zorg_onderwijs", "overig"]


def test_catalogue_has_every_required_sector_with_sbi_label_and_risk_class() -> None:
    for key in REQUIRED:
        sector = SECTORS[key]
        assert sector.label and sector.synonyms
        assert all(len(s) == 1 and s.isupper() for s in sector.sbi)
        assert sector.risk_class in (1, 2, 3)
    assert SECTORS["bouw"].sbi_section == "F"
    assert SECTORS["transport"].sbi_section == "H"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("aannemer", "bouw"),
        ("Aannemersbedrijf", "bouw"),
        ("installateur", "bouw"),
        ("transportbedrijf", "transport"),
        ("expeditie", "transport"),
        ("softwarebedrijf", "ict"),
        ("webshop", "detailhandel"),
        ("Café", "horeca"),
        ("zakelijke dienstverlening", "zakelijke_dienstverlening"),
        ("wij zijn een metaalbewerkingsbedrijf", "industrie"),
        ("Bouw en installatie", "bouw"),
        ("ICT", "ict"),
    ],
)
def test_free_text_matches_a_sector(text: str, key: str) -> None:
    assert match_sector(text)[0] == key


def test_unsure_or_unknown_text_is_not_forced_into_one_sector() -> None:
    assert match_sector("xyzzy") == []
    assert match_sector("") == []
    assert len(match_sector("transport en horeca")) == 2


def test_tariffs_load_with_versions_and_every_product_has_a_minimum() -> None:
    credit = credit_tariff()
    assert credit.version.startswith("credit-")
    assert {p.product for p in credit.products} >= {"mkbZeker", "Simplicity", "EasyLiner"}
    assert all(2500 <= p.minimum_premium_eur <= 5000 for p in credit.products)
    assert bi_tariff().version.startswith("bi-")


def test_pricing_imports_nothing_of_ours() -> None:
    root = Path(__file__).resolve().parents[2] / "pricing"
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"bot", "flows"}, f"{path.name} imports {name}"
