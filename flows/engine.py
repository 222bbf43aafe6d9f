"""The dialogue engine: one message in, one turn out, over a stored conversation.

The flow is a finite-state machine (transitions) declared once at import from the question
specs: a state per question plus `done` and `stopped`. `advance` moves to the first question
that applies and has no answer yet, which makes "terug", "wijzig omzet" and a changed product
choice all the same mechanism: clear what is stale, then advance. No machine or model is kept per
conversation; each turn fires the shared machine on a small cursor object (DESIGN: engineering
notes on transitions).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from transitions import Machine

from flows import parsing
from flows.conversation import ChoiceOut, Context, Conversation, Reply, Turn
from flows.i18n import N_, _
from flows.lead import build_lead, build_request
from flows.present import quote_lines
from flows.questions import (
    QUESTIONS,
    YES_NO,
    Answers,
    Choice,
    Confirm,
    Invalid,
    Question,
    by_id,
    intent,
)
from pricing import quote

__all__ = ["MACHINE", "current_turn", "step"]

DONE = "done"
STOPPED = "stopped"
MAX_INPUT = 4000
_MISSING = object()
_PRE_SUMMARY_BLOCKS = ("opening", "common", "credit", "bi")
_EDITABLE_BLOCKS = {"credit", "bi"}


def _open(question: Question) -> Callable[[Answers], bool]:
    def condition(answers: Answers) -> bool:
        return question.answer_key not in answers and question.applies(answers)

    condition.__name__ = f"open_{question.id}"
    return condition


def _build_machine() -> Machine:
    states = [q.id for q in QUESTIONS] + [DONE, STOPPED]
    opens = [_open(q) for q in QUESTIONS]
    transitions: list[dict[str, Any]] = []
    # `advance` goes to the first open question, looking from the current one forward first and
    # then from the top: the same result as scanning from the top, because everything between
    # the top and the current question is answered (the engine only ever jumps back to answered
    # questions), but it checks one or two conditions a turn instead of thirty.
    for source in [*QUESTIONS, None]:
        start = QUESTIONS.index(source) if source is not None else 0
        order = list(range(start, len(QUESTIONS))) + list(range(0, start))
        src = source.id if source is not None else [DONE, STOPPED]
        transitions += [
            {"trigger": "advance", "source": src, "dest": QUESTIONS[i].id,
             "conditions": [opens[i]]}
            for i in order
        ]
    transitions.append({"trigger": "advance", "source": "*", "dest": DONE})
    transitions += [{"trigger": f"ask_{q.id}", "source": "*", "dest": q.id} for q in QUESTIONS]
    transitions.append({"trigger": "stop", "source": "*", "dest": STOPPED})
    return Machine(
        model=None, states=states, transitions=transitions, initial=QUESTIONS[0].id,
        auto_transitions=False,
    )


MACHINE = _build_machine()


class _Cursor:
    """The machine's model for one turn: just the state; answers travel as event arguments."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def _fire(conv: Conversation, trigger: str) -> None:
    cursor = _Cursor(conv.state or QUESTIONS[0].id)
    MACHINE.events[trigger].trigger(cursor, conv.answers)
    conv.state = cursor.state


# --- commands a prospect can type at any step -------------------------------------------------

