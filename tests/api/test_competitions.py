from datetime import UTC, datetime
from pathlib import Path

import pytest

from podium.bundles.export import bundle_file_name
from podium.bundles.services import import_bundle
from podium.competitions.models import Competition, Page
from podium.participation.models import Participant
from tests.factories import (
    make_competition,
    make_leaderboard,
    make_participant,
    make_phase,
    make_user,
)

pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def titles(response):
    return [row["title"] for row in response.json()["results"]]


def test_a_list_shows_published_competitions_and_the_drafts_one_organizes(
    api, competition, draft, outsider, collaborator, admin
):
    assert titles(api(None).get("/api/competitions/")) == ["Published"]
    assert titles(api(outsider).get("/api/competitions/")) == ["Published"]
    assert titles(api(collaborator).get("/api/competitions/")) == ["Draft", "Published"]
    assert titles(api(admin).get("/api/competitions/")) == ["Draft", "Published"]


def test_mine_lists_the_competitions_one_organizes_or_registered_in(
    api, competition, draft, organizer, collaborator, outsider, admin
):
    other = make_competition(title="Other", owner=make_user("olga"), published=True)
    denied = make_competition(title="Denied", owner=make_user("dora"), published=True)
    make_participant(user=outsider, competition=other, status=Participant.Status.PENDING)
    make_participant(user=outsider, competition=denied, status=Participant.Status.DENIED)

    assert titles(api(outsider).get("/api/competitions/?mine=true")) == ["Denied", "Other"]
    assert titles(api(collaborator).get("/api/competitions/?mine=true")) == [
        "Draft",
        "Published",
    ]
    assert titles(api(outsider).get("/api/competitions/?mine=false")) == [
        "Denied",
        "Other",
        "Published",
    ]
    # Platform admins see every competition, but only their own are theirs.
    assert titles(api(admin).get("/api/competitions/?mine=true")) == []


def test_mine_needs_an_account_and_a_boolean(api, competition, outsider):
    anonymous = api(None).get("/api/competitions/?mine=true")
    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": "log in to list your own competitions"}
    wrong = api(outsider).get("/api/competitions/?mine=maybe")
    assert wrong.status_code == 400
    assert wrong.json() == {"mine": ["expected true or false"]}


