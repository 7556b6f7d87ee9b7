"""The Participate tab through Django's test client: the terms, the organizers' questions and
the caller's registration, for each persona; registering, correcting a pending request and
applying again after a denial through the registration services; and every refusal shown
on the page, changing nothing. The tab bar's Forum link is here too."""

from __future__ import annotations

import pytest
from django.test import Client

from podium.competitions.models import Competition
from podium.messaging.models import Message
from podium.participation import rules
from podium.participation.models import Application, Participant, Question
from podium.participation.services import deny
from tests.factories import make_participant, make_user

pytestmark = pytest.mark.django_db

TERMS = "Be **fair**: one account per person."


@pytest.fixture
def competition(organizer, collaborator) -> Competition:
    """Published, with terms and a registration form of each kind of question."""
    competition = Competition.objects.create(
        title="Published", created_by=organizer, published=True, terms=TERMS
    )
    competition.collaborators.set([collaborator])
    for index, (key, label, kind, choices, required) in enumerate(
        [
            ("affiliation", "Your affiliation", "text", [], True),
            ("country", "Country", "single_choice", ["France", "Germany", "Japan"], True),
            ("topics", "Topics you work on", "multiple_choice", ["vision", "speech"], False),
            ("plan", "How you will take part", "long_text", [], False),
            ("students", "We are students", "checkbox", [], False),
        ]
    ):
        Question.objects.create(
            competition=competition,
            index=index,
            key=key,
            label=label,
            kind=kind,
            choices=choices,
            required=required,
        )
    return competition


def address(competition: Competition, tab: str = "participate/") -> str:
    return f"/competitions/{competition.pk}/{tab}"


