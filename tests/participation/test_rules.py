"""The registration form's rules, the allow-list's matching and the terms' fingerprint:
plain functions, no database."""

from __future__ import annotations

import hashlib
import re

import pytest

from podium.participation import rules
from podium.participation.rules import Question

FORM = [
    Question(key="affiliation", label="Affiliation", kind="text", required=True),
    Question(key="plans", label="What will you do?", kind="long_text"),
    Question(key="track", label="Track", kind="single_choice", required=True, choices=("a", "b")),
    Question(key="tasks", label="Tasks", kind="multiple_choice", choices=("x", "y", "z")),
    Question(key="eua", label="I signed the EUA", kind="checkbox", required=True),
]


def test_answers_that_fit_are_kept_one_per_question_with_empty_ones_filled_in():
    kept = rules.check_answers(
        FORM, {"affiliation": "  CNRS ", "track": "b", "tasks": ["z", "x"], "eua": True}
    )
    assert kept == {
        "affiliation": "CNRS",
        "plans": "",
        "track": "b",
        "tasks": ["x", "z"],
        "eua": True,
    }


def test_every_wrong_answer_is_named_with_its_question():
    with pytest.raises(rules.AnswersInvalid) as raised:
        rules.check_answers(
            FORM,
            {
                "affiliation": "   ",
                "plans": 42,
                "track": "c",
                "tasks": ["x", "w"],
                "eua": False,
                "age": 30,
            },
        )
    assert raised.value.errors == {
        "age": ["This is not a question of this registration form."],
        "affiliation": ["This question is required."],
        "plans": ["Answer with text."],
        "track": ["'c' is not one of: a, b."],
        "tasks": ["'w' is not one of: x, y, z."],
        "eua": ["This box must be checked."],
    }


@pytest.mark.parametrize(
    ("question", "answer", "error"),
    [
        (Question(key="q", label="Q", kind="checkbox"), "yes", "Answer true or false."),
        (Question(key="q", label="Q", kind="multiple_choice", choices=("a",)), "a", None),
        (
            Question(key="q", label="Q", kind="multiple_choice", choices=("a",), required=True),
            [],
            "Choose at least one.",
        ),
        (
            Question(key="q", label="Q", kind="single_choice", choices=("a",), required=True),
            None,
            "This question is required.",
        ),
        (Question(key="q", label="Q", kind="text"), "x" * 1001, None),
        (Question(key="q", label="Q", kind="long_text"), "x" * 10_001, None),
    ],
)
def test_answers_of_the_wrong_shape_or_size_are_refused(question, answer, error):
    expected = {
        "multiple_choice": "Answer a list of choices.",
        "text": "At most 1000 characters; this answer has 1001.",
        "long_text": "At most 10000 characters; this answer has 10001.",
    }
    with pytest.raises(rules.AnswersInvalid) as raised:
        rules.check_answers([question], {"q": answer})
    assert raised.value.errors == {"q": [error or expected[question.kind]]}


def test_optional_questions_may_be_left_out_and_answers_must_be_an_object():
    optional = [
        Question(key="t", label="T", kind="text"),
        Question(key="s", label="S", kind="single_choice", choices=("a",)),
        Question(key="c", label="C", kind="checkbox"),
    ]
    assert rules.check_answers(optional, None) == {"t": "", "s": None, "c": False}
    with pytest.raises(rules.AnswersInvalid) as raised:
        rules.check_answers(optional, ["t"])
    assert raised.value.errors == {"answers": ["Send an object of answers keyed by question key."]}


@pytest.mark.parametrize(
    ("question", "problems"),
    [
        (Question(key="Affiliation", label="A", kind="text"), {"key"}),
        (Question(key="a", label="A", kind="dropdown"), {"kind"}),
        (Question(key="a", label="A", kind="single_choice"), {"choices"}),
        (Question(key="a", label="A", kind="multiple_choice", choices=("x", "x")), {"choices"}),
        (Question(key="a", label="A", kind="single_choice", choices=("x", " ")), {"choices"}),
        (Question(key="a", label="A", kind="checkbox", choices=("x",)), {"choices"}),
        (Question(key="a_1", label="A", kind="single_choice", choices=("x",)), set()),
    ],
)
def test_a_question_definition_is_checked_field_by_field(question, problems):
    assert set(rules.question_problems(question)) == problems


def test_the_terms_fingerprint_is_the_sha256_of_their_text():
    assert rules.terms_sha256("Be nice.") == hashlib.sha256(b"Be nice.").hexdigest()
    assert rules.terms_sha256("Be nice.") != rules.terms_sha256("Be nice!")


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Example.ORG", "example.org"),
        ("@lab.example.org", "lab.example.org"),
        (" Ada@Uni.EDU ", "ada@uni.edu"),
    ],
)
def test_allow_list_entries_are_stored_lowercase(raw, stored):
    assert rules.allow_list_entry(raw) == stored


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("localhost", "'localhost' is neither an email address nor a domain like example.org."),
        ("ada@", "'ada@' is neither an email address nor a domain like example.org."),
        ("a b@example.org", "'a b@example.org' is not an email address."),
        (
            "exa_mple.org",
            "'exa_mple.org' is neither an email address nor a domain like example.org.",
        ),
        ("-x.org", "'-x.org' is neither an email address nor a domain like example.org."),
    ],
)
def test_allow_list_entries_that_are_neither_addresses_nor_domains_are_refused(raw, error):
    with pytest.raises(ValueError, match=re.escape(error)):
        rules.allow_list_entry(raw)


@pytest.mark.parametrize(
    ("address", "entry"),
    [
        ("ada@example.org", "example.org"),
        ("ADA@CS.Example.org", "example.org"),
        ("bob@uni.edu", "bob@uni.edu"),
        ("Bob@Uni.EDU", "bob@uni.edu"),
        ("ada@badexample.org", None),
        ("carl@uni.edu", None),
        ("bob@cs.uni.edu", None),
        ("not-an-address", None),
    ],
)
def test_the_allow_list_matches_addresses_and_domains_whatever_the_case(address, entry):
    assert rules.allowed(address, ["bob@uni.edu", "example.org"]) == entry
