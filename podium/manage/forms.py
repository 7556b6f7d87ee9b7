"""The organizers' forms: what the pages ask and how they parse it.

The forms parse and nothing more. What a competition, a phase, a task or a leaderboard may
be is the API's serializers' and the services' to say (`save_through` hands a form's data to
a serializer and puts its refusals back on the form's fields), so that the pages and the API
accept and refuse exactly the same things.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, cast

from django import forms
from django.db import models
from django.db.models import Q, QuerySet
from rest_framework import serializers

from podium.accounts.models import User
from podium.competitions.models import Competition, Phase, PhaseTask, Task
from podium.datasets.models import Data
from podium.datasets.serializers import UPLOADABLE_KINDS
from podium.leaderboards.models import Column, Leaderboard
from podium.participation import rules as registration
from podium.queues.models import Queue
from podium_bundle.spec import FLAGS as BUNDLE_FLAGS
from podium_worker.protocol import METRIC_KEYS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format=DATETIME_FORMAT)


def moment(label: str, *, required: bool, help_text: str = "") -> forms.DateTimeField:
    """A date and time, in UTC (TIME_ZONE is UTC: what the browser's picker gives is read
    as UTC, and shown back so)."""
    return forms.DateTimeField(
        label=f"{label} (UTC)", required=required, widget=DateTimeInput(), help_text=help_text
    )


class Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def lines_of(text: str) -> list[str]:
    """The lines of `text` that say something, stripped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class LinesField(forms.CharField):
    """A text area of entries, one a line; cleaned, the list of them."""

    widget = forms.Textarea(attrs={"rows": 4})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        return lines_of(super().to_python(value) or "")

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(initial) != self.to_python(data)


def messages_of(detail: Any) -> Iterator[str]:
    """Every message in a serializer's error detail (strings, lists, nested dicts)."""
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            for message in messages_of(value):
                yield message if key == "non_field_errors" else f"{key}: {message}"
    elif isinstance(detail, list | tuple):
        for value in detail:
            yield from messages_of(value)
    else:
        yield str(detail)


def put_errors(
    form: forms.BaseForm, errors: Mapping[str, Any], renamed: Mapping[str, str] | None = None
) -> None:
    """A serializer's (or a service's) errors on the form: on the field of the same name
    (or its `renamed` one), or on the whole form."""
    for name, detail in errors.items():
        field = (renamed or {}).get(name, name)
        target = field if field in form.fields else None
        for message in messages_of(detail):
            form.add_error(
                target, message if target or name == "non_field_errors" else f"{name}: {message}"
            )


def save_through(
    serializer: serializers.BaseSerializer[Any], form: forms.BaseForm, **extra: Any
) -> Any:
    """Validates with the API's serializer and saves; None (with the errors on `form`) when
    the serializer refuses."""
    if not serializer.is_valid():
        put_errors(form, cast(Mapping[str, Any], serializer.errors))
        return None
    return serializer.save(**extra)


def primary_keys(values: Iterable[Any]) -> list[int]:
    return [value.pk for value in values]


# A competition


# The bundle format's switches, but registration's, which has a step of its own.
FLAGS = tuple(name for name in BUNDLE_FLAGS if name != "registration_auto_approve")
FLAG_LABELS = {
    "make_programs_available": "Participants may download the ingestion and scoring programs",
    "make_input_data_available": "Participants may download the input data",
    "enable_detailed_results": "Keep and show the scoring program's detailed_results.html",
    "show_detailed_results_in_submission_panel": "Show detailed results on the submission's page",
    "show_detailed_results_in_leaderboard": "Show detailed results from the leaderboard",
    "auto_run_submissions": "Run submissions as they arrive (else an organizer starts each)",
    "can_participants_make_submissions_public": "Participants may make their submissions public",
    "forum_enabled": "Open a forum for the competition",
}
DETAIL_FIELDS = (
    "title",
    "description",
    "terms",
    "contact_email",
    "reward",
    "competition_type",
    "docker_image",
    "queue",
    "max_team_size",
    *FLAGS,
)


def model_default(name: str) -> Any:
    field = Competition._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.get_default()


