"""The Participate tab: the caller's registration as the page shows it, and the registration
form built from the organizers' questions.

The form only carries the answers to `podium.participation.services`: every field is
optional here, and whether the answers fit the questions, the terms are accepted and the
caller may apply at all is the services' rule alone (`FormInvalid`, `TermsNotAccepted`,
`RegistrationError`), whose messages the form then shows by its fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.html import conditional_escape

from podium.competitions.models import Competition
from podium.participation import rules
from podium.participation.models import Application, Participant
from podium.participation.services import FormInvalid, questions_of

PREFIX = "answer_"
SHORT_CHOICES = 6  # up to this many choices show as radio buttons, more as a list


@dataclass
class Registration:
    """The caller's registration for a competition, and what the tab offers them."""

    participant: Participant | None
    application: Application | None
    questions: list[rules.Question]
    terms_sha256: str  # "" when the competition has no terms

    @property
    def status(self) -> str:
        """none, pending, approved, denied or revoked."""
        return self.participant.status if self.participant is not None else "none"

    @property
    def may_answer(self) -> bool:
        """Whether the tab shows the form: to register, to correct the answers of a pending
        request, or to apply again after a denial."""
        return self.status in ("none", Participant.Status.PENDING, Participant.Status.DENIED)

    @property
    def needs_terms(self) -> bool:
        """Whether the form asks to accept the terms: there are some, and this version is
        not the one a pending request accepted already."""
        if not self.terms_sha256:
            return False
        if self.application is None or self.status != Participant.Status.PENDING:
            return True
        return self.application.terms_sha256 != self.terms_sha256

    def answered(self) -> list[tuple[str, str]]:
        """(question, answer) of the latest application, as it was asked."""
        if self.application is None:
            return []
        found = []
        for question in self.application.questions or []:
            value = (self.application.answers or {}).get(question.get("key"))
            found.append((str(question.get("label", question.get("key", ""))), _said(value)))
        return found


def _said(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(no answer)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def registration(competition: Competition, user: Any) -> Registration:
    """The caller's registration with its latest application and the competition's form:
    three queries for a signed-in user, one for a visitor."""
    participant = None
    application = None
    if getattr(user, "is_authenticated", False):
        participant = (
            Participant.objects.filter(user=user, competition=competition)
            .prefetch_related("applications")
            .first()
        )
        if participant is not None:
            application = participant.latest_application()
    terms = competition.terms
    return Registration(
        participant=participant,
        application=application,
        questions=questions_of(competition),
        terms_sha256=rules.terms_sha256(terms) if terms.strip() else "",
    )


def _field(question: rules.Question) -> forms.Field:
    required = {"required": True, "aria-required": "true"} if question.required else {}
    label = question.label + ("" if question.required else " (optional)")
    # Django's field templates show help text as HTML: the organizer's words are escaped.
    common: dict[str, Any] = {
        "label": label,
        "required": False,
        "help_text": conditional_escape(question.help_text),
    }
    if question.kind == "checkbox":
        return forms.BooleanField(widget=forms.CheckboxInput(attrs=required), **common)
    if question.kind == "multiple_choice":
        choices = [(choice, choice) for choice in question.choices]
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if question.kind == "single_choice":
        choices = [(choice, choice) for choice in question.choices]
        if len(choices) <= SHORT_CHOICES:
            return forms.ChoiceField(
                choices=choices, widget=forms.RadioSelect(attrs=required), **common
            )
        return forms.ChoiceField(
            choices=[("", "Choose one"), *choices], widget=forms.Select(attrs=required), **common
        )
    limit = rules.TEXT_MAX.get(question.kind, rules.TEXT_MAX["text"])
    attrs = {**required, "maxlength": str(limit)}
    widget = (
        forms.Textarea(attrs={**attrs, "rows": "4"})
        if question.kind == "long_text"
        else forms.TextInput(attrs=attrs)
    )
    return forms.CharField(widget=widget, strip=False, **common)


class RegistrationForm(forms.Form):
    """The organizers' questions (`answer_<key>`), the terms to accept where there are some,
    and the fingerprint of the terms the page showed, so that terms changed meanwhile are
    accepted again rather than silently."""

    terms_sha256 = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(
        self,
        *args: Any,
        questions: list[rules.Question],
        terms_sha256: str,
        answers: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[PREFIX + question.key] = _field(question)
            if answers is not None and question.key in answers:
                self.initial[PREFIX + question.key] = answers[question.key]
        if terms_sha256:
            self.fields["accept_terms"] = forms.BooleanField(
                label="I have read the terms of this competition and accept them",
                required=False,
                widget=forms.CheckboxInput(attrs={"required": True, "aria-required": "true"}),
            )
        self.initial["terms_sha256"] = terms_sha256

    def answers(self) -> dict[str, Any]:
        """The answers as the services take them: text, a choice ("" for none), a list of
        choices, or true/false."""
        data = self.cleaned_data
        return {question.key: data.get(PREFIX + question.key) for question in self.questions}

    def accepted(self) -> bool:
        return bool(self.cleaned_data.get("accept_terms"))

    def terms_seen(self) -> str | None:
        return self.cleaned_data.get("terms_sha256") or None

    def refused(self, refusal: FormInvalid) -> None:
        """Shows the services' messages by the questions they are about."""
        for key, messages in refusal.errors.items():
            name = PREFIX + key
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
