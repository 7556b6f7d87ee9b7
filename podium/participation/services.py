"""Registration: applying (the terms, the form), the organizers' decisions, adding and
removing participants, and each competition's registration settings (its form, its
allow-list, the keys that read its applicants).

Every change of a registration emails its participant, and a new pending request is noted
for the organizers' digests (`notices`), in the transaction of the change.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from podium.accounts.models import User
from podium.audit import services as audit
from podium.audit.models import Action
from podium.competitions.models import Competition
from podium.participation import notices, rules
from podium.participation.models import (
    AllowedEmail,
    ApplicantsKey,
    Application,
    Participant,
    Question,
)
from podium.submissions.models import Submission

KEY_PREFIX = "pdk_"


class RegistrationError(Exception):
    """A registration, or a decision on one, that the current state does not allow."""


class NotAllowed(RegistrationError):
    """The caller may see the registration but not do this to it."""


class FormInvalid(RegistrationError):
    """Answers that do not fit the registration form, with the messages per question."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors = dict(errors)
        summary = "; ".join(f"{key}: {' '.join(messages)}" for key, messages in errors.items())
        super().__init__(f"the registration form is not answered right: {summary}")


class TermsNotAccepted(RegistrationError):
    """The competition has terms and the applicant did not accept them (this version)."""


class SettingsInvalid(RegistrationError):
    """A registration form or an allow-list that cannot be saved; `errors` by position."""

    def __init__(self, errors: dict[int, Any]) -> None:
        self.errors = errors
        super().__init__(f"invalid entries at positions {sorted(errors)}")


class UnknownUser(RegistrationError):
    """No account, or more than one, answers to the name an organizer gave."""


# Registering


def questions_of(competition: Competition) -> list[rules.Question]:
    return [row.as_rule() for row in competition.registration_questions.order_by("index", "pk")]


def _checked_answers(questions: Sequence[rules.Question], answers: object) -> dict[str, Any]:
    try:
        return rules.check_answers(questions, answers)
    except rules.AnswersInvalid as exc:
        raise FormInvalid(exc.errors) from None


def _accepted_terms(
    competition: Competition, *, accept_terms: bool, terms_sha256: str | None
) -> tuple[str, datetime | None]:
    """The fingerprint of the terms accepted and when; nothing when there are no terms."""
    if not competition.terms.strip():
        return "", None
    current = rules.terms_sha256(competition.terms)
    if not accept_terms:
        raise TermsNotAccepted(
            "this competition has terms: read them and accept them (accept_terms: true)"
        )
    if terms_sha256 and terms_sha256.lower() != current:
        raise TermsNotAccepted(
            "the terms changed since you read them: read them again and accept this "
            f"version ({current})"
        )
    return current, timezone.now()


def verified_addresses(user: User) -> list[str]:
    """The addresses an allow-list may match: the verified ones where accounts verify email
    (django-allauth's EmailAddress), the account's address otherwise."""
    if apps.is_installed("allauth.account"):
        addresses = apps.get_model("account", "EmailAddress").objects.filter(
            user=user, verified=True
        )
        return [str(address) for address in addresses.values_list("email", flat=True)]
    return [user.email] if user.email else []


def _approving_rule(competition: Competition, user: User) -> str:
    """Why the request is approved without an organizer, or "" when they decide."""
    if competition.registration_auto_approve:
        return "auto-approve"
    entries = list(competition.registration_allow_list.values_list("value", flat=True))
    if not entries:
        return ""
    for address in verified_addresses(user):
        entry = rules.allowed(address, entries)
        if entry is not None:
            return f"allow-list: {entry}"
    return ""


def apply(
    *,
    user: User,
    competition: Competition,
    accept_terms: bool,
    answers: object = None,
    terms_sha256: str | None = None,
) -> tuple[Participant, bool]:
    """Registers `user`, or applies again after a denial; returns the registration and
    whether it is new.

    The terms, when the competition has some, must be accepted (this version, when the
    applicant names one); the answers must fit the registration form. The request is
    approved at once when the competition auto-approves or the user's address is on its
    allow-list, and pending otherwise. Registering again returns a pending or approved
    registration unchanged; a revoked participant is refused with the organizers' reason.
    """
    if not competition.published and not competition.is_organizer(user):
        raise RegistrationError("this competition is not published")
    existing = Participant.objects.filter(user=user, competition=competition).first()
    if existing is not None and existing.status != Participant.Status.DENIED:
        _refuse_if_revoked(existing)
        return existing, False
    questions = questions_of(competition)
    kept = _checked_answers(questions, answers)
    terms = _accepted_terms(competition, accept_terms=accept_terms, terms_sha256=terms_sha256)
    rule = _approving_rule(competition, user)
    try:
        with transaction.atomic():
            participant, created = _new_application(
                user, competition, existing, questions, kept, terms, rule
            )
    except IntegrityError:
        # Someone registered the same user a moment ago (a double click): theirs stands.
        return Participant.objects.get(user=user, competition=competition), False
    return participant, created