_COMMANDS = {
    "terug": "back", "vorige": "back", "ga terug": "back", "vorige vraag": "back",
    "waarom": "why", "waarom vraagt u dat": "why", "waarom wil je dat weten": "why",
    "waarom wilt u dat weten": "why",
    "bel mij": "callback", "bel me": "callback", "belmij": "callback", "bel mij maar": "callback",
    "bel mij liever": "callback", "bel me liever": "callback", "bel mij op": "callback",
    "ik wil iemand spreken": "callback", "ik wil een mens spreken": "callback",
    "opnieuw": "restart", "begin opnieuw": "restart", "opnieuw beginnen": "restart",
    "stop": "stop", "stoppen": "stop", "ik wil stoppen": "stop", "ophouden": "stop",
    "hulp": "help", "help": "help", "?": "help",
    "vergeet mij": "erase", "vergeet me": "erase", "vergeet": "erase",
    "verwijder mijn gegevens": "erase", "wis mijn gegevens": "erase",
    "verder": "resume", "ga verder": "resume", "doorgaan": "resume",
    "start": "start",
    "wijzig": "edit", "wijzigen": "edit", "aanpassen": "edit", "veranderen": "edit",
}
_COMMAND_NAMES = frozenset(_COMMANDS.values())
_EDIT_PREFIXES = ("wijzig ", "wijzigen ", "aanpassen ", "verander ", "pas aan ")


def _command(text: str) -> tuple[str, str] | None:
    words = parsing.normalise(text)
    if words.startswith("/"):
        # Telegram commands: "/terug" or "/terug@SomeBot"; "/belmij" and "/vergeet" map as well.
        words = words[1:].split("@", 1)[0].strip()
    if words in _COMMANDS:
        return _COMMANDS[words], ""
    for prefix in _EDIT_PREFIXES:
        if words.startswith(prefix):
            return "edit", words[len(prefix):].strip()
    return None


# --- rendering ---------------------------------------------------------------------------------


def _broker(ctx: Context) -> str:
    return ctx.broker_name or _("your insurance adviser")


def _view(answers: Answers, ctx: Context) -> dict[str, Any]:
    return {**answers, "_broker": _broker(ctx)}


def _choices(choices: tuple[Choice, ...]) -> tuple[ChoiceOut, ...]:
    return tuple(ChoiceOut(c.id, _(c.label)) for c in choices)


def _progress(conv: Conversation) -> tuple[int, int]:
    answers = conv.answers
    # Which questions apply depends only on these few answers: memoise on them.
    key = (conv.state, answers.get("product"), answers.get("intent"),
           int(answers.get("debtor_count", 6)) > 5, frozenset(answers))
    return _progress_for(key, answers)


_PROGRESS: dict[tuple[Any, ...], tuple[int, int]] = {}


def _progress_for(key: tuple[Any, ...], answers: Answers) -> tuple[int, int]:
    found = _PROGRESS.get(key)
    if found is not None:
        return found
    state = key[0]
    counted = [q.id for q in QUESTIONS if q.counts and q.applies(answers)]
    total = len(counted)
    if state in counted:
        result = (counted.index(state) + 1, total)
    else:
        answered = sum(1 for q in QUESTIONS if q.counts and q.applies(answers)
                       and q.answer_key in answers)
        result = (min(answered, total), total)
    if len(_PROGRESS) > 10_000:
        _PROGRESS.clear()
    _PROGRESS[key] = result
    return result


def _summary_text(conv: Conversation) -> str:
    lines = [_("Here are your answers:")]
    for q in QUESTIONS:
        if q.block not in _PRE_SUMMARY_BLOCKS or not q.label or not q.applies(conv.answers):
            continue
        if q.answer_key in conv.answers:
            lines.append(f"• {_(q.label)}: {q.show(conv.answers[q.answer_key])}")
    result = quote(build_request(conv.answers))
    lines += ["", _("Your premium indication:")]
    lines += quote_lines(result)
    lines += ["", _(result.disclaimer)]
    return "\n".join(lines)


def _question_replies(
    conv: Conversation, ctx: Context, choices: tuple[Choice, ...] | None = None,
    prefix: str | None = None, offer_call: bool = False,
) -> list[Reply]:
    q = by_id(conv.state)
    view = _view(conv.answers, ctx)
    text = q.text(view)
    current, total = _progress(conv)
    if q.counts:
        text = _("Question %(current)s of %(total)s") % {"current": current, "total": total} \
            + "\n" + text
    shown = q.choices_for(conv.answers) if choices is None else choices
    out = list(_choices(shown))
    if offer_call:
        text += "\n\n" + _("Shall an adviser give you a call?")
        out.append(ChoiceOut("cmd:callback", _("Yes, call me")))
    replies = []
    if q.id == "summary":
        replies.append(Reply(_summary_text(conv)))
    if prefix:
        replies.insert(0, Reply(prefix))
    replies.append(Reply(text, tuple(out)))
    return replies


