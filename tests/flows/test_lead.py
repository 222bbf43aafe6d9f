from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from flows.lead import Lead, lead_schema
from tests.support.dialogue import ROUTE, play

ROOT = Path(__file__).resolve().parents[2]


def test_lead_schema_is_printed_by_the_command_and_describes_the_contract() -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "lead-schema"], capture_output=True,
                            text=True, timeout=60, cwd=ROOT, check=True)
    schema = json.loads(result.stdout)
    assert schema == json.loads(json.dumps(lead_schema()))
    props = schema["properties"]
    for field in ("schema", "reference", "created_at", "channel", "intent", "products",
                  "company", "contact", "answers", "quote", "consent"):
        assert field in props, field
    assert props["schema"]["const"] == "intake.lead/v1"


def test_a_finished_conversation_yields_a_lead_that_validates_against_the_model() -> None:
    _, turn = play([*ROUTE, "ja"])
    assert turn.done and turn.lead is not None
    lead = Lead.model_validate(turn.lead)
    assert lead.reference.startswith("IK-2026-")
    assert lead.answers.model_dump(mode="json")["bi"]["gross_profit_eur"] == 500000
    # Numbers, not strings: receivers get euros as JSON numbers.
    assert isinstance(turn.lead["answers"]["turnover_eur"], int)
    assert isinstance(turn.lead["quote"]["credit"]["premium_low_eur"], int)


def test_the_lead_validates_against_its_published_json_schema() -> None:
    import jsonschema  # type: ignore[import-untyped]

    _, turn = play([*ROUTE, "ja"])
    jsonschema.validate(turn.lead, lead_schema())


def test_the_example_lead_in_the_docs_matches_the_contract() -> None:
    import jsonschema  # type: ignore[import-untyped]

    example = json.loads((ROOT / "examples" / "lead.json").read_text("utf-8"))
    jsonschema.validate(example, lead_schema())
    Lead.model_validate(example)
    _, turn = play([*ROUTE, "ja"])
    assert turn.lead is not None
    assert set(example) == set(turn.lead), "the example shows every field a lead has"
    assert set(example["contact"]) == set(turn.lead["contact"])