class DetailsForm(Form):
    title = forms.CharField(max_length=256)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One or two sentences, shown in the competition list.",
    )
    logo = forms.FileField(
        required=False,
        help_text="PNG, JPEG, GIF or WebP, at most 2 MiB and 4096x4096 pixels.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}
        ),
    )
    terms = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="The end-user agreement participants accept when they register (Markdown or "
        "HTML). A bundle export and a clone need it.",
    )
    contact_email = forms.EmailField(required=False, label="Contact email")
    reward = forms.CharField(max_length=500, required=False)
    competition_type = forms.ChoiceField(label="Type", choices=Competition.Type.choices)
    docker_image = forms.CharField(
        max_length=256,
        label="Docker image",
        initial=model_default("docker_image"),
        help_text="The environment the programs run in, where workers run containers.",
    )
    queue = forms.ModelChoiceField(
        queryset=Queue.objects.none(),
        required=False,
        empty_label="The platform's default queue",
        help_text="Which compute workers run the submissions.",
    )
    max_team_size = forms.IntegerField(
        required=False,
        min_value=1,
        label="Largest team",
        help_text="Most members of an organization submitting as a team; empty for no limit.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = Queue.objects.visible_to(user).order_by("name", "pk")  # type: ignore[attr-defined]
        for flag in FLAGS:
            self.fields[flag] = forms.BooleanField(required=False, label=FLAG_LABELS[flag])
        if not self.is_bound and "initial" not in kwargs:
            for flag in FLAGS:
                self.fields[flag].initial = model_default(flag)

    @staticmethod
    def initial_for(competition: Competition) -> dict[str, Any]:
        initial = {name: getattr(competition, name) for name in DETAIL_FIELDS}
        initial["queue"] = competition.queue_id
        return initial

    def flags(self) -> list[forms.BoundField]:
        return [self[flag] for flag in FLAGS]

    def payload(self) -> dict[str, Any]:
        """What the competitions API's serializer takes."""
        data = {name: self.cleaned_data[name] for name in DETAIL_FIELDS}
        data["queue"] = data["queue"].pk if data["queue"] is not None else None
        return data


class RowsFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    """A formset whose rows read well: "Position" and "Remove" rather than Order and Delete."""

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        form.label_suffix = ""
        if "ORDER" in form.fields:
            form.fields["ORDER"].label = "Position"
            form.fields["ORDER"].required = False
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove"


class PageForm(Form):
    title = forms.CharField(max_length=256)
    content = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Markdown or HTML; scripts and event handlers are removed when shown.",
    )


PageFormSet = forms.formset_factory(
    PageForm, extra=1, can_delete=True, can_order=True, formset=RowsFormSet
)


def page_payload(formset: forms.BaseFormSet[PageForm]) -> list[dict[str, Any]]:
    """The pages to keep, in the order asked, without the blank extra rows."""
    return [
        {
            "index": index,
            "title": form.cleaned_data["title"],
            "content": form.cleaned_data["content"],
        }
        for index, form in enumerate(formset.ordered_forms)
    ]


# Files a phase or a task points at: one chosen among the files one may use, or one uploaded.


