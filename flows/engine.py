"""The dialogue engine: one message in, one turn out, over a stored conversation.

It names no question and no product: what it asks comes from the flow (`flows.flow`), built
from the question specs and the product registry, and every move is a trigger fired on that
flow's machine. A question's particulars (how it reads an answer, what goes stale, what happens
after) are hooks on its spec. Nothing is kept per conversation between turns.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from datetime import datetime
from functools import cache
from typing import Any

from flows import matching, moments, parsing, readers
from flows.conversation import ChoiceOut, Context, Conversation, Reply, Turn
from flows.flow import DONE, NEW, STOPPED, Flow, current
from flows.i18n import N_, _
from flows.lead import build_lead
from flows.office_hours import TZ, office_hours
from flows.products import PRODUCTS, chosen, intent
from flows.questions import YES_NO, callback_window, consented
from flows.spec import Choice, Confirm, Effect, Invalid, Question

__all__ = ["NOTICES", "current_turn", "step"]

MAX_INPUT = 4000
_MISSING = object()
_SHARED_BLOCKS = ("opening", "common", "closing")

# --- commands a prospect can type at any step -------------------------------------------------

_COMMANDS = {
    "terug": "back", "vorige": "back", "ga terug": "back", "vorige vraag": "back",
    "waarom": "why", "waarom vraagt u dat": "why", "waarom wil je dat weten": "why",
    "waarom wilt u dat weten": "why", "waarom vraag je dat": "why",
    "bel mij": "callback", "bel me": "callback", "belmij": "callback", "bel mij maar": "callback",
    "bel mij liever": "callback", "bel me liever": "callback", "bel mij op": "callback",
    "ik wil iemand spreken": "callback", "ik wil een mens spreken": "callback",
    "ik wil gebeld worden": "callback", "kunt u mij bellen": "callback",
    "opnieuw": "restart", "begin opnieuw": "restart", "opnieuw beginnen": "restart",
    "stop": "stop", "stoppen": "stop", "ik wil stoppen": "stop", "ophouden": "stop",
    "pauze": "stop",
    "hulp": "help", "help": "help", "?": "help",
    "vergeet mij": "erase", "vergeet me": "erase", "vergeet": "erase",
    "verwijder mijn gegevens": "erase", "wis mijn gegevens": "erase",
    "verder": "resume", "ga verder": "resume", "doorgaan": "resume",
    "start": "start",
    "wijzig": "edit", "wijzigen": "edit", "aanpassen": "edit", "veranderen": "edit",
    "iets wijzigen": "edit", "iets aanpassen": "edit",
}
# "bel me maar", "graag terugbellen", "kunt u mij even bellen?": asking for a call comes in
# more shapes than a table lists. Anchored at both ends, with only filler words around the
# request, so an answer that mentions calling ("we bellen onze klanten") is not taken for it.
_FILLER = r"(?:maar|graag|liever|toch|even|dan|nu|terug|op|alstublieft|aub|a u b|svp|please|" \
          r"zo snel mogelijk|asap|ajb)"
_CALLBACK = re.compile(
    rf"^(?:(?:nee|ja|ok|oke|liever|graag|toch|maar|dan|nee dank je)\s+)*"
    rf"(?:bel\s+(?:mij|me|ons)|belmij|belme|"
    rf"(?:kunt|kan|wil)\s+(?:u|je|jij|iemand)\s+(?:mij|me|ons)\s+(?:{_FILLER}\s+)*bellen|"
    rf"(?:ik\s+wil\s+|wij\s+willen\s+)?(?:{_FILLER}\s+)*(?:terug)?gebeld\s+worden|"
    rf"(?:{_FILLER}\s+)*terugbellen|"
    rf"(?:ik\s+wil\s+|ik\s+heb\s+)?(?:{_FILLER}\s+)*(?:iemand|een\s+mens|een\s+adviseur|"
    rf"een\s+persoon)\s+(?:spreken|aan\s+de\s+lijn))"
    rf"(?:\s+{_FILLER})*$")

_COMMAND_NAMES = frozenset(_COMMANDS.values())
_EDIT_PREFIXES = ("wijzig ", "wijzigen ", "aanpassen ", "verander ", "pas aan ", "wijzig de ",
                  "wijzig mijn ")
_CONFIRMED_COMMANDS = ("erase", "restart")


def _command(text: str) -> tuple[str, str] | None:
    words = parsing.normalise(text)
    if words.startswith("/"):
        # Telegram commands: "/terug" or "/terug@SomeBot"; "/belmij" and "/vergeet" map as well.
        words = words[1:].split("@", 1)[0].strip()
    if words in _COMMANDS:
        return _COMMANDS[words], ""
    if _CALLBACK.match(" ".join(re.sub(r"[^\w\s]", " ", words).split())):
        return "callback", ""
    for prefix in sorted(_EDIT_PREFIXES, key=len, reverse=True):
        if words.startswith(prefix):
            return "edit", words[len(prefix):].strip()
    return None


# --- rendering ---------------------------------------------------------------------------------


def _broker(ctx: Context) -> str:
    return ctx.broker_name or _("our advisory office")


def _outs(choices: tuple[Choice, ...]) -> tuple[ChoiceOut, ...]:
    return tuple(ChoiceOut(c.id, c.text()) for c in choices)


def _path(flow: Flow, conv: Conversation) -> tuple[int, ...]:
    """Positions in the flow of the questions counted for this conversation: the total
    changes only with the products (or the switch to the call-back path)."""
    answers = conv.answers
    if intent(answers) == "callback":
        return _path_for(flow, ("callback",))
    return _path_for(flow, (*_SHARED_BLOCKS, *(chosen(answers) or PRODUCTS)))


@cache
def _path_for(flow: Flow, blocks: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(i for i, q in enumerate(flow.questions) if q.counts and q.block in blocks)


def _progress(flow: Flow, conv: Conversation) -> tuple[int, int]:
    path = _path(flow, conv)
    base = conv.progress_base if intent(conv.answers) == "callback" else 0
    total = base + len(path)
    if conv.state == DONE:
        position = total
    else:
        # Skipped questions (they do not apply) count as passed: the count never jumps back.
        position = base + bisect_left(path, flow.index.get(conv.state, 0)) + 1
    position = min(max(position, conv.progress[0] if conv.progress[1] == total else 0), total)
    conv.progress = (position, total)
    return conv.progress


def _call_offer(conv: Conversation) -> Reply | None:
    if intent(conv.answers) == "callback" or conv.state in conv.offered:
        return None
    conv.offered.append(conv.state)
    return Reply(_("Would you rather talk to an adviser? I can have one call you."),
                 (ChoiceOut("cmd:callback", _("Yes, call me")),))


def _question_replies(flow: Flow, conv: Conversation, ctx: Context,
                      choices: tuple[Choice, ...] | None = None,
                      prefix: str | None = None, offer_call: bool = False) -> list[Reply]:
    q = flow.by_id[conv.state]
    view = {**conv.answers, "_broker": _broker(ctx)}
    text = q.text(view)
    current_, total = _progress(flow, conv)
    if q.counts and q.answer_key not in conv.answers:
        text = _("Question %(current)s of %(total)s") % {"current": current_, "total": total} \
            + "\n" + text
    shown = q.choices_for(conv.answers) if choices is None else choices
    replies = []
    if prefix:
        replies.append(Reply(prefix))
    if q.preamble is not None:
        replies.append(Reply(q.preamble(conv.answers)))
    replies.append(Reply(text, _outs(shown)))
    if offer_call:
        offer = _call_offer(conv)
        if offer is not None:
            replies.append(offer)
    return replies


def _turn(flow: Flow, conv: Conversation, replies: list[Reply], ctx: Context,
          **kw: Any) -> Turn:
    hint = flow.by_id[conv.state].input_hint if flow.is_question(conv.state) else None
    progress = conv.progress if "progress" not in kw else kw.pop("progress")
    if flow.is_question(conv.state) or conv.state == DONE:
        progress = _progress(flow, conv)
    return Turn(replies=replies, step=conv.state, progress=progress, input_hint=hint, **kw)


def _greeting(ctx: Context) -> Reply:
    """The opening: an automated assistant of the broker (named, with its AFM number), a
    premium indication and not advice in the sense of the Wft, the privacy statement, a person
    to call instead. A sentence whose setting is empty is left out."""
    broker = _broker(ctx)
    lines = [_("Good day! I am the automated assistant of %(broker)s, not a person.")
             % {"broker": broker}]
    if ctx.broker_afm_number:
        lines[0] += " " + _("The AFM licence number of %(broker)s is %(afm)s.") % {
            "broker": broker, "afm": ctx.broker_afm_number}
    lines.append(_("In a few minutes I will give you a premium indication: an indication, not "
                   "advice in the sense of the Wft."))
    if ctx.broker_privacy_url:
        lines.append(_("How we handle your details: %(url)s") % {"url": ctx.broker_privacy_url})
    if ctx.broker_phone and ctx.broker_office_hours:
        lines.append(_("Rather talk to a person? Call %(number)s (%(hours)s) or type 'bel mij'.")
                     % {"number": ctx.broker_phone, "hours": ctx.broker_office_hours})
    elif ctx.broker_phone:
        lines.append(_("Rather talk to a person? Call %(number)s or type 'bel mij'.")
                     % {"number": ctx.broker_phone})
    lines.append(_("Type 'hulp' at any time to see what you can do."))
    return Reply("\n".join(lines))


def _ask(flow: Flow, conv: Conversation, ctx: Context, prefix: str | None = None,
         **kw: Any) -> Turn:
    if conv.state == DONE:
        return _finish(flow, conv, ctx, prefix)
    if not flow.is_question(conv.state):
        return _paused(flow, conv, ctx)
    return _turn(flow, conv, _question_replies(flow, conv, ctx, prefix=prefix, **kw), ctx)


# --- finishing --------------------------------------------------------------------------------


def _finish(flow: Flow, conv: Conversation, ctx: Context, prefix: str | None = None) -> Turn:
    answers = conv.answers
    replies = [Reply(prefix)] if prefix else []
    if not consented(answers):
        conv.lead = None
        replies.append(Reply(_(
            "Understood: I will not pass anything on. Type 'vergeet mij' to erase your "
            "answers, or 'opnieuw' to start again.")))
        return _turn(flow, conv, replies, ctx, done=True)
    now = ctx.now()
    if conv.lead is None:
        window = callback_window(answers, now, ctx.broker_office_hours)
        if window is not None and window.notice:
            replies.append(Reply(window.notice))
        conv.reference = ctx.new_reference()
        lead = build_lead(answers, reference=conv.reference, channel=ctx.channel, now=now)
        conv.lead = lead.model_dump(mode="json", by_alias=True)
    replies.append(Reply(_closing(conv, ctx, now)))
    return _turn(flow, conv, replies, ctx, done=True, lead=conv.lead)


def _closing(conv: Conversation, ctx: Context, now: datetime) -> str:
    """The reference, and who calls when: the lead's call-back window, or else by the end of
    the next office day (Dutch public holidays skipped)."""
    args = {"reference": conv.reference or "-", "broker": _broker(ctx)}
    window = ((conv.lead or {}).get("contact") or {}).get("callback_window")
    if window:
        args["when"] = moments.describe(datetime.fromisoformat(window["start"]),
                                        datetime.fromisoformat(window["end"]), now)
        return _("Thank you! Your reference is %(reference)s. An adviser of %(broker)s will "
                 "call you %(when)s.") % args
    args["day"] = moments.show_day(
        moments.next_business_day(now, office_hours(ctx.broker_office_hours)),
        now.astimezone(TZ).date())
    return _("Thank you! Your reference is %(reference)s. An adviser of %(broker)s will "
             "contact you by %(day)s at the latest.") % args


def _already_sent(flow: Flow, conv: Conversation, ctx: Context) -> Turn:
    return _turn(flow, conv, [Reply(
        _("Your request has already been sent (reference %(reference)s). Type 'opnieuw' to "
          "start a new one.") % {"reference": conv.reference or "-"}
    )], ctx, done=True, lead=conv.lead)


def _paused(flow: Flow, conv: Conversation, ctx: Context) -> Turn:
    return _turn(flow, conv, [Reply(_(
        "We have paused. Type 'verder' to continue, 'opnieuw' to start again or 'vergeet mij' "
        "to erase everything."
    ))], ctx)


# --- answers ----------------------------------------------------------------------------------


def _words(choice: Choice) -> frozenset[str]:
    return _choice_words(choice.id, choice.text(), choice.synonyms)


@cache
def _choice_words(choice_id: str, label: str, synonyms: tuple[str, ...]) -> frozenset[str]:
    """Everything a prospect may type for a choice: its id, its label, its synonyms."""
    return frozenset((choice_id, parsing.normalise(label),
                      *(parsing.normalise(s) for s in synonyms)))


def _exact_choice(choices: tuple[Choice, ...], text: str) -> Choice | None:
    words = parsing.normalise(text)
    for choice in choices:
        if words in _words(choice):
            return choice
    return None


def _fuzzy_choice(q: Question, choices: tuple[Choice, ...], text: str) -> Any:
    options = [matching.Option(c.id, (c.text(), *c.synonyms)) for c in choices]
    found = matching.match_options(text, options)
    picked = [c for c in choices if c.id in found.ids]
    if len(picked) == 1 and found.sure:
        return picked[0].value
    if len(picked) == 1:
        raise Confirm(_("Do you mean %(answer)s?") % {"answer": picked[0].text()}, (picked[0],))
    if picked:
        raise Confirm(_("Which one do you mean?"), tuple(picked))
    return _MISSING


def _bands(q: Question, conv: Conversation) -> tuple[Choice, ...]:
    # Without bands of its own, a choice question's options are the bands.
    bands = q.bands_for(conv.answers)
    if not bands and not q.optional and not q.free_text and not q.multi:
        bands = tuple(c for c in q.choices_for(conv.answers)
                      if c.value is not None and not isinstance(c.value, bool))
    return bands


def _unknown(q: Question, conv: Conversation) -> Any:
    bands = _bands(q, conv)
    if bands:
        raise Confirm(_("No problem: an estimate is enough. Which comes closest?"), bands,
                      estimated=True)
    if q.optional:
        return q.skip_value
    raise Invalid(_("An estimate is fine too."))


def _resolve(q: Question, conv: Conversation, text: str | None, choice_id: str | None) -> Any:
    choices = q.choices_for(conv.answers)
    if choice_id is not None:
        for choice in choices:
            if choice.id == choice_id:
                return choice.value
        raise Invalid(_("That button belongs to an earlier question."))
    assert text is not None
    exact = _exact_choice(choices, text)
    if exact is not None:
        return exact.value
    if q.optional and parsing.parse_skip(text):
        return q.skip_value
    if q.none_value is not None and parsing.parse_none(text):
        return q.none_value
    if parsing.parse_unknown(text):
        return _unknown(q, conv)
    error: Invalid | None = None
    if q.parse is not None:
        try:
            return q.parse(text, conv.answers)
        except Invalid as wrong:
            error = wrong
    if choices and not q.free_text and not q.multi:
        value = _fuzzy_choice(q, choices, text)
        if value is not _MISSING:
            return value
    if error is not None and q.bands and not parsing.parse_none(text) \
            and readers.vague(text, some=q.none_value is not None):
        # "veel", "weinig", "ja": a size without a number; the bands turn it into one.
        raise Confirm(_("Which comes closest?"), _bands(q, conv), estimated=True)
    if error is not None:
        raise error
    raise Invalid(_("Please choose one of the options."))


def _literal(text: str) -> bool:
    # A bare number or amount is read as typed; anything else is shown back as read.
    return re.fullmatch(r"[\d\s.,€%+-]*\d[\d\s.,€%-]*", text.strip()) is not None


def _answer(flow: Flow, conv: Conversation, ctx: Context, text: str | None,
            choice: str | None) -> Turn:
    q = flow.by_id[conv.state]
    try:
        value = _resolve(q, conv, text, choice)
        if q.settle is not None:
            value = q.settle(value, conv.answers, ctx)
    except Invalid as wrong:
        conv.attempts += 1
        prefix = wrong.message
        if wrong.choices is None and q.example:
            prefix += " " + _(q.example)
        replies = _question_replies(flow, conv, ctx, choices=wrong.choices, prefix=prefix,
                                    offer_call=conv.attempts >= 2)
        return _turn(flow, conv, replies, ctx)
    except Confirm as check:
        return _ask_back(flow, conv, ctx, q, check)
    noted = None
    if text is not None and q.label and not q.free_text and value not in (None, []) \
            and not isinstance(value, bool) and not _literal(text):
        noted = q.show(value)
        if parsing.normalise(noted) == parsing.normalise(text):
            noted = None
    return _accept(flow, conv, ctx, q, value, noted=noted)


def _ask_back(flow: Flow, conv: Conversation, ctx: Context, q: Question,
              check: Confirm) -> Turn:
    options = [{"id": c.id, "label": c.text(), "value": c.value} for c in check.options]
    conv.pending = {"question": q.id, "options": options, "estimated": check.estimated,
                    "reparse": check.reparse}
    if len(options) == 1 and not check.estimated:
        buttons = _outs(YES_NO)
    else:
        buttons = tuple(ChoiceOut(o["id"], o["label"]) for o in options)
    return _turn(flow, conv, [Reply(check.message, buttons)], ctx)


def _pending(flow: Flow, conv: Conversation, ctx: Context, text: str | None,
             choice: str | None) -> Turn | None:
    """The answer to what we asked back; None: it is not one, handle the message as usual."""
    pending = conv.pending
    assert pending is not None
    if "command" in pending:
        said = _yes_no(text, choice)
        conv.pending = None
        if said is True:
            return _run_command(flow, conv, ctx, pending["command"], "", confirmed=True)
        if said is False:
            return _reask(flow, conv, ctx, _("Fine, we carry on."))
        return None
    if pending.get("question") != conv.state:
        conv.pending = None
        return None
    q = flow.by_id[conv.state]
    options = pending["options"]
    picked = None
    if choice is not None:
        picked = next((o for o in options if o["id"] == choice), None)
    elif text is not None:
        words = parsing.normalise(text)
        picked = next((o for o in options if parsing.normalise(o["label"]) == words), None)
    confirmed = False  # "ja" to a reading shown back: it was just said, not noted again
    if picked is None and len(options) == 1:
        said = _yes_no(text, choice)
        if said is True:
            picked = options[0]
            confirmed = True
        elif said is False:
            conv.pending = None
            return _ask(flow, conv, ctx, prefix=_("What is the right answer, then?"))
    if picked is None:
        conv.pending = None
        return None
    if pending.get("reparse"):
        conv.pending = None
        return _answer(flow, conv, ctx, str(picked["value"]), None)
    noted = None
    if pending.get("estimated"):
        estimated = conv.answers.setdefault("_estimated", [])
        if q.id not in estimated:
            estimated.append(q.id)
        if q.label:
            noted = _("%(answer)s (estimate)") % {"answer": q.show(picked["value"])}
    elif not confirmed:
        noted = picked["label"]
    return _accept(flow, conv, ctx, q, picked["value"], noted=noted)


def _yes_no(text: str | None, choice: str | None) -> bool | None:
    if choice is not None:
        return {"yes": True, "no": False}.get(choice)
    if text is None:
        return None
    try:
        return bool(parsing.parse_yes_no(text))
    except parsing.ParseError:
        return None


def _store(flow: Flow, conv: Conversation, q: Question, value: Any) -> None:
    answers = conv.answers
    key = q.answer_key
    old = answers.get(key, _MISSING)
    answers[key] = value
    conv.attempts = 0
    conv.pending = None
    if old is _MISSING or old == value:
        return
    position = flow.index[q.id]
    for other in flow.questions:
        if other is q or other.answer_key not in answers or other.answer_key == key:
            continue
        stale = key in other.depends_on or (
            "*" in other.depends_on and position < flow.index[other.id]
            and q.block != "closing" and q.block != "callback"
        )
        kept = answers[other.answer_key]
        if stale or (other.still_valid is not None and not other.still_valid(kept, answers)):
            del answers[other.answer_key]
    if intent(answers) == "quote":
        # A narrower product choice drops the answers of the products no longer asked for.
        picked = chosen(answers)
        for other in flow.questions:
            if other.block in PRODUCTS and other.block not in picked:
                answers.pop(other.answer_key, None)
    estimated = answers.get("_estimated")
    if estimated and q.id in estimated:
        estimated.remove(q.id)


def _accept(flow: Flow, conv: Conversation, ctx: Context, q: Question, value: Any,
            noted: str | None = None) -> Turn:
    _store(flow, conv, q, value)
    effect = q.after(value, conv.answers) if q.after is not None else None
    # A hook may clear answers before this question: then the next one is sought from the top.
    trigger = "advance" if effect is None else "resume"
    effect = effect or Effect()
    if not conv.history or conv.history[-1] != q.id:
        conv.history.append(q.id)
        del conv.history[:-50]
    if effect.command is not None:
        return _run_command(flow, conv, ctx, effect.command, "")
    prefix = effect.prefix
    if prefix is None and noted:
        prefix = _("Noted: %(answer)s.") % {"answer": noted}
    if intent(conv.answers) == "callback" and not conv.progress_base:
        conv.progress_base = conv.progress[0]
        conv.progress = (0, 0)
    conv.state = flow.fire(conv.state, trigger, conv.answers)
    return _ask(flow, conv, ctx, prefix=prefix)


# --- commands ---------------------------------------------------------------------------------


def _edit_topics(flow: Flow, conv: Conversation) -> list[Question]:
    return [q for q in flow.questions if q.topics and q.answer_key in conv.answers
            and q.applies(conv.answers)]


def _edit(flow: Flow, conv: Conversation, ctx: Context, topic: str) -> Turn:
    if conv.state == DONE:
        return _already_sent(flow, conv, ctx)
    candidates = _edit_topics(flow, conv)
    words = parsing.normalise(topic)
    target = None
    if words:
        for q in candidates:
            if words == q.id or words in q.topics or words == parsing.normalise(_(q.label)):
                target = q
                break
        if target is None:
            options = [matching.Option(q.id, (*q.topics, _(q.label))) for q in candidates]
            found = matching.match_options(words, options)
            if len(found.ids) == 1:
                target = flow.by_id[found.ids[0]]
    if target is None:
        if not candidates:
            return _reask(flow, conv, ctx, _("There is nothing to change yet."))
        options_out = tuple(ChoiceOut(f"cmd:edit:{q.id}", _(q.label)) for q in candidates)
        return _turn(flow, conv, [Reply(_("What would you like to change?"), options_out)], ctx)
    if conv.state != target.id and flow.is_question(conv.state):
        conv.history.append(conv.state)
    conv.state = flow.fire(conv.state, "edit", conv.answers, target.id)
    conv.pending = None
    conv.attempts = 0
    current_answer = target.show(conv.answers[target.answer_key])
    return _ask(flow, conv, ctx,
                prefix=_("Your current answer: %(answer)s.") % {"answer": current_answer})


_HELP = N_(
    "You can type at any moment:\n"
    "• 'terug': the previous question\n"
    "• 'wijzig omzet' (or another subject): change an answer\n"
    "• 'waarom?': why I ask this\n"
    "• 'bel mij': an adviser calls you\n"
    "• 'stop': pause; 'verder' to continue\n"
    "• 'opnieuw': start again\n"
    "• 'vergeet mij': erase your conversation and details"
)


def _reask(flow: Flow, conv: Conversation, ctx: Context, prefix: str) -> Turn:
    if not flow.is_question(conv.state):
        return _turn(flow, conv, [Reply(prefix)], ctx, done=conv.state == DONE,
                     lead=conv.lead)
    return _ask(flow, conv, ctx, prefix=prefix)


def _start_over(flow: Flow, conv: Conversation, ctx: Context,
                prefix: Reply | None = None) -> Turn:
    conv.answers, conv.history, conv.offered = {}, [], []
    conv.attempts, conv.pending, conv.reference, conv.lead = 0, None, None, None
    conv.progress, conv.progress_base = (0, 0), 0
    conv.state = flow.fire(conv.state, "restart", conv.answers)
    replies = [prefix] if prefix else []
    replies.append(_greeting(ctx))
    return _turn(flow, conv, replies + _question_replies(flow, conv, ctx), ctx)


_CONFIRM_TEXT = {
    "erase": N_("Do you want me to erase your conversation and every detail you gave? This "
                "cannot be undone."),
    "restart": N_("Do you want to start again? Your answers so far will be cleared."),
}


def _run_command(flow: Flow, conv: Conversation, ctx: Context, name: str, arg: str,
                 confirmed: bool = False) -> Turn:
    if name in _CONFIRMED_COMMANDS and not confirmed and conv.answers:
        conv.pending = {"command": name}
        return _turn(flow, conv, [Reply(_(_CONFIRM_TEXT[name]), _outs(YES_NO))], ctx,
                     done=conv.state == DONE, lead=conv.lead)
    conv.pending = None
    if name == "erase":
        conv.state = flow.fire(conv.state, "erase", conv.answers)
        conv.answers, conv.history, conv.offered = {}, [], []
        conv.attempts, conv.reference, conv.lead = 0, None, None
        text = _("I have erased your conversation and the details you gave. Send a message to "
                 "start again.")
        return Turn(replies=[Reply(text)], step="erased", progress=(0, 0), done=True, erase=True)
    if name == "restart":
        return _start_over(flow, conv, ctx)
    if name == "start":
        if conv.answers and conv.state != DONE:
            return _turn(flow, conv, [Reply(
                _("Welcome back! Would you like to continue where you left off, or start again?"),
                (ChoiceOut("cmd:resume", _("Continue")),
                 ChoiceOut("cmd:restart", _("Start again"))),
            )], ctx)
        return _start_over(flow, conv, ctx)
    if name == "resume":
        if conv.state == STOPPED:
            conv.state = flow.fire(conv.state, "resume", conv.answers)
        return _reask(flow, conv, ctx, _("Let us continue."))
    if conv.state == DONE and name != "help":
        return _already_sent(flow, conv, ctx)
    if name == "stop":
        conv.state = flow.fire(conv.state, "stop", conv.answers)
        return _turn(flow, conv, [Reply(_(
            "Fine, we stop here. Your answers are kept: type 'verder' to continue, 'opnieuw' to "
            "start again or 'vergeet mij' to erase everything."
        ))], ctx)
    if name == "help":
        return _reask(flow, conv, ctx, _(_HELP))
    if conv.state == STOPPED:
        conv.state = flow.fire(conv.state, "resume", conv.answers)
    if name == "back":
        return _back(flow, conv, ctx)
    if name == "why":
        return _ask(flow, conv, ctx, prefix=_(flow.by_id[conv.state].why))
    if name == "callback":
        if intent(conv.answers) != "callback":
            conv.progress_base = conv.progress[0]
            conv.progress = (0, 0)
        conv.answers["intent"] = "callback"
        conv.attempts = 0
        conv.state = flow.fire(conv.state, "callback", conv.answers)
        prefix = _("Fine, an adviser will call you. I only need a few details.")
        if conv.state == DONE:
            return _finish(flow, conv, ctx, prefix)
        return _ask(flow, conv, ctx, prefix=prefix)
    if name == "edit":
        return _edit(flow, conv, ctx, arg)
    return _reask(flow, conv, ctx, _("Please choose one of the options."))


def _back(flow: Flow, conv: Conversation, ctx: Context) -> Turn:
    conv.attempts = 0
    while conv.history:
        previous = conv.history.pop()
        q = flow.by_id.get(previous)
        if q is None or previous == conv.state or not q.applies(conv.answers):
            continue
        conv.state = flow.fire(conv.state, "back", conv.answers, previous)
        answer = conv.answers.get(q.answer_key, _MISSING)
        prefix = None
        if answer is not _MISSING and q.label:
            prefix = _("Your previous answer: %(answer)s.") % {"answer": q.show(answer)}
        return _ask(flow, conv, ctx, prefix=prefix)
    return _ask(flow, conv, ctx, prefix=_("This is the first question."))


# --- the entry point --------------------------------------------------------------------------


NOTICES = {
    # Something arrived that is not an answer; say so and ask the same question again.
    "media": N_("I can only read text. Please type your answer."),
    "edited": N_("I cannot process an edited message. Please send your answer again."),
    "too_long": N_("That message is too long for me. Please keep your answer short."),
    "foreign_contact": N_("Please share your own phone number, or type it."),
    "error": N_("Sorry, something went wrong on our side. Your answers are safe."),
}


def _known_state(flow: Flow, conv: Conversation) -> None:
    """A stored state that names no question any more (the flow changed): resume at the first
    open question instead of failing."""
    if conv.state not in flow.machine.states:
        conv.state = flow.fire(NEW, "resume", conv.answers)
        conv.pending = None


def step(conv: Conversation, ctx: Context, text: str | None = None,
         choice: str | None = None, notice: str | None = None) -> Turn:
    """One prospect message (typed text or a pressed choice id) -> the turn to show.

    `notice` names a message that is not an answer (a photo, an edited message, ...): the
    prospect is told so and gets the same question, and nothing changes. `conv` is updated in
    place; the caller stores it. Never raises on any input.
    """
    flow = current()
    _known_state(flow, conv)
    if text is not None:
        # Line by line: a list of names may come one per line.
        text = "\n".join(parsing.clean(line) for line in text[:MAX_INPUT].splitlines())
    if notice is not None:
        message = _(NOTICES.get(notice, NOTICES["media"]))
        if conv.state == NEW and not conv.answers:
            return _start_over(flow, conv, ctx, prefix=Reply(message))
        return _reask(flow, conv, ctx, message)
    if conv.state == NEW and not conv.answers:
        if text is not None and _command(text) == ("erase", ""):
            return _run_command(flow, conv, ctx, "erase", "")
        return _start_over(flow, conv, ctx)
    if conv.pending is not None:
        handled = _pending(flow, conv, ctx, text, choice)
        if handled is not None:
            return handled
    if choice is not None and choice.startswith("cmd:"):
        parts = choice.split(":", 2)
        if parts[1] == "edit" and len(parts) == 3:
            return _run_command(flow, conv, ctx, "edit", parts[2])
        if parts[1] == "wijzig":  # the summary's button before version 2
            return _run_command(flow, conv, ctx, "edit", "")
        if parts[1] in _COMMAND_NAMES:
            return _run_command(flow, conv, ctx, parts[1], "")
        # A button we never made (an old client, a forged callback): treat it like a stale one.
        if not flow.is_question(conv.state):
            return _reask(flow, conv, ctx, _("Please choose one of the options."))
        return _ask(flow, conv, ctx, prefix=_("That button belongs to an earlier question."))
    if text is not None:
        command = _command(text)
        # "ga verder" while not paused is an answer ("Klopt, ga verder" at the summary).
        if command is not None and command[0] == "resume" and conv.state != STOPPED \
                and flow.is_question(conv.state):
            command = None
        if command is not None:
            return _run_command(flow, conv, ctx, *command)
    if conv.state == DONE:
        return _already_sent(flow, conv, ctx)
    if conv.state == STOPPED:
        return _paused(flow, conv, ctx)
    if conv.state == NEW:
        conv.state = flow.fire(NEW, "resume", conv.answers)
        return _ask(flow, conv, ctx)
    if choice is None and (text is None or not text.strip()):
        return _ask(flow, conv, ctx, prefix=_("I did not receive an answer."))
    return _answer(flow, conv, ctx, text, choice)


def current_turn(conv: Conversation, ctx: Context) -> Turn:
    """The current question again, for a prospect who comes back; changes nothing stored."""
    flow = current()
    _known_state(flow, conv)
    if conv.state == DONE:
        return _already_sent(flow, conv, ctx)
    if not flow.is_question(conv.state):
        return _paused(flow, conv, ctx)
    return _turn(flow, conv, _question_replies(
        flow, conv, ctx, prefix=_("Welcome back! We continue where you left off.")), ctx)
