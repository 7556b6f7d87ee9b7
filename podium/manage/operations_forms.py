"""The forms of the organizers' operations pages. They parse and say what is missing; every
rule about what may be done stays in the services the views call."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from podium.competitions.models import Competition, Phase
from podium.messaging.services import BODY_MAX, SUBJECT_MAX
from podium.participation.models import Participant
from podium.queues.models import Queue
from podium_worker.protocol import Status


class Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def first_error(self) -> str:
        """The first problem, named by its field's label, for a flash message."""
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            return f"{label}: {errors[0]}" if label else str(errors[0])
        return ""


# Participants

DECISIONS = {
    "approve": Participant.Status.APPROVED,
    "deny": Participant.Status.DENIED,
    "revoke": Participant.Status.REVOKED,
}


class DecisionForm(Form):
    decision = forms.ChoiceField(choices=[(key, key) for key in DECISIONS])
    reason = forms.CharField(
        label="Reason", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") in ("deny", "revoke") and not data.get("reason", "").strip():
            self.add_error("reason", "Say why: the participant reads it.")
        return data

    def status(self) -> str:
        return DECISIONS[self.cleaned_data["decision"]]


class ParticipantFilterForm(Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *Participant.Status.choices],
    )

    def chosen(self) -> str:
        return self.cleaned_data.get("status", "") if self.is_valid() else ""


class Ids(forms.Field):
    """Ids of rows, from checkboxes; the view finds them among the rows it may change."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        try:
            ids = sorted({int(item) for item in values})
        except (TypeError, ValueError):
            raise forms.ValidationError("Expected ids of rows.") from None
        if any(pk < 1 or pk > 2**63 - 1 for pk in ids):
            raise forms.ValidationError("Expected ids of rows.")
        return ids


class BulkParticipantsForm(Form):
    action = forms.ChoiceField(choices=[("approve", "Approve")])
    participants = Ids(
        label="Registrations", error_messages={"required": "Select at least one registration."}
    )


class EmailForm(Form):
    subject = forms.CharField(label="Subject", max_length=SUBJECT_MAX)
    body = forms.CharField(
        label="Message",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Plain text. Each recipient gets their own email, with a link to stop "
        "emails like it.",
    )


AUDIENCES = [
    (Participant.Status.APPROVED.value, "Approved participants"),
    (Participant.Status.PENDING.value, "Pending registrations"),
    (Participant.Status.DENIED.value, "Denied registrations"),
    (Participant.Status.REVOKED.value, "Revoked participants"),
    ("any", "Everyone registered, whatever their status"),
]


class GroupEmailForm(EmailForm):
    field_order = ["audience", "phase", "subject", "body"]

    audience = forms.ChoiceField(label="To", choices=AUDIENCES, initial="approved")
    phase = forms.ModelChoiceField(
        label="Only those with a submission in",
        queryset=Phase.objects.none(),
        required=False,
        empty_label="Any phase (no filter)",
    )

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["phase"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = competition.phases.order_by("index", "pk")


# Submissions

SUBMISSION_ACTIONS = {
    "rerun": "Re-run",
    "cancel": "Cancel",
    "delete": "Delete",
    "add": "Add to the leaderboard",
    "remove": "Remove from the leaderboard",
    "public": "Make public",
    "private": "Make private",
}
# What a bulk action may be: making public is its owner's alone (lifecycle.set_public), so
# it is offered on the organizer's own rows only, never in bulk.
BULK_ACTIONS = ("rerun", "cancel", "add", "remove", "delete")


class SubmissionFilterForm(Form):
    phase = forms.TypedChoiceField(label="Phase", required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *((status.value, status.value) for status in Status)],
    )
    participant = forms.CharField(
        label="Participant",
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Username"}),
    )

    def __init__(self, *args: Any, phases: list[Phase], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["phase"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "Any phase"), *((phase.pk, phase.name) for phase in phases)]

    def criteria(self) -> dict[str, Any]:
        """The filters as given, with whatever did not validate left out."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "phase": data.get("phase"),
            "status": data.get("status") or "",
            "participant": (data.get("participant") or "").strip(),
        }


class SubmissionActionForm(Form):
    action = forms.ChoiceField(choices=list(SUBMISSION_ACTIONS.items()))


class BulkSubmissionsForm(Form):
    action = forms.ChoiceField(
        label="With the selected submissions",
        choices=[(key, SUBMISSION_ACTIONS[key]) for key in BULK_ACTIONS],
    )
    submissions = Ids(
        label="Submissions", error_messages={"required": "Select at least one submission."}
    )


# Queues


class QueueChoiceForm(Form):
    queue = forms.ModelChoiceField(
        label="Queue of this competition",
        queryset=Queue.objects.none(),
        required=False,
        empty_label="The platform's default queue",
    )

    def __init__(self, *args: Any, queues: QuerySet[Queue], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["queue"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queues
        field.error_messages["invalid_choice"] = "That queue does not exist or is not yours to use."
