"""The pricing core's quote in Dutch: translated texts, and a plain-text table for people."""

from __future__ import annotations

from decimal import Decimal

from flows.i18n import _, money, percent
from pricing import BiQuote, CreditQuote, Factor, Offer, Quote, QuoteWarning

__all__ = [
    "bi_lines", "credit_lines", "factor_lines", "localise_quote", "offer_lines", "quote_lines",
    "quote_table",
]

_ARROWS = {"up": "+", "down": "-", "neutral": "·"}


def _factor(f: Factor) -> Factor:
    return f.model_copy(update={"text": _(f.text)})


def _offer(o: Offer) -> Offer:
    return o.model_copy(update={"reason": _(o.reason)})


def _warning(w: QuoteWarning) -> QuoteWarning:
    return w.model_copy(update={"text": _(w.text)})


def localise_quote(quote: Quote) -> Quote:
    """The same quote with every text in Dutch, for JSON consumers and the lead."""
    credit = quote.credit
    bi = quote.bi
    return quote.model_copy(update={
        "disclaimer": _(quote.disclaimer),
        "credit": None if credit is None else credit.model_copy(update={
            "factors": tuple(_factor(f) for f in credit.factors),
            "offers": tuple(_offer(o) for o in credit.offers),
        }),
        "bi": None if bi is None else bi.model_copy(update={
            "factors": tuple(_factor(f) for f in bi.factors),
            "warnings": tuple(_warning(w) for w in bi.warnings),
        }),
    })


def _range(low: Decimal, high: Decimal) -> str:
    return money(low) if low == high else f"{money(low)} – {money(high)}"


def credit_lines(c: CreditQuote) -> list[str]:
    rate = (
        percent(c.rate_low_pct) if c.rate_low_pct == c.rate_high_pct
        else f"{percent(c.rate_low_pct)} – {percent(c.rate_high_pct)}"
    )
    return [
        _("Credit insurance"),
        "  " + _("Insured turnover") + f": {money(c.insured_turnover_eur)}",
        "  " + _("Premium per year")
        + f": {_range(c.premium_low_eur, c.premium_high_eur)} ({rate})",
    ]


def bi_lines(b: BiQuote) -> list[str]:
    return [
        _("Business interruption insurance"),
        "  " + _("Insured sum (gross profit)") + f": {money(b.insured_sum_eur)}",
        "  " + _("Premium per year") + f": {_range(b.premium_low_eur, b.premium_high_eur)}",
    ]


def offer_lines(offers: tuple[Offer, ...]) -> list[str]:
    """Per insurer product: its indication, or why it does not fit. Names no "best" one."""
    lines = ["  " + _("Per insurer") + ":"]
    for o in offers:
        if o.eligible and o.premium_low_eur is not None and o.premium_high_eur is not None:
            lines.append(f"  • {o.insurer} {o.product}: "
                         f"{_range(o.premium_low_eur, o.premium_high_eur)}")
        else:
            lines.append(f"  • {o.insurer} {o.product}: {_('not suitable')} ({_(o.reason)})")
    return lines


def factor_lines(factors: tuple[Factor, ...], most: int = 4) -> list[str]:
    """The main factors that moved the price, in words a prospect understands."""
    moving = [f for f in factors if f.direction != "neutral"][:most]
    if not moving:
        return []
    return ["  " + _("What moves the premium") + ":"] + [
        f"  {_ARROWS[f.direction]} {_(f.text)}" for f in moving
    ]


def quote_lines(quote: Quote) -> list[str]:
    """A short Dutch summary of the indication, one product per block (for chat replies)."""
    lines: list[str] = []
    if quote.credit is not None:
        lines += credit_lines(quote.credit)
    if quote.bi is not None:
        lines += bi_lines(quote.bi)
        lines += [f"  ⚠ {_(w.text)}" for w in quote.bi.warnings]
    return lines


def quote_table(quote: Quote) -> str:
    """The whole indication as a Dutch plain-text table, for `intake quote --text`."""
    out = [_("Premium indication"), ""]
    credit = quote.credit
    if credit is not None:
        out += credit_lines(credit)
        out.append("  " + _("What moves the premium") + ":")
        out += [f"    {_ARROWS[f.direction]} {_(f.text)}" for f in credit.factors]
        out.append("  " + _("Insurers") + ":")
        width = max(len(f"{o.insurer} {o.product}") for o in credit.offers)
        for o in credit.offers:
            name = f"{o.insurer} {o.product}".ljust(width)
            if o.premium_low_eur is not None and o.premium_high_eur is not None:
                price = _range(o.premium_low_eur, o.premium_high_eur)
                out.append(f"    {name}  {price}  {_(o.reason)}")
            else:
                unsuitable = _("not suitable")
                out.append(f"    {name}  {unsuitable}: {_(o.reason)}")
        out.append("")
    bi = quote.bi
    if bi is not None:
        out += bi_lines(bi)
        out.append("  " + _("What moves the premium") + ":")
        out += [f"    {_ARROWS[f.direction]} {_(f.text)}" for f in bi.factors]
        out += [f"  ⚠ {_(w.text)}" for w in bi.warnings]
        out.append("")
    out.append(_(quote.disclaimer))
    out.append(_("Tariff") + f": {quote.tariff_version}")
    return "\n".join(out)