class FileSlots(Form):
    """Fields in pairs: `<slot>` chooses among the files of its kind the user may use (their
    own and public ones, as the API's serializers allow), `<slot>_upload` uploads a new one."""

    SLOTS: dict[str, tuple[str, str]] = {}  # slot: (kind, label)
    REQUIRED: tuple[str, ...] = ()

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for slot, (kind, label) in self.SLOTS.items():
            choices = Data.objects.visible_to(user).filter(kind=kind, upload_completed=True)
            self.fields[slot] = forms.ModelChoiceField(
                queryset=choices.order_by("-pk"),
                required=False,
                label=label,
                empty_label="None" if slot not in self.REQUIRED else "Choose a file, or upload one",
            )
            self.fields[f"{slot}_upload"] = forms.FileField(
                required=False,
                label=f"or upload a new {label.lower()}",
                help_text="A zip of the folder." if kind != Data.Kind.PUBLIC_DATA else "",
            )

    def slots(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (label, self[slot], self[f"{slot}_upload"]) for slot, (_, label) in self.SLOTS.items()
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for slot, (_, label) in self.SLOTS.items():
            chosen, upload = cleaned.get(slot), cleaned.get(f"{slot}_upload")
            if chosen is not None and upload:
                self.add_error(
                    f"{slot}_upload", f"Choose a {label.lower()} or upload one, not both."
                )
            elif (
                slot in self.REQUIRED and chosen is None and not upload and slot not in self.errors
            ):
                self.add_error(slot, f"A task needs a {label.lower()}: choose one or upload one.")
        return cleaned

    def uploads(self) -> dict[str, tuple[str, Any]]:
        """slot: (kind, uploaded file) for each file uploaded."""
        return {
            slot: (kind, self.cleaned_data[f"{slot}_upload"])
            for slot, (kind, _) in self.SLOTS.items()
            if self.cleaned_data.get(f"{slot}_upload")
        }

    def chosen_files(self) -> dict[str, int | None]:
        return {
            slot: chosen.pk if (chosen := self.cleaned_data.get(slot)) is not None else None
            for slot in self.SLOTS
        }


# Phases


class PhaseForm(FileSlots):
    SLOTS = {
        "starting_kit": (Data.Kind.STARTING_KIT, "Starting kit"),
        "public_data": (Data.Kind.PUBLIC_DATA, "Public data"),
    }

    name = forms.CharField(max_length=256)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    start = moment("Start", required=True)
    end = moment(
        "End", required=False, help_text="Empty: the phase never ends (the last one only)."
    )
    index = forms.IntegerField(
        min_value=0, required=False, label="Position", help_text="Phases run in this order."
    )
    tasks = forms.ModelMultipleChoiceField(
        queryset=Task.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="What each submission of this phase is evaluated on.",
    )
    leaderboard = forms.ModelChoiceField(
        queryset=Leaderboard.objects.none(), required=False, empty_label="None yet"
    )
    max_submissions = forms.IntegerField(
        min_value=1,
        required=False,
        label="Submissions per participant",
        help_text="Empty: unlimited.",
    )
    max_submissions_per_day = forms.IntegerField(
        min_value=1,
        required=False,
        label="Submissions per participant and day",
        help_text="Empty: unlimited.",
    )
    execution_time_limit = forms.IntegerField(
        min_value=1, initial=600, label="Time limit per run (seconds)"
    )
    auto_migrate_to_this_phase = forms.BooleanField(
        required=False, label="Carry the previous phase's entries over when this phase starts"
    )
    hide_output = forms.BooleanField(
        required=False, label="Hide the output of the runs from participants"
    )
    hide_prediction_output = forms.BooleanField(
        required=False, label="Hide the prediction step's output"
    )
    hide_score_output = forms.BooleanField(required=False, label="Hide the scoring step's output")

    FIELDS = (
        "name",
        "description",
        "start",
        "end",
        "index",
        "max_submissions",
        "max_submissions_per_day",
        "execution_time_limit",
        "auto_migrate_to_this_phase",
        "hide_output",
        "hide_prediction_output",
        "hide_score_output",
    )

    def __init__(self, *args: Any, user: User, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["tasks"].queryset = usable_tasks(user, competition)  # type: ignore[attr-defined]
        self.fields["leaderboard"].queryset = competition.leaderboards.order_by("index", "pk")  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, phase: Phase) -> dict[str, Any]:
        initial = {name: getattr(phase, name) for name in cls.FIELDS}
        initial.update(
            tasks=[link.task_id for link in phase.phase_tasks.order_by("index")],
            leaderboard=phase.leaderboard_id,
            starting_kit=phase.starting_kit_id,
            public_data=phase.public_data_id,
        )
        return initial

    def payload(
        self, competition: Competition, phase: Phase | None, files: Mapping[str, int | None]
    ) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.FIELDS}
        if data["index"] is None:
            data["index"] = (
                phase.index if phase is not None else next_index(competition.phases.all())
            )
        chosen = list(self.cleaned_data["tasks"])
        before = [link.task_id for link in phase.phase_tasks.order_by("index")] if phase else []
        # Tasks kept where they were, new ones after them.
        ordered = [pk for pk in before if pk in {task.pk for task in chosen}]
        ordered += [task.pk for task in chosen if task.pk not in ordered]
        leaderboard = self.cleaned_data["leaderboard"]
        data.update(
            competition=competition.pk,
            tasks=ordered,
            leaderboard=leaderboard.pk if leaderboard is not None else None,
            **files,
        )
        return data


