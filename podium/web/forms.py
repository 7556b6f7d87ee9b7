"""The competition list's search form: every field optional, anything unknown ignored."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from podium.web import listing


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Title or description"}),
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[
            ("", "Any status"),
            *((status, status.capitalize()) for status in listing.STATUSES),
        ],
    )
    type = forms.ChoiceField(
        label="Type",
        required=False,
        choices=[("", "Any type"), *((kind, kind.capitalize()) for kind in listing.TYPES)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def criteria(self) -> dict[str, str]:
        """The search as given, with whatever did not validate left out."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "text": data.get("q") or "",
            "status": data.get("status") or "",
            "kind": data.get("type") or "",
        }


FACT_PREFIX = "fact_"


def _fact_field(key: str, question: dict[str, Any]) -> forms.Field:
    """One fact sheet question as a form field. `data-fact-*` tell submit.js how to send
    the answer to the API; the answers' rules are podium.submissions.rules'."""
    kind = str(question.get("type") or "text")
    title = str(question.get("title") or key)
    required = bool(question.get("is_required"))
    attrs: dict[str, Any] = {"data-fact-key": key, "data-fact-type": kind}
    if required and kind != "checkbox":  # a checkbox is answered either way
        attrs.update({"required": True, "aria-required": "true"})
    label = title if required or kind == "checkbox" else f"{title} (optional)"
    if kind == "checkbox":
        return forms.BooleanField(label=label, required=False, widget=forms.CheckboxInput(attrs))
    if kind == "select":
        options = [(str(option), str(option)) for option in question.get("selection") or []]
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[("", "Choose one"), *options],
            widget=forms.Select(attrs),
        )
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs))


class SubmissionForm(forms.Form):
    """A submission: the phase, the zip, who it is for, and the competition's fact sheet.

    Sent by submit.js through the uploads API with a progress bar; without JavaScript the
    browser posts it as it is. Either way the refusals are create_submission's."""

    phase = forms.TypedChoiceField(label="Phase", coerce=int)
    file = forms.FileField(
        label="Your submission (a zip of results or of code)",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    organization = forms.TypedChoiceField(
        label="Submit as", coerce=int, required=False, empty_value=None
    )

    def __init__(
        self,
        *args: Any,
        phases: list[tuple[int, str]],
        organizations: list[tuple[int, str]],
        username: str,
        fact_sheet: dict[str, Any] | None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["phase"]).choices = phases
        if organizations:
            cast(forms.ChoiceField, self.fields["organization"]).choices = [
                ("", f"Myself ({username})"),
                *((pk, f"{name} (organization)") for pk, name in organizations),
            ]
        else:
            del self.fields["organization"]
        self.fact_keys = []
        for key, question in (fact_sheet or {}).items():
            if isinstance(question, dict):
                self.fields[FACT_PREFIX + key] = _fact_field(key, question)
                self.fact_keys.append(key)

    def fact_sheet_answers(self) -> dict[str, Any]:
        """The answers as create_submission takes them: empty ones left out."""
        found = {}
        for key in self.fact_keys:
            value = self.cleaned_data.get(FACT_PREFIX + key)
            if value is not None and value != "":
                found[key] = value
        return found

    def refused(self, refusal: Exception) -> None:
        """A refusal of the services, shown above the form."""
        self.add_error(None, str(refusal))
