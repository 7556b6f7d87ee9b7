"""The host pages' forms: the analytics window, the audit log's filters, a user's quota,
data groups, the cleanup's choice of files. They parse; the rules are the services'."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms

from podium.audit import analytics
from podium.audit.models import Action

UNITS = {"MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


class Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class AnalyticsForm(Form):
    start = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="First day (UTC); 30 days before the last if left empty.",
    )
    end = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Last day (UTC); today if left empty.",
    )
    interval = forms.ChoiceField(
        label="One point per",
        choices=[(interval, interval) for interval in analytics.INTERVALS],
        initial="day",
        required=False,
    )
    top = forms.IntegerField(
        label="Top",
        help_text="Users and competitions in the storage charts.",
        min_value=1,
        max_value=100,
        initial=10,
        required=False,
    )

    @staticmethod
    def with_defaults(given: Any, today: date) -> dict[str, Any]:
        """The query with what it leaves out filled in, so that the form shows the window
        its charts show: the last 30 days, per day, the 10 largest."""
        end = given.get("end") or today.isoformat()
        chosen = {"start": "", "end": end, "interval": "day", "top": "10"}
        chosen.update({name: value for name, value in given.items() if name in chosen and value})
        if not chosen["start"]:
            # An end that is not a date is refused with its own error.
            with contextlib.suppress(ValueError):
                end_day = date.fromisoformat(chosen["end"])
                chosen["start"] = (end_day - timedelta(days=30)).isoformat()
        return chosen

    def window(self, today: date) -> analytics.Window | None:
        """The window asked for, widened to whole periods; None, with the form's errors
        set, when it cannot be read."""
        if not self.is_valid():
            return None
        end = self.cleaned_data["end"] or today
        start = self.cleaned_data["start"] or end - timedelta(days=30)
        try:
            return analytics.Window.around(
                start=start, end=end, interval=self.cleaned_data["interval"] or "day"
            )
        except analytics.WindowInvalid as exc:
            field, _, message = str(exc).partition(": ")
            self.add_error(field if field in self.fields else None, message)
            return None

    def largest(self) -> int:
        return (self.cleaned_data.get("top") if self.is_valid() else None) or 10


class AuditFilterForm(Form):
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *Action.choices]
    )
    actor = forms.CharField(
        label="Actor", required=False, max_length=150, help_text="A username, exactly."
    )
    target_type = forms.ChoiceField(label="Target", required=False)
    target_id = forms.IntegerField(label="Target id", required=False, min_value=0)
    competition = forms.IntegerField(label="Competition id", required=False, min_value=1)
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To (inclusive)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, target_types: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["target_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Any kind"), *((kind, kind) for kind in target_types)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The last day comes before the first.")
        return cleaned

    def criteria(self) -> dict[str, Any]:
        """The filters that validated; an invalid one is left out and its error shown."""
        self.is_valid()
        return dict(getattr(self, "cleaned_data", {}))


class UserSearchForm(Form):
    q = forms.CharField(
        label="Find a user",
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Username or email"}),
    )


class QuotaForm(Form):
    amount = forms.DecimalField(
        label="Quota",
        required=False,
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=3,
        help_text="Empty: the platform's default.",
    )
    unit = forms.ChoiceField(label="Unit", choices=[(unit, unit) for unit in UNITS], initial="GiB")

    def quota_bytes(self) -> int | None:
        amount = self.cleaned_data["amount"]
        if amount is None:
            return None
        return int(amount * UNITS[self.cleaned_data["unit"]])


class DataIdsField(forms.CharField):
    """Data file ids, separated by commas or spaces."""

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        text = super().to_python(value) or ""
        ids = []
        for part in text.replace(",", " ").split():
            if not part.isdigit() or len(part) > 18:
                raise forms.ValidationError(f"“{part}” is not a data file id.")
            ids.append(int(part))
        return sorted(set(ids))


class DataGroupForm(Form):
    name = forms.CharField(label="Name", max_length=255)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    file_ids = DataIdsField(
        label="Data file ids",
        required=False,
        help_text="Separated by commas or spaces. Files in a group count as used: a cleanup "
        "leaves them alone.",
    )


class IdsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        ids = []
        for part in value or []:
            if not str(part).isdigit() or len(str(part)) > 18:
                raise forms.ValidationError("Not a data file id.")
            ids.append(int(part))
        return sorted(set(ids))


class CleanupForm(Form):
    """The files of the preview that the host kept ticked. Whether each is still unused is
    the cleanup's own check when it runs."""

    ids = IdsField(error_messages={"required": "Tick at least one file to delete."})
