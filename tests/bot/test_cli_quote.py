"""`intake quote` as a subprocess: the shell door of the pricing core."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "quote-request.json"


def intake(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
        timeout=60, cwd=ROOT,
    )


def test_quote_prints_the_quote_as_json_in_dutch() -> None:
    result = intake("quote", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["tariff_version"].startswith("credit-")
    assert data["disclaimer"].startswith("Dit is een indicatie")
    assert data["bi"]["insured_sum_eur"] == 400000
    assert isinstance(data["credit"]["premium_low_eur"], int)
    assert all(f["text"] and not f["text"].startswith("Your") for f in data["credit"]["factors"])


def test_quote_reads_stdin_and_text_prints_a_dutch_table() -> None:
    result = intake("quote", "--text", stdin=EXAMPLE.read_text())
    assert result.returncode == 0, result.stderr
    assert "Kredietverzekering" in result.stdout
    assert "Verzekerde som (brutowinst): €\u00a0400.000" in result.stdout
    assert "€\u00a02.500" in result.stdout


def test_bad_input_exits_2_naming_the_field_and_prints_no_quote() -> None:
    bad = json.loads(EXAMPLE.read_text())
    bad["credit"]["debtor_count"] = -3
    result = intake("quote", stdin=json.dumps(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "credit.debtor_count" in result.stderr


@pytest.mark.parametrize("raw", ["5e-324", "1e400", "NaN", "1" + "0" * 39])
def test_an_absurd_turnover_exits_2_naming_the_field(raw: str) -> None:
    # 5e-324 used to end in a decimal.InvalidOperation traceback from the pricing.
    request = json.loads(EXAMPLE.read_text())
    del request["bi"]
    request["turnover_eur"] = "@@"
    result = intake("quote", stdin=json.dumps(request).replace('"@@"', raw))
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert "turnover_eur:" in result.stderr


def test_not_json_exits_2() -> None:
    result = intake("quote", stdin="omzet 3 ton")
    assert result.returncode == 2 and result.stdout == ""
    assert "invalid" in result.stderr.lower()


def test_schema_prints_both_json_schemas() -> None:
    result = intake("quote", "--schema")
    assert result.returncode == 0
    schemas = json.loads(result.stdout)
    assert set(schemas) == {"QuoteRequest", "Quote"}
    assert "turnover_eur" in schemas["QuoteRequest"]["properties"]
    assert "tariff_version" in schemas["Quote"]["properties"]