def _refuse_if_revoked(participant: Participant) -> None:
    if participant.status == Participant.Status.REVOKED:
        raise RegistrationError(
            "your participation was revoked by the organizers: " + participant.reason
        )


def _new_application(
    user: User,
    competition: Competition,
    existing: Participant | None,
    questions: Sequence[rules.Question],
    answers: dict[str, Any],
    terms: tuple[str, datetime | None],
    rule: str,
) -> tuple[Participant, bool]:
    status = Participant.Status.APPROVED if rule else Participant.Status.PENDING
    decided_at = timezone.now() if rule else None
    if existing is None:
        participant = Participant.objects.create(
            user=user, competition=competition, status=status, decided_at=decided_at
        )
        number = 1
    else:
        # Locked and read again: two re-applications at once make one application.
        participant = Participant.objects.select_for_update().get(pk=existing.pk)
        if participant.status != Participant.Status.DENIED:
            return participant, False
        participant.status, participant.reason = status, ""
        participant.decided_by, participant.decided_at = None, decided_at
        participant.save(
            update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"]
        )
        number = (participant.applications.aggregate(last=Max("number"))["last"] or 0) + 1
    application = Application.objects.create(
        participant=participant,
        number=number,
        questions=[question.as_json() for question in questions],
        answers=answers,
        terms_sha256=terms[0],
        terms_accepted_at=terms[1],
        status=status,
        decided_at=decided_at,
        approved_by_rule=rule,
    )
    if rule:
        note = " (automatically)" if rule == "auto-approve" else " (your address is on the list)"
        notices.tell_participant(participant, "approved", note=note)
    else:
        notices.tell_participant(participant, "pending")
        notices.note_request(application)
    return participant, existing is None


def register(*, user: User, competition: Competition) -> Participant:
    """The seed's one-call registration (`POST /api/competitions/{id}/register/`, which
    takes no body): calling it accepts the competition's terms, as on Codabench. A
    competition whose form has required questions refuses it, naming them; the
    participants API (`POST /api/participants/`) takes answers and asks for acceptance."""
    participant, _ = apply(user=user, competition=competition, accept_terms=True)
    return participant


def change_answers(
    participant: Participant,
    *,
    by: User,
    answers: object,
    accept_terms: bool = False,
    terms_sha256: str | None = None,
) -> Participant:
    """The participant corrects their answers: in place while the request is pending, as a
    new application (pending again, or approved by a rule) once it was denied."""
    if by.pk != participant.user_id:
        raise NotAllowed("only the participant changes their answers")
    if participant.status == Participant.Status.DENIED:
        applied, _ = apply(
            user=by,
            competition=participant.competition,
            accept_terms=accept_terms,
            answers=answers,
            terms_sha256=terms_sha256,
        )
        return applied
    if participant.status != Participant.Status.PENDING:
        raise RegistrationError(
            f"this registration is {participant.status}: answers change only while it is "
            "pending, or after it was denied"
        )
    questions = questions_of(participant.competition)
    kept = _checked_answers(questions, answers)
    application = participant.latest_application()
    terms: tuple[str, datetime | None] = (
        (application.terms_sha256, application.terms_accepted_at)
        if application is not None
        else ("", None)
    )
    current = rules.terms_sha256(participant.competition.terms)
    if participant.competition.terms.strip() and (accept_terms or terms[0] != current):
        terms = _accepted_terms(
            participant.competition, accept_terms=accept_terms, terms_sha256=terms_sha256
        )
    with transaction.atomic():
        if application is None:
            Application.objects.create(
                participant=participant,
                number=1,
                questions=[question.as_json() for question in questions],
                answers=kept,
                terms_sha256=terms[0],
                terms_accepted_at=terms[1],
            )
        else:
            application.questions = [question.as_json() for question in questions]
            application.answers = kept
            application.terms_sha256, application.terms_accepted_at = terms
            application.save()
    return participant


# The organizers' decisions

