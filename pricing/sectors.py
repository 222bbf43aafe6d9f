"""The sector catalogue: keys, SBI 2025 sections, Dutch labels, synonyms and risk classes."""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

__all__ = ["SECTORS", "SECTORS_VERSION", "Sector", "match_sector", "normalise_words"]


@dataclass(frozen=True, slots=True)
class Sector:
    key: str
    label: str
    sbi: tuple[str, ...]
    risk_class: int
    synonyms: tuple[str, ...]

    @property
    def sbi_section(self) -> str:
        return self.sbi[0]


def normalise_words(text: str) -> str:
    """Lowercase, strip accents and punctuation: 'Café-Restaurant' -> 'cafe restaurant'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = "".join(c if c.isalnum() else " " for c in plain)
    return " ".join(cleaned.split())


def _load() -> tuple[str, dict[str, Sector]]:
    raw = tomllib.loads(resources.files("pricing").joinpath("data/sectors.toml").read_text("utf-8"))
    sectors: dict[str, Sector] = {}
    for item in raw["sector"]:
        sector = Sector(
            key=item["key"],
            label=item["label"],
            sbi=tuple(item["sbi"]),
            risk_class=int(item["risk_class"]),
            synonyms=tuple(normalise_words(s) for s in item["synonyms"]),
        )
        if sector.risk_class not in (1, 2, 3):
            raise ValueError(f"sector {sector.key}: risk_class must be 1, 2 or 3")
        sectors[sector.key] = sector
    return str(raw["version"]), sectors


SECTORS_VERSION, _SECTORS = _load()
SECTORS: MappingProxyType[str, Sector] = MappingProxyType(_SECTORS)


def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for sector in _SECTORS.values():
        for word in (normalise_words(sector.key.replace("_", " ")), normalise_words(sector.label),
                     *sector.synonyms):
            index.setdefault(word, sector.key)
    return index


_INDEX = _index()


def match_sector(text: str) -> list[str]:
    """Sector keys that free text may mean, best first; empty when nothing matches.

    One key means a sure match; several mean the caller should ask back. Matching is by whole
    synonym, then by a synonym inside a compound word ("metaalbewerkingsbedrijf"), so
    "aannemer" is bouw and "transportbedrijf" is transport.
    """
    words = normalise_words(text)
    if not words:
        return []
    if words in _INDEX:
        return [_INDEX[words]]
    found: list[str] = []
    tokens = words.split()
    # A synonym of several words ("zakelijke dienstverlening") inside the text.
    for synonym, key in _INDEX.items():
        if " " in synonym and f" {synonym} " in f" {words} " and key not in found:
            found.append(key)
    for token in tokens:
        if token in _INDEX and _INDEX[token] not in found:
            found.append(_INDEX[token])
    if found:
        return found
    # Dutch compounds: the longest synonym of 4+ letters the token starts or ends with.
    for token in tokens:
        best: tuple[int, str] | None = None
        for synonym, key in _INDEX.items():
            if len(synonym) >= 4 and " " not in synonym and (
                token.startswith(synonym) or token.endswith(synonym)
            ) and (best is None or len(synonym) > best[0]):
                best = (len(synonym), key)
        if best is not None and best[1] not in found:
            found.append(best[1])
    return found
