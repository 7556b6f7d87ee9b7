"""The organization pages' forms: what the API's serializers take, as forms."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.validators import URLValidator, validate_email

from podium.accounts.models import WEB_URL
from podium.organizations.models import Membership, Organization
from podium.organizations.serializers import MAX_INVITES

GROUP_HELP = (
    "Owners change everything and delete the organization; managers change its details and "
    "its members; participants may also register and submit for it; members belong to it."
)


class OrganizationForm(forms.ModelForm[Organization]):
    # The API's limit on the description.
    description = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 4})
    )

    class Meta:
        model = Organization
        fields = ["name", "description", "website", "email"]
        labels = {"email": "Contact email"}
        help_texts = {
            "name": "Unique, ignoring case; shown on leaderboards.",
            "website": "An http or https address.",
            "email": "Shown to the organization's members only.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # Only web links: the form's own URL check would also take ftp: addresses.
        website = self.fields["website"]
        website.validators = [
            WEB_URL if isinstance(validator, URLValidator) else validator
            for validator in website.validators
        ]

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("This field is required.")
        return name

    # The service checks the name, ignoring case, with one message for the page and the API.
    def validate_unique(self) -> None:
        pass

    def validate_constraints(self) -> None:
        pass

    def fields_to_write(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class InviteForm(forms.Form):
    emails = forms.CharField(
        label="Email addresses",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "ana@example.org, ben@example.org"}),
        help_text=f"Separated by commas, spaces or lines; at most {MAX_INVITES} at a time.",
    )
    group = forms.ChoiceField(
        label="They join as",
        choices=Membership.Group.choices,
        initial=Membership.Group.MEMBER,
        help_text=GROUP_HELP,
    )

    def __init__(self, *args: Any, may_invite_owners: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if not may_invite_owners:
            # Shown choices only: the service refuses an owner invited by a manager.
            self.fields["group"].widget.choices = [
                choice for choice in Membership.Group.choices if choice[0] != Membership.Group.OWNER
            ]

    def clean_emails(self) -> list[str]:
        addresses = [part for part in re.split(r"[\s,;]+", self.cleaned_data["emails"]) if part]
        if not addresses:
            raise forms.ValidationError("Name at least one email address.")
        if len(addresses) > MAX_INVITES:
            raise forms.ValidationError(
                f"At most {MAX_INVITES} addresses at a time; this has {len(addresses)}."
            )
        wrong = []
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError:
                wrong.append(address)
        if wrong:
            raise forms.ValidationError(f"Not email addresses: {', '.join(wrong)}.")
        return addresses


class GroupForm(forms.Form):
    group = forms.ChoiceField(label="Group", choices=Membership.Group.choices)