DECISIONS = {
    Participant.Status.APPROVED: Action.PARTICIPANT_APPROVE,
    Participant.Status.DENIED: Action.PARTICIPANT_DENY,
    Participant.Status.REVOKED: Action.PARTICIPANT_REVOKE,
}


def _decide(participant: Participant, *, by: User, status: str, reason: str) -> Participant:
    participant.status = status
    participant.reason = reason
    participant.decided_by = by
    participant.decided_at = timezone.now()
    with transaction.atomic():
        participant.save(
            update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"]
        )
        latest = participant.applications.order_by("-number").values_list("pk", flat=True)
        Application.objects.filter(pk__in=list(latest[:1])).update(
            status=status,
            reason=reason,
            decided_by=by,
            decided_at=participant.decided_at,
            approved_by_rule="",
        )
        audit.record(
            actor=by,
            action=DECISIONS[Participant.Status(status)],
            target=participant,
            competition=participant.competition_id,
            details={"user": participant.user.username, "reason": reason},
        )
        notices.tell_participant(participant, status, by=by)
    return participant


def approve(participant: Participant, *, by: User) -> Participant:
    if participant.status == Participant.Status.APPROVED:
        return participant
    return _decide(participant, by=by, status=Participant.Status.APPROVED, reason="")


def deny(participant: Participant, *, by: User, reason: str) -> Participant:
    if not reason.strip():
        raise RegistrationError("a reason is required to deny a registration")
    if participant.status not in (Participant.Status.PENDING, Participant.Status.DENIED):
        raise RegistrationError(
            f"only a pending registration can be denied; this one is {participant.status}"
            " (revoke an approved participant instead)"
        )
    return _decide(participant, by=by, status=Participant.Status.DENIED, reason=reason.strip())


def revoke(participant: Participant, *, by: User, reason: str) -> Participant:
    if not reason.strip():
        raise RegistrationError("a reason is required to revoke a participant")
    if participant.status != Participant.Status.APPROVED:
        raise RegistrationError(
            f"only an approved participant can be revoked; this one is {participant.status}"
        )
    return _decide(participant, by=by, status=Participant.Status.REVOKED, reason=reason.strip())


def decide(participant: Participant, *, by: User, status: str, reason: str = "") -> Participant:
    """One of the three decisions by the status it leads to."""
    if status == Participant.Status.APPROVED:
        return approve(participant, by=by)
    if status == Participant.Status.DENIED:
        return deny(participant, by=by, reason=reason)
    if status == Participant.Status.REVOKED:
        return revoke(participant, by=by, reason=reason)
    raise RegistrationError(
        f"organizers set a registration to approved, denied or revoked, not {status}"
    )


# Adding and removing


def find_user(name: str) -> User:
    """The account with this username, or else the one account with this address."""
    name = name.strip()
    user = User.objects.filter(username=name).first()
    if user is not None:
        return user
    matches = list(User.objects.filter(email__iexact=name, is_active=True)[:2]) if name else []
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UnknownUser(f"several accounts use {name}: name the user by username")
    raise UnknownUser(f"no account has the username or email address {name!r}")


def add(*, competition: Competition, by: User, who: str) -> tuple[Participant, bool]:
    """An organizer adds a user, named by username or address, as an approved participant;
    returns the registration and whether it is new. A user who already applied is
    approved; the terms and the form are theirs to see, not asked of them here."""
    user = find_user(who)
    existing = Participant.objects.filter(user=user, competition=competition).first()
    if existing is not None:
        return approve(existing, by=by), False
    try:
        with transaction.atomic():
            participant = Participant.objects.create(
                user=user,
                competition=competition,
                status=Participant.Status.APPROVED,
                decided_by=by,
                decided_at=timezone.now(),
            )
            audit.record(
                actor=by,
                action=Action.PARTICIPANT_ADD,
                target=participant,
                competition=competition.pk,
                details={"user": user.username},
            )
            notices.tell_participant(participant, "added", by=by)
    except IntegrityError:
        return approve(Participant.objects.get(user=user, competition=competition), by=by), False
    return participant, True