def _turn(conv: Conversation, replies: list[Reply], ctx: Context, **kw: Any) -> Turn:
    step = conv.state
    hint = None
    if step not in (DONE, STOPPED, ""):
        hint = by_id(step).input_hint
    return Turn(replies=replies, step=step, progress=_progress(conv), input_hint=hint, **kw)


def _greeting(ctx: Context) -> Reply:
    return Reply(
        _("Good day! I am the digital assistant of %(broker)s. I am an automated assistant, "
          "not a person. In a few minutes I will give you a premium indication: an indication, "
          "not advice. Type 'hulp' at any time to see what you can do.")
        % {"broker": _broker(ctx)}
    )


def _ask(conv: Conversation, ctx: Context, prefix: str | None = None, **kw: Any) -> Turn:
    if conv.state == DONE:
        return _finish(conv, ctx)
    return _turn(conv, _question_replies(conv, ctx, prefix=prefix, **kw), ctx)


# --- finishing --------------------------------------------------------------------------------


def _finish(conv: Conversation, ctx: Context) -> Turn:
    answers = conv.answers
    if not answers.get("consent"):
        conv.lead = None
        text = _("Understood: I will not pass anything on. Type 'vergeet mij' to erase your "
                 "answers, or 'opnieuw' to start again.")
        return _turn(conv, [Reply(text)], ctx, done=True)
    if conv.lead is None:
        conv.reference = ctx.new_reference()
        lead = build_lead(answers, reference=conv.reference, channel=ctx.channel, now=ctx.now())
        conv.lead = lead.model_dump(mode="json", by_alias=True)
    moment = answers.get("callback_moment")
    text = _("Thank you! Your reference number is %(reference)s. An adviser of %(broker)s will "
             "contact you (%(moment)s).") % {
        "reference": conv.reference, "broker": _broker(ctx),
        "moment": moment or _("as soon as possible"),
    }
    return _turn(conv, [Reply(text)], ctx, done=True, lead=conv.lead)


def _already_sent(conv: Conversation, ctx: Context) -> Turn:
    return _turn(conv, [Reply(
        _("Your request has already been sent (reference %(reference)s). Type 'opnieuw' to "
          "start a new one.") % {"reference": conv.reference or "-"}
    )], ctx, done=True, lead=conv.lead)


def _paused(conv: Conversation, ctx: Context) -> Turn:
    return _turn(conv, [Reply(_(
        "We have paused. Type 'verder' to continue, 'opnieuw' to start again or 'vergeet mij' "
        "to erase everything."
    ))], ctx)


# --- answers ----------------------------------------------------------------------------------


@cache
def _choice_words(choice_id: str, label: str, synonyms: tuple[str, ...]) -> frozenset[str]:
    """Everything a prospect may type for a choice: its id, its Dutch label, its synonyms."""
    return frozenset((choice_id, parsing.normalise(_(label)),
                      *(parsing.normalise(s) for s in synonyms)))


def _match_choice(choices: tuple[Choice, ...], text: str) -> Choice | None:
    words = parsing.normalise(text)
    for choice in choices:
        if words in _choice_words(choice.id, choice.label, choice.synonyms):
            return choice
    return None


