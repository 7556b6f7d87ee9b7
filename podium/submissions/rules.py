"""Single-purpose rules about submissions: fact sheet answers."""

from __future__ import annotations

from typing import Any

MAX_TEXT = 5000


class AnswersInvalid(ValueError):
    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{key}: {message}" for key, message in problems.items()))


def check_fact_sheet(schema: dict[str, dict[str, Any]] | None, answers: object) -> dict[str, Any]:
    """The answers, checked against the competition's questions; AnswersInvalid otherwise.

    A checkbox takes true or false, a text question text, a select question one of its
    options. Required questions must be answered; questions the competition does not ask
    are refused rather than stored silently.
    """
    questions = schema or {}
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        raise AnswersInvalid({"fact_sheet": "expected an object of question keys to answers"})
    problems: dict[str, str] = {}
    for key in answers:
        if key not in questions:
            problems[str(key)] = "this competition asks no such question"
    checked: dict[str, Any] = {}
    for key, question in questions.items():
        value = answers.get(key)
        if value is None or value == "":
            if question.get("is_required"):
                problems[key] = "an answer is required"
            continue
        kind = question.get("type")
        if kind == "checkbox" and not isinstance(value, bool):
            problems[key] = "expected true or false"
        elif kind == "text" and (not isinstance(value, str) or len(value) > MAX_TEXT):
            problems[key] = f"expected text of at most {MAX_TEXT} characters"
        elif kind == "select" and value not in (question.get("selection") or []):
            options = ", ".join(str(option) for option in question.get("selection") or [])
            problems[key] = f"expected one of: {options}"
        else:
            checked[key] = value
    if problems:
        raise AnswersInvalid(problems)
    return checked
