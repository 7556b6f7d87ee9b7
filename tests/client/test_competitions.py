"""`podium competitions`, `competition`, `register` and `participants`, against a live server."""

from __future__ import annotations

from podium.competitions.models import Competition
from podium.participation.models import Participant
from tests.client.conftest import cells, token_for
from tests.factories import make_competition, make_user


def test_competitions_lists_what_the_caller_may_see_as_a_table_or_as_json(
    podium, contest, organizer
):
    make_competition(owner=organizer, title="Hidden draft", published=False)

    table = podium("competitions")
    as_json = podium("competitions", "--json")

    assert table.code == 0
    assert cells(table.stdout) == [
        ["Competitions"],
        ["ID", "Title", "Type", "Organizer", "Published"],
        [str(contest.id), "Client Cup", "competition", "olivia", "yes"],
    ]
    assert as_json.code == 0
    assert [(row["id"], row["title"], row["published"]) for row in as_json.json()] == [
        (contest.id, "Client Cup", True)
    ]


def test_competitions_mine_lists_what_one_owns_or_entered_with_the_role(
    podium, contest, organizer, entrant, applicant, outsider
):
    make_competition(owner=outsider, title="Oscar's own")

    def mine(user) -> list[tuple[str, str]]:
        ran = podium("competitions", "--mine", "--json", token=token_for(user))
        assert ran.code == 0, ran.stderr
        return [(row["title"], row["role"]) for row in ran.json()]

    assert mine(organizer) == [("Client Cup", "owner")]
    assert mine(entrant) == [("Client Cup", "approved")]
    assert mine(applicant) == [("Client Cup", "pending")]
    assert mine(outsider) == [("Oscar's own", "owner")]


def test_competitions_mine_needs_an_account(podium, server, contest):
    ran = podium("competitions", "--mine")

    assert ran.code == 3
    assert ran.stderr == (
        f"error: not signed in to {server}: run `podium login`, or pass --token or set "
        "PODIUM_TOKEN\n"
    )


def test_competition_shows_its_settings_phases_and_leaderboards(podium, contest, server):
    competition = Competition.objects.get(pk=contest.id)
    board = competition.leaderboards.get()

    ran = podium("competition", str(contest.id))
    as_json = podium("competition", str(contest.id), "--json")

    assert ran.code == 0
    assert cells(ran.stdout) == [
        ["Competition:", str(contest.id)],
        ["Title:", "Client Cup"],
        ["Type:", "competition"],
        ["Organizers:", "olivia"],
        ["Published:", "yes"],
        ["Registration:", "approved by the organizers"],
        ["Contact:", "-"],
        ["You organize it:", "no"],
        ["Page:", f"{server}/competitions/{contest.id}/"],
        [],
        ["Phases"],
        ["Phase ID", "Name", "Start", "End"],
        [str(contest.phase), "Phase", "TIME", "-"],
        [],
        ["Leaderboards"],
        ["Leaderboard ID", "Key", "Title"],
        [str(board.pk), "main", "Results"],
    ]
    assert as_json.json()["phases"][0]["id"] == contest.phase
    assert as_json.json()["is_organizer"] is False


def test_an_unknown_competition_is_refused_with_the_servers_message(podium, server):
    ran = podium("competition", "999")

    assert (ran.code, ran.stdout) == (4, "")
    assert ran.stderr == "error: No Competition matches the given query.\n"


def test_register_with_the_terms_accepted_waits_for_the_organizers(podium, contest, outsider):
    ran = podium("register", str(contest.id), "--accept-terms", token=token_for(outsider))

    registration = Participant.objects.get(user=outsider)
    assert ran.code == 0
    assert ran.stdout == (
        f"Registration {registration.pk} to competition {contest.id}: pending: the organizers "
        "decide, and you are emailed.\n"
    )
    assert registration.status == Participant.Status.PENDING


def test_register_without_accepting_the_terms_gives_the_servers_reason(podium, contest, outsider):
    ran = podium("register", str(contest.id), "--json", token=token_for(outsider))

    assert (ran.code, ran.stdout) == (4, "")
    assert ran.stderr == (
        "error: accept_terms: this competition has terms: read them and accept them "
        "(accept_terms: true)\n"
    )
    assert not Participant.objects.filter(user=outsider).exists()