def next_index(rows: QuerySet[Any]) -> int:
    last = rows.order_by("-index").values_list("index", flat=True).first()
    return 0 if last is None else last + 1


def usable_tasks(user: User, competition: Competition) -> QuerySet[Task]:
    """Tasks a phase of `competition` may run: the ones its phases run already and the
    user's own, among those the API lets the user name (`visible_to`)."""
    here = PhaseTask.objects.filter(phase__competition=competition).values("task_id")
    return Task.objects.visible_to(user).filter(Q(created_by=user) | Q(pk__in=here)).order_by("-pk")


# Tasks


class TaskForm(FileSlots):
    SLOTS = {
        "scoring_program": (Data.Kind.SCORING_PROGRAM, "Scoring program"),
        "reference_data": (Data.Kind.REFERENCE_DATA, "Reference data"),
        "ingestion_program": (Data.Kind.INGESTION_PROGRAM, "Ingestion program"),
        "input_data": (Data.Kind.INPUT_DATA, "Input data"),
    }
    REQUIRED = ("scoring_program",)

    name = forms.CharField(max_length=256)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    ingestion_only_during_scoring = forms.BooleanField(
        required=False,
        label="Run the ingestion program during scoring (they talk through /app/shared)",
    )
    is_public = forms.BooleanField(required=False, label="Other organizers may reuse this task")
    phases = forms.ModelMultipleChoiceField(
        queryset=Phase.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Phases that run this task",
    )

    FIELDS = ("name", "description", "ingestion_only_during_scoring", "is_public")

    def __init__(self, *args: Any, user: User, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["phases"].queryset = competition.phases.order_by("index", "pk")  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, task: Task, competition: Competition) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(task, name) for name in cls.FIELDS}
        initial.update({slot: getattr(task, f"{slot}_id") for slot in cls.SLOTS})
        initial["phases"] = list(
            competition.phases.filter(phase_tasks__task=task).values_list("pk", flat=True)
        )
        return initial

    def payload(self, files: Mapping[str, int | None]) -> dict[str, Any]:
        return {**{name: self.cleaned_data[name] for name in self.FIELDS}, **files}


# Leaderboards


def reserved_keys() -> list[tuple[str, str]]:
    """The worker's measurements a column may show, with what they are."""
    names = {
        "wall_time": "wall time (s)",
        "cpu_time": "CPU time (s)",
        "peak_memory": "peak memory",
        "gpu_time": "GPU time (s)",
        "gpu_peak_memory": "GPU peak memory",
    }
    found = []
    for key in sorted(METRIC_KEYS):
        step, measure = key.removeprefix("podium:").split(".")
        found.append((key, f"{step.capitalize()} step: {names.get(measure, measure)}"))
    found.append(("podium:custom.NAME", "A metric organizers post (FLOPs, parameters...)"))
    return found


