"""The registration form's rules, the allow-list's matching and the terms' fingerprint.

Plain functions of plain data: no database, so each rule is tested on its own and the
services call them with what they read.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KINDS = ("text", "long_text", "single_choice", "multiple_choice", "checkbox")
CHOICE_KINDS = ("single_choice", "multiple_choice")
MAX_QUESTIONS = 50
MAX_CHOICES = 50
TEXT_MAX = {"text": 1_000, "long_text": 10_000}
KEY = re.compile(r"[a-z][a-z0-9_]{0,49}")
DOMAIN_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


class AnswersInvalid(ValueError):
    """Answers that do not fit the form; `errors` holds the messages per question key."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors = dict(errors)
        super().__init__(
            "; ".join(f"{key}: {' '.join(messages)}" for key, messages in self.errors.items())
        )


@dataclass(frozen=True)
class Question:
    key: str
    label: str
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    help_text: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "kind": self.kind,
            "required": self.required,
            "choices": list(self.choices),
            "help_text": self.help_text,
        }


def question_problems(question: Question) -> dict[str, str]:
    """What is wrong with one question's definition, by field; empty when it is fine."""
    problems = {}
    if not KEY.fullmatch(question.key):
        problems["key"] = (
            "Use lowercase letters, digits and underscores, starting with a letter "
            "(at most 50 characters)."
        )
    if question.kind not in KINDS:
        problems["kind"] = f"Use one of: {', '.join(KINDS)}."
    elif question.kind in CHOICE_KINDS:
        if not question.choices:
            problems["choices"] = "A choice question needs at least one choice."
        elif len(question.choices) > MAX_CHOICES:
            problems["choices"] = f"At most {MAX_CHOICES} choices."
        elif any(not choice.strip() for choice in question.choices):
            problems["choices"] = "A choice may not be empty."
        elif len(set(question.choices)) != len(question.choices):
            problems["choices"] = "Each choice may appear once."
    elif question.choices:
        problems["choices"] = f"Only choice questions have choices, not a {question.kind} one."
    return problems


def check_answers(questions: Sequence[Question], answers: object) -> dict[str, Any]:
    """The answers to keep, one per question (empty ones included), or AnswersInvalid
    naming each question that is not answered right."""
    if answers is None:
        answers = {}
    if not isinstance(answers, Mapping):
        raise AnswersInvalid({"answers": ["Send an object of answers keyed by question key."]})
    errors: dict[str, list[str]] = {}
    known = {question.key for question in questions}
    for key in answers:
        if key not in known:
            errors[str(key)] = ["This is not a question of this registration form."]
    kept: dict[str, Any] = {}
    for question in questions:
        try:
            kept[question.key] = _answer(question, answers.get(question.key))
        except ValueError as exc:
            errors[question.key] = [str(exc)]
    if errors:
        raise AnswersInvalid(errors)
    return kept


def _answer(question: Question, value: object) -> Any:
    if question.kind == "checkbox":
        if value is None:
            value = False
        if not isinstance(value, bool):
            raise ValueError("Answer true or false.")
        if question.required and not value:
            raise ValueError("This box must be checked.")
        return value
    if question.kind == "multiple_choice":
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValueError("Answer a list of choices.")
        unknown = [item for item in value if item not in question.choices]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not one of: {', '.join(question.choices)}.")
        if question.required and not value:
            raise ValueError("Choose at least one.")
        return [choice for choice in question.choices if choice in value]
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError("Answer with text.")
    if question.kind == "single_choice":
        if value == "":
            if question.required:
                raise ValueError("This question is required.")
            return None
        if value not in question.choices:
            raise ValueError(f"{value!r} is not one of: {', '.join(question.choices)}.")
        return value
    text = value.strip()
    if question.required and not text:
        raise ValueError("This question is required.")
    limit = TEXT_MAX[question.kind]
    if len(text) > limit:
        raise ValueError(f"At most {limit} characters; this answer has {len(text)}.")
    return text


def terms_sha256(terms: str) -> str:
    """The fingerprint of a version of the terms: what a participant's acceptance names."""
    return hashlib.sha256(terms.encode("utf-8")).hexdigest()


def allow_list_entry(raw: str) -> str:
    """An allow-list entry as stored: an address or a domain, lowercase. `@example.org`
    is the domain `example.org`. ValueError says what is wrong."""
    entry = raw.strip().lower()
    if entry.startswith("@"):
        entry = entry[1:]
    if "@" in entry:
        local, _, domain = entry.rpartition("@")
        if not local or any(char.isspace() for char in local) or "@" in local:
            raise ValueError(f"{raw!r} is not an email address.")
        _domain(domain, raw)
        return entry
    _domain(entry, raw)
    return entry


def _domain(domain: str, raw: str) -> None:
    labels = domain.split(".")
    if len(labels) < 2 or len(domain) > 253 or not all(map(DOMAIN_LABEL.fullmatch, labels)):
        raise ValueError(f"{raw!r} is neither an email address nor a domain like example.org.")


def allowed(address: str, entries: Sequence[str]) -> str | None:
    """The entry that lets `address` in, if any. An address entry matches that address; a
    domain entry matches addresses at the domain and its subdomains (`example.org` lets in
    `ada@cs.example.org`, never `ada@badexample.org`). Case does not matter."""
    address = address.strip().lower()
    if "@" not in address:
        return None
    domain = address.rpartition("@")[2]
    for entry in entries:
        if "@" in entry:
            if entry == address:
                return entry
        elif domain == entry or domain.endswith("." + entry):
            return entry
    return None
