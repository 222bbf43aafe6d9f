"""Request and quote models of the pricing core.

The field names are a contract: the lead (intake.lead/v1) embeds a QuoteRequest as its answers
and a Quote as its quote, and the website calculators post QuoteRequests to /api/v1/quotes.
Money is Decimal inside; JSON carries euros as numbers.

Every amount and percentage a request carries is checked before anything is priced: finite, not
negative, below a ceiling no business comes near (MAX_EUR), and rounded to cents (half up;
-0 becomes 0). So a request is either refused with a field error or priced; an absurd number
(5e-324, 1e400, NaN, a 40-digit turnover) never reaches Decimal arithmetic that cannot hold it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

__all__ = [
    "INDEMNITY_PERIOD_WEEKS",
    "MAX_EUR",
    "WAITING_PERIOD_HOURS",
    "BiQuote",
    "BiRequest",
    "CreditQuote",
    "CreditRequest",
    "Factor",
    "Money",
    "Offer",
    "Percentage",
    "Quote",
    "QuoteRequest",
    "QuoteWarning",
]

INDEMNITY_PERIOD_WEEKS = (26, 52, 78, 104)
WAITING_PERIOD_HOURS = (24, 48, 72, 168)


def _json_number(value: Decimal) -> int | float:
    # JSON has no decimal type; whole euros go out as integers so receivers see no "2500.0".
    if value == value.to_integral_value():
        return int(value)
    return float(value)


_NUMBER_SCHEMA = WithJsonSchema({"type": "number"}, mode="serialization")
_AS_NUMBER = PlainSerializer(_json_number, return_type=int | float, when_used="json")
Money = Annotated[Decimal, _AS_NUMBER, _NUMBER_SCHEMA]
Percentage = Money

# Requests: the ceiling of any amount (a trillion euros; turnover has its own, lower one). Far
# above every SME, and far below where the pricing's Decimal arithmetic (28 digits) stops
# holding a premium to the cent.
MAX_EUR = Decimal(10) ** 12
MAX_TURNOVER_EUR = Decimal(10) ** 11
_CENT = Decimal("0.01")
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


def _to_cents(value: Decimal) -> Decimal:
    # Runs after the bounds (see the field types below), so the value is finite and small
    # enough to quantize. Whole values keep their short form ("2500", not "2500.00").
    cents = value.quantize(_CENT, rounding=ROUND_HALF_UP)
    if cents == cents.to_integral_value():
        return Decimal(int(cents))  # also turns -0 into 0
    return cents


_CENTS = AfterValidator(_to_cents)
# Field types of requests. The bounds come before the rounding, so they apply to the number as
# sent (and show in the JSON Schema); a field that must be positive starts at 0.01, so that
# nothing positive rounds to zero.
Euros = Annotated[Decimal, Field(allow_inf_nan=False, ge=_ZERO, le=MAX_EUR), _CENTS,
                  _AS_NUMBER, _NUMBER_SCHEMA]
Share = Annotated[Decimal, Field(allow_inf_nan=False, ge=_ZERO, le=_HUNDRED), _CENTS,
                  _AS_NUMBER, _NUMBER_SCHEMA]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CreditRequest(_Model):
    """What the credit block of the dialogue (or a calculator) tells about the debtor book."""

    credit_share_pct: Annotated[Decimal, Field(allow_inf_nan=False, ge=_CENT, le=_HUNDRED),
                                _CENTS, _AS_NUMBER, _NUMBER_SCHEMA] = Field(
        description="Share of turnover invoiced on credit to businesses, in %."
    )
    debtor_count: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        description="Number of business customers."
    )
    top5_share_pct: Share = Field(
        description="Share of turnover with the five largest customers, in %."
    )
    largest_exposure_eur: Euros | None = Field(
        default=None, description="Largest amount usually outstanding at one customer."
    )
    payment_term_days: Annotated[int, Field(ge=0, le=365)] = Field(
        default=30, description="Usual payment term in days."
    )
    export_share_pct: Share = Field(
        default=Decimal(0), description="Share of turnover with customers abroad, in %."
    )
    bad_debt_3y_eur: Euros = Field(
        default=Decimal(0), description="Bad debts written off in the last three years."
    )
    indemnity_pct: Annotated[Decimal, Field(allow_inf_nan=False, ge=50, le=90),
                             _CENTS, _AS_NUMBER, _NUMBER_SCHEMA] | None = Field(
        default=None, description="Desired indemnity %; none means 'weet ik niet' (priced at 90)."
    )


class BiRequest(_Model):
    """Business-interruption parameters; the insured sum is the gross profit."""

    variable_costs_eur: Euros | None = None
    gross_profit_eur: Euros | None = None
    indemnity_period_weeks: Literal[26, 52, 78, 104] = 52
    waiting_period_hours: Literal[24, 48, 72, 168] = 48
    extra_costs: bool = False
    locations: Annotated[int, Field(ge=1, le=1000)] = 1

    @model_validator(mode="after")
    def _one_basis(self) -> BiRequest:
        if self.variable_costs_eur is None and self.gross_profit_eur is None:
            raise ValueError("give variable_costs_eur or gross_profit_eur")
        return self


class QuoteRequest(_Model):
    """A prospect's profile: sector and turnover, plus a block per product asked for."""

    sector: str = Field(max_length=100, description="Sector key from the sector catalogue.")
    turnover_eur: Annotated[Decimal, Field(allow_inf_nan=False, ge=_CENT, le=MAX_TURNOVER_EUR),
                            _CENTS, _AS_NUMBER, _NUMBER_SCHEMA]
    credit: CreditRequest | None = None
    bi: BiRequest | None = None

    @model_validator(mode="after")
    def _consistent(self) -> QuoteRequest:
        # Imported here: sectors imports nothing from models, and this keeps one direction.
        from pricing.sectors import SECTORS

        if self.sector not in SECTORS:
            raise ValueError(f"unknown sector {self.sector!r}; known: {', '.join(SECTORS)}")
        if self.credit is None and self.bi is None:
            raise ValueError("ask for at least one product: credit or bi")
        bi = self.bi
        if bi is not None:
            if bi.variable_costs_eur is not None and bi.variable_costs_eur > self.turnover_eur:
                raise ValueError("bi.variable_costs_eur is higher than turnover_eur")
            if bi.variable_costs_eur is not None and bi.variable_costs_eur == self.turnover_eur:
                raise ValueError("bi.variable_costs_eur equals turnover_eur: no gross profit")
            if bi.gross_profit_eur is not None and bi.gross_profit_eur > self.turnover_eur:
                raise ValueError("bi.gross_profit_eur is higher than turnover_eur")
            if bi.gross_profit_eur == 0:
                raise ValueError("bi.gross_profit_eur is zero: nothing to insure")
            if (
                bi.variable_costs_eur is not None
                and bi.gross_profit_eur is not None
                and bi.variable_costs_eur + bi.gross_profit_eur != self.turnover_eur
            ):
                raise ValueError(
                    "bi.gross_profit_eur must equal turnover_eur - bi.variable_costs_eur"
                )
        return self


class Factor(_Model):
    """Something that moved the price. `text` is a catalog message id, translated by the caller."""

    code: str
    direction: Literal["up", "down", "neutral"]
    text: str


class QuoteWarning(_Model):
    code: str
    text: str


class Offer(_Model):
    insurer: str
    product: str
    eligible: bool
    reason: str
    minimum_premium_eur: Money
    premium_low_eur: Money | None = None
    premium_high_eur: Money | None = None


class CreditQuote(_Model):
    insured_turnover_eur: Money
    premium_low_eur: Money
    premium_high_eur: Money
    rate_low_pct: Percentage
    rate_high_pct: Percentage
    minimum_premium_applies: bool
    factors: tuple[Factor, ...]
    offers: tuple[Offer, ...]


class BiQuote(_Model):
    insured_sum_eur: Money
    premium_low_eur: Money
    premium_high_eur: Money
    factors: tuple[Factor, ...]
    warnings: tuple[QuoteWarning, ...]


class Quote(_Model):
    tariff_version: str
    disclaimer: str
    credit: CreditQuote | None = None
    bi: BiQuote | None = None
