"""The registration workflow's services: the terms, the form, the allow-list, the organizers'
decisions, adding and removing, each with the emails it writes."""

from __future__ import annotations

import pytest
from django.core import mail

from podium.audit.models import AuditEntry
from podium.datasets.models import Data
from podium.messaging.services import deliver_queued
from podium.participation import rules, services
from podium.participation.models import Application, Participant, RequestNotice
from podium.submissions.models import Submission
from podium.submissions.services import start_submission
from tests.factories import make_competition, make_data, make_phase, make_user
from tests.participation.conftest import QUESTIONS, TERMS, set_addresses

pytestmark = pytest.mark.django_db

ANSWERS = {"affiliation": "CNRS", "track": "medical", "eua": True}
SUBJECT_PENDING = "Your registration for Published is waiting for the organizers"


def test_applying_records_the_terms_accepted_and_the_answers(with_form, outsider, sent):
    participant, created = services.apply(
        user=outsider, competition=with_form, accept_terms=True, answers=ANSWERS
    )

    assert (created, participant.status) == (True, "pending")
    (application,) = participant.applications.all()
    assert application.number == 1
    assert application.terms_sha256 == rules.terms_sha256(TERMS)
    assert application.terms_accepted_at is not None
    assert application.answers == ANSWERS
    assert [question["key"] for question in application.questions] == [
        "affiliation",
        "track",
        "eua",
    ]
    assert sent() == [("oscar@example.org", SUBJECT_PENDING)]


def test_terms_not_accepted_or_changed_since_read_are_refused(with_form, outsider, sent):
    with pytest.raises(services.TermsNotAccepted, match=r"accept them \(accept_terms: true\)"):
        services.apply(user=outsider, competition=with_form, accept_terms=False, answers=ANSWERS)
    with pytest.raises(services.TermsNotAccepted, match="the terms changed since you read them"):
        services.apply(
            user=outsider,
            competition=with_form,
            accept_terms=True,
            answers=ANSWERS,
            terms_sha256=rules.terms_sha256("an older version"),
        )
    participant, _ = services.apply(
        user=outsider,
        competition=with_form,
        accept_terms=True,
        answers=ANSWERS,
        terms_sha256=rules.terms_sha256(TERMS).upper(),
    )
    assert participant.status == "pending"
    assert sent() == [("oscar@example.org", SUBJECT_PENDING)]


def test_answers_are_checked_question_by_question_before_anything_is_saved(
    with_form, outsider, sent
):
    with pytest.raises(services.FormInvalid) as raised:
        services.apply(
            user=outsider,
            competition=with_form,
            accept_terms=True,
            answers={"track": "audio", "eua": "yes"},
        )

    assert raised.value.errors == {
        "affiliation": ["This question is required."],
        "track": ["'audio' is not one of: medical, caption."],
        "eua": ["Answer true or false."],
    }
    assert (Participant.objects.filter(user=outsider).count(), sent()) == (0, [])


def test_a_pending_request_is_noted_for_each_organizer_of_the_competition(
    with_form, outsider, organizer, collaborator
):
    participant, _ = services.apply(
        user=outsider, competition=with_form, accept_terms=True, answers=ANSWERS
    )

    notices = RequestNotice.objects.order_by("organizer__username")
    assert [(notice.organizer, notice.handled_at) for notice in notices] == [
        (collaborator, None),
        (organizer, None),
    ]
    assert {notice.application.participant for notice in notices} == {participant}


def test_a_denied_participant_applies_again_and_each_application_is_kept(
    with_form, outsider, organizer, sent
):
    first, _ = services.apply(
        user=outsider,
        competition=with_form,
        accept_terms=True,
        answers={"affiliation": "home", "track": "medical"},
    )
    services.deny(first, by=organizer, reason="Give your institution")
    sent()

    again = services.change_answers(
        first,
        by=outsider,
        answers={"affiliation": "Univ. Grenoble", "track": "caption", "eua": True},
        accept_terms=True,
    )

    assert (again.pk, again.status, again.reason, again.decided_by) == (
        first.pk,
        "pending",
        "",
        None,
    )
    history = list(
        Application.objects.filter(participant=again).values_list(
            "number", "status", "reason", "decided_by__username", "answers"
        )
    )
    assert history == [
        (
            1,
            "denied",
            "Give your institution",
            "olivia",
            {"affiliation": "home", "track": "medical", "eua": False},
        ),
        (
            2,
            "pending",
            "",
            None,
            {"affiliation": "Univ. Grenoble", "track": "caption", "eua": True},
        ),
    ]
    assert sent() == [("oscar@example.org", SUBJECT_PENDING)]
    assert RequestNotice.objects.filter(application__number=2).count() == 2


