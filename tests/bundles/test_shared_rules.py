"""The rules the bundle parser shares with the rest of the server give the same verdicts on both
sides: reserved column keys and leaderboard definitions (the leaderboards API), and the image
check (avatars). The parser's own copies live in `podium_bundle`, which may not import the
server; the server's names for them are podium.leaderboards.keys, podium.leaderboards.definition
and podium.core.images."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from podium.core import images as server_images
from podium.leaderboards import definition as server_definition
from podium.leaderboards import keys as server_keys
from podium_bundle import images, leaderboard_definition, leaderboard_keys
from podium_worker.protocol import METRIC_KEYS
from tests.bundles.builders import tiny_png

KEYS = [
    *sorted(METRIC_KEYS),
    "accuracy",
    "podium:custom.flops",
    "podium:custom.",
    "podium:custom.bad name",
    "podium:prediction.walltime",
    "podium:",
]


@pytest.mark.parametrize("key", KEYS)
def test_a_column_key_gets_the_same_verdict_on_both_sides(key):
    assert leaderboard_keys.problem(key) == server_keys.problem(key)
    assert leaderboard_keys.written_by_the_scoring_program(
        key
    ) == server_keys.written_by_the_scoring_program(key)


DEFINITIONS = [
    ([{"index": 0, "key": "score"}], 0, None),
    ([{"index": 0, "key": "score"}, {"index": 0, "key": "score"}], 1, None),
    ([{"index": 0, "key": "a", "computation": "avg", "computation_indexes": [0, 3]}], 0, None),
    ([{"index": 0, "key": "a"}, {"index": 1, "key": "b"}], 0, {"score": "a", "cost": "a"}),
    ([{"index": 0, "key": "a"}], 0, {"score": "a", "cost": "zzz"}),
    ([], 0, None),
]


@pytest.mark.parametrize(("columns", "primary", "frontier"), DEFINITIONS)
def test_a_leaderboard_definition_gets_the_same_problems_on_both_sides(columns, primary, frontier):
    assert leaderboard_definition.problems(
        columns, primary, frontier
    ) == server_definition.problems(columns, primary, frontier)


def picture(kind: str) -> bytes:
    if kind == "png":
        return tiny_png()
    if kind == "huge":
        return tiny_png(5000, 5000)
    if kind == "garbage":
        return b"\x89PNG\r\n\x1a\nnot really"
    out = io.BytesIO()
    Image.new("RGB", (2, 2)).save(out, format="BMP")
    return out.getvalue()


@pytest.mark.parametrize("kind", ["png", "huge", "garbage", "bmp"])
def test_an_image_gets_the_same_verdict_on_both_sides(kind):
    content = picture(kind)

    def verdict(module) -> object:
        limits = module.ImageLimits(max_bytes=100_000, max_pixels=4096 * 4096, formats=("PNG",))
        try:
            facts = module.check_image(io.BytesIO(content), size=len(content), limits=limits)
        except module.ImageRefused as refused:
            return str(refused)
        return (facts.format, facts.width, facts.height)

    assert verdict(images) == verdict(server_images)
