"""Quotes per second through the pricing core, for a realistic mix of prospects.

Run: .venv/bin/python bench/pricing.py [--quotes N] [--rounds R]
Prints the median of R rounds for: quote() on validated requests (the bot's path), and
validate-from-JSON + quote() + JSON out (the quotes API's and `intake quote`'s path).
Target (issue 2): at least 20,000 quotes a second on one core.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pricing import SECTORS, BiRequest, CreditRequest, QuoteRequest, quote


def realistic_mix(n: int, seed: int = 7) -> list[QuoteRequest]:
    rnd = random.Random(seed)
    sectors = sorted(SECTORS)
    requests = []
    for _ in range(n):
        turnover = Decimal(rnd.choice([200, 300, 500, 800, 1000, 1500, 2500, 5000, 12000,
                                       20000])) * 1000
        product = rnd.random()
        credit = bi = None
        if product < 0.8:
            credit = CreditRequest(
                credit_share_pct=Decimal(rnd.choice([50, 80, 100])),
                debtor_count=rnd.choice([3, 12, 30, 80, 400]),
                top5_share_pct=Decimal(rnd.choice([20, 40, 60, 90])),
                payment_term_days=rnd.choice([14, 30, 60, 90]),
                export_share_pct=Decimal(rnd.choice([0, 0, 10, 40, 70])),
                bad_debt_3y_eur=Decimal(rnd.choice([0, 0, 5000, 40000])),
                indemnity_pct=rnd.choice([None, Decimal(90), Decimal(85), Decimal(75)]),
            )
        if product > 0.5 or credit is None:
            bi = BiRequest(
                variable_costs_eur=turnover * Decimal(rnd.choice(["0.3", "0.5", "0.7"])),
                indemnity_period_weeks=rnd.choice([26, 52, 78, 104]),
                waiting_period_hours=rnd.choice([24, 48, 72, 168]),
                extra_costs=rnd.random() < 0.5,
                locations=rnd.choice([1, 1, 2, 4]),
            )
        requests.append(QuoteRequest(sector=rnd.choice(sectors), turnover_eur=turnover,
                                     credit=credit, bi=bi))
    return requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quotes", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    requests = realistic_mix(args.quotes)
    bodies = [r.model_dump_json() for r in requests]
    for r in requests[:500]:
        quote(r)  # warm the tariff cache and the interpreter

    core, api = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for r in requests:
            quote(r)
        core.append(len(requests) / (time.perf_counter() - start))
        start = time.perf_counter()
        for body in bodies:
            quote(QuoteRequest.model_validate_json(body)).model_dump_json()
        api.append(len(bodies) / (time.perf_counter() - start))
    print(f"quotes: {len(requests)} per round, {args.rounds} rounds, one core")
    print(f"quote() on validated requests: median {statistics.median(core):,.0f} quotes/s")
    print(f"JSON in -> quote -> JSON out:  median {statistics.median(api):,.0f} quotes/s")
    print("target: >= 20,000 quotes/s")


if __name__ == "__main__":
    main()