class LeaderboardForm(Form):
    title = forms.CharField(max_length=256)
    key = forms.CharField(
        max_length=100, help_text="Unique in the competition; bundles and the API name it so."
    )
    index = forms.IntegerField(min_value=0, required=False, label="Position")
    submission_rule = forms.ChoiceField(
        choices=Leaderboard.Rule.choices,
        initial=Leaderboard.Rule.ADD,
        help_text="Add*: participants choose their entries; Force_*: the server does "
        "(their last, latest or best submissions).",
    )
    primary_index = forms.IntegerField(
        initial=0, label="Ranking column", help_text="The index of the column that ranks first."
    )
    hidden = forms.BooleanField(required=False, label="Hidden: shown to the organizers only")
    anonymous = forms.BooleanField(
        required=False, label="Anonymous: participants' names are shown to the organizers only"
    )
    release_date = moment(
        "Release date", required=False, help_text="Before it only the organizers see the scores."
    )
    frontier_score = forms.CharField(
        max_length=100, required=False, label="Efficiency frontier: score column (key)"
    )
    frontier_cost = forms.CharField(
        max_length=100,
        required=False,
        label="Efficiency frontier: cost column (key)",
        help_text="e.g. podium:prediction.wall_time; both or neither.",
    )
    phases = forms.ModelMultipleChoiceField(
        queryset=Phase.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Phases ranked on this leaderboard",
    )

    FIELDS = (
        "title",
        "key",
        "index",
        "submission_rule",
        "primary_index",
        "hidden",
        "anonymous",
        "release_date",
    )

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phases"].queryset = competition.phases.order_by("index", "pk")  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, board: Leaderboard) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(board, name) for name in cls.FIELDS}
        initial.update(
            frontier_score=board.frontier_score,
            frontier_cost=board.frontier_cost,
            phases=list(board.phases.values_list("pk", flat=True)),
        )
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if bool(cleaned.get("frontier_score")) != bool(cleaned.get("frontier_cost")):
            self.add_error("frontier_cost", "Name both columns of the frontier, or neither.")
        return cleaned

    def payload(
        self, competition: Competition, board: Leaderboard | None, columns: list[dict[str, Any]]
    ) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.FIELDS}
        if data["index"] is None:
            data["index"] = (
                board.index if board is not None else next_index(competition.leaderboards.all())
            )
        score, cost = self.cleaned_data["frontier_score"], self.cleaned_data["frontier_cost"]
        data.update(
            competition=competition.pk,
            frontier={"score": score, "cost": cost} if score and cost else None,
            phases=primary_keys(self.cleaned_data["phases"]),
            columns=columns,
        )
        return data


class ColumnForm(Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    index = forms.IntegerField()
    title = forms.CharField(max_length=256)
    key = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"list": "reserved-keys"}))
    sorting = forms.ChoiceField(
        choices=[("desc", "Higher is better"), ("asc", "Lower is better")], initial="desc"
    )
    computation = forms.ChoiceField(
        required=False,
        choices=[("", "None: a score"), *Column.Computation.choices],
        label="Computed as",
    )
    computation_indexes = forms.CharField(
        required=False,
        label="Of the columns",
        widget=forms.TextInput(attrs={"placeholder": "e.g. 0, 1"}),
    )
    precision = forms.IntegerField(min_value=0, max_value=20, initial=2, label="Decimals")
    hidden = forms.BooleanField(required=False, label="Hidden")

    FIELDS = ("index", "title", "key", "sorting", "computation", "precision", "hidden")

    @classmethod
    def initial_for(cls, column: Column) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(column, name) for name in cls.FIELDS}
        initial["id"] = column.pk
        initial["computation_indexes"] = ", ".join(str(i) for i in column.computation_indexes or [])
        return initial

    def clean_computation_indexes(self) -> list[int] | None:
        raw = self.cleaned_data["computation_indexes"].replace(";", ",")
        parts = [part.strip() for part in raw.split(",") if part.strip()]
        try:
            return [int(part) for part in parts] or None
        except ValueError:
            raise forms.ValidationError("Column indexes separated by commas, e.g. 0, 1.") from None

    def payload(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.FIELDS}
        data["computation_indexes"] = self.cleaned_data["computation_indexes"]
        if self.cleaned_data.get("id"):
            data["id"] = self.cleaned_data["id"]
        return data


ColumnFormSet = forms.formset_factory(ColumnForm, extra=1, can_delete=True, formset=RowsFormSet)


def kept_forms(formset: forms.BaseFormSet[Any]) -> list[Any]:
    """The rows to keep: the existing ones and those filled in, unless marked for deletion."""
    return [
        form
        for form in formset.forms
        if (form.initial or form.has_changed()) and not form.cleaned_data.get("DELETE")
    ]


# The fact sheet


