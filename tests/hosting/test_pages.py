"""The host pages (/host/) through Django's test client: only platform admins may open them,
each shows the same figures as the services and the analytics API, each action goes
through its service, refusals change nothing, and each page costs a handful of queries."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from podium.accounts.models import User
from podium.audit import services as audit
from podium.audit.models import Action, AuditEntry
from podium.datasets import services as datasets
from podium.datasets.models import Data, DataGroup
from podium.queues.models import Queue
from podium_worker.protocol import Status
from tests.browser.world import report, submit
from tests.factories import make_competition, make_data, make_phase, make_task, make_user

pytestmark = pytest.mark.django_db

GIB = 2**30
PAGES = [
    "/host/",
    "/host/analytics/",
    "/host/audit/",
    "/host/workers/",
    "/host/storage/",
    "/host/storage/groups/",
]


def snapshot() -> dict[str, object]:
    """Everything an action of the host pages could change."""
    return {
        "quotas": sorted(User.objects.values_list("username", "quota_bytes")),
        "data": sorted(Data.objects.values_list("pk", flat=True)),
        "groups": sorted(DataGroup.objects.values_list("pk", "name")),
        "group files": sorted(DataGroup.data.through.objects.values_list("group", "data")),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def host(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def hoarder(db) -> User:
    """A user with two unused files, one file a task uses and one in a data group."""
    user = make_user("hugo")
    make_data(owner=user, name="old.zip", content=b"a" * 300)
    make_data(owner=user, name="older.zip", content=b"b" * 200)
    make_task(
        owner=user, scoring_program=make_data(owner=user, name="scorer.zip", content=b"c" * 50)
    )
    grouped = make_data(owner=user, name="grouped.zip", content=b"d" * 10)
    datasets.create_group(by=user, name="Kept", data=[grouped])
    return user


def files_of(user: User) -> list[str]:
    return sorted(Data.objects.filter(owner=user).values_list("name", flat=True))


# Who may open them


def test_anonymous_visitors_are_sent_to_log_in(client):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("role", ["outsider", "participant", "organizer", "collaborator"])
def test_users_who_are_not_platform_admins_find_nothing(client, personas, role):
    client.force_login(personas[role])
    for path in PAGES:
        assert client.get(path).status_code == 404, path


def test_a_staff_member_who_is_not_a_platform_admin_is_told_why(client):
    staff = make_user("stella")
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    client.force_login(staff)
    response = client.get("/host/")
    assert response.status_code == 403
    assert "The host pages are for platform admins" in response.content.decode()


@pytest.mark.parametrize("role", [None, "outsider", "organizer"])
def test_no_action_works_for_anyone_but_a_platform_admin(client, personas, hoarder, role):
    if role is not None:
        client.force_login(personas[role])
    group = DataGroup.objects.get()
    unused = list(datasets.unused_files(hoarder).values_list("pk", flat=True))
    before = snapshot()
    answers = [
        client.post(f"/host/storage/users/{hoarder.pk}/quota/", {"amount": "1", "unit": "MiB"}),
        client.post(f"/host/storage/users/{hoarder.pk}/cleanup/", {"ids": unused}),
        client.post(f"/host/storage/users/{hoarder.pk}/cleanup/", {"scope": "all"}),
        client.post("/host/storage/groups/", {"name": "Mine", "file_ids": str(unused[0])}),
        client.post(f"/host/storage/groups/{group.pk}/", {"name": "Renamed", "file_ids": ""}),
        client.post(f"/host/storage/groups/{group.pk}/delete/"),
    ]
    expected = 302 if role is None else 404
    assert [answer.status_code for answer in answers] == [expected] * 6
    assert snapshot() == before


def test_actions_change_nothing_through_get(host, hoarder):
    group = DataGroup.objects.get()
    before = snapshot()
    for path in (
        f"/host/storage/users/{hoarder.pk}/quota/",
        f"/host/storage/users/{hoarder.pk}/cleanup/",
        f"/host/storage/groups/{group.pk}/delete/",
    ):
        assert host.get(path).status_code == 405, path
    assert snapshot() == before


# The overview


def test_the_overview_counts_the_platform_and_links_every_section(
    host, admin, competition, participant, hoarder, django_assert_max_num_queries
):
    make_competition(owner=admin, title="Draft", published=False)
    with django_assert_max_num_queries(10):
        response = host.get("/host/")
    figures = response.context["figures"]
    assert (figures.users, figures.competitions, figures.published) == (5, 2, 1)
    assert (figures.files, figures.bytes, figures.data_groups) == (4, 560, 1)
    assert (figures.running, figures.waiting, figures.queues) == (0, 0, 0)
    page = response.content.decode()
    for link in [*PAGES[1:], "/admin/"]:
        assert f'href="{link}"' in page, link


# Analytics


def test_analytics_draw_the_same_figures_as_the_api(
    host, api, admin, competition, participant, hoarder, django_assert_max_num_queries
):
    today = timezone.now().date()
    query = f"?start={today - timedelta(days=6)}&end={today}&interval=day&top=5"
    with django_assert_max_num_queries(10):
        response = host.get("/host/analytics/" + query)
    assert response.status_code == 200
    charts = {chart.key: chart.spec() for chart in response.context["charts"]}
    body = api(admin).get("/api/analytics/" + query).json()
    counts = body["counts"]
    assert charts["activity"]["labels"] == counts["periods"]
    assert [series["values"] for series in charts["activity"]["series"]] == [
        counts["users_joined"],
        counts["competitions_created"],
        counts["submissions_made"],
    ]
    storage = body["storage"]
    assert charts["storage-users"]["labels"] == [row["username"] for row in storage["by_user"]]
    assert charts["storage-users"]["series"] == [
        {"label": "Stored", "values": [row["bytes"] for row in storage["by_user"]]},
    ]
    assert charts["storage-users"]["labels"] == ["hugo"]
    # Quotas are in the chart's table only: on one scale they would flatten the usage.
    storage_users = next(c for c in response.context["charts"] if c.key == "storage-users")
    assert storage_users.rows() == [("hugo", [560, settings.USER_QUOTA_BYTES])]
    assert charts["workers"]["labels"] == []
    page = response.content.decode()
    # The specs travel in json_script elements, with a table of the same figures.
    assert '<script id="activity-data" type="application/json">' in page
    # No job and no competition's file yet: those two charts say so, with no figures.
    assert page.count("The figures as a table") == 2
    assert "5 users joined, 1 competition created, 0 submissions made." in page
    assert "No competition stores files yet." in page


def test_the_analytics_form_shows_the_window_its_charts_show(host):
    today = timezone.now().date()
    response = host.get("/host/analytics/")
    assert "0\xa0bytes in 0 files in all." in response.content.decode()
    form = response.context["form"]
    assert form.data == {
        "start": (today - timedelta(days=30)).isoformat(),
        "end": today.isoformat(),
        "interval": "day",
        "top": "10",
    }
    form = host.get("/host/analytics/?end=2026-02-10&interval=week").context["form"]
    assert (form.data["start"], form.data["interval"]) == ("2026-01-11", "week")


def test_analytics_refuse_a_window_that_ends_before_it_starts(host):
    response = host.get("/host/analytics/?start=2026-03-10&end=2026-03-01")
    assert response.status_code == 400
    assert "must not be before start" in response.content.decode()
    assert "charts" not in response.context


def test_analytics_refuse_too_many_periods(host):
    response = host.get("/host/analytics/?start=2000-01-01&end=2026-01-01&interval=day")
    assert response.status_code == 400
    assert "at most 1000" in response.content.decode()


# The audit log


def entry(actor, action, target=None, *, at: datetime | None = None, **details):
    made = audit.record(actor=actor, action=action, target=target, details=details)
    if at is not None:
        AuditEntry.objects.filter(pk=made.pk).update(at=at)
    return made


def test_the_audit_log_filters_by_action_actor_target_and_day(
    host, admin, organizer, competition, django_assert_max_num_queries
):
    march = datetime(2026, 3, 10, 12, tzinfo=UTC)
    publish = entry(organizer, Action.COMPETITION_PUBLISH, competition, at=march)
    entry(admin, Action.QUEUE_CREATE, at=march + timedelta(days=2), name="gpu")
    late = entry(organizer, Action.COMPETITION_UNPUBLISH, competition, at=march + timedelta(days=5))

    def shown(query: str) -> list[int]:
        with django_assert_max_num_queries(5):
            response = host.get("/host/audit/" + query)
        assert response.status_code == 200
        return [item.pk for item in response.context["page"].object_list]

    everything = shown("")
    assert len(everything) == 3
    assert shown("?action=competition.publish") == [publish.pk]
    assert shown("?actor=olivia") == [late.pk, publish.pk]
    assert shown(f"?target_type=competition&target_id={competition.pk}") == [late.pk, publish.pk]
    assert shown("?since=2026-03-10&until=2026-03-12") == everything[1:]
    assert shown("?since=2026-03-11&until=2026-03-12") == [everything[1]]
    page = host.get("/host/audit/?action=queue.create").content.decode()
    assert "<dt>name</dt><dd>gpu</dd>" in page


def test_the_audit_log_says_what_filter_it_cannot_read(host, organizer):
    entry(organizer, Action.COMPETITION_PUBLISH)
    response = host.get("/host/audit/?since=2026-03-12&until=2026-03-10&target_id=x")
    page = response.content.decode()
    assert "The last day comes before the first." in page
    assert "Enter a whole number." in page


def test_the_audit_log_pages_fifty_at_a_time(host, organizer):
    for number in range(52):
        entry(organizer, Action.PARTICIPANTS_EMAIL, number=number)
    first = host.get("/host/audit/")
    second = host.get("/host/audit/?page=2")
    assert len(first.context["page"].object_list) == 50
    assert [e.details["number"] for e in second.context["page"].object_list] == [1, 0]
    assert 'href="?page=2"' in first.content.decode()


# Storage and quotas


def test_storage_lists_users_by_what_they_store_against_their_quota(
    host, hoarder, organizer, django_assert_max_num_queries
):
    User.objects.filter(pk=organizer.pk).update(quota_bytes=1000)
    make_data(owner=organizer, content=b"x" * 900)
    with django_assert_max_num_queries(5):
        response = host.get("/host/storage/")
    rows = [(user.username, user.bytes, user.files) for user in response.context["page"]]
    assert rows[:2] == [("olivia", 900, 1), ("hugo", 560, 4)]
    page = response.content.decode()
    assert "olivia: 90% of the quota used" in page
    found = host.get("/host/storage/?q=hug").context["page"]
    assert [user.username for user in found] == ["hugo"]


def test_a_users_page_previews_what_a_cleanup_would_delete(
    host, hoarder, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = host.get(f"/host/storage/users/{hoarder.pk}/")
    preview = response.context["preview"]
    assert [data.name for data in preview.object_list] == ["old.zip", "older.zip"]
    assert response.context["reclaimable"] == 500
    assert response.context["usage"] == {
        "bytes": 560,
        "files": 4,
        "quota": settings.USER_QUOTA_BYTES,
    }
    assert files_of(hoarder) == ["grouped.zip", "old.zip", "older.zip", "scorer.zip"]


def test_the_cleanup_deletes_the_ticked_unused_files_and_is_audited(host, admin, hoarder):
    old = Data.objects.get(name="old.zip")
    scorer = Data.objects.get(name="scorer.zip")
    response = host.post(
        f"/host/storage/users/{hoarder.pk}/cleanup/",
        {"scope": "ticked", "ids": [old.pk, scorer.pk]},
    )
    assert response.status_code == 302
    assert files_of(hoarder) == ["grouped.zip", "older.zip", "scorer.zip"]
    cleanup = AuditEntry.objects.get(action=Action.DATA_CLEANUP)
    assert cleanup.details == {"files": [old.pk], "bytes": 300}
    # The host did it, to the user's files.
    assert (cleanup.actor, cleanup.target_id) == (admin, hoarder.pk)
    page = host.get(response["Location"]).content.decode()
    assert "Deleted 1 file of hugo&#x27;s, freeing 300\xa0bytes." in page


def test_the_cleanup_of_everything_unused_keeps_what_is_used(host, hoarder):
    response = host.post(f"/host/storage/users/{hoarder.pk}/cleanup/", {"scope": "all"})
    assert response.status_code == 302
    assert files_of(hoarder) == ["grouped.zip", "scorer.zip"]


def test_a_cleanup_with_nothing_ticked_is_refused_and_deletes_nothing(host, hoarder):
    before = snapshot()
    response = host.post(f"/host/storage/users/{hoarder.pk}/cleanup/", {"scope": "ticked"})
    assert response.status_code == 400
    assert "Tick at least one file to delete." in response.content.decode()
    assert snapshot() == before


def test_a_cleanup_of_files_in_use_says_nothing_was_deleted(host, hoarder):
    scorer = Data.objects.get(name="scorer.zip")
    before = snapshot()
    response = host.post(
        f"/host/storage/users/{hoarder.pk}/cleanup/", {"ids": [scorer.pk]}, follow=True
    )
    assert "Nothing was deleted" in response.content.decode()
    assert snapshot() == before


def test_a_host_sets_and_resets_a_users_quota(host, admin, hoarder):
    response = host.post(
        f"/host/storage/users/{hoarder.pk}/quota/", {"amount": "2.5", "unit": "GiB"}
    )
    assert response.status_code == 302
    hoarder.refresh_from_db()
    assert hoarder.quota_bytes == int(2.5 * GIB)
    host.post(f"/host/storage/users/{hoarder.pk}/quota/", {"amount": "", "unit": "GiB"})
    hoarder.refresh_from_db()
    assert hoarder.quota_bytes is None
    changes = AuditEntry.objects.filter(action=Action.QUOTA_UPDATE).order_by("pk")
    assert [(entry.actor, entry.target_id, entry.details) for entry in changes] == [
        (admin, hoarder.pk, {"before": None, "after": int(2.5 * GIB)}),
        (admin, hoarder.pk, {"before": int(2.5 * GIB), "after": None}),
    ]


def test_a_negative_quota_is_refused(host, hoarder):
    before = snapshot()
    response = host.post(
        f"/host/storage/users/{hoarder.pk}/quota/", {"amount": "-1", "unit": "GiB"}
    )
    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()
    assert snapshot() == before


def test_an_unknown_user_is_not_found(host):
    assert host.get("/host/storage/users/999999/").status_code == 404
    assert host.post("/host/storage/users/999999/quota/", {"amount": "1"}).status_code == 404


# Data groups


def test_a_host_creates_renames_and_deletes_a_data_group(host, admin, hoarder):
    old, older = Data.objects.get(name="old.zip"), Data.objects.get(name="older.zip")
    response = host.post(
        "/host/storage/groups/",
        {"name": "Iris", "description": "", "file_ids": f"{old.pk}, {older.pk}"},
    )
    assert response.status_code == 302
    group = DataGroup.objects.get(name="Iris")
    assert (group.owner, sorted(group.data.values_list("pk", flat=True))) == (
        admin,
        [old.pk, older.pk],
    )
    assert list(datasets.unused_files(hoarder)) == []

    response = host.post(
        f"/host/storage/groups/{group.pk}/", {"name": "Iris v2", "file_ids": str(old.pk)}
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.name, list(group.data.values_list("pk", flat=True))) == ("Iris v2", [old.pk])

    response = host.post(f"/host/storage/groups/{group.pk}/delete/")
    assert response.status_code == 302
    assert not DataGroup.objects.filter(pk=group.pk).exists()
    assert Data.objects.filter(pk__in=[old.pk, older.pk]).count() == 2
    actions = list(
        AuditEntry.objects.filter(target_type="datagroup", target_id=group.pk).values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["data_group.create", "data_group.delete", "data_group.update"]


def test_a_data_group_with_files_that_do_not_exist_is_refused(host):
    before = snapshot()
    response = host.post("/host/storage/groups/", {"name": "Ghosts", "file_ids": "424242, oops"})
    assert response.status_code == 400
    assert "“oops” is not a data file id." in response.content.decode()
    response = host.post("/host/storage/groups/", {"name": "Ghosts", "file_ids": "424242"})
    assert response.status_code == 400
    assert "no data files with ids 424242 that you may use" in response.content.decode()
    assert snapshot() == before


def test_the_data_groups_list_counts_files_and_bytes(host, hoarder, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = host.get("/host/storage/groups/")
    (group,) = response.context["page"].object_list
    assert (group.name, group.owner.username, group.file_count, group.bytes) == (
        "Kept",
        "hugo",
        1,
        10,
    )


# Workers and queues


def test_workers_and_queues_show_jobs_held_waiting_and_when_workers_last_reported(
    host, admin, organizer, participant, competition, django_assert_max_num_queries
):
    gpu = Queue.objects.create(name="gpu", owner=admin, is_public=True)
    Queue.objects.create(name="spare", owner=admin)
    on_gpu = make_competition(owner=organizer, title="On GPUs", queue=gpu)
    task = make_task(owner=organizer)
    phase = make_phase(competition=competition, tasks=[task])
    gpu_phase = make_phase(competition=on_gpu, tasks=[task])
    held = report(submit(participant, phase), Status.RUNNING, run="worker-a")
    submit(participant, phase)
    submit(organizer, gpu_phase)

    with django_assert_max_num_queries(9):
        response = host.get("/host/workers/")
    assert response.status_code == 200
    rows = [
        (row.name, row.state, row.competitions, row.running, row.waiting, row.last_seen is not None)
        for row in response.context["rows"]
    ]
    assert rows == [
        (settings.DEFAULT_QUEUE, "busy", 1, 1, 1, True),
        ("gpu", "stalled", 1, 0, 1, False),
        ("spare", "idle", 0, 0, 0, False),
    ]
    last = response.context["rows"][0].last_seen
    assert last == held.lease_expires_at - timedelta(seconds=settings.JOB_LEASE_SECONDS)
    assert [job.pk for job, _ in response.context["held"]] == [held.pk]
    assert f'href="/admin/queues/queue/{gpu.pk}/change/"' in response.content.decode()


def test_every_page_renders_for_a_platform_admin(host, hoarder):
    group = DataGroup.objects.get()
    for path in [*PAGES, f"/host/storage/users/{hoarder.pk}/", f"/host/storage/groups/{group.pk}/"]:
        response = host.get(path)
        assert response.status_code == 200, path
        assert response["Content-Type"] == "text/html; charset=utf-8"


def test_the_charts_data_is_json_the_page_script_reads(host, hoarder):
    page = host.get("/host/analytics/").content.decode()
    start = page.index('<script id="storage-users-data" type="application/json">')
    body = page[page.index(">", start) + 1 : page.index("</script>", start)]
    assert json.loads(body)["labels"] == ["hugo"]