def test_an_organizer_exports_a_bundle_that_imports_as_the_same_competition(
    api, organizer, tmp_path
):
    competition = import_bundle(source=EXAMPLES / "iris-results", owner=organizer).competition

    response = api(organizer).get(f"/api/competitions/{competition.pk}/export_bundle/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    name = bundle_file_name(competition)
    assert name == f"iris-species-classification-{competition.pk}.zip"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    target = tmp_path / "bundle.zip"
    target.write_bytes(b"".join(response.streaming_content))  # read to its end: closed
    copy = import_bundle(source=target, owner=organizer).competition
    assert copy.pk != competition.pk
    assert copy.title == competition.title
    assert list(copy.phases.values_list("name", "index")) == list(
        competition.phases.values_list("name", "index")
    )
    assert list(copy.leaderboards.values_list("key", flat=True)) == list(
        competition.leaderboards.values_list("key", flat=True)
    )


def test_the_public_list_leaves_drafts_out_even_for_their_organizers(
    api, competition, draft, organizer, admin
):
    assert titles(api(organizer).get("/api/competitions/public/")) == ["Published"]
    assert titles(api(admin).get("/api/competitions/public/")) == ["Published"]


def test_a_competition_reads_with_its_pages_phases_and_visible_leaderboards(
    api, competition, organizer, outsider
):
    Page.objects.create(competition=competition, index=1, title="Data", content="Files")
    Page.objects.create(competition=competition, index=0, title="Overview", content="# Hi")
    phase = make_phase(
        competition=competition,
        name="Development",
        start=datetime(2026, 1, 1, tzinfo=UTC),
        end=datetime(2026, 6, 1, tzinfo=UTC),
    )
    board = make_leaderboard(competition=competition, key="main", title="Results")
    hidden = make_leaderboard(
        competition=competition, key="x", title="Secret", index=1, hidden=True
    )

    seen_by_outsider = api(outsider).get(f"/api/competitions/{competition.pk}/").json()
    seen_by_organizer = api(organizer).get(f"/api/competitions/{competition.pk}/").json()

    assert seen_by_outsider["pages"] == [
        {"index": 0, "title": "Overview", "content": "# Hi"},
        {"index": 1, "title": "Data", "content": "Files"},
    ]
    assert seen_by_outsider["phases"] == [
        {
            "id": phase.pk,
            "index": 0,
            "name": "Development",
            "start": "2026-01-01T00:00:00Z",
            "end": "2026-06-01T00:00:00Z",
        }
    ]
    public_board = {"id": board.pk, "index": 0, "title": "Results", "key": "main", "hidden": False}
    assert seen_by_outsider["leaderboards"] == [public_board]
    assert seen_by_organizer["leaderboards"] == [
        public_board,
        {"id": hidden.pk, "index": 1, "title": "Secret", "key": "x", "hidden": True},
    ]
    assert (seen_by_outsider["is_organizer"], seen_by_organizer["is_organizer"]) == (False, True)
    assert (seen_by_outsider["created_by"], seen_by_outsider["collaborators"]) == (
        "olivia",
        ["colin"],
    )


def test_server_owned_fields_are_ignored_on_create(api, organizer, outsider):
    response = api(organizer).post(
        "/api/competitions/",
        {
            "id": 999,
            "key": "00000000-0000-0000-0000-000000000000",
            "title": "Mine",
            "published": True,
            "created_by": outsider.pk,
            "created_at": "2000-01-01T00:00:00Z",
            "bundle": 1,
            "logo": 1,
            "pages": [{"title": "Welcome", "content": "Hello"}],
        },
        format="json",
    )

    assert response.status_code == 201
    competition = Competition.objects.get()
    body = response.json()
    assert (body["id"], body["published"], body["created_by"]) == (competition.pk, False, "olivia")
    assert (competition.title, competition.published, competition.created_by) == (
        "Mine",
        False,
        organizer,
    )
    assert str(competition.key) != "00000000-0000-0000-0000-000000000000"
    assert (competition.bundle, competition.logo) == (None, None)
    assert competition.created_at.year == datetime.now(UTC).year
    assert body["pages"] == [{"index": 0, "title": "Welcome", "content": "Hello"}]


def test_server_owned_fields_are_ignored_on_update(api, draft, collaborator, outsider):
    response = api(collaborator).patch(
        f"/api/competitions/{draft.pk}/",
        {"title": "Renamed", "published": True, "created_by": outsider.pk},
        format="json",
    )

    assert response.status_code == 200
    draft.refresh_from_db()
    assert (draft.title, draft.published, draft.created_by.username) == ("Renamed", False, "olivia")


def test_writing_pages_replaces_them_and_leaving_them_out_keeps_them(api, draft, organizer):
    Page.objects.create(competition=draft, index=0, title="Old", content="old")
    client = api(organizer)

    client.patch(
        f"/api/competitions/{draft.pk}/",
        {"pages": [{"title": "B", "content": "b", "index": 1}, {"title": "A", "index": 0}]},
        format="json",
    )
    client.patch(f"/api/competitions/{draft.pk}/", {"reward": "A mug"}, format="json")

    assert list(draft.pages.order_by("index").values_list("index", "title", "content")) == [
        (0, "A", ""),
        (1, "B", "b"),
    ]


def test_a_docker_image_that_looks_like_an_option_is_refused(api, draft, organizer):
    response = api(organizer).patch(
        f"/api/competitions/{draft.pk}/", {"docker_image": "--privileged"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "docker_image": [
            "not a docker image name: use letters, digits and . _ / : @ + -, "
            "starting with a letter or digit"
        ]
    }


def test_toggle_publish_flips_the_flag_and_opens_the_competition_to_everyone(
    api, draft, collaborator, outsider
):
    assert api(outsider).get(f"/api/competitions/{draft.pk}/").status_code == 404

    first = api(collaborator).post(f"/api/competitions/{draft.pk}/toggle_publish/")
    assert (first.status_code, first.json()["published"]) == (200, True)
    assert api(outsider).get(f"/api/competitions/{draft.pk}/").status_code == 200

    second = api(collaborator).post(f"/api/competitions/{draft.pk}/toggle_publish/")
    assert (second.status_code, second.json()["published"]) == (200, False)
    draft.refresh_from_db()
    assert draft.published is False
    assert api(outsider).get(f"/api/competitions/{draft.pk}/").status_code == 404


def test_walking_ids_finds_nothing_of_unpublished_competitions(api, organizer, outsider):
    published = make_competition(owner=organizer, title="Open")
    hidden = [make_competition(owner=organizer, title=f"Hidden {n}", published=False) for n in "ab"]
    hidden_phases = [make_phase(competition=competition) for competition in hidden]
    client = api(outsider)
    last = max(competition.pk for competition in [published, *hidden])

    found = {
        pk for pk in range(1, last + 5) if client.get(f"/api/competitions/{pk}/").status_code != 404
    }

    assert found == {published.pk}
    for phase in hidden_phases:
        assert client.get(f"/api/phases/{phase.pk}/").status_code == 404
    for competition in hidden:
        assert client.get(f"/api/phases/?competition={competition.pk}").json()["count"] == 0
        assert client.post(f"/api/competitions/{competition.pk}/register/").status_code == 404
        assert client.post(f"/api/competitions/{competition.pk}/toggle_publish/").status_code == 404
    assert Participant.objects.count() == 0


def test_the_front_page_shows_recent_published_competitions_and_counts(api, organizer):
    for number in range(8):
        make_competition(owner=organizer, title=f"C{number}")
    draft = make_competition(owner=organizer, title="Draft", published=False)
    first = make_competition(owner=organizer, title="Latest")
    make_participant(user=make_user("a"), competition=first)
    make_participant(user=make_user("b"), competition=first, status="pending")
    make_participant(user=make_user("c"), competition=draft)

    body = api(None).get("/api/competitions/front_page/").json()

    assert [row["title"] for row in body["competitions"]] == [
        "Latest",
        "C7",
        "C6",
        "C5",
        "C4",
        "C3",
    ]
    assert body["counts"] == {"competitions": 9, "participants": 1, "submissions": 0}


def test_registering_is_approved_at_once_only_where_the_competition_auto_approves(
    api, organizer, outsider
):
    manual = make_competition(owner=organizer, title="Manual")
    automatic = make_competition(owner=organizer, title="Auto", registration_auto_approve=True)

    pending = api(outsider).post(f"/api/competitions/{manual.pk}/register/")
    approved = api(outsider).post(f"/api/competitions/{automatic.pk}/register/")

    assert (pending.status_code, pending.json()["status"], pending.json()["user"]) == (
        200,
        "pending",
        "oscar",
    )
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    assert sorted(
        Participant.objects.filter(user=outsider).values_list("competition__title", "status")
    ) == [("Auto", "approved"), ("Manual", "pending")]


def test_registering_twice_returns_the_same_registration(api, competition, outsider):
    first = api(outsider).post(f"/api/competitions/{competition.pk}/register/").json()
    second = api(outsider).post(f"/api/competitions/{competition.pk}/register/").json()

    assert first["id"] == second["id"]
    assert Participant.objects.filter(user=outsider).count() == 1


def test_a_revoked_participant_is_told_why_they_cannot_register_again(
    api, competition, participant
):
    Participant.objects.filter(user=participant).update(status="revoked", reason="cheating")

    response = api(participant).post(f"/api/competitions/{competition.pk}/register/")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "your participation was revoked by the organizers: cheating"
    }


def test_collaborators_may_edit_but_only_the_owner_deletes(api, competition, collaborator):
    response = api(collaborator).delete(f"/api/competitions/{competition.pk}/")

    assert response.status_code == 403
    assert response.json() == {"detail": "only its owner may do this to a competition"}
    assert Competition.objects.filter(pk=competition.pk).exists()


def test_the_owner_deletes_a_competition_with_its_phases_and_registrations(
    api, competition, organizer, participant
):
    make_phase(competition=competition)

    response = api(organizer).delete(f"/api/competitions/{competition.pk}/")

    assert response.status_code == 204
    assert (Competition.objects.count(), Participant.objects.count()) == (0, 0)