def test_pending_answers_are_corrected_in_place_by_their_participant_only(
    with_form, outsider, organizer, sent
):
    participant, _ = services.apply(
        user=outsider, competition=with_form, accept_terms=True, answers=ANSWERS
    )
    accepted = participant.applications.get().terms_accepted_at
    sent()

    services.change_answers(participant, by=outsider, answers={**ANSWERS, "affiliation": "Inria"})
    with pytest.raises(services.NotAllowed, match="only the participant changes their answers"):
        services.change_answers(participant, by=organizer, answers=ANSWERS)

    (application,) = participant.applications.all()
    assert (application.answers["affiliation"], application.terms_accepted_at) == (
        "Inria",
        accepted,
    )
    assert sent() == []


def test_answers_no_longer_change_once_approved(with_form, outsider, organizer):
    participant, _ = services.apply(
        user=outsider, competition=with_form, accept_terms=True, answers=ANSWERS
    )
    services.approve(participant, by=organizer)

    with pytest.raises(services.RegistrationError) as raised:
        services.change_answers(participant, by=outsider, answers=ANSWERS)

    assert str(raised.value) == (
        "this registration is approved: answers change only while it is pending, or after "
        "it was denied"
    )


def test_the_seeds_one_call_registration_accepts_the_terms_but_cannot_answer_a_form(
    organizer, outsider, with_form
):
    plain = make_competition(owner=organizer, title="Plain", terms="Be fair.")

    registered = services.register(user=outsider, competition=plain)
    with pytest.raises(services.FormInvalid) as raised:
        services.register(user=outsider, competition=with_form)

    application = registered.applications.get()
    assert (registered.status, application.terms_sha256, application.answers) == (
        "pending",
        rules.terms_sha256("Be fair."),
        {},
    )
    assert str(raised.value) == (
        "the registration form is not answered right: affiliation: This question is "
        "required.; track: This question is required."
    )


def test_verified_addresses_on_the_allow_list_are_approved_at_once(with_form, organizer, sent):
    services.set_allow_list(with_form, by=organizer, entries=["Uni-Grenoble.FR", "bob@cnrs.fr"])
    ada, bob, eve = make_user("ada"), make_user("bob"), make_user("eve")
    set_addresses(ada, verified=["Ada@LIG.Uni-Grenoble.fr"])
    set_addresses(bob, verified=["BOB@cnrs.fr"])
    set_addresses(eve, verified=["eve@gmail.com"], unverified=["eve@uni-grenoble.fr"])

    results = {
        user.username: services.apply(
            user=user, competition=with_form, accept_terms=True, answers=ANSWERS
        )[0]
        for user in (ada, bob, eve)
    }

    assert {name: row.status for name, row in results.items()} == {
        "ada": "approved",
        "bob": "approved",
        "eve": "pending",
    }
    assert [row.applications.get().approved_by_rule for row in results.values()] == [
        "allow-list: uni-grenoble.fr",
        "allow-list: bob@cnrs.fr",
        "",
    ]
    assert RequestNotice.objects.filter(application__participant__user=eve).count() == 2
    assert RequestNotice.objects.exclude(application__participant__user=eve).count() == 0
    assert sent() == [
        ("ada@example.org", "You are registered for Published"),
        ("bob@example.org", "You are registered for Published"),
        ("eve@example.org", SUBJECT_PENDING),
    ]


def test_an_auto_approving_competition_says_so_in_the_email(organizer, outsider):
    auto = make_competition(owner=organizer, title="Open", registration_auto_approve=True)

    participant = services.register(user=outsider, competition=auto)
    deliver_queued()

    assert participant.status == "approved"
    (email,) = mail.outbox
    assert email.body == (
        "Your registration for Open is approved (automatically): you may now submit.\n\n"
        f"http://127.0.0.1:8000/competitions/{auto.pk}/"
    )


def test_every_decision_emails_the_participant_with_the_organizers_reason(
    with_form, outsider, organizer
):
    participant, _ = services.apply(
        user=outsider, competition=with_form, accept_terms=True, answers=ANSWERS
    )
    services.deny(participant, by=organizer, reason="Sign the agreement first")
    services.approve(participant, by=organizer)
    services.revoke(participant, by=organizer, reason="Shared accounts")
    deliver_queued()

    url = f"http://127.0.0.1:8000/competitions/{with_form.pk}/"
    assert [(email.subject, email.body, email.reply_to) for email in mail.outbox] == [
        (SUBJECT_PENDING, mail.outbox[0].body, ["clef@example.org"]),
        (
            "Your registration for Published was denied",
            "The organizers of Published denied your registration.\n\nTheir reason: Sign the "
            f"agreement first\n\nYou may correct your answers and apply again: {url}",
            ["clef@example.org"],
        ),
        (
            "You are registered for Published",
            f"Your registration for Published is approved: you may now submit.\n\n{url}",
            ["clef@example.org"],
        ),
        (
            "Your participation in Published was revoked",
            "The organizers of Published revoked your participation: you can no longer "
            f"submit.\n\nTheir reason: Shared accounts\n\n{url}",
            ["clef@example.org"],
        ),
    ]
    assert list(
        AuditEntry.objects.order_by("at", "pk").values_list("action", "details__reason")
    ) == [
        ("participant.deny", "Sign the agreement first"),
        ("participant.approve", ""),
        ("participant.revoke", "Shared accounts"),
    ]
    assert list(participant.applications.values_list("status", "reason")) == [
        ("revoked", "Shared accounts")
    ]