def signed_in(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def answers(**changes: object) -> dict[str, object]:
    form = {
        "answer_affiliation": "Sorbonne",
        "answer_country": "France",
        "answer_topics": ["vision"],
        "answer_plan": "",
        "accept_terms": "on",
        "terms_sha256": rules.terms_sha256(TERMS),
        **changes,
    }
    return {key: value for key, value in form.items() if value is not None}


def registrations() -> list[tuple[str, str]]:
    return list(Participant.objects.order_by("pk").values_list("user__username", "status"))


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def state() -> tuple[list, list, int]:
    """Everything a registration writes: registrations, applications, queued mail."""
    return (
        registrations(),
        list(
            Application.objects.order_by("pk").values_list(
                "participant__user__username", "number", "answers"
            )
        ),
        Message.objects.count(),
    )


# The tab bar


def test_every_visitor_finds_the_participate_tab_and_the_forum_where_it_is_enabled(
    client, competition
):
    page = client.get(address(competition, "")).content.decode()
    assert f'<a href="/competitions/{competition.pk}/participate/">Participate</a>' in page
    assert f'<a href="/forums/{competition.pk}/">Forum</a>' in page
    competition.forum_enabled = False
    competition.save()
    page = client.get(address(competition, "")).content.decode()
    assert "/forums/" not in page
    assert "Participate</a>" in page


def test_the_participate_tab_is_marked_current(client, competition):
    page = client.get(address(competition)).content.decode()
    assert (
        f'<a href="/competitions/{competition.pk}/participate/" aria-current="page">Participate</a>'
    ) in page


# What each persona sees


def test_a_visitor_reads_the_terms_and_is_asked_to_log_in_or_sign_up(client, competition):
    response = client.get(address(competition))
    assert response.status_code == 200
    page = response.content.decode()
    target = f"/competitions/{competition.pk}/participate/"
    assert f'href="/accounts/login/?next={target}">Log in</a>' in page
    assert f'href="/accounts/signup/?next={target}">Sign up</a>' in page
    assert "<strong>fair</strong>" in page
    assert response.context["form"] is None
    assert 'name="answer_affiliation"' not in page


def test_a_visitor_who_posts_is_sent_to_log_in_and_nothing_is_registered(client, competition):
    before = state()
    response = client.post(address(competition), answers())
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert state() == before


def test_an_outsider_sees_the_terms_and_every_question_to_answer(outsider, competition):
    response = signed_in(outsider).get(address(competition))
    page = response.content.decode()
    assert response.context["registration"].status == "none"
    form = response.context["form"]
    assert list(form.fields) == [
        "terms_sha256",
        "answer_affiliation",
        "answer_country",
        "answer_topics",
        "answer_plan",
        "answer_students",
        "accept_terms",
    ]
    assert [form.fields[name].label for name in list(form.fields)[1:]] == [
        "Your affiliation",
        "Country",
        "Topics you work on (optional)",
        "How you will take part (optional)",
        "We are students (optional)",
        "I have read the terms of this competition and accept them",
    ]
    assert form.initial["terms_sha256"] == rules.terms_sha256(TERMS)
    assert 'type="radio" name="answer_country" value="Japan"' in page
    assert 'type="checkbox" name="answer_topics" value="speech"' in page
    assert '<button type="submit">Register</button>' in page
    assert "Your registration: <span" in page


def test_the_organizers_are_told_they_need_not_register(organizer, collaborator, competition):
    for user in (organizer, collaborator):
        page = signed_in(user).get(address(competition)).content.decode()
        assert "You organize this competition" in page


def test_an_unpublished_competition_has_no_participate_tab_but_for_its_organizers(
    outsider, organizer, competition
):
    competition.published = False
    competition.save()
    assert signed_in(outsider).get(address(competition)).status_code == 404
    assert Client().get(address(competition)).status_code == 404
    assert signed_in(organizer).get(address(competition)).status_code == 200


# Registering


def test_registering_accepts_the_terms_answers_the_form_and_waits_for_the_organizers(
    outsider, competition
):
    client = signed_in(outsider)
    response = client.post(address(competition), answers(answer_students="on"), follow=True)
    assert response.redirect_chain == [(address(competition), 302)]
    assert shown_messages(response) == [
        "Your request was sent to the organizers. We email you when they decide on it."
    ]
    participant = Participant.objects.get(user=outsider)
    assert participant.status == "pending"
    application = participant.applications.get()
    assert application.answers == {
        "affiliation": "Sorbonne",
        "country": "France",
        "topics": ["vision"],
        "plan": "",
        "students": True,
    }
    assert application.terms_sha256 == rules.terms_sha256(TERMS)
    page = response.content.decode()
    assert "registration-pending" in page
    assert "<dt>Your affiliation</dt><dd>Sorbonne</dd>" in page
    assert "<dt>We are students</dt><dd>Yes</dd>" in page
    assert "<dt>How you will take part</dt><dd>(no answer)</dd>" in page


def test_a_competition_that_approves_at_once_registers_at_once(outsider, competition):
    competition.registration_auto_approve = True
    competition.save()
    response = signed_in(outsider).post(address(competition), answers(), follow=True)
    assert shown_messages(response) == ["You are registered: you may submit now."]
    assert registrations() == [("oscar", "approved")]
    assert response.context["form"] is None
    assert "make a submission</a>" in response.content.decode()


def test_a_form_not_answered_right_says_why_by_question_and_registers_nobody(outsider, competition):
    before = state()
    response = signed_in(outsider).post(
        address(competition), answers(answer_affiliation="   ", answer_country="")
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {
        "answer_affiliation": ["This question is required."],
        "answer_country": ["This question is required."],
    }
    assert 'aria-invalid="true"' in response.content.decode()
    assert state() == before


def test_the_terms_must_be_accepted(outsider, competition):
    before = state()
    response = signed_in(outsider).post(address(competition), answers(accept_terms=None))
    assert response.context["form"].errors == {
        "accept_terms": [
            "this competition has terms: read them and accept them (accept_terms: true)"
        ]
    }
    assert state() == before


def test_terms_changed_since_the_page_was_read_are_accepted_again(outsider, competition):
    read = rules.terms_sha256(TERMS)
    competition.terms = TERMS + " No cheating."
    competition.save()
    before = state()
    response = signed_in(outsider).post(address(competition), answers(terms_sha256=read))
    (error,) = response.context["form"].errors["accept_terms"]
    assert error.startswith("the terms changed since you read them")
    assert state() == before
    fresh = signed_in(outsider).get(address(competition)).context["form"]
    assert fresh.initial["terms_sha256"] == rules.terms_sha256(TERMS + " No cheating.")


def test_a_competition_without_terms_nor_questions_registers_in_one_click(outsider, organizer):
    bare = Competition.objects.create(title="Bare", created_by=organizer, published=True)
    response = signed_in(outsider).get(address(bare))
    assert list(response.context["form"].fields) == ["terms_sha256"]
    signed_in(outsider).post(address(bare), {"terms_sha256": ""})
    assert registrations() == [("oscar", "pending")]


# A registration that exists


def test_a_pending_participant_corrects_their_answers_in_place(outsider, competition):
    client = signed_in(outsider)
    client.post(address(competition), answers())
    page = client.get(address(competition))
    form = page.context["form"]
    assert form.initial["answer_affiliation"] == "Sorbonne"
    assert "accept_terms" not in form.fields  # accepted already, and unchanged since
    assert '<button type="submit">Update my answers</button>' in page.content.decode()
    response = client.post(
        address(competition),
        answers(answer_affiliation="Inria", accept_terms=None),
        follow=True,
    )
    assert shown_messages(response) == ["Your answers were updated; your request is still pending."]
    application = Application.objects.get()
    assert (application.number, application.answers["affiliation"]) == (1, "Inria")
    assert registrations() == [("oscar", "pending")]


def test_an_approved_participant_sees_their_registration_and_no_form(participant, competition):
    client = signed_in(participant)
    response = client.get(address(competition))
    assert response.context["registration"].status == "approved"
    assert response.context["form"] is None
    page = response.content.decode()
    assert "You are registered" in page
    assert "<summary>Terms of participation</summary>" in page
    before = state()
    response = client.post(address(competition), answers(), follow=True)
    assert shown_messages(response) == ["Your registration is approved: nothing to send."]
    assert state() == before


def test_a_denied_participant_reads_the_reason_and_applies_again(outsider, organizer, competition):
    client = signed_in(outsider)
    client.post(address(competition), answers(answer_affiliation="me"))
    participant = Participant.objects.get(user=outsider)
    deny(participant, by=organizer, reason="Name your university, please.")
    response = client.get(address(competition))
    page = response.content.decode()
    assert "registration-denied" in page
    assert '<blockquote class="reason">Name your university, please.</blockquote>' in page
    assert response.context["form"].initial["answer_affiliation"] == "me"
    assert '<button type="submit">Apply again</button>' in page
    response = client.post(address(competition), answers(), follow=True)
    assert shown_messages(response) == [
        "Your request was sent to the organizers. We email you when they decide on it."
    ]
    participant.refresh_from_db()
    assert (participant.status, participant.reason) == ("pending", "")
    assert list(participant.applications.values_list("number", "status")) == [
        (1, "denied"),
        (2, "pending"),
    ]


def test_a_revoked_participant_reads_why_and_cannot_register_again(outsider, competition):
    make_participant(user=outsider, competition=competition, status="revoked")
    Participant.objects.filter(user=outsider).update(reason="Two accounts.")
    client = signed_in(outsider)
    response = client.get(address(competition))
    assert response.context["form"] is None
    assert '<blockquote class="reason">Two accounts.</blockquote>' in response.content.decode()
    before = state()
    response = client.post(address(competition), answers(), follow=True)
    assert shown_messages(response) == ["Your registration is revoked: nothing to send."]
    assert state() == before


def test_the_pending_persona_sees_its_request_pending(pending, competition):
    response = signed_in(pending).get(address(competition))
    assert response.context["registration"].status == "pending"
    assert "registration-pending" in response.content.decode()


# Cost


@pytest.mark.parametrize("who", ["anonymous", "outsider", "pending"])
def test_the_participate_tab_reads_a_handful_of_queries(
    who, competition, outsider, pending, django_assert_max_num_queries
):
    user = {"anonymous": None, "outsider": outsider, "pending": pending}[who]
    for number in range(3):
        make_participant(user=make_user(f"someone{number}"), competition=competition)
    client = signed_in(user)
    with django_assert_max_num_queries(9):
        assert client.get(address(competition)).status_code == 200
