"""/broker/leads.csv as Excel with Dutch settings reads it: semicolons, decimal commas, UTF-8
with a BOM, Dutch headers, one row per lead, formulas neutralised."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from bot.inbox.export import cell, decimal
from tests.broker.conftest import Broker, with_company


def _read(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM
    text = body.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


async def test_the_export_parses_back_with_dutch_conventions(broker: Broker) -> None:
    first = await broker.lead(with_company("Eerste; \"Bouw\" BV"))
    formula = await broker.lead(with_company("=HYPERLINK(\"http://x.example\",\"klik\")"))
    await broker.login()
    response = await broker.client.get("/broker/leads.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="leads-')
    assert response.headers["cache-control"] == "no-store"
    assert b"\r\n" in response.content
    rows = _read(response.content)
    assert len(rows) == 2  # one row per lead, newest first
    assert [r["Referentie"] for r in rows] == [formula, first]
    header = list(rows[0])
    for name in ("Referentie", "Ontvangen", "Kanaal", "Status", "Eigenaar", "Bedrijf",
                 "KvK-nummer", "Contactpersoon", "Telefoon", "E-mail", "Omzet (EUR)",
                 "Premie krediet vanaf (EUR)", "Premie krediet tot (EUR)",
                 "Premie bedrijfsschade vanaf (EUR)", "Tariefversie"):
        assert name in header, name
    row = rows[1]
    lead = broker.store.lead(first)
    assert lead is not None
    assert row["Bedrijf"] == 'Eerste; "Bouw" BV'  # quoted, not split
    assert row["Kanaal"] == "Websitechat" and row["Status"] == "Nieuw"
    assert row["Contactpersoon"] == "Jan de Vries" and row["Telefoon"] == "06 12345678"
    assert row["Omzet (EUR)"] == "1200000"
    credit = lead["quote"]["credit"]
    assert row["Premie krediet vanaf (EUR)"] == decimal(credit["premium_low_eur"])
    assert Decimal(row["Premie krediet vanaf (EUR)"].replace(",", ".")) == \
        Decimal(str(credit["premium_low_eur"]))
    assert "." not in row["Premie krediet tot (EUR)"]
    # A formula stays text.
    assert rows[0]["Bedrijf"] == "'=HYPERLINK(\"http://x.example\",\"klik\")"


async def test_the_export_follows_the_filters(broker: Broker) -> None:
    await broker.lead()
    await broker.login()
    rows = _read((await broker.client.get("/broker/leads.csv",
                                          params={"status": "afgesloten"})).content)
    assert rows == []
    rows = _read((await broker.client.get("/broker/leads.csv",
                                          params={"status": "nieuw", "channel": "web"})).content)
    assert len(rows) == 1


def test_cells_and_numbers() -> None:
    for dangerous in ("=1+1", "+31612345678", "-5", "@SUM(A1)", "\tx", "\rx"):
        assert cell(dangerous) == "'" + dangerous
    assert cell("gewoon") == "gewoon" and cell(None) == "" and cell(12) == "12"
    assert cell("twee\nregels") == "twee regels"
    assert decimal(12500) == "12500" and decimal(12500.5) == "12500,5"
    assert decimal(0.3) == "0,3" and decimal(3548.0) == "3548" and decimal(None) == ""
    assert decimal(float("nan")) == "" and decimal(True) == "" and decimal(1e21) == \
        "1000000000000000000000"