def test_organizers_add_users_by_username_or_address(competition, organizer, sent):
    ada, bob = make_user("ada"), make_user("bob")
    carl = make_user("carl")
    pending, _ = services.apply(user=carl, competition=competition, accept_terms=True)
    sent()

    added, created = services.add(competition=competition, by=organizer, who="ada")
    by_address, _ = services.add(competition=competition, by=organizer, who=" BOB@example.org ")
    approved, again = services.add(competition=competition, by=organizer, who="carl")

    assert (created, again) == (True, False)
    assert [(row.user, row.status, row.decided_by) for row in (added, by_address, approved)] == [
        (ada, "approved", organizer),
        (bob, "approved", organizer),
        (carl, "approved", organizer),
    ]
    assert approved.pk == pending.pk
    assert sent() == [
        ("ada@example.org", "You were added to Published"),
        ("bob@example.org", "You were added to Published"),
        ("carl@example.org", "You are registered for Published"),
    ]
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "details__user")) == [
        ("participant.add", "ada"),
        ("participant.add", "bob"),
        ("participant.approve", "carl"),
    ]


def test_adding_an_unknown_or_ambiguous_user_is_refused(competition, organizer):
    twin = make_user("twin")
    twin.email = "ada@example.org"
    twin.save()
    make_user("ada")

    with pytest.raises(services.UnknownUser) as unknown:
        services.add(competition=competition, by=organizer, who="nobody@example.org")
    with pytest.raises(services.UnknownUser) as ambiguous:
        services.add(competition=competition, by=organizer, who="ADA@example.org")

    assert str(unknown.value) == "no account has the username or email address 'nobody@example.org'"
    assert str(ambiguous.value) == "several accounts use ADA@example.org: name the user by username"
    assert Participant.objects.filter(competition=competition).count() == 0


def test_removing_a_participant_keeps_their_submissions_and_lets_them_register_again(
    competition, organizer, participant, sent
):
    phase = make_phase(competition=competition)
    registration = Participant.objects.get(user=participant)
    submission = start_submission(
        owner=participant,
        participant=registration,
        phase=phase,
        tasks=[],
        data=make_data(owner=participant, kind=Data.Kind.SUBMISSION),
        publish=False,
    )

    services.remove(registration, by=organizer)

    submission.refresh_from_db()
    assert (submission.owner, submission.participant) == (participant, None)
    assert Participant.objects.filter(user=participant).count() == 0
    entry = AuditEntry.objects.get(action="participant.remove")
    assert (entry.actor, entry.details) == (
        organizer,
        {"user": "petra", "status": "approved", "withdrawn": False, "submissions_kept": 1},
    )
    assert sent() == [("petra@example.org", "You were removed from Published")]
    again = services.register(user=participant, competition=competition)
    assert (again.status, Submission.objects.filter(owner=participant).count()) == ("pending", 1)


def test_a_participant_withdraws_but_a_revoked_one_may_not(
    competition, organizer, participant, pending, sent
):
    services.remove(Participant.objects.get(user=pending), by=pending)
    revoked = services.revoke(
        Participant.objects.get(user=participant), by=organizer, reason="cheating"
    )
    sent()

    with pytest.raises(services.NotAllowed, match="only the organizers can remove it"):
        services.remove(revoked, by=participant)

    assert list(Participant.objects.values_list("user__username", "status")) == [
        ("petra", "revoked")
    ]
    assert AuditEntry.objects.get(action="participant.remove").details["withdrawn"] is True
    assert sent() == []


def test_a_form_with_two_questions_of_one_key_or_bad_choices_is_refused(competition):
    with pytest.raises(services.SettingsInvalid) as raised:
        services.set_questions(
            competition,
            questions=[
                *QUESTIONS,
                rules.Question(key="track", label="Again", kind="text"),
                rules.Question(key="lang", label="Language", kind="single_choice"),
            ],
        )
    assert raised.value.errors == {
        3: {"key": ["Another question already has the key 'track'."]},
        4: {"choices": ["A choice question needs at least one choice."]},
    }
    assert competition.registration_questions.count() == 0


def test_the_allow_list_is_replaced_stored_lowercase_once_and_audited(competition, organizer):
    with pytest.raises(services.SettingsInvalid) as raised:
        services.set_allow_list(competition, by=organizer, entries=["example.org", "nope"])
    assert raised.value.errors == {
        1: ["'nope' is neither an email address nor a domain like example.org."]
    }

    kept = services.set_allow_list(
        competition, by=organizer, entries=["@Example.org", "example.org", "Ada@Uni.edu"]
    )

    assert kept == ["ada@uni.edu", "example.org"]
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.details) == (
        "allow_list.update",
        {"entries": ["ada@uni.edu", "example.org"]},
    )