def _resolve(q: Question, conv: Conversation, text: str | None, choice_id: str | None) -> Any:
    choices = q.choices_for(conv.answers)
    if choice_id is not None:
        for choice in choices:
            if choice.id == choice_id:
                return choice.value
        raise Invalid(_("That button belongs to an earlier question."))
    assert text is not None
    matched = _match_choice(choices, text)
    if matched is not None:
        return matched.value
    if q.parse is None:
        raise Invalid(_("Please choose one of the options."))
    return q.parse(text, conv.answers)


def _is_before(a: Question, b: Question) -> bool:
    return QUESTIONS.index(a) < QUESTIONS.index(b)


def _store(conv: Conversation, q: Question, value: Any) -> None:
    answers = conv.answers
    key = q.answer_key
    old = answers.get(key, _MISSING)
    answers[key] = value
    conv.attempts = 0
    conv.pending = None
    if q.id == "product" and value == "callback":
        answers["intent"] = "callback"
    if old is _MISSING or old == value:
        return
    for other in QUESTIONS:
        stale = key in other.depends_on or (
            "*" in other.depends_on and q.block in _PRE_SUMMARY_BLOCKS and _is_before(q, other)
        )
        if other.answer_key in answers and other is not q:
            kept = answers[other.answer_key]
            if stale or (other.still_valid is not None and not other.still_valid(kept, answers)):
                del answers[other.answer_key]
    if intent(answers) == "quote":
        # A narrower product choice drops the answers of the block no longer asked.
        for other in QUESTIONS:
            if other.block in _EDITABLE_BLOCKS and not other.applies(answers):
                answers.pop(other.answer_key, None)


def _answer(conv: Conversation, ctx: Context, text: str | None, choice: str | None) -> Turn:
    q = by_id(conv.state)
    if conv.pending is not None:
        pending = conv.pending
        said = choice if choice in ("yes", "no") else None
        if said is None and text is not None:
            try:
                said = "yes" if parsing.parse_yes_no(text) else "no"
            except parsing.ParseError:
                said = None
        if said == "yes":
            return _accept(conv, ctx, q, pending["value"])
        conv.pending = None
        if said == "no":
            return _ask(conv, ctx, prefix=_("What is the right answer, then?"))
    try:
        value = _resolve(q, conv, text, choice)
    except Invalid as wrong:
        conv.attempts += 1
        prefix = wrong.message
        if wrong.choices is None:
            prefix += " " + _(q.example)
        replies = _question_replies(conv, ctx, choices=wrong.choices, prefix=prefix,
                                    offer_call=conv.attempts >= 2)
        return _turn(conv, replies, ctx)
    except Confirm as check:
        conv.pending = {"value": check.value}
        return _turn(conv, [Reply(check.message, _choices(YES_NO))], ctx)
    return _accept(conv, ctx, q, value)


def _accept(conv: Conversation, ctx: Context, q: Question, value: Any) -> Turn:
    prefix = None
    if q.id == "gross_profit_ok" and value is False:
        conv.answers.pop("bi_basis", None)
        conv.answers.pop("gross_profit_ok", None)
        conv.attempts = 0
        conv.pending = None
        prefix = _("No problem, let us look at the variable costs again.")
    else:
        _store(conv, q, value)
    if not conv.history or conv.history[-1] != q.id:
        conv.history.append(q.id)
        del conv.history[:-50]
    if q.id == "product" and value == "callback":
        prefix = _("Fine, an adviser will call you. I only need a few details.")
    elif q.id == "sector":
        # Free text is matched to a sector: say which one, so a wrong match is noticed at once.
        prefix = _("Noted: %(answer)s.") % {"answer": q.show(value)}
    _fire(conv, "advance")
    return _ask(conv, ctx, prefix=prefix)


# --- commands ---------------------------------------------------------------------------------


def _edit_topics(conv: Conversation) -> list[Question]:
    return [q for q in QUESTIONS if q.topics and q.answer_key in conv.answers
            and q.applies(conv.answers)]


