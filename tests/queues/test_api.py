"""The queues API: who sees which queue, who sees its secrets, who changes it, and what
an owner may not do (point it into the server's networks, delete it while in use)."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from podium.audit.models import AuditEntry
from podium.competitions.models import Competition
from podium.datasets.models import Data
from podium.queues import services
from podium.queues.models import Queue
from podium.submissions import dispatch
from podium.submissions.services import start_submission
from tests.factories import make_competition, make_data, make_phase, make_task, make_user

pytestmark = pytest.mark.django_db

BROKER = "amqp://worker:s3cret@rabbit.example.org:5672/gpu"
OWN_NETWORKS = "is on the server's own networks; only platform admins may name it"


def make_queue(owner, name="Queue", *, organizers=(), **fields):
    queue = Queue.objects.create(owner=owner, name=name, **fields)
    queue.organizers.set(organizers)
    return queue


def entries():
    return list(
        AuditEntry.objects.order_by("id").values_list(
            "actor_name", "action", "target_type", "target_id", "details"
        )
    )


def names(response):
    return [queue["name"] for queue in response.json()["results"]]


def test_a_user_creates_a_queue_and_is_shown_its_secrets(api, outsider, collaborator):
    response = api(outsider).post(
        "/api/queues/",
        {
            "name": "GPU box",
            "organizers": ["colin"],
            "exclusive": True,
            "broker_url": BROKER,
            # the server's: ignored
            "id": 999,
            "owner": "ada",
            "key": "00000000-0000-0000-0000-000000000000",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    queue = Queue.objects.get()
    body = response.json()
    assert body == {
        "id": queue.pk,
        "name": "GPU box",
        "owner": "oscar",
        "organizers": ["colin"],
        "is_public": False,
        "exclusive": True,
        "broker_url": BROKER,
        "key": str(queue.key),
        "broker_queue": f"podium-{queue.key}",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert queue.pk != 999
    assert str(queue.key) != "00000000-0000-0000-0000-000000000000"
    assert (queue.owner, list(queue.organizers.all())) == (outsider, [collaborator])
    assert entries() == [
        (
            "oscar",
            "queue.create",
            "queue",
            queue.pk,
            {
                "name": "GPU box",
                "is_public": False,
                "exclusive": True,
                "broker_url_set": True,
                "organizers": ["colin"],
            },
        )
    ]


def test_the_broker_url_and_key_are_shown_to_the_owner_and_admins_only(
    api, organizer, collaborator, outsider, admin
):
    queue = make_queue(organizer, is_public=True, organizers=[collaborator], broker_url=BROKER)
    secrets = {"broker_url": BROKER, "key": str(queue.key), "broker_queue": queue.broker_queue}
    hidden = {"broker_url": None, "key": None, "broker_queue": None}

    for user, expected in [
        (organizer, secrets),
        (admin, secrets),
        (collaborator, hidden),
        (outsider, hidden),
        (None, hidden),
    ]:
        for body in (
            api(user).get(f"/api/queues/{queue.pk}/").json(),
            api(user).get("/api/queues/").json()["results"][0],
        ):
            assert {name: body[name] for name in expected} == expected
            assert (body["owner"], body["organizers"]) == ("olivia", ["colin"])


def test_the_list_holds_public_queues_and_the_ones_a_caller_owns_or_organizes(
    api, organizer, collaborator, outsider, admin
):
    someone = make_user("sam")
    make_queue(someone, "Public", is_public=True)
    make_queue(organizer, "Olivia's")
    make_queue(someone, "Colin organizes", organizers=[collaborator, organizer])
    make_queue(outsider, "Oscar's")

    assert names(api(None).get("/api/queues/")) == ["Public"]
    assert names(api(outsider).get("/api/queues/")) == ["Public", "Oscar's"]
    assert names(api(collaborator).get("/api/queues/")) == ["Public", "Colin organizes"]
    assert names(api(organizer).get("/api/queues/")) == ["Public", "Olivia's", "Colin organizes"]
    assert names(api(admin).get("/api/queues/")) == [
        "Public",
        "Olivia's",
        "Colin organizes",
        "Oscar's",
    ]


def test_unknown_organizers_are_refused_by_name(api, outsider):
    response = api(outsider).post(
        "/api/queues/", {"name": "Q", "organizers": ["nobody", "colin", "ghost"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"organizers": ["no such users: colin, ghost, nobody"]}
    assert (Queue.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_only_platform_admins_may_point_a_queue_at_the_servers_own_networks(api, outsider, admin):
    body = {"name": "Inside", "broker_url": "amqp://guest:guest@10.0.0.5:5672//"}

    refused = api(outsider).post("/api/queues/", body, format="json")

    assert refused.status_code == 400
    assert refused.json() == {"broker_url": [f"'10.0.0.5' {OWN_NETWORKS}"]}
    assert (Queue.objects.count(), AuditEntry.objects.count()) == (0, 0)

    accepted = api(admin).post("/api/queues/", body, format="json")

    assert accepted.status_code == 201
    assert Queue.objects.get().broker_url == "amqp://guest:guest@10.0.0.5:5672//"


def test_an_owner_may_rename_a_queue_an_admin_pointed_inside_but_not_move_it(api, organizer, admin):
    queue = make_queue(organizer)
    inside = "redis://rabbitmq:6379/0"
    assert api(admin).patch(
        f"/api/queues/{queue.pk}/", {"broker_url": inside}, format="json"
    ).status_code == (200)

    renamed = api(organizer).put(
        f"/api/queues/{queue.pk}/", {"name": "Renamed", "broker_url": inside}, format="json"
    )
    moved = api(organizer).patch(
        f"/api/queues/{queue.pk}/", {"broker_url": "redis://10.9.9.9/"}, format="json"
    )

    assert renamed.status_code == 200
    assert moved.status_code == 400
    assert moved.json() == {"broker_url": [f"'10.9.9.9' {OWN_NETWORKS}"]}
    queue.refresh_from_db()
    assert (queue.name, queue.broker_url) == ("Renamed", inside)


def test_an_update_is_audited_without_the_broker_urls_credentials(api, organizer, collaborator):
    queue = make_queue(organizer, "Old")
    change = {"name": "New", "broker_url": BROKER, "organizers": ["colin"], "is_public": False}

    first = api(organizer).patch(f"/api/queues/{queue.pk}/", change, format="json")
    again = api(organizer).patch(f"/api/queues/{queue.pk}/", change, format="json")

    assert (first.status_code, again.status_code) == (200, 200)
    assert entries() == [
        (
            "olivia",
            "queue.update",
            "queue",
            queue.pk,
            {"name": "New", "broker_url_set": True, "organizers": ["colin"]},
        )
    ]
    assert "s3cret" not in json.dumps(list(AuditEntry.objects.values_list("details", flat=True)))
    queue.refresh_from_db()
    assert (queue.name, queue.broker_url, list(queue.organizers.all())) == (
        "New",
        BROKER,
        [collaborator],
    )


def test_a_put_keeps_what_it_leaves_out(api, organizer, collaborator):
    queue = make_queue(
        organizer, organizers=[collaborator], broker_url=BROKER, is_public=True, exclusive=True
    )

    response = api(organizer).put(f"/api/queues/{queue.pk}/", {"name": "Renamed"}, format="json")

    assert response.status_code == 200
    queue.refresh_from_db()
    assert (queue.name, queue.broker_url, queue.is_public, queue.exclusive) == (
        "Renamed",
        BROKER,
        True,
        True,
    )
    assert list(queue.organizers.all()) == [collaborator]


def test_the_owner_and_key_cannot_be_changed(api, organizer, outsider):
    queue = make_queue(organizer)
    key = queue.key

    response = api(organizer).patch(
        f"/api/queues/{queue.pk}/",
        {"owner": "oscar", "key": "00000000-0000-0000-0000-000000000000"},
        format="json",
    )

    assert response.status_code == 200
    queue.refresh_from_db()
    assert (queue.owner, queue.key) == (organizer, key)
    assert AuditEntry.objects.count() == 0


def test_a_queue_in_use_is_not_deleted_and_the_answer_names_its_competitions(
    api, organizer, outsider, competition
):
    queue = make_queue(organizer, "Shared", is_public=True)
    competition.queue = queue
    competition.save()
    theirs = make_competition(owner=outsider, title="Oscar's draft", published=False, queue=queue)

    response = api(organizer).delete(f"/api/queues/{queue.pk}/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"this queue is used by 2 competitions: 'Published' (id {competition.pk}), "
        "1 you cannot see; point them to another queue first"
    }
    assert list(Competition.objects.filter(queue=queue).order_by("pk")) == [competition, theirs]
    assert AuditEntry.objects.count() == 0


def test_deleting_an_unused_queue_is_audited(api, organizer, admin):
    queue = make_queue(organizer, "Spare")
    pk = queue.pk

    response = api(admin).delete(f"/api/queues/{pk}/")

    assert response.status_code == 204
    assert Queue.objects.count() == 0
    assert entries() == [("ada", "queue.delete", "queue", pk, {"name": "Spare", "owner": "olivia"})]


def test_organizers_listed_on_a_queue_may_run_their_competitions_on_it(api, organizer):
    host = make_user("hana")
    listed, unlisted = make_user("lena"), make_user("uma")
    queue = make_queue(host, "Hana's GPUs", organizers=[listed])
    mine = make_competition(owner=listed, title="Lena's")
    other = make_competition(owner=unlisted, title="Uma's")

    accepted = api(listed).patch(f"/api/competitions/{mine.pk}/", {"queue": queue.pk}, "json")
    refused = api(unlisted).patch(f"/api/competitions/{other.pk}/", {"queue": queue.pk}, "json")

    assert accepted.status_code == 200
    assert refused.status_code == 400
    assert refused.json() == {"queue": [f'Invalid pk "{queue.pk}" - object does not exist.']}
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.queue, other.queue) == (queue, None)


def test_the_broker_queue_is_the_name_jobs_are_sent_to(organizer, competition):
    queue = make_queue(organizer)
    competition.queue = queue
    competition.save()
    task = make_task(owner=organizer)
    phase = make_phase(competition=competition, tasks=[task])
    submission = start_submission(
        owner=organizer,
        participant=None,
        phase=phase,
        tasks=[task],
        data=make_data(owner=organizer, kind=Data.Kind.SUBMISSION),
        publish=False,
    )

    assert dispatch.queue_name(submission) == queue.broker_queue == f"podium-{queue.key}"


def test_the_list_costs_the_same_queries_however_many_queues(api, organizer):
    def queries_for_list():
        with CaptureQueriesContext(connection) as captured:
            response = api(organizer).get("/api/queues/")
        assert response.status_code == 200
        return len(captured), len(response.json()["results"])

    for n in range(2):
        make_queue(organizer, f"Q{n}", organizers=[make_user(f"helper{n}")])
    few = queries_for_list()
    for n in range(2, 12):
        make_queue(organizer, f"Q{n}", organizers=[make_user(f"helper{n}")])
    many = queries_for_list()

    assert (few[1], many[1]) == (2, 12)
    assert few[0] == many[0]


@pytest.mark.django_db(transaction=True)
def test_a_competition_moved_onto_a_queue_while_it_is_deleted_is_never_silently_moved_back(
    organizer,
):
    """Either the delete waits and sees the competition (SQLite: one writer at a time), or
    the queue goes and the organizer's change is refused when it commits (PostgreSQL: the
    foreign key check). Never both committed with the competition quietly back on the
    default queue."""
    queue = make_queue(organizer)
    competition = make_competition(owner=organizer)
    moved = threading.Event()
    edit: list[str] = []
    delete: list[str] = []

    def organizer_moves_the_competition() -> None:
        try:
            with transaction.atomic():
                Competition.objects.filter(pk=competition.pk).update(queue=queue)
                moved.set()
                time.sleep(0.5)  # the delete runs meanwhile
            edit.append("committed")
        except IntegrityError:
            edit.append("refused")
        finally:
            moved.set()
            connection.close()

    def owner_deletes_the_queue() -> None:
        moved.wait()
        try:
            services.delete_queue(queue=queue, by=organizer)
            delete.append("deleted")
        except services.QueueInUse:
            delete.append("in use")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=organizer_moves_the_competition),
        threading.Thread(target=owner_deletes_the_queue),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    competition.refresh_from_db()
    outcome = (edit, delete, competition.queue_id, Queue.objects.filter(pk=queue.pk).exists())
    if connection.vendor == "postgresql":
        assert outcome == (["refused"], ["deleted"], None, False)
    else:
        assert outcome == (["committed"], ["in use"], queue.pk, True)
