"""My submissions, the write side, through Django's test client: the upload form (posted as it
is, as a browser without JavaScript does; submit.js goes through the API and is tested in
Chromium), the limits left, the live row with the end of its logs, and each action on a
submission (cancel, re-run, make public or private, add to or remove from the leaderboard)
for each persona. Every action calls the service of its API endpoint; a refusal is shown on
the page with the service's reason and changes nothing."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from podium.accounts.models import User
from podium.competitions.models import Phase
from podium.leaderboards.models import Leaderboard
from podium.organizations.models import Membership, Organization
from podium.participation.models import Participant
from podium.submissions import dispatch
from podium.submissions.models import Submission
from podium_worker.protocol import Status
from tests.browser.world import World, build, finish, report, submit
from tests.factories import make_participant, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db) -> World:
    return build()


@pytest.fixture(autouse=True)
def jobs(monkeypatch) -> list[tuple[int, int]]:
    """The jobs submissions queue once their transaction commits: (submission, task)."""
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(
        dispatch, "publish", lambda submission, task: sent.append((submission.pk, task.pk))
    )
    return sent


def zipped(name: str = "results.zip", content: str = "id,label\n1,setosa\n") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("predictions.csv", content)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


def as_user(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def mine(world: World) -> str:
    return f"/competitions/{world.competition.pk}/submissions/"


def act(world: World, submission: Submission, action: str) -> str:
    return f"{mine(world)}{submission.pk}/{action}/"


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def snapshot() -> list[tuple]:
    """Every submission as an action could change it."""
    return list(
        Submission.objects.order_by("pk").values_list(
            "pk", "status", "is_public", "leaderboard_id", "owner__username"
        )
    )


def refusal(client: Client, path: str, data: dict[str, Any] | None = None) -> list[str]:
    """The messages shown once `data` is posted to `path` (the redirect followed), checked
    to have changed no submission."""
    before = snapshot()
    response = client.post(path, data or {}, follow=True)
    assert snapshot() == before
    return shown_messages(response)


def registered(world: World, status: str | None) -> User:
    """oscar, registered in the competition with `status` (None: not registered)."""
    user = make_user("oscar")
    if status is not None:
        make_participant(user=user, competition=world.competition, status=status)
    return user


def set_rule(world: World, rule: str) -> None:
    Leaderboard.objects.filter(pk=world.leaderboard.pk).update(submission_rule=rule)


def running(world: World, name: str = "alice") -> Submission:
    return report(submit(world.users[name], world.phases["development"]), Status.RUNNING)


# The upload form and what is left of the limits


def test_an_approved_participant_gets_the_form_for_the_open_phases_and_their_limits(world):
    development = world.phases["development"]
    development.max_submissions = 5
    development.max_submissions_per_day = 3
    development.save()
    submit(world.users["alice"], development)
    response = as_user(world.users["alice"]).get(mine(world))
    form = response.context["submit_form"]
    assert form.fields["phase"].choices == [(development.pk, "Development")]
    assert "organization" not in form.fields
    page = response.content.decode()
    assert 'id="submit-form"' in page
    assert 'enctype="multipart/form-data"' in page
    assert '<progress id="upload-progress" max="100" value="0">0%</progress>' in page
    assert "/static/podium/submit.js" in page
    (limit,) = response.context["limits"]
    assert (limit.made, limit.made_today, limit.left, limit.left_today) == (2, 1, 3, 2)
    assert "2 of 3 left today (UTC)" in page
    assert "3 of 5 left in all" in page


def test_the_organizers_may_submit_to_every_phase_without_limits(world):
    response = as_user(world.organizer).get(mine(world))
    assert [label for _, label in response.context["submit_form"].fields["phase"].choices] == [
        "Warm-up",
        "Development",
        "Final",
    ]
    assert response.context["limits"] == []


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (None, "To submit, first <a href"),
        ("pending", "Your registration is pending"),
        ("denied", "The organizers denied your registration"),
        ("revoked", "The organizers revoked your participation"),
    ],
)
def test_who_may_not_submit_is_told_why_and_where_to_go(world, status, says):
    response = as_user(registered(world, status)).get(mine(world))
    assert response.context["submit_form"] is None
    page = response.content.decode()
    assert says in page
    assert f'href="/competitions/{world.competition.pk}/participate/"' in page
    assert 'id="submit-form"' not in page


def test_a_participant_between_phases_is_told_none_is_open(world):
    Phase.objects.filter(pk=world.phases["development"].pk).update(
        end=timezone.now() - timedelta(minutes=1)
    )
    client = as_user(world.users["alice"])
    response = client.get(mine(world))
    assert response.context["submit_form"] is None
    assert "No phase is open for submissions now" in response.content.decode()
    assert refusal(
        client, f"{mine(world)}new/", {"phase": world.phases["development"].pk, "file": zipped()}
    ) == ["No phase is open for submissions now."]


# Submitting without JavaScript: create_submission's checks and refusals


def test_a_submission_posted_without_javascript_is_made_and_queued(
    world, jobs, django_capture_on_commit_callbacks
):
    alice = world.users["alice"]
    before = Submission.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(alice).post(
            f"{mine(world)}new/",
            {"phase": world.phases["development"].pk, "file": zipped("my results.zip")},
            follow=True,
        )
    made = Submission.objects.latest("pk")
    assert Submission.objects.count() == before + 1
    assert (made.owner, made.phase, made.status, made.data.name) == (
        alice,
        world.phases["development"],
        "submitted",
        "my results.zip",
    )
    assert jobs == [(made.pk, made.task_id)]
    assert response.redirect_chain == [(mine(world), 302)]
    assert shown_messages(response) == [
        f"Submission #{made.pk} was made; its status updates below."
    ]
    assert f'id="submission-{made.pk}"' in response.content.decode()


def test_a_file_that_is_not_a_zip_is_refused_by_the_form(world):
    before = snapshot()
    upload = SimpleUploadedFile("results.csv", b"id,label\n", content_type="text/csv")
    response = as_user(world.users["alice"]).post(
        f"{mine(world)}new/", {"phase": world.phases["development"].pk, "file": upload}
    )
    assert response.status_code == 200
    assert response.context["submit_form"].non_field_errors() == [
        "a submission must be a zip archive"
    ]
    assert snapshot() == before


def test_a_closed_phase_cannot_be_chosen(world):
    before = snapshot()
    response = as_user(world.users["alice"]).post(
        f"{mine(world)}new/", {"phase": world.phases["warmup"].pk, "file": zipped()}
    )
    assert list(response.context["submit_form"].errors) == ["phase"]
    assert snapshot() == before


def test_the_daily_limit_refuses_the_next_submission_and_says_so(world):
    development = world.phases["development"]
    development.max_submissions_per_day = 1
    development.save()
    client = as_user(world.users["alice"])
    client.post(f"{mine(world)}new/", {"phase": development.pk, "file": zipped()})
    before = snapshot()
    response = client.post(f"{mine(world)}new/", {"phase": development.pk, "file": zipped()})
    assert response.context["submit_form"].non_field_errors() == ["daily limit reached (1/1)"]
    assert snapshot() == before
    assert "0 of 1 left today (UTC)" in response.content.decode()


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (
            None,
            "You are not registered for this competition: register on the Participate tab first.",
        ),
        ("pending", "Your registration is pending: you may submit once the organizers approve it."),
        ("denied", "Your registration was denied: see the Participate tab."),
        ("revoked", "Your participation was revoked: you may no longer submit."),
    ],
)
def test_who_may_not_submit_cannot_post_a_submission_either(world, status, says):
    client = as_user(registered(world, status))
    assert refusal(
        client, f"{mine(world)}new/", {"phase": world.phases["development"].pk, "file": zipped()}
    ) == [says]


def test_an_anonymous_post_is_sent_to_log_in(world):
    before = snapshot()
    response = Client().post(f"{mine(world)}new/", {"phase": world.phases["development"].pk})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert snapshot() == before


FACT_SHEET = {
    "method": {"key": "method", "type": "text", "title": "Method", "is_required": True},
    "gpu": {
        "key": "gpu",
        "type": "select",
        "title": "GPU",
        "selection": ["none", "A100"],
        "is_required": False,
    },
    "open_source": {
        "key": "open_source",
        "type": "checkbox",
        "title": "Open source",
        "is_required": False,
    },
}


def test_the_fact_sheet_questions_are_fields_of_the_form_and_their_answers_are_kept(world):
    world.competition.fact_sheet = FACT_SHEET
    world.competition.save()
    client = as_user(world.users["alice"])
    page = client.get(mine(world)).content.decode()
    assert 'data-fact-key="method" data-fact-type="text" required' in page
    assert 'name="fact_gpu"' in page
    assert 'type="checkbox" name="fact_open_source"' in page
    before = snapshot()
    refused = client.post(
        f"{mine(world)}new/",
        {"phase": world.phases["development"].pk, "file": zipped(), "fact_gpu": "A100"},
    )
    assert refused.context["submit_form"].non_field_errors() == [
        "fact sheet: method: an answer is required"
    ]
    assert snapshot() == before
    client.post(
        f"{mine(world)}new/",
        {
            "phase": world.phases["development"].pk,
            "file": zipped(),
            "fact_method": "random forest",
            "fact_gpu": "A100",
            "fact_open_source": "on",
        },
    )
    assert Submission.objects.latest("pk").fact_sheet_answers == {
        "method": "random forest",
        "gpu": "A100",
        "open_source": True,
    }


def test_a_member_who_acts_for_an_organization_submits_for_it(world):
    alice = world.users["alice"]
    lab = Organization.objects.create(name="Vision Lab", created_by=alice)
    Membership.objects.create(organization=lab, user=alice, group=Membership.Group.PARTICIPANT)
    club = Organization.objects.create(name="Book club", created_by=alice)
    Membership.objects.create(organization=club, user=alice, group=Membership.Group.MEMBER)
    client = as_user(alice)
    form = client.get(mine(world)).context["submit_form"]
    assert form.fields["organization"].choices == [
        ("", "Myself (alice)"),
        (lab.pk, "Vision Lab (organization)"),
    ]
    before = snapshot()
    refused = client.post(
        f"{mine(world)}new/",
        {"phase": world.phases["development"].pk, "file": zipped(), "organization": club.pk},
    )
    assert list(refused.context["submit_form"].errors) == ["organization"]
    assert snapshot() == before
    client.post(
        f"{mine(world)}new/",
        {"phase": world.phases["development"].pk, "file": zipped(), "organization": lab.pk},
    )
    assert Submission.objects.latest("pk").organization == lab


# The live row


def test_a_running_row_shows_the_end_of_its_logs_to_its_owner(world):
    on_its_way = running(world)
    lines = "\n".join(f"epoch {number}" for number in range(1, 21))
    report(on_its_way, Status.SCORING, log_tail=lines)
    row = as_user(world.users["alice"]).get(f"{mine(world)}{on_its_way.pk}/row/")
    body = row.content.decode()
    assert row.context["item"].log_tail == "\n".join(f"epoch {n}" for n in range(9, 21))
    assert 'hx-trigger="every 2s"' in body
    assert f'id="cancel-{on_its_way.pk}"' in body


def test_a_phase_that_hides_output_hides_the_logs_too(world):
    on_its_way = running(world)
    report(on_its_way, Status.SCORING, log_tail="secret path /data/ref")
    world.phases["development"].hide_output = True
    world.phases["development"].save()
    row = as_user(world.users["alice"]).get(f"{mine(world)}{on_its_way.pk}/row/")
    assert row.context["item"].log_tail == ""
    assert "secret path" not in row.content.decode()


def test_a_finished_row_stops_polling_and_offers_what_the_rule_allows(world):
    alice = world.users["alice"]
    done = world.submissions["alice"]
    body = as_user(alice).get(f"{mine(world)}{done.pk}/row/").content.decode()
    assert "hx-trigger" not in body
    assert "On the leaderboard" in body
    assert "the Force Best rule chooses the entries" in body
    assert f'id="add-to-leaderboard-{done.pk}"' not in body
    assert f'id="remove-from-leaderboard-{done.pk}"' not in body
    assert f'id="cancel-{done.pk}"' not in body
    assert f'id="make-public-{done.pk}"' in body
    assert f'id="re-run-{done.pk}"' not in body
    assert "download>Your file" in body


# Actions: who may do what


@pytest.mark.parametrize(
    ("who", "outcome"),
    [
        ("anonymous", "login"),
        ("outsider", 404),
        ("bob", 404),
        ("alice", "cancelled"),
        ("olivia", "cancelled"),
    ],
)
def test_cancelling_a_running_submission(world, who, outcome):
    on_its_way = running(world)
    users = {"outsider": make_user("oscar"), "olivia": world.organizer, **world.users}
    before = snapshot()
    response = as_user(users.get(who)).post(act(world, on_its_way, "cancel"))
    on_its_way.refresh_from_db()
    if outcome == "cancelled":
        assert response.status_code == 302
        assert on_its_way.status == "cancelled"
        assert on_its_way.status_detail == f"cancelled by {who}"
    else:
        if outcome == "login":
            assert response["Location"].startswith("/accounts/login/")
        else:
            assert response.status_code == outcome
        assert snapshot() == before


def test_a_visible_submission_of_someone_else_is_refused_with_the_reason(world):
    alice_done = world.submissions["alice"]
    Submission.objects.filter(pk=alice_done.pk).update(is_public=True)
    set_rule(world, Leaderboard.Rule.ADD_AND_DELETE)
    bob = as_user(world.users["bob"])
    before = snapshot()
    said = {}
    for action in (
        "cancel",
        "make-private",
        "add-to-leaderboard",
        "remove-from-leaderboard",
        "re-run",
    ):
        response = bob.post(act(world, alice_done, action), follow=True)
        (said[action],) = shown_messages(response)
    number = f"Submission #{alice_done.pk}"
    assert said == {
        "cancel": f"{number}: only its owner or the organizers of its competition may do this.",
        "make-private": f"{number}: only its owner may make a submission public or private.",
        "add-to-leaderboard": f"{number}: only its owner or the organizers of its competition "
        "may do this.",
        "remove-from-leaderboard": f"{number}: only its owner or the organizers of its "
        "competition may do this.",
        "re-run": f"{number}: only the organizers of its competition may re-run a submission.",
    }
    assert snapshot() == before


def test_a_finished_submission_cannot_be_cancelled(world):
    done = world.submissions["alice"]
    assert refusal(as_user(world.users["alice"]), act(world, done, "cancel")) == [
        f"Submission #{done.pk}: submission {done.pk} has already finished."
    ]


def test_making_a_submission_public_and_private_again(world):
    done = world.submissions["alice"]
    client = as_user(world.users["alice"])
    response = client.post(act(world, done, "make-public"), follow=True)
    assert shown_messages(response) == [f"Submission #{done.pk} is public."]
    done.refresh_from_db()
    assert done.is_public
    assert f'id="make-private-{done.pk}"' in response.content.decode()
    client.post(act(world, done, "make-private"))
    done.refresh_from_db()
    assert not done.is_public


def test_a_competition_that_keeps_submissions_private_refuses_to_publish(world):
    world.competition.can_participants_make_submissions_public = False
    world.competition.save()
    done = world.submissions["alice"]
    client = as_user(world.users["alice"])
    assert f'id="make-public-{done.pk}"' not in client.get(mine(world)).content.decode()
    assert refusal(client, act(world, done, "make-public")) == [
        f"Submission #{done.pk}: this competition does not let participants make "
        "submissions public."
    ]


def test_under_an_automatic_rule_nothing_is_added_or_removed_by_hand(world):
    done = world.submissions["alice"]
    client = as_user(world.users["alice"])
    added = refusal(client, act(world, done, "add-to-leaderboard"))
    removed = refusal(client, act(world, done, "remove-from-leaderboard"))
    assert added + removed == [
        f"Submission #{done.pk}: under Force_Best the server chooses the entries; none can be "
        "added.",
        f"Submission #{done.pk}: under Force_Best the server chooses the entries; none can be "
        "removed.",
    ]


def test_under_add_and_delete_the_owner_chooses_their_entry(world):
    set_rule(world, Leaderboard.Rule.ADD_AND_DELETE)
    alice = world.users["alice"]
    first = world.submissions["alice"]
    second = finish(submit(alice, world.phases["development"]), 0.5, 1.0, 100)
    assert second.leaderboard_id is None  # a manual rule places nothing by itself
    client = as_user(alice)
    page = client.get(mine(world)).content.decode()
    assert f'id="add-to-leaderboard-{second.pk}"' in page
    assert f'id="remove-from-leaderboard-{first.pk}"' in page
    response = client.post(act(world, second, "add-to-leaderboard"), follow=True)
    assert shown_messages(response) == [f"Submission #{second.pk} is on the leaderboard."]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.leaderboard_id, second.leaderboard_id) == (None, world.leaderboard.pk)
    response = client.post(act(world, second, "remove-from-leaderboard"), follow=True)
    assert shown_messages(response) == [f"Submission #{second.pk} is no longer on the leaderboard."]
    second.refresh_from_db()
    assert second.leaderboard_id is None


def test_under_add_only_the_organizers_take_an_entry_off(world):
    set_rule(world, Leaderboard.Rule.ADD)
    done = world.submissions["alice"]
    client = as_user(world.users["alice"])
    assert f'id="remove-from-leaderboard-{done.pk}"' not in client.get(mine(world)).content.decode()
    assert refusal(client, act(world, done, "remove-from-leaderboard")) == [
        f"Submission #{done.pk}: under Add an entry can be replaced by another, not removed."
    ]
    as_user(world.organizer).post(act(world, done, "remove-from-leaderboard"))
    done.refresh_from_db()
    assert done.leaderboard_id is None


def test_only_the_organizers_re_run_a_submission(world):
    done = world.submissions["alice"]
    assert refusal(as_user(world.users["alice"]), act(world, done, "re-run")) == [
        f"Submission #{done.pk}: only the organizers of its competition may re-run a submission."
    ]
    response = as_user(world.organizer).post(act(world, done, "re-run"), follow=True)
    again = Submission.objects.latest("pk")
    assert shown_messages(response) == [
        f"Submission #{done.pk} runs again as submission #{again.pk}."
    ]
    assert (again.owner, again.status, again.data_id) == (
        world.users["alice"],
        "submitted",
        done.data_id,
    )


def test_the_organizers_own_submissions_offer_a_re_run(world):
    baseline = world.submissions["baseline"]
    page = as_user(world.organizer).get(mine(world)).content.decode()
    assert f'id="re-run-{baseline.pk}"' in page


def test_a_submission_page_offers_its_owner_the_same_actions(world):
    on_its_way = running(world)
    client = as_user(world.users["alice"])
    page = client.get(f"{mine(world)}{on_its_way.pk}/").content.decode()
    assert f'id="cancel-{on_its_way.pk}"' in page
    assert f'name="next" value="{mine(world)}{on_its_way.pk}/"' in page
    response = client.post(
        act(world, on_its_way, "cancel"), {"next": f"{mine(world)}{on_its_way.pk}/"}
    )
    assert response["Location"] == f"{mine(world)}{on_its_way.pk}/"
    status = client.get(f"{mine(world)}{on_its_way.pk}/status/").content.decode()
    assert f'id="cancel-{on_its_way.pk}"' not in status
    assert "cancelled" in status


def test_an_action_goes_back_only_to_a_page_of_the_competition(world):
    done = world.submissions["alice"]
    client = as_user(world.users["alice"])
    for wanted in ("https://evil.example/", "//evil.example/", "/competitions/999/", ""):
        response = client.post(act(world, done, "make-public"), {"next": wanted})
        assert response["Location"] == mine(world), wanted


def test_actions_are_posted_and_named(world):
    done = world.submissions["alice"]
    client = as_user(world.users["alice"])
    before = snapshot()
    assert client.get(act(world, done, "make-public")).status_code == 405
    assert client.post(act(world, done, "delete-everything")).status_code == 404
    assert snapshot() == before


def test_an_unapproved_participant_has_no_actions_on_others(world):
    pending = make_user("penny")
    make_participant(user=pending, competition=world.competition, status=Participant.Status.PENDING)
    before = snapshot()
    response = as_user(pending).post(act(world, world.submissions["alice"], "make-public"))
    assert response.status_code == 404
    assert snapshot() == before
