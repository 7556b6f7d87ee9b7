"""Avatars: checked like every uploaded image (format, bytes, pixels, bombs), stored
re-encoded, small and without metadata, and served from an address that changes with them."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from podium.accounts.models import Profile
from tests.bundles.hostile_corpus import png
from tests.factories import make_user

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
ORIENTATION = 0x0112


@pytest.fixture
def vera(db):
    return make_user("vera")


def picture(format: str, size=(600, 400), mode="RGB", exif=None) -> bytes:
    buffer = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    Image.new(mode, size, "teal").save(buffer, format=format, **options)
    return buffer.getvalue()


def upload(api, user, name: str, content: bytes):
    return api(user).post(
        "/api/users/me/avatar/",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def stored(storage) -> list[str]:
    return sorted(str(path.relative_to(storage)) for path in storage.rglob("*.*"))


def served(path: str) -> Image.Image:
    response = Client().get(path)
    assert response.status_code == 200
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    image.load()
    return image


@pytest.mark.parametrize(
    ("format", "extension", "content_type"),
    [("PNG", "png", "image/png"), ("JPEG", "jpg", "image/jpeg"), ("WEBP", "webp", "image/webp")],
)
def test_an_avatar_is_stored_small_and_served(api, vera, storage, format, extension, content_type):
    response = upload(api, vera, f"me.{extension}", picture(format))

    assert response.status_code == 200
    path = response.json()["avatar"]
    assert path.startswith(f"/avatars/{vera.pk}/")
    assert path.endswith(f".{extension}")
    assert stored(storage) == [path.removeprefix("/")]
    answer = Client().get(path)
    assert b"".join(answer.streaming_content)
    assert (answer["Content-Type"], answer["Cache-Control"]) == (
        content_type,
        "public, max-age=31536000, immutable",
    )
    image = served(path)
    assert (image.format, image.size) == (format, (512, 341))
    assert api(None).get("/api/users/vera/").json()["avatar"] == path


def test_a_photo_is_turned_upright_and_loses_its_metadata(api, vera):
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # shown turned a quarter clockwise
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD)[2] = (48.0, 51.0, 24.0)  # latitude: where the photo was taken
    photo = picture("JPEG", size=(600, 300), exif=exif.tobytes())
    assert Image.open(io.BytesIO(photo)).getexif()[0x010F] == "PhoneMaker"

    response = upload(api, vera, "photo.jpg", photo)

    image = served(response.json()["avatar"])
    assert image.size == (256, 512)
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info


def test_a_new_avatar_replaces_the_old_one_everywhere(
    api, vera, storage, django_capture_on_commit_callbacks
):
    first = upload(api, vera, "a.png", picture("PNG")).json()["avatar"]

    with django_capture_on_commit_callbacks(execute=True):
        second = upload(api, vera, "b.png", picture("PNG", size=(64, 64))).json()["avatar"]

    assert first != second
    assert stored(storage) == [second.removeprefix("/")]
    assert Client().get(first).status_code == 404
    assert served(second).size == (64, 64)


def test_removing_the_avatar_deletes_the_file(
    api, vera, storage, django_capture_on_commit_callbacks
):
    path = upload(api, vera, "a.png", picture("PNG")).json()["avatar"]

    with django_capture_on_commit_callbacks(execute=True):
        response = api(vera).delete("/api/users/me/avatar/")

    assert response.status_code == 204
    assert stored(storage) == []
    assert Profile.objects.get(user=vera).avatar.name == ""
    assert Client().get(path).status_code == 404
    assert api(vera).get("/api/users/me/").json()["avatar"] is None


SCRIPTED_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
HOSTILE = [
    pytest.param("a.gif", picture("GIF"), "'a.gif' is GIF; use PNG, JPEG or WebP", id="gif"),
    pytest.param(
        "a.svg",
        SCRIPTED_SVG,
        "'a.svg' is not a readable image (use PNG, JPEG or WebP)",
        id="svg-with-script",
    ),
    pytest.param(
        "a.png",
        b"not an image at all",
        "'a.png' is not a readable image (use PNG, JPEG or WebP)",
        id="not-an-image",
    ),
    pytest.param(
        "a.jpg",
        picture("JPEG")[:300],
        "'a.jpg' is not a readable image (use PNG, JPEG or WebP)",
        id="truncated-jpeg",
    ),
    pytest.param(
        "a.png",
        png(5000, 5000, rows=1),
        "'a.png' is 5000x5000 pixels; the limit is 4096x4096",
        id="too-many-pixels",
    ),
    pytest.param(
        "a.png",
        png(50_000, 50_000, rows=1),
        "'a.png' is not a readable image (Image size (2500000000 pixels) exceeds limit of "
        "178956970 pixels, could be decompression bomb DOS attack.)",
        id="decompression-bomb",
    ),
]


@pytest.mark.parametrize(("name", "content", "verdict"), HOSTILE)
def test_what_is_not_a_fitting_image_is_refused_with_the_reason(
    api, vera, storage, name, content, verdict
):
    response = upload(api, vera, name, content)

    assert (response.status_code, response.json()) == (400, {"file": [verdict]})
    assert stored(storage) == []
    assert Profile.objects.filter(user=vera).exclude(avatar="").count() == 0


def test_the_byte_limit_is_a_setting(api, vera, settings, storage):
    settings.AVATAR_MAX_BYTES = 100

    response = upload(api, vera, "a.png", picture("PNG"))

    assert (response.status_code, response.json()) == (
        400,
        {"file": ["'a.png' is larger than 100 bytes"]},
    )
    assert stored(storage) == []


def test_the_pixel_limit_is_a_setting(api, vera, settings):
    settings.AVATAR_MAX_PIXELS = 100 * 50

    response = upload(api, vera, "a.png", picture("PNG", size=(101, 50)))

    assert (response.status_code, response.json()) == (
        400,
        {"file": ["'a.png' is 101x50 pixels; the limit is 5000 pixels"]},
    )


def test_a_bomb_is_refused_even_under_a_generous_pixel_limit(api, vera, settings):
    settings.AVATAR_MAX_PIXELS = 200_000_000

    response = upload(api, vera, "a.png", png(10_000, 10_000, rows=1))

    assert (response.status_code, response.json()) == (
        400,
        {
            "file": [
                "'a.png' is not a readable image (Image size (100000000 pixels) exceeds limit "
                "of 89478485 pixels, could be decompression bomb DOS attack.)"
            ]
        },
    )


def test_an_upload_needs_a_file(api, vera):
    response = api(vera).post("/api/users/me/avatar/", {}, format="multipart")

    assert (response.status_code, response.json()) == (
        400,
        {"file": ["No file was submitted."]},
    )


def test_an_inactive_users_avatar_is_not_served(api, vera):
    path = upload(api, vera, "a.png", picture("PNG")).json()["avatar"]
    vera.is_active = False
    vera.save()

    assert Client().get(path).status_code == 404


@pytest.mark.parametrize("path", ["/avatars/1/x.png", "/avatars/1/..%2F..%2Fpodium.sqlite3"])
def test_addresses_that_name_no_current_avatar_are_not_found(path):
    assert Client().get(path).status_code == 404