def _edit(conv: Conversation, ctx: Context, topic: str) -> Turn:
    if conv.state == DONE:
        return _already_sent(conv, ctx)
    candidates = _edit_topics(conv)
    words = parsing.normalise(topic)
    target = None
    if words:
        for q in candidates:
            if words == q.id or words in q.topics or words == parsing.normalise(_(q.label)):
                target = q
                break
        if target is None:
            for q in candidates:
                if any(t in words or words in t for t in q.topics):
                    target = q
                    break
    if target is None:
        if not candidates:
            return _reask(conv, ctx, _("There is nothing to change yet."))
        options = tuple(ChoiceOut(f"cmd:edit:{q.id}", _(q.label)) for q in candidates)
        return _turn(conv, [Reply(_("What would you like to change?"), options)], ctx)
    if conv.state != target.id:
        conv.history.append(conv.state)
    conv.state = target.id
    conv.pending = None
    conv.attempts = 0
    current = target.show(conv.answers[target.answer_key])
    return _ask(conv, ctx, prefix=_("Your current answer: %(answer)s.") % {"answer": current})


def _help(conv: Conversation, ctx: Context) -> Turn:
    text = _(
        "You can type at any moment:\n"
        "• 'terug': the previous question\n"
        "• 'wijzig omzet' (or another subject): change an answer\n"
        "• 'waarom?': why I ask this\n"
        "• 'bel mij': an adviser calls you\n"
        "• 'stop': pause; 'verder' to continue\n"
        "• 'opnieuw': start again\n"
        "• 'vergeet mij': erase your conversation and details"
    )
    return _reask(conv, ctx, text)


def _reask(conv: Conversation, ctx: Context, prefix: str) -> Turn:
    if conv.state in (DONE, STOPPED):
        return _turn(conv, [Reply(prefix)], ctx, done=conv.state == DONE, lead=conv.lead)
    return _ask(conv, ctx, prefix=prefix)


def _start_over(conv: Conversation, ctx: Context, prefix: Reply | None = None) -> Turn:
    conv.state, conv.answers, conv.history = "", {}, []
    conv.attempts, conv.pending, conv.reference, conv.lead = 0, None, None, None
    _fire(conv, "advance")
    replies = [prefix] if prefix else []
    replies.append(_greeting(ctx))
    return _turn(conv, replies + _question_replies(conv, ctx), ctx)


def _run_command(conv: Conversation, ctx: Context, name: str, arg: str) -> Turn:
    if name == "erase":
        conv.state, conv.answers, conv.history = "", {}, []
        conv.attempts, conv.pending, conv.reference, conv.lead = 0, None, None, None
        text = _("I have erased your conversation and the details you gave. Send a message to "
                 "start again.")
        return Turn(replies=[Reply(text)], step="erased", progress=(0, 0), done=True, erase=True)
    if name == "restart":
        return _start_over(conv, ctx)
    if name == "start":
        if conv.answers and conv.state != DONE:
            return _turn(conv, [Reply(
                _("Welcome back! Would you like to continue where you left off, or start again?"),
                (ChoiceOut("cmd:resume", _("Continue")),
                 ChoiceOut("cmd:restart", _("Start again"))),
            )], ctx)
        return _start_over(conv, ctx)
    if name == "resume":
        if conv.state == STOPPED:
            conv.state = QUESTIONS[0].id
            _fire(conv, "advance")
        return _reask(conv, ctx, _("Let us continue."))
    if conv.state == DONE and name not in ("help",):
        return _already_sent(conv, ctx)
    if name == "stop":
        _fire(conv, "stop")
        return _turn(conv, [Reply(_(
            "Fine, we stop here. Your answers are kept: type 'verder' to continue, 'opnieuw' to "
            "start again or 'vergeet mij' to erase everything."
        ))], ctx)
    if name == "help":
        return _help(conv, ctx)
    if conv.state == STOPPED:
        conv.state = QUESTIONS[0].id
        _fire(conv, "advance")
    if name == "back":
        conv.pending = None
        conv.attempts = 0
        while conv.history:
            previous = conv.history.pop()
            if previous != conv.state and by_id(previous).applies(conv.answers):
                conv.state = previous
                answer = conv.answers.get(by_id(previous).answer_key, _MISSING)
                prefix = None
                if answer is not _MISSING:
                    prefix = _("Your previous answer: %(answer)s.") % {
                        "answer": by_id(previous).show(answer)}
                return _ask(conv, ctx, prefix=prefix)
        return _ask(conv, ctx, prefix=_("This is the first question."))
    if name == "why":
        return _ask(conv, ctx, prefix=_(by_id(conv.state).why))
    if name == "callback":
        conv.answers["intent"] = "callback"
        conv.pending = None
        conv.attempts = 0
        _fire(conv, "advance")
        if conv.state == DONE:
            return _finish(conv, ctx)
        return _ask(conv, ctx, prefix=_("Fine, an adviser will call you. I only need a few "
                                        "details."))
    if name == "edit":
        return _edit(conv, ctx, arg)
    raise AssertionError(f"unknown command {name}")  # pragma: no cover