class FactSheetQuestionForm(Form):
    key = forms.CharField(max_length=100, help_text="Answers are stored under it.")
    title = forms.CharField(max_length=256, label="Question")
    # Selects start on their first choice: a blank row left alone is then unchanged.
    type = forms.ChoiceField(
        choices=[("text", "Text"), ("checkbox", "Checkbox"), ("select", "One of a list")],
        initial="text",
    )
    selection = forms.CharField(
        required=False, label="Options", help_text="For a list: the options, separated by commas."
    )
    is_required = forms.BooleanField(required=False, label="Required")
    is_on_leaderboard = forms.BooleanField(required=False, label="Shown on the leaderboard")

    @staticmethod
    def initial_for(question: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "key": question.get("key", ""),
            "title": question.get("title", ""),
            "type": question.get("type", "text"),
            "selection": ", ".join(str(option) for option in question.get("selection") or []),
            "is_required": bool(question.get("is_required")),
            "is_on_leaderboard": bool(question.get("is_on_leaderboard")),
        }

    def raw(self) -> dict[str, Any]:
        """The question as a bundle writes it, for the bundle format's own check."""
        data = self.cleaned_data
        options = [part.strip() for part in data["selection"].split(",") if part.strip()]
        return {
            "key": data["key"],
            "title": data["title"],
            "type": data["type"],
            "selection": options if data["type"] == "select" else None,
            "is_required": data["is_required"],
            "is_on_leaderboard": data["is_on_leaderboard"],
        }


FactSheetFormSet = forms.formset_factory(
    FactSheetQuestionForm, extra=1, can_delete=True, formset=RowsFormSet
)


# Registration


class RegistrationForm(Form):
    registration_auto_approve = forms.BooleanField(
        required=False, label="Approve registrations at once (else an organizer decides each)"
    )
    allow_list = LinesField(
        label="Approved at once",
        help_text="One address (ada@example.org) or domain (example.org) per line: users "
        "with a verified address there are approved as soon as they register.",
    )


class RegistrationQuestionForm(Form):
    key = forms.CharField(max_length=50, help_text="Lowercase letters, digits and _.")
    label = forms.CharField(max_length=500, label="Question")
    kind = forms.ChoiceField(
        choices=[
            ("text", "Short text"),
            ("long_text", "Long text"),
            ("single_choice", "One choice"),
            ("multiple_choice", "Several choices"),
            ("checkbox", "Checkbox"),
        ],
        initial="text",
    )
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For choice questions: one choice per line.",
    )
    help_text = forms.CharField(required=False, max_length=2000, label="Help")
    required = forms.BooleanField(required=False)

    @staticmethod
    def initial_for(question: registration.Question) -> dict[str, Any]:
        return {
            "key": question.key,
            "label": question.label,
            "kind": question.kind,
            "choices": "\n".join(question.choices),
            "help_text": question.help_text,
            "required": question.required,
        }

    def question(self) -> registration.Question:
        data = self.cleaned_data
        return registration.Question(
            key=data["key"],
            label=data["label"],
            kind=data["kind"],
            required=data["required"],
            choices=tuple(lines_of(data["choices"])),
            help_text=data["help_text"],
        )


RegistrationQuestionFormSet = forms.formset_factory(
    RegistrationQuestionForm, formset=RowsFormSet, extra=1, can_delete=True, can_order=True
)


class CollaboratorsForm(Form):
    names = LinesField(
        label="Collaborators",
        help_text="One username or email address per line. Collaborators change every "
        "setting and run the competition with you; only you may delete it or change this list.",
    )


# Bundles and files


class BundleForm(Form):
    file = forms.FileField(
        label="Bundle",
        help_text="A zip with competition.yaml at its root (Codabench version 2, or CodaLab 1.5).",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )


class DataUploadForm(Form):
    kind = forms.ChoiceField(choices=[(kind.value, kind.label) for kind in UPLOADABLE_KINDS])
    file = forms.FileField(help_text="A program or a data folder goes up as a zip.")
    name = forms.CharField(max_length=255, required=False, help_text="Empty: the file's name.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    is_public = forms.BooleanField(required=False, label="Other organizers may use it")
