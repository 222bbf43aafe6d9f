"""Operations, metrics (bot/metrics.py): counted around the real runtime on SQLite and
PostgreSQL; drop-off per question read from the stored conversations at scrape time."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from bot.metrics import MeteredRuntime, Metrics
from bot.runtime import Incoming, Runtime
from bot.store import Store
from flows.flow import current

ROUTE = ["beide", "groothandel", "1,2 miljoen", "90", "40", "35%", "overslaan", "80.000",
         "30 dagen", "10%", "0", "90%", "7 ton", "ja", "12 maanden", "48 uur", "ja", "1",
         "Klopt, ga verder", "Jan de Vries", "Vries BV", "jan@vries.nl", "0612345678",
         "overslaan", "ochtend", "ja", "ja"]
CALLBACK = ["bel mij", "Jan de Vries", "0612345678", "ochtend", "ja", "ja"]

_ids = itertools.count(1)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url)
    store.upgrade()
    yield store
    store.dispose()


@pytest.fixture
def metered(store: Store) -> MeteredRuntime:
    return MeteredRuntime(Runtime(store), Metrics(store, dropoff_ttl=0))


def value(runtime: MeteredRuntime, name: str, **labels: str) -> float:
    return runtime.metrics.registry.get_sample_value(name, labels) or 0.0


async def say(runtime: MeteredRuntime, chat: str, *lines: str) -> None:
    for line in lines:
        await runtime.process(Incoming(chat, f"m{next(_ids)}", text=line))


async def test_a_conversation_to_a_lead_is_started_completed_and_one_lead(
    metered: MeteredRuntime,
) -> None:
    await say(metered, "telegram:1", "hallo", *ROUTE)
    assert value(metered, "intake_turns_total", channel="telegram") == len(ROUTE) + 1
    assert value(metered, "intake_turn_seconds_count", channel="telegram") == len(ROUTE) + 1
    assert value(metered, "intake_conversations_started_total", channel="telegram") == 1
    assert value(metered, "intake_conversations_completed_total", channel="telegram") == 1
    assert value(metered, "intake_leads_total", channel="telegram", intent="quote") == 1
    # What is typed after the end is a turn, not another completion or lead.
    await say(metered, "telegram:1", "hallo?", "nog iets")
    assert value(metered, "intake_conversations_completed_total", channel="telegram") == 1
    assert value(metered, "intake_leads_total", channel="telegram", intent="quote") == 1
    assert value(metered, "intake_errors_total", channel="telegram") == 0


async def test_declined_consent_completes_without_a_lead_and_a_callback_is_a_lead(
    metered: MeteredRuntime,
) -> None:
    await say(metered, "cli:declines", "hallo", *ROUTE[:-1], "nee", "hallo?")
    await say(metered, "cli:calls", "hallo", *CALLBACK)
    assert value(metered, "intake_conversations_started_total", channel="cli") == 2
    assert value(metered, "intake_conversations_completed_total", channel="cli") == 2
    assert value(metered, "intake_leads_total", channel="cli", intent="quote") == 0
    assert value(metered, "intake_leads_total", channel="cli", intent="callback") == 1


async def test_a_replayed_message_is_not_a_turn_and_starting_again_is_a_start(
    metered: MeteredRuntime,
) -> None:
    incoming = Incoming("telegram:2", "u100", text="hallo")
    await metered.process(incoming)
    await metered.process(incoming)
    assert value(metered, "intake_turns_total", channel="telegram") == 1
    assert value(metered, "intake_replayed_messages_total", channel="telegram") == 1
    await say(metered, "telegram:2", "beide", "opnieuw", "ja")
    assert value(metered, "intake_conversations_started_total", channel="telegram") == 2


async def test_opening_a_new_web_chat_is_a_start_and_reopening_it_is_not(
    metered: MeteredRuntime,
) -> None:
    await metered.current("web:token-1")
    await metered.current("web:token-1")
    await say(metered, "web:token-1", "beide")
    assert value(metered, "intake_conversations_started_total", channel="web") == 1
    assert value(metered, "intake_turns_total", channel="web") == 1


async def test_a_turn_that_raises_is_an_error() -> None:
    store = Store("postgresql+psycopg://intake:pw@127.0.0.1:1/intake")
    runtime = MeteredRuntime(Runtime(store), Metrics())
    try:
        with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises
            await runtime.process(Incoming("telegram:3", "u1", text="hallo"))
    finally:
        store.dispose()
    assert value(runtime, "intake_errors_total", channel="telegram") == 1
    assert value(runtime, "intake_turns_total", channel="telegram") == 0


async def test_an_unknown_channel_is_labelled_other(metered: MeteredRuntime) -> None:
    await say(metered, "fax:1", "hallo")
    assert value(metered, "intake_turns_total", channel="other") == 1


async def test_drop_off_counts_conversations_waiting_per_question(
    metered: MeteredRuntime,
) -> None:
    await say(metered, "cli:a", "hallo")  # waits at product
    await say(metered, "cli:b", "hallo", "beide", "bouw")  # waits at turnover
    await say(metered, "cli:c", "hallo", "beide", "bouw")
    await say(metered, "cli:d", "hallo", "beide", "stop")  # paused
    await say(metered, "cli:e", "hallo", *ROUTE)  # done: not waiting anywhere
    assert value(metered, "intake_conversations_waiting", step="product") == 1
    assert value(metered, "intake_conversations_waiting", step="turnover") == 2
    assert value(metered, "intake_conversations_waiting", step="stopped") == 1
    assert value(metered, "intake_conversations_waiting", step="done") == 0
    # Every question id is reported, zero or not, so a dashboard sees the whole funnel.
    for question in current().questions:
        assert metered.metrics.registry.get_sample_value(
            "intake_conversations_waiting", {"step": question.id}) is not None


async def test_drop_off_is_cached_between_scrapes(store: Store) -> None:
    metrics = Metrics(store, dropoff_ttl=3600)
    runtime = MeteredRuntime(Runtime(store), metrics)
    await say(runtime, "cli:x", "hallo")
    assert metrics.registry.get_sample_value("intake_conversations_waiting",
                                             {"step": "product"}) == 1
    await say(runtime, "cli:y", "hallo")
    assert metrics.registry.get_sample_value("intake_conversations_waiting",
                                             {"step": "product"}) == 1, "cached"
    assert metrics.dropoff is not None
    metrics.dropoff.ttl = 0
    assert metrics.registry.get_sample_value("intake_conversations_waiting",
                                             {"step": "product"}) == 2
