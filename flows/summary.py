"""The summary before contact details: every answer as a value, and the indication per product
with each insurer product (eligible or not, and why) and the main factors."""

from __future__ import annotations

from flows.flow import current
from flows.i18n import _
from flows.lead import price
from flows.products import PRODUCTS, chosen
from flows.spec import Answers

__all__ = ["summary_text"]


def summary_text(answers: Answers) -> str:
    lines = [_("Here are your answers:")]
    for q in current().questions:
        if not q.summarised or not q.applies(answers):
            continue
        if q.summarise is not None:
            line = q.summarise(answers)
            if line:
                lines.append(f"• {line}")
        elif q.answer_key in answers:
            lines.append(f"• {_(q.label)}: {q.show(answers[q.answer_key])}")
    quoted = price(answers)
    body: list[str] = []
    for key in chosen(answers):
        body += PRODUCTS[key].present(quoted, answers)
    if body:
        lines += ["", _("Your premium indication:"), *body]
    if quoted is not None:
        lines += ["", _(quoted.disclaimer)]
    return "\n".join(lines)
