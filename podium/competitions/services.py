"""Use cases on competitions that are more than one field change."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from django.db import transaction
from django.db.models import ProtectedError

from podium.accounts.models import User
from podium.audit import services as audit
from podium.audit.models import Action
from podium.bundles.export import export_bundle
from podium.bundles.services import import_bundle
from podium.competitions.models import Competition, Phase, PhaseTask, Task
from podium.core.images import ImageRefused, check_image
from podium.datasets import services as datasets
from podium.datasets.models import Data
from podium.participation import services as participation
from podium_bundle.files import LOGO_LIMITS


def toggle_publish(competition: Competition, *, by: User | None = None) -> Competition:
    """Publishes an unpublished competition or unpublishes a published one.

    The row is locked while it flips, so two organizers clicking at once end in one
    well-defined state (each click flips once) rather than both writing the same value.
    """
    with transaction.atomic():
        current = Competition.objects.select_for_update().get(pk=competition.pk)
        current.published = not current.published
        current.save(update_fields=["published", "updated_at"])
        audit.record(
            actor=by,
            action=Action.COMPETITION_PUBLISH
            if current.published
            else Action.COMPETITION_UNPUBLISH,
            target=current,
            competition=current.pk,
        )
    competition.published = current.published
    return competition


def delete_competition(competition: Competition, *, by: User) -> None:
    """Deletes the competition with everything that belongs to it; its audit trail stays."""
    with transaction.atomic():
        audit.record(
            actor=by,
            action=Action.COMPETITION_DELETE,
            target=competition,
            competition=competition.pk,
            details={"title": competition.title},
        )
        competition.delete()


def delete_phase(phase: Phase, *, by: User) -> None:
    """Deletes the phase with its submissions."""
    with transaction.atomic():
        audit.record(
            actor=by,
            action=Action.PHASE_DELETE,
            target=phase,
            competition=phase.competition_id,
            details={"name": phase.name, "submissions": phase.submissions.count()},
        )
        phase.delete()


# Added for the organizers' pages (podium.manage): deleting only what is unpublished, a
# logo from an upload, and a competition cloned as a template.


class StillPublished(Exception):
    """A published competition is not deleted: participants may be using it."""


class TaskInUse(Exception):
    """A task that a phase runs, or that submissions were evaluated on, stays."""


def delete_task(task: Task, *, by: User) -> None:
    """Deletes a task that no phase runs and no submission was evaluated on (its data files
    stay, in their owner's files); TaskInUse says what still uses it. Who may call this
    (its creator, a platform admin) is the caller's check."""
    with transaction.atomic():
        audit.record(actor=by, action=Action.TASK_DELETE, target=task, details={"name": task.name})
        try:
            task.delete()
        except ProtectedError as exc:
            raise TaskInUse(_task_users(task, exc.protected_objects, by)) from None


def _task_users(task: Task, protecting: Iterable[object], by: User) -> str:
    """What keeps the task, in words: the phases that run it (named where `by` organizes
    their competition, counted otherwise: a shared task's creator learns nothing of other
    organizers' drafts), the submissions it scored."""
    rows = list(protecting)
    links = list(
        PhaseTask.objects.filter(
            pk__in=[row.pk for row in rows if isinstance(row, PhaseTask)]
        ).select_related("phase__competition")
    )
    named = sorted(
        f"{link.phase.name!r} of {link.phase.competition.title!r}"
        for link in links
        if link.phase.competition.is_organizer(by)
    )
    others = len(links) - len(named)
    evaluated = len(rows) - len(links)  # the rest are submissions evaluated on it
    uses = []
    if named:
        uses.append(f"{len(named)} phase(s) of yours run it ({', '.join(named)})")
    if others:
        uses.append(f"{others} phase(s) of other organizers' competitions run it")
    if evaluated:
        uses.append(f"{evaluated} submission(s) were evaluated on it")
    return f"task {task.name!r} is still in use: {'; '.join(uses)}"


def delete_unpublished(competition: Competition, *, by: User) -> None:
    """Deletes the competition like `delete_competition`, but only once it is unpublished.

    The row is locked while it is checked, so that a publish clicked at the same moment
    either lands first (and the delete is refused) or finds the competition gone.
    """
    with transaction.atomic():
        current = Competition.objects.select_for_update().filter(pk=competition.pk).first()
        if current is None:
            return
        if current.published:
            raise StillPublished(f"{current.title!r} is published: unpublish it before deleting it")
        delete_competition(current, by=by)


def set_logo(competition: Competition, *, by: User, stream: BinaryIO, name: str) -> Data:
    """Checks the image (the bundles' logo limits: format, bytes, pixels) and makes it the
    competition's logo, stored as `by`'s file. ImageRefused says what is wrong with it, and
    QuotaExceeded that it does not fit; either way nothing is stored. The old logo stays a
    file of its owner's, which the quota cleanup deletes once nothing uses it."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    try:
        check_image(stream, size=size, limits=LOGO_LIMITS)
    except ImageRefused as exc:
        raise ImageRefused(f"{name} {exc}") from None
    stream.seek(0)
    with transaction.atomic():
        logo = datasets.store(owner=by, kind=Data.Kind.LOGO, name=name, stream=stream)
        competition.logo = logo
        competition.save(update_fields=["logo", "updated_at"])
    return logo


def clone_competition(competition: Competition, *, by: User) -> Competition:
    """A new unpublished competition of `by` with the settings of `competition` and none of
    its participants or submissions: its bundle exported and imported again as `by`'s (so
    the copy holds exactly what a bundle holds, with tasks and files of its own), then its
    registration form and allow-list copied, and "(copy)" added to its title.

    All or nothing: BundleInvalid lists what the competition lacks to make a bundle (a
    logo, terms, a task in every phase, a leaderboard...) or what `by` may not use (a
    private queue), and nothing is created.
    """
    with tempfile.TemporaryDirectory(prefix="podium-clone-") as folder:
        archive = Path(folder) / "bundle.zip"
        export_bundle(competition, archive)
        with transaction.atomic():
            copy = import_bundle(source=archive, owner=by).competition
            copy.title = f"{competition.title} (copy)"[
                : Competition._meta.get_field("title").max_length
            ]
            copy.save(update_fields=["title", "updated_at"])
            questions = participation.questions_of(competition)
            if questions:
                participation.set_questions(copy, questions=questions)
            allowed = list(competition.registration_allow_list.values_list("value", flat=True))
            if allowed:
                participation.set_allow_list(copy, by=by, entries=allowed)
            # Filed under the competition copied: its programs and reference data went
            # to the copy's owner.
            audit.record(
                actor=by,
                action=Action.COMPETITION_CLONE,
                target=copy,
                competition=competition.pk,
                details={"from": competition.pk, "from_title": competition.title},
            )
    return copy


class CollaboratorsRefused(Exception):
    """Names that are no account, or the owner's own; `problems` says which, in words."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def set_collaborators(competition: Competition, *, names: Sequence[str], by: User) -> list[User]:
    """Makes the accounts named (each by username, or by the one account with that address)
    the competition's collaborators, in place of the ones it had; returns them. All or
    nothing: CollaboratorsRefused lists every name that is no account, or is the owner's
    (the owner organizes it anyway). Who may call this (its owner: collaborators organize
    but do not choose who else does) is the caller's check, as for deleting."""
    users: list[User] = []
    problems = []
    for name in dict.fromkeys(name.strip() for name in names if name.strip()):
        try:
            user = participation.find_user(name)
        except participation.UnknownUser as exc:
            problems.append(str(exc))
            continue
        if user.pk == competition.created_by_id:
            problems.append(f"{name} owns the competition: the owner organizes it already")
        elif user not in users:
            users.append(user)
    if problems:
        raise CollaboratorsRefused(problems)
    with transaction.atomic():
        before = sorted(competition.collaborators.values_list("username", flat=True))
        competition.collaborators.set(users)
        after = sorted(user.username for user in users)
        if after != before:  # who organizes a competition changed: audited
            audit.record(
                actor=by,
                action=Action.COLLABORATORS_UPDATE,
                target=competition,
                competition=competition.pk,
                details={"before": before, "after": after},
            )
    return users
