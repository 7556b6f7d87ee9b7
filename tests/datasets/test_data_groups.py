"""Data groups: named sets of data files, each its owner's, listing only the files the
owner may see, every change in the audit log."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from podium.audit.models import AuditEntry
from podium.datasets import services
from podium.datasets.models import Data, DataGroup, DataGroupEntry
from tests.factories import make_data, make_user

pytestmark = pytest.mark.django_db


def entries():
    return list(
        AuditEntry.objects.order_by("id").values_list(
            "actor_name", "action", "target_type", "target_id", "details"
        )
    )


def summary(data):
    return {
        "id": data.pk,
        "key": str(data.key),
        "kind": data.kind,
        "name": data.name,
        "size": data.size,
        "created_at": data.created_at.isoformat().replace("+00:00", "Z"),
    }


def test_a_group_is_made_of_files_its_owner_may_see(api, organizer, outsider):
    mine = make_data(owner=outsider, name="mine.csv", content=b"12345")
    public = make_data(owner=organizer, name="public.csv", content=b"123", is_public=True)

    response = api(outsider).post(
        "/api/data_groups/",
        {
            "name": "Fruit",
            "description": "Photos",
            "data": [public.pk, mine.pk, mine.pk],
            "owner": "olivia",  # the server's: ignored
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    group = DataGroup.objects.get()
    body = response.json()
    assert body == {
        "id": group.pk,
        "name": "Fruit",
        "description": "Photos",
        "owner": "oscar",
        "data": [mine.pk, public.pk],
        "files": [summary(mine), summary(public)],
        "size": 8,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert entries() == [
        (
            "oscar",
            "data_group.create",
            "datagroup",
            group.pk,
            {"name": "Fruit", "data": [mine.pk, public.pk]},
        )
    ]


def test_another_users_private_file_reads_as_a_missing_one(api, organizer, outsider):
    theirs = make_data(owner=organizer, name="hidden.csv")

    response = api(outsider).post(
        "/api/data_groups/", {"name": "Taken", "data": [theirs.pk, 999999]}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "data": [f"no data files with ids {theirs.pk}, 999999 that you may use"]
    }
    assert (DataGroup.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_a_file_made_private_after_it_was_grouped_is_no_longer_listed(api, organizer, outsider):
    shared = make_data(owner=organizer, name="shared.csv", is_public=True)
    group = services.create_group(by=outsider, name="Borrowed", data=[shared])
    path = f"/api/data_groups/{group.pk}/"
    assert api(outsider).get(path).json()["data"] == [shared.pk]

    Data.objects.filter(pk=shared.pk).update(is_public=False)

    body = api(outsider).get(path).json()
    assert (body["data"], body["files"], body["size"]) == ([], [], 0)
    # The entry stays: the file is listed again once it is public again.
    assert DataGroupEntry.objects.filter(group=group).count() == 1


def test_groups_are_their_owners_and_platform_admins_see_all(api, organizer, outsider, admin):
    olivias = services.create_group(by=organizer, name="Olivia's", data=[])
    oscars = services.create_group(by=outsider, name="Oscar's", data=[])

    def listed(user):
        return [group["id"] for group in api(user).get("/api/data_groups/").json()["results"]]

    assert listed(organizer) == [olivias.pk]
    assert listed(outsider) == [oscars.pk]
    assert listed(admin) == [olivias.pk, oscars.pk]
    assert api(outsider).get(f"/api/data_groups/{olivias.pk}/").status_code == 404
    assert api(None).get("/api/data_groups/").status_code == 401


def test_an_admin_may_only_add_files_the_groups_owner_may_see(api, organizer, outsider, admin):
    group = services.create_group(by=outsider, name="Oscar's", data=[])
    private = make_data(owner=organizer, name="private.csv")

    response = api(admin).patch(
        f"/api/data_groups/{group.pk}/", {"data": [private.pk]}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"data": [f"no data files with ids {private.pk} that you may use"]}
    assert list(group.entries.all()) == []


def test_an_update_replaces_the_files_and_is_audited_once(api, organizer):
    first, second, third = (make_data(owner=organizer, name=f"{n}.csv") for n in range(3))
    group = services.create_group(by=organizer, name="Old", data=[first, second])
    AuditEntry.objects.all().delete()

    changed = api(organizer).put(
        f"/api/data_groups/{group.pk}/",
        {"name": "New", "description": "", "data": [second.pk, third.pk]},
        format="json",
    )
    unchanged = api(organizer).patch(
        f"/api/data_groups/{group.pk}/", {"data": [third.pk, second.pk]}, format="json"
    )

    assert (changed.status_code, unchanged.status_code) == (200, 200)
    assert changed.json()["data"] == [second.pk, third.pk]
    assert entries() == [
        (
            "olivia",
            "data_group.update",
            "datagroup",
            group.pk,
            {
                "before": {"name": "Old", "data": [first.pk, second.pk]},
                "after": {"name": "New", "data": [second.pk, third.pk]},
            },
        )
    ]


def test_a_patch_without_data_keeps_the_files(api, organizer):
    data = make_data(owner=organizer)
    group = services.create_group(by=organizer, name="Old", data=[data])

    response = api(organizer).patch(
        f"/api/data_groups/{group.pk}/", {"name": "Renamed"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["data"]) == ("Renamed", [data.pk])


def test_deleting_a_group_keeps_its_files(api, organizer):
    data = make_data(owner=organizer)
    group = services.create_group(by=organizer, name="Gone", data=[data])
    pk = group.pk

    response = api(organizer).delete(f"/api/data_groups/{pk}/")

    assert response.status_code == 204
    assert (DataGroup.objects.count(), DataGroupEntry.objects.count()) == (0, 0)
    assert list(Data.objects.all()) == [data]
    assert entries()[-1] == (
        "olivia",
        "data_group.delete",
        "datagroup",
        pk,
        {"name": "Gone", "data": [data.pk]},
    )


def test_deleting_a_file_takes_it_out_of_its_groups(api, organizer):
    kept, gone = make_data(owner=organizer, name="kept.csv"), make_data(owner=organizer)
    group = services.create_group(by=organizer, name="G", data=[kept, gone])

    assert api(organizer).delete(f"/api/datasets/{gone.pk}/").status_code == 204

    assert list(group.entries.values_list("data_id", flat=True)) == [kept.pk]


def test_a_group_holds_at_most_a_thousand_files(api, organizer):
    response = api(organizer).post(
        "/api/data_groups/", {"name": "Huge", "data": list(range(1, 1002))}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"data": ["Ensure this field has no more than 1000 elements."]}


def test_the_list_costs_the_same_queries_however_many_groups_and_files(api, organizer, admin):
    def queries_for_list():
        with CaptureQueriesContext(connection) as captured:
            response = api(admin).get("/api/data_groups/")
        assert response.status_code == 200
        return len(captured), len(response.json()["results"])

    def add_groups(how_many):
        for n in range(how_many):
            owner = make_user(f"host{DataGroup.objects.count()}")
            files = [make_data(owner=owner, name=f"{n}-{k}.csv") for k in range(3)]
            services.create_group(by=owner, name=f"G{n}", data=files)

    add_groups(2)
    few = queries_for_list()
    add_groups(8)
    many = queries_for_list()

    assert (few[1], many[1]) == (2, 10)
    assert few[0] == many[0]


def test_platform_admins_see_groups_and_their_files_in_the_admin(client, admin, organizer):
    data = make_data(owner=organizer, name="kept.csv")
    group = services.create_group(by=organizer, name="Kept together", data=[data])
    client.force_login(admin)

    listing = client.get("/admin/datasets/datagroup/")
    page = client.get(f"/admin/datasets/datagroup/{group.pk}/change/")

    assert (listing.status_code, page.status_code) == (200, 200)
    assert "Kept together" in listing.content.decode()
