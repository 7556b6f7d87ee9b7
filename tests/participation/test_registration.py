import pytest

from podium.accounts.models import User
from podium.competitions.models import Competition
from podium.participation import services
from podium.participation.models import Participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizer():
    return User.objects.create_user("olivia", "olivia@example.org", "pw")


@pytest.fixture
def user():
    return User.objects.create_user("paul", "paul@example.org", "pw")


@pytest.fixture
def competition(organizer):
    return Competition.objects.create(title="C", created_by=organizer, published=True)


def test_registration_is_pending_unless_the_competition_auto_approves(user, competition):
    assert services.register(user=user, competition=competition).status == "pending"
    competition.registration_auto_approve = True
    competition.save()
    other = User.objects.create_user("quinn", "q@example.org", "pw")
    assert services.register(user=other, competition=competition).status == "approved"


def test_registering_twice_keeps_one_registration(user, competition):
    first = services.register(user=user, competition=competition)
    second = services.register(user=user, competition=competition)
    assert first.pk == second.pk
    assert Participant.objects.filter(user=user).count() == 1


def test_an_unpublished_competition_takes_no_registrations(user, competition):
    competition.published = False
    competition.save()
    with pytest.raises(services.RegistrationError, match="this competition is not published"):
        services.register(user=user, competition=competition)
    assert Participant.objects.count() == 0


def test_organizers_approve_and_deny_with_a_reason(user, organizer, competition):
    participant = services.register(user=user, competition=competition)
    with pytest.raises(services.RegistrationError, match="a reason is required"):
        services.deny(participant, by=organizer, reason="  ")
    services.deny(participant, by=organizer, reason="Use your university address")
    participant.refresh_from_db()
    assert (participant.status, participant.reason, participant.decided_by) == (
        "denied",
        "Use your university address",
        organizer,
    )
    services.approve(participant, by=organizer)
    participant.refresh_from_db()
    assert (participant.status, participant.reason) == ("approved", "")


def test_a_denied_participant_may_apply_again(user, organizer, competition):
    participant = services.register(user=user, competition=competition)
    services.deny(participant, by=organizer, reason="incomplete form")
    again = services.register(user=user, competition=competition)
    assert (again.pk, again.status, again.reason) == (participant.pk, "pending", "")


def test_revoking_needs_an_approved_participant_and_blocks_reapplying(user, organizer, competition):
    participant = services.register(user=user, competition=competition)
    with pytest.raises(services.RegistrationError, match="only an approved participant"):
        services.revoke(participant, by=organizer, reason="cheating")
    services.approve(participant, by=organizer)
    services.revoke(participant, by=organizer, reason="shared accounts")
    with pytest.raises(services.RegistrationError) as raised:
        services.register(user=user, competition=competition)
    assert str(raised.value) == "your participation was revoked by the organizers: shared accounts"
    participant.refresh_from_db()
    assert participant.status == "revoked"


def test_an_approved_participant_cannot_be_denied(user, organizer, competition):
    participant = services.register(user=user, competition=competition)
    services.approve(participant, by=organizer)
    with pytest.raises(services.RegistrationError) as raised:
        services.deny(participant, by=organizer, reason="late")
    assert str(raised.value) == (
        "only a pending registration can be denied; this one is approved "
        "(revoke an approved participant instead)"
    )
