"""The competition list's search form: every field optional, anything unknown ignored."""

from __future__ import annotations

from typing import Any

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
