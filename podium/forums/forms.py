"""The forum pages' forms. They only carry the text: what a title or a post may hold is
`rules.clean_title` and `rules.clean_content`, checked by the services, whose errors the
views put back on the field they name."""

from __future__ import annotations

from typing import Any

from django import forms

from podium.forums.models import TITLE_MAX, Forum
from podium.forums.rules import CONTENT_MAX

MARKDOWN_HELP = "Markdown: **bold**, *italic*, `code`, [links](https://example.org), lists."


class Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _content(label: str) -> forms.CharField:
    # The browser stops an empty or overlong post before it is sent; the service's rules
    # decide, and say why.
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        help_text=MARKDOWN_HELP,
        widget=forms.Textarea(attrs={"rows": 8, "required": True, "maxlength": CONTENT_MAX}),
    )


class ThreadForm(Form):
    title = forms.CharField(
        label="Title",
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"required": True, "maxlength": TITLE_MAX}),
    )
    content = _content("First post")


class PostForm(Form):
    content = _content("Your reply")


class EditForm(Form):
    content = _content("Post")


class SettingsForm(Form):
    readers = forms.ChoiceField(label="Who may read the forum", choices=Forum.Readers.choices)
    participants_may_post = forms.BooleanField(
        label="Approved participants may start threads and reply", required=False
    )
