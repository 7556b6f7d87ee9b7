"""The sign-up form: allauth's, with the platform's terms to accept."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings


class SignupForm(AllauthSignupForm):  # type: ignore[misc]
    accept_terms = forms.BooleanField(
        required=True,
        label="I accept the platform's terms",
        error_messages={"required": "Accept the platform's terms to sign up."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.terms_url = settings.PLATFORM_TERMS_URL
