"""The accounts' forms: sign-up (allauth's, with the platform's terms to accept), and the
settings pages' profile, avatar, API token and account deletion forms."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from podium.accounts import avatars
from podium.accounts.models import Profile
from podium.accounts.serializers import MAX_AFFILIATIONS, PROFILE_FIELDS

# The API's limit on one affiliation (ProfileSerializer.affiliations).
MAX_AFFILIATION_LENGTH = 200


class SignupForm(AllauthSignupForm):  # type: ignore[misc]
    accept_terms = forms.BooleanField(
        required=True,
        label="I accept the platform's terms",
        error_messages={"required": "Accept the platform's terms to sign up."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.terms_url = settings.PLATFORM_TERMS_URL


class ProfileForm(forms.ModelForm[Profile]):
    """The public profile's fields; the page hands what it cleans to `update_profile`."""

    affiliations = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"One per line, at most {MAX_AFFILIATIONS}: institutions or companies.",
    )

    class Meta:
        model = Profile
        fields = [field for field in PROFILE_FIELDS if field != "affiliations"]
        labels = {
            "display_name": "Name",
            "website": "Website",
            "github": "GitHub",
            "orcid": "ORCID iD",
            "google_scholar": "Google Scholar",
            "linkedin": "LinkedIn",
        }
        help_texts = {
            "display_name": "Shown next to your username.",
            "website": "An http or https address.",
            "google_scholar": "The address of your Google Scholar profile.",
            "linkedin": "The address of your LinkedIn profile.",
        }
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 5}),
            "orcid": forms.TextInput(attrs={"placeholder": "0000-0002-1825-0097"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        instance = kwargs.get("instance")
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {"affiliations": "\n".join(instance.affiliations or [])}
        super().__init__(*args, **kwargs)

    def clean_affiliations(self) -> list[str]:
        names = [line.strip() for line in self.cleaned_data["affiliations"].splitlines()]
        names = [name for name in names if name]
        if len(names) > MAX_AFFILIATIONS:
            raise forms.ValidationError(
                f"At most {MAX_AFFILIATIONS} affiliations; this has {len(names)}."
            )
        for name in names:
            if len(name) > MAX_AFFILIATION_LENGTH:
                raise forms.ValidationError(
                    f"An affiliation has at most {MAX_AFFILIATION_LENGTH} characters: "
                    f"{name[:40]}... has {len(name)}."
                )
        return names

    def changes(self) -> dict[str, Any]:
        return {field: self.cleaned_data[field] for field in PROFILE_FIELDS}


class AvatarForm(forms.Form):
    avatar = forms.FileField(
        label="New picture",
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        limits = avatars.limits()
        pixels = limits.pixels_text()
        if not pixels.endswith("pixels"):
            pixels += " pixels"
        self.fields["avatar"].help_text = (
            f"{limits.formats_text()}, at most {filesizeformat(limits.max_bytes)} and "
            f"{pixels}. It is stored at most {avatars.AVATAR_SIDE} pixels "
            "a side, without its metadata (a photo's location, say)."
        )
        self.fields["avatar"].widget.attrs["data-max-bytes"] = str(limits.max_bytes)


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the token is for (a machine, a script), to tell it apart later.",
    )
    expires_in_days = forms.TypedChoiceField(
        label="Expires",
        choices=[
            ("7", "in 7 days"),
            ("30", "in 30 days"),
            ("90", "in 90 days"),
            ("365", "in a year"),
            ("", "never"),
        ],
        coerce=int,
        empty_value=None,
        required=False,
        initial="90",
        help_text="A token that expires cannot be used for long by whoever finds it.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    understood = forms.BooleanField(
        label="I understand that this cannot be undone",
        error_messages={"required": "Tick the box to confirm that you want to delete it."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