def test_participants_lists_a_competitions_registrations_to_its_organizers(
    podium, contest, organizer, entrant, applicant
):
    token = token_for(organizer)

    table = podium("participants", str(contest.id), token=token)
    pending = podium("participants", str(contest.id), "--status", "pending", "--json", token=token)

    assert table.code == 0
    assert cells(table.stdout) == [
        [f"Registrations to competition {contest.id}"],
        ["ID", "User", "Email", "Status", "Reason", "Registered"],
        [str(entrant.participations.get().pk), "erin", "erin@example.org", "approved", "-",
         "TIME"],
        [str(applicant.participations.get().pk), "abel", "abel@example.org", "pending", "-",
         "TIME"],
    ]  # fmt: skip
    assert [(row["user"], row["status"]) for row in pending.json()] == [("abel", "pending")]


def test_organizers_approve_by_username_and_deny_by_id_with_a_reason(
    podium, contest, organizer, applicant
):
    late = make_user("lou")
    competition = Competition.objects.get(pk=contest.id)
    registration = Participant.objects.create(
        user=late, competition=competition, status=Participant.Status.PENDING
    )
    token = token_for(organizer)

    approved = podium("participants", str(contest.id), "--approve", "abel", token=token)
    reason = "Use your institutional address"
    denied = podium("participants", str(contest.id), "--deny", str(registration.pk),
                    "--reason", reason, "--json", token=token)  # fmt: skip

    assert approved.code == 0
    assert approved.stdout == (
        f"abel (registration {applicant.participations.get().pk}) is now approved.\n"
    )
    assert applicant.participations.get().status == Participant.Status.APPROVED
    assert denied.code == 0
    assert (denied.json()["status"], denied.json()["reason"]) == (
        "denied",
        "Use your institutional address",
    )
    registration.refresh_from_db()
    assert (registration.status, registration.reason) == (
        Participant.Status.DENIED,
        "Use your institutional address",
    )


def test_deny_needs_a_reason_and_changes_nothing_without_one(podium, contest, organizer, applicant):
    ran = podium("participants", str(contest.id), "--deny", "abel", token=token_for(organizer))

    assert (ran.code, ran.stderr) == (2, "error: --deny needs --reason: the participant reads it\n")
    assert applicant.participations.get().status == Participant.Status.PENDING


def test_a_registration_to_another_competition_is_not_decided(podium, contest, organizer, outsider):
    other = make_competition(owner=organizer, title="Other")
    elsewhere = Participant.objects.create(
        user=outsider, competition=other, status=Participant.Status.PENDING
    )

    by_id = podium("participants", str(contest.id), "--approve", str(elsewhere.pk),
                   token=token_for(organizer))  # fmt: skip
    by_name = podium("participants", str(contest.id), "--approve", "oscar",
                     token=token_for(organizer))  # fmt: skip

    assert (by_id.code, by_id.stderr) == (
        2,
        f"error: registration {elsewhere.pk} is to competition {other.pk}, not {contest.id}\n",
    )
    assert (by_name.code, by_name.stderr) == (
        2,
        f"error: 'oscar' has not registered to competition {contest.id}\n",
    )
    elsewhere.refresh_from_db()
    assert elsewhere.status == Participant.Status.PENDING


def test_a_participant_cannot_decide_registrations(podium, contest, entrant, applicant):
    registration = applicant.participations.get()

    ran = podium("participants", str(contest.id), "--approve", str(registration.pk),
                 token=token_for(entrant))  # fmt: skip

    # A participant sees only their own registration: another's is not found at all.
    assert (ran.code, ran.stderr) == (4, "error: No Participant matches the given query.\n")
    registration.refresh_from_db()
    assert registration.status == Participant.Status.PENDING


def test_organizers_publish_and_unpublish_and_publishing_twice_changes_nothing(
    podium, organizer, outsider
):
    draft = make_competition(owner=organizer, title="Draft Cup", published=False)
    token = token_for(organizer)

    first = podium("publish", str(draft.pk), token=token)
    second = podium("publish", str(draft.pk), "--json", token=token)
    draft.refresh_from_db()
    published = draft.published
    hidden = podium("publish", str(draft.pk), "--unpublish", token=token)
    draft.refresh_from_db()

    assert (first.code, first.stdout) == (0, f"Competition {draft.pk} (Draft Cup) is published.\n")
    assert (second.code, second.json()["published"], published) == (0, True, True)
    assert hidden.stdout == f"Competition {draft.pk} (Draft Cup) is not published.\n"
    assert draft.published is False


def test_only_organizers_publish(podium, contest, entrant):
    Competition.objects.filter(pk=contest.id).update(published=False)
    competition = make_competition(owner=entrant, title="Erin's", published=True)

    refused = podium(
        "publish", str(competition.pk), "--unpublish", token=token_for(make_user("zed"))
    )

    assert (refused.code, refused.stderr) == (
        4,
        "error: only organizers may do this to a competition\n",
    )
    competition.refresh_from_db()
    assert competition.published is True