# --- the entry point --------------------------------------------------------------------------


NOTICES = {
    # Something arrived that is not an answer; say so and ask the same question again.
    "media": N_("I can only read text. Please type your answer."),
    "edited": N_("I cannot process an edited message. Please send your answer again."),
    "too_long": N_("That message is too long for me. Please keep your answer short."),
    "foreign_contact": N_("Please share your own phone number, or type it."),
    "error": N_("Sorry, something went wrong on our side. Your answers are safe."),
}


def step(conv: Conversation, ctx: Context, text: str | None = None,
         choice: str | None = None, notice: str | None = None) -> Turn:
    """One prospect message (typed text or a pressed choice id) -> the turn to show.

    `notice` names a message that is not an answer (a photo, an edited message, ...): the
    prospect is told so and gets the same question, and nothing changes. `conv` is updated in
    place; the caller stores it. Never raises on any input.
    """
    if notice is not None:
        message = _(NOTICES.get(notice, NOTICES["media"]))
        if not conv.state:
            return _start_over(conv, ctx, prefix=Reply(message))
        return _reask(conv, ctx, message)
    if not conv.state:
        if text is not None and _command(text) == ("erase", ""):
            return _run_command(conv, ctx, "erase", "")
        return _start_over(conv, ctx)
    if choice is not None and choice.startswith("cmd:"):
        parts = choice.split(":", 2)
        if parts[1] == "edit" and len(parts) == 3:
            return _run_command(conv, ctx, "edit", parts[2])
        if parts[1] in _COMMAND_NAMES:
            return _run_command(conv, ctx, parts[1], "")
        # A button we never made (an old client, a forged callback): treat it like a stale one.
        if conv.state in (DONE, STOPPED):
            return _reask(conv, ctx, _("Please choose one of the options."))
        return _ask(conv, ctx, prefix=_("That button belongs to an earlier question."))
    if text is not None:
        text = text[:MAX_INPUT]
        command = _command(text)
        if command is not None:
            return _run_command(conv, ctx, *command)
    if conv.state == DONE:
        return _already_sent(conv, ctx)
    if conv.state == STOPPED:
        return _paused(conv, ctx)
    if text is not None and not text.strip() and choice is None:
        return _ask(conv, ctx, prefix=_("I did not receive an answer."))
    return _answer(conv, ctx, text, choice)



def current_turn(conv: Conversation, ctx: Context) -> Turn:
    """The current question again, for a prospect who comes back; changes nothing."""
    if conv.state == DONE:
        return _already_sent(conv, ctx)
    if conv.state == STOPPED or not conv.state:
        return _paused(conv, ctx)
    return _turn(conv, _question_replies(conv, ctx, prefix=_("Welcome back! We continue where "
                                                             "you left off.")), ctx)
