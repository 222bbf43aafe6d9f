"""Match what a prospect typed against the options of a choice question, or against sectors.

Dutch SME owners answer a choice question the way they talk: in a sentence ("doe maar 85
procent"), with typos ("kredietverzkering"), with several options at once ("krediet en
bedrijfsschade"), with negations ("geen kredietverzekering, alleen bedrijfsschade") and, for
their sector, with a description or a Dutch compound ("we kweken tomaten in de kas",
"metaalbewerkingsbedrijf"). This module reads such text; it never raises and never produces
human-readable text. A :class:`Match` says which options were meant and whether the bot may
take them as they are (``sure``) or should read them back first ("Bedoelt u X?").

How text is read (both sides, the text and every phrase, go through the same steps):

* NFKC, lowercase, accents dropped ("één" == "een"), apostrophes dropped ("taxi's" ==
  "taxis"), every other non-alphanumeric character separates words. The Dutch ``ij``/``ei``
  confusion is folded away ("allebij" == "allebei"): the two sound the same and people mix
  them up all the time.
* Dutch number words become digits ("zestig" == "60", "vijfentachtig" == "85"); "een" stays a
  word because it is mostly the article. "%", "procent", "pct" after a number are noise.
* Only the first 60 words (of the first 2,000 characters) are read; that bounds the work for
  any input and no real answer to a choice question is longer.

How a phrase is found (best first; an earlier kind wins over a later one where they overlap,
and between two of the same kind the one covering more words or letters wins, so that
"financiele dienstverlening" beats "dienstverlening" and "akkerbouw" beats "bouw"):

1. Exactly, on word boundaries: never inside another word, so "niet" does not contain "iet".
   Words typed apart that belong together count too ("krediet verzekering"), and so do the
   plural/inflected forms -s, -en and (after -e) -n of phrases of five letters or more.
2. As the head of a Dutch compound (its last part): "fietsenwinkel" is a kind of "winkel",
   "terugbellen" of "bellen". Also a known word before a generic head: "akkerbouw|bedrijf",
   "metaalbewerking|s|bedrijf" (sectors), "bedrijfsonderbreking|s|verzekering" (options).
   A full analysis beats a partial one, which is why "akkerbouwbedrijf" is landbouw
   (akkerbouw + bedrijf) and not bouw (akker + bouwbedrijf).
3. With typos (see ``_max_edits``), never for numbers and never for common filler words.
4. Sectors only, as a last resort and never sure: a word that starts with a sector word.

A phrase directly preceded by "geen", "niet" or "zonder" (an article may sit in between), or
directly followed by "niet" at the end of a clause, or by "hebben we al" and the like, is not
counted: "geen kredietverzekering, alleen bedrijfsschade" means bedrijfsschade only.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from rapidfuzz.distance import OSA

from pricing import SECTORS

__all__ = ["Match", "Option", "match_options", "match_sector"]


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    phrases: tuple[str, ...]  # the Dutch label and synonyms, any case/diacritics


@dataclass(frozen=True, slots=True)
class Match:
    ids: tuple[str, ...]  # matched option ids, in option order; () = nothing matched
    sure: bool  # False: a fuzzy/partial match the bot must read back ("Bedoelt u X?")


_NOTHING = Match((), False)

# --- reading text -----------------------------------------------------------------------------

_MAX_CHARS = 2000
_MAX_WORDS = 60
_MAX_WORD_LENGTH = 40  # longer "words" are garbage; compound analysis skips them

_APOSTROPHES = str.maketrans("", "", "'\u2018\u2019\u201b\u2032`\u00b4")
# A number (with decimal or thousands separators), a run of letters, a percent sign, or a
# punctuation mark that ends a clause (kept only as a boundary, for negation).
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+|%|[,.;:!?\n]")
_BOUNDARY = frozenset(",.;:!?\n")
_PERCENT = frozenset({"%", "procent", "pct", "percent", "prct"})

_UNITS = {"een": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7, "acht": 8,
          "negen": 9}
_TENS = {"twintig": 20, "dertig": 30, "veertig": 40, "vijftig": 50, "zestig": 60,
         "zeventig": 70, "tachtig": 80, "negentig": 90}
_NUMBER_WORDS = {
    **{w: n for w, n in _UNITS.items() if w != "een"}, **_TENS,
    "nul": 0, "tien": 10, "elf": 11, "twaalf": 12, "dertien": 13, "veertien": 14,
    "vijftien": 15, "zestien": 16, "zeventien": 17, "achttien": 18, "negentien": 19,
    "honderd": 100,
}
_COMPOUND_NUMBER = re.compile(rf"({'|'.join(_UNITS)})en({'|'.join(_TENS)})")


def _number_word(word: str) -> str | None:
    if word in _NUMBER_WORDS:
        return str(_NUMBER_WORDS[word])
    found = _COMPOUND_NUMBER.fullmatch(word)
    if found:
        return str(_UNITS[found[1]] + _TENS[found[2]])
    return None


def _ij(words: Iterable[str]) -> frozenset[str]:
    """Word lists in the code, spelled the way `_read` spells text ("bedrijf" -> "bedreif")."""
    return frozenset(w.replace("ij", "ei") for w in words)


def _is_number(word: str) -> bool:
    return word[:1].isdigit()


@dataclass(frozen=True, slots=True)
class _Text:
    words: tuple[str, ...]
    # Indices i such that a clause ends right before words[i] (len(words) included).
    bounds: frozenset[int]


def _read(text: str) -> _Text:
    folded = unicodedata.normalize("NFKC", text[:_MAX_CHARS]).casefold()
    folded = "".join(c for c in unicodedata.normalize("NFD", folded)
                     if not unicodedata.combining(c))
    folded = folded.translate(_APOSTROPHES)
    words: list[str] = []
    bounds = set()
    for token in _TOKEN.findall(folded):
        if token in _BOUNDARY:
            bounds.add(len(words))
            continue
        if token in _PERCENT and words and _is_number(words[-1]):
            continue  # "85 procent", "85%": the unit says nothing the number does not
        if token == "%":
            continue
        number = _number_word(token)
        words.append(number if number is not None else token.replace("ij", "ei"))
        if len(words) == _MAX_WORDS:
            break
    bounds.add(len(words))
    return _Text(tuple(words), frozenset(bounds))


# --- lexicon ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    target: str  # option id or sector key
    words: tuple[str, ...]
    weak: bool = False  # a sector description: counts only where no sector synonym does

    @property
    def joined(self) -> str:
        return "".join(self.words)

    @property
    def numeric(self) -> bool:
        return any(_is_number(w) for w in self.words)


# Never part of a compound typed apart: "bouw en transport" is not "bouwen transport".
_FUNCTION_WORDS = _ij({
    "en", "of", "de", "het", "een", "in", "op", "van", "voor", "aan", "met", "te", "er", "is",
    "al", "ik", "we", "wij", "ze", "die", "dat", "ook", "maar", "niet", "geen", "om", "uit",
    "bij", "na", "tot", "door", "zijn", "nu", "wel", "nog", "s",
})


def _keys(words: Sequence[str]) -> tuple[str, ...]:
    """The lookup keys of a word sequence: spaced, and joined unless a number or a function
    word is involved ("krediet verzekering" finds "kredietverzekering"; "8 5" is not "85")."""
    spaced = " ".join(words)
    if len(words) == 1 or any(_is_number(w) or w in _FUNCTION_WORDS for w in words):
        return (spaced,)
    return (spaced, "".join(words))


class _Lexicon:
    def __init__(self, entries: Iterable[_Entry]) -> None:
        self.exact: dict[str, list[_Entry]] = {}
        self.whole: dict[str, list[_Entry]] = {}  # one-letter phrases: only the whole text
        self.fuzzy: dict[tuple[str, int], list[_Entry]] = {}
        self.max_words = 1
        for entry in entries:
            if not entry.words:
                continue
            if len(entry.joined) == 1 and not entry.numeric:
                self.whole.setdefault(entry.joined, []).append(entry)
                continue
            self.max_words = max(self.max_words, len(entry.words))
            for key in _keys(entry.words):
                bucket = self.exact.setdefault(key, [])
                if entry not in bucket:
                    bucket.append(entry)
            if not entry.numeric and len(entry.joined) >= _MIN_FUZZY:
                bucket = self.fuzzy.setdefault((entry.joined[0], len(entry.joined)), [])
                if entry not in bucket:
                    bucket.append(entry)

    def word(self, word: str) -> list[tuple[_Entry, int]]:
        """Entries a single (part of a) word is, with its length, also inflected: 'winkels'."""
        found = [(e, len(word)) for e in self.exact.get(word, ())]
        for base in _inflection_bases(word):
            found += [(e, len(base)) for e in self.exact.get(base, ())]
        return found


def _inflection_bases(word: str) -> list[str]:
    # Plural and inflected forms of phrases of 5+ letters: winkel-s, bakkerij-en, beide-n.
    # Shorter phrases are left out on purpose: "zorg-en" is the verb "to see to".
    bases = []
    if len(word) >= 6 and word.endswith("s"):
        bases.append(word[:-1])
    if len(word) >= 7 and word.endswith("en"):
        bases.append(word[:-2])
    if len(word) >= 6 and word.endswith("en"):
        bases.append(word[:-1])  # beide-n, garage-n
    return [b for b in bases if len(b) >= 5]


# --- finding phrases in text ------------------------------------------------------------------

_EXACT, _COMPOUND, _FUZZY, _PREFIX = 3, 2, 1, 0


@dataclass(frozen=True, slots=True)
class _Hit:
    entry: _Entry
    start: int
    end: int
    kind: int
    edits: int = 0
    coverage: float = 1.0  # the share of the word explained (compounds)
    length: int = 0  # letters of the matched phrase

    def rank(self) -> tuple[int, int, int, float, int]:
        return (self.kind, -self.edits, self.end - self.start, self.coverage, self.length)


# Typo tolerance, by the length of the phrase (in letters, without spaces), measured in OSA
# edits (insert, delete, substitute, or swap two neighbours: the commonest phone typo). The
# typed word (or words) must be 5+ letters as well.
# * Under 5 letters: exact only. Short Dutch words are dense: one edit turns "bouw" into
#   "bouwt", "zorg" into "zorgt", "bank" into "band", "bar" into "bak".
# * 5 to 7 letters: one edit ("hotel"/"hotle", "allebei"/"alebei"). Two edits in a 6-letter
#   word change a third of it: "winkel" would match "wikkel" and "bellen" "bollen".
# * 8 letters or more: two edits ("kredietverzkring", "instalatiebedreif" with ij/ei folded).
#   Three would let "verzekeren" be "verzekeraar".
# The first letter must match: people rarely mistype it, and requiring it removes most false
# friends the distance alone lets through. One edit in 8+ letters ("bedrijfschade",
# "kredietverzkering") is as good as exact for a choice question (sure); weaker matches are
# read back, for sectors as for choices.
_MIN_FUZZY = 5


def _max_edits(length: int) -> int:
    if length < _MIN_FUZZY:
        return 0
    return 1 if length < 8 else 2


# Common words of 5+ letters in answers; they are never typos of an option ("alleen" is
# not "alle", "verzekeren" is not "verzekeraar").
_NOT_TYPOS = _ij({
    "alleen", "graag", "eigenlijk", "misschien", "liever", "willen", "zouden", "kunnen",
    "hebben", "worden", "verzekeren", "verzekering", "verzekeringen", "verzekerd", "bedrijf",
    "bedrijven", "onderneming", "klanten", "omdat", "welke", "zoals", "andere", "beetje",
    "ongeveer", "allemaal", "natuurlijk", "inderdaad", "precies", "gewoon", "zeker", "tegen",
    "zonder", "tussen", "vooral", "nodig", "alstublieft", "alsjeblieft", "bedankt", "dankjewel",
    "indicatie", "nemen", "hierbij", "wellicht", "denken", "weten", "zitten", "werken", "maken",
    "hoeveel", "waarom", "wanneer", "omzet",
})

_NEGATIONS = frozenset({"geen", "niet", "zonder"})
_DETERMINERS = _ij({"de", "het", "een", "die", "dat", "deze", "mijn", "onze", "ons"})
# After a phrase, "niet" negates it when the clause ends there or goes on with these words:
# "krediet niet, wel bedrijfsschade", "krediet niet nodig".
_AFTER_NIET = frozenset({"nodig", "maar", "wel", "meer", "en", "dus", "want", "hoor"})
# After a phrase: "bedrijfsschade hebben we al", "krediet hoeft niet".
_ALREADY = (("hebben", "we", "al"), ("hebben", "wei", "al"), ("heb", "ik", "al"),
            ("hoeft", "niet"), ("hoeven", "we", "niet"), ("is", "niet", "nodig"),
            ("niet", "nodig"), ("hebben", "we", "niet", "nodig"))  # "wij" spelled as read


def _exact_hits(text: _Text, lex: _Lexicon) -> list[_Hit]:
    words, hits = text.words, []
    for i in range(len(words)):
        for j in range(i + 1, min(len(words), i + lex.max_words + 1) + 1):
            for key in _keys(words[i:j]):
                for entry in lex.exact.get(key, ()):
                    hits.append(_Hit(entry, i, j, _EXACT, length=len(entry.joined)))
        for base in _inflection_bases(words[i]):
            for entry in lex.exact.get(base, ()):
                hits.append(_Hit(entry, i, i + 1, _EXACT, length=len(entry.joined)))
    return hits


def _heads(word: str, lex: _Lexicon, *, min_head: int) -> list[tuple[_Entry, int]]:
    """`word` as a compound ending in a known phrase ('kaas|groothandel', 'fietsen|winkels'):
    the entries, each with the length of the unexplained first part."""
    found = []
    for k in range(2, len(word) - min_head + 1):
        for entry, _length in lex.word(word[k:]):
            if len(entry.words) == 1 and not entry.numeric:
                found.append((entry, k))
    return found


def _head_hits(word: str, lex: _Lexicon, start: int, *, min_head: int) -> list[_Hit]:
    return [_Hit(entry, start, start + 1, _COMPOUND, coverage=1 - k / len(word),
                 length=len(entry.joined))
            for entry, k in _heads(word, lex, min_head=min_head)]


# The last part of a compound that says nothing about the sector, so the part before it does:
# "transport|bedrijf", "hoveniers|bedrijf", "koeriers|dienst", "tandarts|praktijk".
_GENERIC_HEADS = tuple(sorted(_ij((
    "bedrijf", "bedrijfje", "bedrijven", "onderneming", "ondernemingen", "zaak", "zaakje",
    "zaken", "firma", "groep", "kantoor", "kantoren", "bureau", "bureaus", "dienst", "diensten",
    "service", "services", "specialist", "centrum", "organisatie", "praktijk", "maatschappij",
    "studio", "bv", "holding",
))))
# The same for the options of a choice question, which in this intake are about insurance:
# "bedrijfsonderbrekings|verzekering" is the option "bedrijfsonderbreking".
_OPTION_HEADS = tuple(sorted(_ij(("verzekering", "verzekeringen", "polis", "polissen",
                                  "dekking"))))
_LINKERS = ("", "s", "en", "e")


def _compound_hits(word: str, lex: _Lexicon, start: int, *, heads: Sequence[str],
                   min_head: int) -> list[_Hit]:
    if len(word) < 6 or len(word) > _MAX_WORD_LENGTH or not word.isalpha():
        return []
    hits = _head_hits(word, lex, start, min_head=min_head)
    for head in heads:
        if not word.endswith(head):
            continue
        stem = word[:-len(head)]
        for linker in _LINKERS:
            if not stem.endswith(linker) or len(stem) - len(linker) < 3:
                continue
            modifier = stem[:len(stem) - len(linker)]
            for entry, _length in lex.word(modifier):
                hits.append(_Hit(entry, start, start + 1, _COMPOUND, coverage=1.0,
                                 length=len(entry.joined)))
            for entry, k in _heads(modifier, lex, min_head=min_head):
                # Explained: all but the first part ("kaas|groothandel|s|bedrijf").
                hits.append(_Hit(entry, start, start + 1, _COMPOUND, coverage=1 - k / len(word),
                                 length=len(entry.joined)))
            if len(modifier) >= _MIN_FUZZY and modifier not in _NOT_TYPOS:
                hits += [_Hit(h.entry, start, start + 1, _FUZZY, edits=h.edits, length=h.length)
                         for h in _fuzzy_word(modifier, lex, start)]
    return hits


def _fuzzy_word(joined: str, lex: _Lexicon, start: int, end: int | None = None) -> list[_Hit]:
    hits = []
    size = len(joined)
    for length in range(size - 2, size + 3):
        allowed = _max_edits(length)
        if allowed == 0 or abs(length - size) > allowed:
            continue
        for entry in lex.fuzzy.get((joined[0], length), ()):
            edits = OSA.distance(joined, entry.joined, score_cutoff=allowed)
            if 0 < edits <= allowed:
                hits.append(_Hit(entry, start, start + 1 if end is None else end, _FUZZY,
                                 edits=edits, length=length))
    return hits


def _fuzzy_hits(text: _Text, lex: _Lexicon) -> list[_Hit]:
    words, hits = text.words, []
    for i in range(len(words)):
        for j in range(i + 1, min(len(words), i + lex.max_words + 1) + 1):
            part = words[i:j]
            if any(_is_number(w) or w in _NOT_TYPOS or len(w) > _MAX_WORD_LENGTH for w in part):
                break
            joined = "".join(part)
            if len(joined) >= _MIN_FUZZY:
                hits += _fuzzy_word(joined, lex, i, j)
    return hits


def _prefix_hits(word: str, lex: _Lexicon, start: int) -> list[_Hit]:
    """Sectors, last resort: 'transportplanning' starts with 'transport'."""
    hits = []
    for k in range(len(word) - 3, 4, -1):
        for entry in lex.exact.get(word[:k], ()):
            if not entry.weak and len(entry.words) == 1:
                hits.append(_Hit(entry, start, start + 1, _PREFIX, length=k))
        if hits:
            break
    return hits


def _select(hits: list[_Hit], size: int) -> list[_Hit]:
    """The best reading of each stretch of text: greedy by rank, no overlaps, ties kept."""
    hits.sort(key=_Hit.rank, reverse=True)
    taken = [False] * size
    chosen: list[_Hit] = []
    for hit in hits:
        if any(taken[hit.start:hit.end]):
            if any(c.start == hit.start and c.end == hit.end and c.rank() == hit.rank()
                   and c.entry.target != hit.entry.target for c in chosen):
                chosen.append(hit)  # the same words mean two options equally well
            continue
        for i in range(hit.start, hit.end):
            taken[i] = True
        chosen.append(hit)
    return chosen


def _negated(text: _Text, hit: _Hit) -> bool:
    words, bounds = text.words, text.bounds
    before = hit.start - 1
    if before >= 0 and hit.start not in bounds:
        if words[before] in _NEGATIONS:
            return True
        if (words[before] in _DETERMINERS and before >= 1 and before not in bounds
                and words[before - 1] in _NEGATIONS):
            return True
    after = hit.end
    if after in bounds:
        return False
    if words[after] == "niet" and (after + 1 in bounds or words[after + 1] in _AFTER_NIET):
        return True
    return any(words[after:after + len(tail)] == tail for tail in _ALREADY)


def _find(text: _Text, lex: _Lexicon, *, sectors: bool) -> list[_Hit]:
    hits = _exact_hits(text, lex)
    exact_words = {h.start for h in hits if h.end - h.start == 1}
    for i, word in enumerate(text.words):
        if i in exact_words:
            continue
        if sectors:
            hits += _compound_hits(word, lex, i, heads=_GENERIC_HEADS, min_head=4)
        else:
            hits += _compound_hits(word, lex, i, heads=_OPTION_HEADS, min_head=5)
    hits += _fuzzy_hits(text, lex)
    if sectors:
        found = {h.start for h in hits}
        for i, word in enumerate(text.words):
            if i not in found and word.isalpha() and len(word) <= _MAX_WORD_LENGTH:
                hits += _prefix_hits(word, lex, i)
    return [h for h in _select(hits, len(text.words)) if not _negated(text, h)]


# --- options ----------------------------------------------------------------------------------


@lru_cache(maxsize=128)
def _option_lexicon(options: tuple[Option, ...]) -> _Lexicon:
    return _Lexicon(_Entry(o.id, _read(p).words) for o in options for p in o.phrases)


def _tier(hit: _Hit) -> int:
    """3: exact, 2: as good as exact, 1: read it back.

    As good as exact: one typo in a phrase of 8+ letters, or a compound whose head is an
    option phrase of 6+ letters ("terug|bellen", "stroom|uitval"). A compound ending in a
    5-letter phrase is read back ("bos|brand" is probably fire, but "brand" is short and
    people write English "brand" too)."""
    if hit.kind == _EXACT or (hit.kind == _COMPOUND and hit.coverage == 1.0):
        return 3
    if hit.kind == _FUZZY and hit.edits == 1 and hit.length >= 8:
        return 2
    if hit.kind == _COMPOUND and hit.length >= 6:
        return 2
    return 1


def match_options(text: str, options: Sequence[Option], *, multi: bool = False) -> Match:
    """The options `text` means. With ``multi`` any combination may be meant ("krediet en
    bedrijfsschade"); without it, several equally good options come back unsure, for the
    caller to ask which one."""
    if not isinstance(text, str) or not options:
        return _NOTHING
    try:
        lex = _option_lexicon(tuple(options))
    except TypeError:  # unhashable phrases: build it once, uncached
        lex = _Lexicon(_Entry(o.id, _read(p).words) for o in options for p in o.phrases)
    read = _read(text)
    if not read.words:
        return _NOTHING
    order = {o.id: n for n, o in reversed(list(enumerate(options)))}
    whole = {e.target for key in _keys(read.words)
             for e in (*lex.exact.get(key, ()), *lex.whole.get(key, ()))}
    if whole:
        return Match(tuple(sorted(whole, key=order.__getitem__)), len(whole) == 1)
    hits = _find(read, lex, sectors=False)
    if not hits:
        return _NOTHING
    best: dict[str, tuple[int, int]] = {}
    for hit in hits:
        score = (_tier(hit), -hit.edits)
        best[hit.entry.target] = max(best.get(hit.entry.target, score), score)
    shared = _shared_spans(hits)
    if multi:
        ids = tuple(sorted(best, key=order.__getitem__))
        return Match(ids, not shared and all(tier >= 2 for tier, _edits in best.values()))
    clear = [t for t, (tier, _edits) in best.items() if tier >= 2]
    if len(clear) == 1:
        return Match((clear[0],), True)
    # Several options named clearly ("krediet, of toch bedrijfsschade"), or only unclear ones:
    # the best of them, and the caller asks which (or whether) one is meant.
    top = max(best.values())
    winners = clear or [t for t, score in best.items() if score == top]
    return Match(tuple(sorted(winners, key=order.__getitem__)), False)


def _shared_spans(hits: list[_Hit]) -> bool:
    spans: dict[tuple[int, int], set[str]] = {}
    for hit in hits:
        spans.setdefault((hit.start, hit.end), set()).add(hit.entry.target)
    return any(len(targets) > 1 for targets in spans.values())


# --- sectors ----------------------------------------------------------------------------------


@cache
def _sector_descriptions() -> dict[str, tuple[str, ...]]:
    """The `descriptions` of each sector in the catalogue file (the pricing core ignores
    them): what a business does or sells, and generic words, which count only where no
    synonym of a sector does."""
    raw = tomllib.loads(resources.files("pricing").joinpath("data/sectors.toml")
                        .read_text("utf-8"))
    return {item["key"]: tuple(item.get("descriptions", ())) for item in raw["sector"]}


def _sector_entries() -> list[_Entry]:
    descriptions = _sector_descriptions()
    entries: list[_Entry] = []
    for key, sector in SECTORS.items():
        weak = {_read(d).words for d in descriptions.get(key, ())}
        strong = {_read(p).words for p in (key.replace("_", " "), sector.label, *sector.synonyms)}
        entries += [_Entry(key, words) for words in sorted(strong - weak)]
        entries += [_Entry(key, words, weak=True) for words in sorted(weak)]
    return entries


@cache
def _sector_lexicon() -> _Lexicon:
    return _Lexicon(_sector_entries())


# "wij maken software voor de zorg", "we leveren aan restaurants": the sector word names the
# customers, not the business; it counts as a description.
_FOR_CUSTOMERS = frozenset({"voor", "aan"})


def _for_customers(text: _Text, hit: _Hit) -> bool:
    i = hit.start - 1
    if i >= 0 and text.words[i] in _DETERMINERS and i not in text.bounds:
        i -= 1
    return i >= 0 and text.words[i] in _FOR_CUSTOMERS


_STRONG, _PARTIAL, _WEAK = 10, 5, 1


def _plain_typo(hit: _Hit) -> bool:
    # One slip in a long word ("tranportbedrijf", "instalatiebedrijf") is as sure as the word
    # itself, as for choice questions; anything weaker is read back.
    return hit.kind == _FUZZY and hit.edits <= 1 and hit.length >= 8
_MAX_ASK = 3


def match_sector(text: str) -> Match:
    """The catalogue sector(s) a description of a business means.

    One sure id: take it. One unsure id: propose it. Two or three ids: ask which (they are
    about equally plausible). Nothing: show all sectors (also when more than three fit).

    Scoring: a sector synonym ("aannemer", "webshop", a compound ending in one) scores 10,
    a word that only starts with one 5, a description ("kweken", "verkopen", "aan bedrijven")
    1. Descriptions are only looked at when no synonym was found, so "IT dienstverlening" is
    ict and "groothandel in metaal" is groothandel. A sector wins alone when it scores at
    least twice as much as any other ("we importeren wijn en leveren aan restaurants").
    """
    if not isinstance(text, str):
        return _NOTHING
    read = _read(text)
    if not read.words:
        return _NOTHING
    hits = _find(read, _sector_lexicon(), sectors=True)
    scores: dict[str, int] = {}
    strong: set[str] = set()
    certain: dict[bool, set[str]] = {True: set(), False: set()}
    for hit in hits:
        key = hit.entry.target
        weak = hit.entry.weak or _for_customers(read, hit)
        weight = _WEAK if weak else _PARTIAL if hit.kind == _PREFIX else _STRONG
        scores[key] = scores.get(key, 0) + weight
        if not weak:
            strong.add(key)
        if hit.kind in (_EXACT, _COMPOUND) or _plain_typo(hit):
            certain[not weak].add(key)
    pool = strong or set(scores)
    if not pool:
        return _NOTHING
    top = max(scores[k] for k in pool)
    contenders = [k for k in SECTORS if k in pool and 2 * scores[k] > top]
    if len(contenders) == 1:
        return Match((contenders[0],), contenders[0] in certain[bool(strong)])
    if len(contenders) > _MAX_ASK:
        return _NOTHING
    return Match(tuple(contenders), False)
