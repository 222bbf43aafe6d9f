"""The shared pricing core: premium indications for credit and business-interruption insurance.

Imports nothing of bot/ or flows/; reads only its own packaged data files.
"""

from pricing.models import (
    BiQuote,
    BiRequest,
    CreditQuote,
    CreditRequest,
    Factor,
    Offer,
    Quote,
    QuoteRequest,
    QuoteWarning,
)
from pricing.quote import DISCLAIMER, gross_profit, quote, tariff_version
from pricing.sectors import SECTORS, Sector, match_sector

__all__ = [
    "DISCLAIMER",
    "SECTORS",
    "BiQuote",
    "BiRequest",
    "CreditQuote",
    "CreditRequest",
    "Factor",
    "Offer",
    "Quote",
    "QuoteRequest",
    "QuoteWarning",
    "Sector",
    "gross_profit",
    "match_sector",
    "quote",
    "tariff_version",
]