def remove(participant: Participant, *, by: User) -> None:
    """An organizer removes a registration, or its participant withdraws it. Their
    submissions stay (without a registration); they may register again. A revoked
    participant cannot withdraw, which would let them apply again: organizers only."""
    organizer = participant.competition.is_organizer(by)
    own = by.pk == participant.user_id
    if not organizer and not own:
        raise NotAllowed("only the organizers of this competition remove a participant")
    if not organizer and participant.status == Participant.Status.REVOKED:
        raise NotAllowed("your participation was revoked: only the organizers can remove it")
    withdrawn = own and not organizer
    with transaction.atomic():
        kept = Submission.objects.filter(participant=participant).update(participant=None)
        audit.record(
            actor=by,
            action=Action.PARTICIPANT_REMOVE,
            target=participant,
            competition=participant.competition_id,
            details={
                "user": participant.user.username,
                "status": participant.status,
                "withdrawn": withdrawn,
                "submissions_kept": kept,
            },
        )
        notices.tell_participant(participant, "withdrawn" if withdrawn else "removed", by=by)
        participant.delete()


# The competition's registration settings


def set_questions(
    competition: Competition, *, questions: Sequence[rules.Question]
) -> list[Question]:
    """Replaces the registration form. Applications keep the form they answered."""
    errors: dict[int, Any] = {}
    seen: set[str] = set()
    for index, question in enumerate(questions):
        problems = rules.question_problems(question)
        if question.key in seen:
            problems.setdefault("key", f"Another question already has the key {question.key!r}.")
        seen.add(question.key)
        if problems:
            errors[index] = {field: [message] for field, message in problems.items()}
    if len(questions) > rules.MAX_QUESTIONS:
        errors[rules.MAX_QUESTIONS] = {"key": [f"At most {rules.MAX_QUESTIONS} questions."]}
    if errors:
        raise SettingsInvalid(errors)
    with transaction.atomic():
        Question.objects.filter(competition=competition).delete()
        return Question.objects.bulk_create(
            Question(
                competition=competition,
                index=index,
                key=question.key,
                label=question.label,
                help_text=question.help_text,
                kind=question.kind,
                choices=list(question.choices),
                required=question.required,
            )
            for index, question in enumerate(questions)
        )


def set_allow_list(competition: Competition, *, by: User, entries: Sequence[str]) -> list[str]:
    """Replaces the addresses and domains approved at once; returns them as stored."""
    errors: dict[int, Any] = {}
    kept: list[str] = []
    for index, raw in enumerate(entries):
        try:
            entry = rules.allow_list_entry(raw)
        except ValueError as exc:
            errors[index] = [str(exc)]
            continue
        if entry not in kept:
            kept.append(entry)
    if errors:
        raise SettingsInvalid(errors)
    with transaction.atomic():
        AllowedEmail.objects.filter(competition=competition).delete()
        AllowedEmail.objects.bulk_create(
            AllowedEmail(competition=competition, value=entry, created_by=by) for entry in kept
        )
        audit.record(
            actor=by,
            action=Action.ALLOW_LIST_UPDATE,
            target=competition,
            competition=competition.pk,
            details={"entries": sorted(kept)},
        )
    return sorted(kept)


# Keys for external systems


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(*, competition: Competition, by: User, name: str) -> tuple[ApplicantsKey, str]:
    """A new key that reads the competition's applicants; returns it with the key itself,
    which is not stored and cannot be shown again."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApplicantsKey.objects.create(
            competition=competition,
            name=name.strip(),
            prefix=secret[:12],
            digest=_digest(secret),
            created_by=by,
        )
        audit.record(
            actor=by,
            action=Action.APPLICANTS_KEY_CREATE,
            target=key,
            competition=competition.pk,
            details={"name": key.name, "prefix": key.prefix},
        )
    return key, secret


def revoke_key(key: ApplicantsKey, *, by: User) -> ApplicantsKey:
    """From now on the key reads nothing. Revoking twice changes nothing."""
    with transaction.atomic():
        revoked = ApplicantsKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by
        )
        if revoked:
            audit.record(
                actor=by,
                action=Action.APPLICANTS_KEY_REVOKE,
                target=key,
                competition=key.competition_id,
                details={"name": key.name, "prefix": key.prefix},
            )
    key.refresh_from_db()
    return key


def key_for(secret: str) -> ApplicantsKey | None:
    """The live key this secret is, noting its use; None for an unknown or revoked one."""
    key = ApplicantsKey.objects.filter(digest=_digest(secret), revoked_at__isnull=True).first()
    if key is not None:
        now = timezone.now()
        ApplicantsKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def applicants(competition: Competition, *, status: str | None = None) -> QuerySet[Participant]:
    """The competition's registrations with their applications, oldest first."""
    rows = Participant.objects.filter(competition=competition)
    if status:
        rows = rows.filter(status=status)
    return (
        rows.select_related("user", "decided_by")
        .prefetch_related("applications")
        .order_by("created_at", "pk")
    )
