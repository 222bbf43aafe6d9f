"""The runtime and its store, run against SQLite and PostgreSQL alike (one contract suite)."""

from __future__ import annotations

import gc
import threading

import pytest

from bot.runtime import Incoming, Runtime
from bot.store import Store

ROUTE = ["beide", "groothandel", "1,2 miljoen", "90", "40", "35%", "overslaan", "80.000",
         "30 dagen", "10%", "0", "90%", "7 ton", "ja", "12 maanden", "48 uur", "ja", "1",
         "Klopt, ga verder", "Jan de Vries", "Vries BV", "jan@vries.nl", "0612345678",
         "overslaan", "ochtend", "ja", "ja"]


@pytest.fixture
def runtime(db_url: str) -> Runtime:
    store = Store(db_url)
    store.upgrade()
    yield Runtime(store, broker_name="Test Makelaars")
    store.dispose()


def say(runtime: Runtime, chat: str, text: str, message_id: str | None = None):  # type: ignore[no-untyped-def]
    say.n += 1  # type: ignore[attr-defined]
    return runtime.handle(Incoming(chat, message_id or f"m{say.n}", text=text))  # type: ignore[attr-defined]


say.n = 0  # type: ignore[attr-defined]


def test_a_redelivered_message_returns_the_stored_turn_and_changes_nothing(
    runtime: Runtime,
) -> None:
    runtime.open("test:a")
    first = say(runtime, "test:a", "beide", "dup-1")
    again = say(runtime, "test:a", "beide", "dup-1")
    assert again.to_json() == first.to_json()
    # Even a different text under the same id is the same message: answered from the store.
    third = say(runtime, "test:a", "bedrijfsschade", "dup-1")
    assert third.to_json() == first.to_json()
    assert runtime.store.count("turns") == 1
    nxt = say(runtime, "test:a", "bouw", "dup-2")
    assert nxt.step == "turnover"


def test_turns_of_one_chat_are_serialised_and_chats_are_independent(runtime: Runtime) -> None:
    errors: list[BaseException] = []

    def chat(key: str) -> None:
        try:
            runtime.open(key)
            for i, line in enumerate(ROUTE):
                runtime.handle(Incoming(key, f"{key}-{i}", text=line))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=chat, args=(f"test:t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    references = set()
    for i in range(4):
        with runtime.store.transaction(f"test:t{i}") as tx:
            data = tx.load()
        assert data is not None and data["state"] == "done", data
        references.add(data["reference"])
    assert len(references) == 4, "every lead gets its own reference"
    assert runtime.store.count("leads") == 4
    assert runtime.store.count("turns") == 4 * len(ROUTE)


def test_the_same_chat_from_two_threads_never_loses_a_message(runtime: Runtime) -> None:
    runtime.open("test:shared")
    say(runtime, "test:shared", "beide")
    say(runtime, "test:shared", "bouw")
    barrier = threading.Barrier(8)

    def hammer(i: int) -> None:
        barrier.wait()
        runtime.handle(Incoming("test:shared", f"h{i}", text="waarom?"))

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert runtime.store.count("turns") == 10
    turn = say(runtime, "test:shared", "3 ton")
    assert turn.step == "credit_share"


def test_a_finished_lead_is_stored_once_with_its_reference(runtime: Runtime) -> None:
    runtime.open("test:lead")
    turn = None
    for line in ROUTE:
        turn = say(runtime, "test:lead", line)
    assert turn is not None and turn.done and turn.lead is not None
    reference = turn.lead["reference"]
    assert runtime.store.lead(reference) == turn.lead
    after = say(runtime, "test:lead", "hallo?")
    assert after.done and reference in after.replies[0].text
    assert runtime.store.count("leads") == 1


def test_vergeet_mij_erases_conversation_transcript_and_lead(runtime: Runtime) -> None:
    runtime.open("test:gone")
    for line in ROUTE:
        say(runtime, "test:gone", line)
    assert runtime.store.count("leads") == 1
    turn = say(runtime, "test:gone", "vergeet mij")
    assert not turn.erase and runtime.store.count("leads") == 1  # it asks first
    turn = say(runtime, "test:gone", "ja")
    assert turn.erase
    assert runtime.store.count("leads") == 0
    assert runtime.store.count("conversations") == 0
    # Not even the erase turn is kept: its key is the prospect's id (docs/privacy.md).
    assert runtime.transcript("test:gone") == []
    assert runtime.store.count("turns") == 0
    fresh = say(runtime, "test:gone", "hallo")
    assert fresh.step == "product"


def test_open_shows_the_current_question_without_changing_anything(runtime: Runtime) -> None:
    runtime.open("test:open")
    say(runtime, "test:open", "beide")
    turn = runtime.open("test:open")
    assert turn.step == "sector"
    assert "Welkom terug" in turn.replies[0].text
    assert runtime.store.count("turns") == 1


def test_no_conversation_is_kept_in_memory_between_turns(runtime: Runtime) -> None:
    for i in range(50):
        runtime.open(f"test:mem{i}")
        say(runtime, f"test:mem{i}", "beide")
    gc.collect()
    assert len(runtime._locks._locks) == 0
