"""The funnel's chart (bot.funnel.funnel_svg): valid, accessible SVG, escaped text, Dutch."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from bot import funnel as funnel_module
from bot.funnel import FunnelRow, funnel_svg
from flows.flow import current
from flows.i18n import _

SVG = "{http://www.w3.org/2000/svg}"


def row(question_id: str, label: str, reached: int, stopped: int = 0) -> FunnelRow:
    return FunnelRow(question_id=question_id, label=label, reached=reached, stopped=stopped,
                     refused=0, refused_conversations=0, refusal_rate=0.0,
                     median_seconds=None, timed=0)


ROWS = [row("product", "Verzekering", 1200, 30), row("sector", "Branche <b>&</b> co", 900),
        row("turnover", "Jaaromzet", 600, 240), row("cb_name", "Naam (terugbelverzoek)", 0)]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def bars(root: ET.Element, kind: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}rect") if e.get("class") == kind]


def test_an_image_with_a_dutch_title_and_description() -> None:
    root = parse(funnel_svg(ROWS))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert title.text == _("Funnel: conversations per question") == \
        "Trechter: gesprekken per vraag"
    assert desc.text is not None and "bereikt" in desc.text
    # The most stops first, in words: the chart says it without colour.
    assert "Jaaromzet (240), Verzekering (30)" in desc.text
    # aria-labelledby names exactly the title and the description.
    assert (root.get("aria-labelledby") or "").split() == [title.get("id"), desc.get("id")]
    other = parse(funnel_svg(ROWS, title="Telegram", id_prefix="tg"))
    assert other.get("aria-labelledby") == "tg-title tg-desc"
    assert other.findtext(f"{SVG}title") == "Telegram"


def test_one_bar_per_question_as_long_as_reached_with_the_stops_marked() -> None:
    root = parse(funnel_svg(ROWS))
    reached = bars(root, "funnel-bar")
    assert len(reached) == len(ROWS)
    widths = [float(b.get("width") or "nan") for b in reached]
    assert widths[0] == max(widths) and widths[-1] == 0.0
    assert widths[2] == widths[0] / 2  # 600 of 1200
    stops = bars(root, "funnel-stop")
    assert len(stops) == 2  # product, turnover
    assert float(stops[1].get("width") or "nan") == widths[2] * 240 / 600
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "1.200" in texts and "240 gestopt" in texts  # Dutch grouping, in words too
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "funnel-row"]
    assert [g.get("data-question") for g in groups] == [r.question_id for r in ROWS]
    assert groups[0].findtext(f"{SVG}title") == "Verzekering: 1.200 bereikt, 30 gestopt"


def test_text_is_escaped() -> None:
    svg = funnel_svg(ROWS)
    assert "<b>" not in svg and "Branche &lt;b&gt;&amp;&lt;/b&gt; co" in svg
    root = parse(svg)
    assert "Branche <b>&</b> co" in ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    quoted = funnel_svg([row('x" onload="alert(1)', "<script>alert(1)</script>", 5)],
                        title="</title><script>")
    root = parse(quoted)
    assert not list(root.iter(f"{SVG}script"))
    assert all(not name.startswith("on") for e in root.iter() for name in e.attrib)


def test_scales_to_a_phone_without_script_or_inline_style() -> None:
    svg = funnel_svg(ROWS)
    root = parse(svg)
    view = [float(v) for v in (root.get("viewBox") or "").split()]
    assert view[:2] == [0, 0] and view[2] <= 390  # a unit is about a CSS pixel on a phone
    assert root.get("width") == "100%" and root.get("height") is None  # no fixed pixel size
    assert "script" not in svg.lower() and "style" not in svg  # the inbox's CSP: no inline
    sizes = {int(t.get("font-size") or 0) for t in root.iter(f"{SVG}text")}
    assert min(sizes) >= 13


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_colours_have_enough_contrast_on_white() -> None:
    svg = funnel_svg(ROWS)
    colours = set(re.findall(r'fill="(#[0-9a-f]{6})"', svg)) - {"#ffffff"}
    assert colours == {funnel_module._INK, funnel_module._BAR, funnel_module._STOP}
    assert _contrast(funnel_module._INK, "#ffffff") >= 7  # text
    assert _contrast(funnel_module._STOP, "#ffffff") >= 4.5  # "240 gestopt" is drawn in it
    assert _contrast(funnel_module._BAR, "#ffffff") >= 3  # a graphic (WCAG 1.4.11)


def test_every_question_of_a_real_funnel_and_an_empty_one() -> None:
    empty = [row(q.id, q.id, 0) for q in current().questions]
    root = parse(funnel_svg(empty))
    assert len(bars(root, "funnel-bar")) == len(current().questions)
    assert root.findtext(f"{SVG}desc") == _("No conversations in this period.")
    assert parse(funnel_svg([])).findtext(f"{SVG}desc") == _("No conversations in this period.")
