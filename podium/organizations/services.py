"""Organizations: creating and changing them, invitations by email and their answers,
member groups, removing members, deleting, and who may act for an organization in a
competition (`check_may_act_for`, which registration and submission call).

Every change that counts members or owners locks the organization's row first, so that two
concurrent changes cannot both pass a check the other would have failed (the last owner
leaving while another is demoted, two people joining a team one place short of its limit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from podium.accounts.models import User
from podium.audit import services as audit
from podium.audit.models import Action
from podium.competitions.models import Competition, Phase
from podium.messaging import services as mail
from podium.messaging.models import Category
from podium.organizations.models import Invite, Membership, Organization, invite_expiry
from podium.participation.models import Participant
from podium.submissions.models import Submission

OWNER = Membership.Group.OWNER
WRITABLE = ("name", "description", "website", "email")


class OrganizationError(Exception):
    """A change that the organization's state or the request does not allow (400)."""


class NotAllowed(OrganizationError):
    """Refused because of who asks (403)."""


class NotFound(OrganizationError):
    """No such invitation or member (404)."""


class Conflict(OrganizationError):
    """Refused because of the state of things: the last owner, an answered invitation, an
    organization with ranked results (409)."""


class InviteExpired(OrganizationError):
    """An invitation past its expiry (410)."""


class NameTaken(OrganizationError):
    """Another organization has this name, ignoring case (400 on the name)."""


def _date(moment: Any) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def membership_of(organization: Organization, user: Any) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return organization.memberships.filter(user=user).first()


def _lock(organization: Organization) -> Organization:
    return Organization.objects.select_for_update().get(pk=organization.pk)


def _require_manager(organization: Organization, by: User) -> Membership | None:
    """The caller's membership; NotAllowed unless an owner, a manager or a platform admin."""
    membership = membership_of(organization, by)
    if by.is_superuser or (membership is not None and membership.manages):
        return membership
    raise NotAllowed(f"only the owners and managers of {organization.name} may do this")


def _acts_as_owner(by: User, membership: Membership | None) -> bool:
    return by.is_superuser or (membership is not None and membership.group == OWNER)


def _owners(organization: Organization) -> int:
    return organization.memberships.filter(group=OWNER).count()


def _check_name(name: str, *, instance: Organization | None = None) -> None:
    taken = Organization.objects.filter(name__iexact=name)
    if instance is not None:
        taken = taken.exclude(pk=instance.pk)
    if taken.exists():
        raise NameTaken(f"an organization named {name!r} already exists")


# Creating and changing


def create_organization(*, user: User, fields: Mapping[str, Any]) -> Organization:
    """A new organization with `user` as its owner."""
    values = {key: fields[key] for key in WRITABLE if key in fields}
    _check_name(values["name"])
    try:
        with transaction.atomic():
            organization = Organization.objects.create(created_by=user, **values)
            Membership.objects.create(organization=organization, user=user, group=OWNER)
    except IntegrityError:  # the same name created meanwhile
        raise NameTaken(f"an organization named {values['name']!r} already exists") from None
    return organization


def update_organization(
    organization: Organization, *, by: User, changes: Mapping[str, Any]
) -> Organization:
    """Changes the details (name, description, website, email). Owners and managers."""
    _require_manager(organization, by)
    values = {key: changes[key] for key in WRITABLE if key in changes}
    if "name" in values:
        _check_name(values["name"], instance=organization)
    for key, value in values.items():
        setattr(organization, key, value)
    try:
        with transaction.atomic():
            organization.save(update_fields=[*values, "updated_at"])
    except IntegrityError:
        raise NameTaken(f"an organization named {values['name']!r} already exists") from None
    return organization


# Taking part in competitions


def taking_part(organization: Organization) -> QuerySet[Competition]:
    """The competitions `organization` takes part in (it registered or submitted for it)
    that are not over: one of their phases is still open or yet to come. An ended
    competition no longer limits who may join."""
    now = timezone.now()
    unfinished = Phase.objects.filter(competition=OuterRef("pk")).filter(
        Q(end__isnull=True) | Q(end__gt=now)
    )
    submitted = Submission.objects.filter(
        phase__competition=OuterRef("pk"), organization=organization
    )
    registered = Participant.objects.filter(competition=OuterRef("pk"), organization=organization)
    return Competition.objects.filter(Exists(unfinished)).filter(
        Exists(submitted) | Exists(registered)
    )


def _check_team_size(organization: Organization, *, joining: int) -> None:
    """Refused when `joining` more members would exceed the smallest team size that a
    competition it takes part in allows."""
    size = organization.memberships.count() + joining
    tightest = (
        taking_part(organization)
        .filter(max_team_size__lt=size)
        .order_by("max_team_size", "pk")
        .first()
    )
    if tightest is not None:
        raise OrganizationError(
            f"{organization.name} takes part in {tightest.title!r}, which allows at most "
            f"{tightest.max_team_size} members per organization; it would have {size}"
        )


def check_may_act_for(*, organization: Organization, user: User, competition: Competition) -> None:
    """Refused unless `user` may register or submit for `organization` in `competition`:
    an owner, manager or participant of it (not a plain member), in an organization no
    larger than the competition's `max_team_size`. NotAllowed names who may act;
    OrganizationError names the limit.

    Call it inside the transaction that registers or submits: it locks the organization
    so that nobody joins between the count and the commit.
    """
    organization = _lock(organization)
    membership = membership_of(organization, user)
    if membership is None:
        raise NotAllowed(f"you are not a member of {organization.name}")
    if not membership.acts:
        raise NotAllowed(
            f"you are a {membership.group} of {organization.name}; only its owners, managers "
            "and participants may register or submit for it"
        )
    limit = competition.max_team_size
    size = organization.memberships.count()
    if limit is not None and size > limit:
        raise OrganizationError(
            f"{competition.title!r} allows at most {limit} members per organization; "
            f"{organization.name} has {size}"
        )


# Invitations


def _distinct(addresses: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for address in addresses:
        address = address.strip()
        if address.lower() not in seen:
            seen.add(address.lower())
            kept.append(address)
    return kept


def invite_link(invite: Invite) -> str:
    path = reverse("organizations:invite", args=[invite.token])
    return settings.SITE_URL.rstrip("/") + path


def _mail_invite(invite: Invite, by: User) -> None:
    organization = invite.organization
    mail.queue(
        invite.email,
        category=Category.INVITATION,
        subject=f"{by.username} invites you to join {organization.name} on Podium",
        body=(
            f"{by.username} invites you to join the organization {organization.name} as "
            f"{invite.group}.\n\n"
            f"To accept or decline, open this link, signed in with the account of "
            f"{invite.email}:\n{invite_link(invite)}\n\n"
            f"The invitation expires on {_date(invite.expires_at)}. Through the API: "
            f'POST /api/organizations/validate_invite/ with {{"token": "{invite.token}"}}.\n'
        ),
    )


def invite(
    *, organization: Organization, by: User, emails: Iterable[str], group: str
) -> list[Invite]:
    """Invites each address to join in `group` and emails it a link with the invitation's
    token. Owners and managers; only owners invite owners.

    Inviting an address that has an open (or expired) invitation refreshes it: the same
    token, the new group, a new expiry date, and another email. Refused as a whole, with
    nothing sent, when an address is a member's or when the new members would make the
    organization larger than a competition it takes part in allows.
    """
    addresses = _distinct(emails)
    if not addresses:
        raise OrganizationError("name at least one email address")
    with transaction.atomic():
        organization = _lock(organization)
        inviter = _require_manager(organization, by)
        if group == OWNER and not _acts_as_owner(by, inviter):
            raise NotAllowed("only owners may invite owners")
        members = {
            email.lower()
            for email in organization.memberships.values_list("user__email", flat=True)
            if email
        }
        already = [address for address in addresses if address.lower() in members]
        if already:
            raise OrganizationError(f"already members of {organization.name}: {', '.join(already)}")
        _check_team_size(organization, joining=len(addresses))
        invites = []
        for address in addresses:
            sent = _open_invite(organization, address, group=group, by=by)
            _mail_invite(sent, by)
            invites.append(sent)
    return invites


def _open_invite(organization: Organization, address: str, *, group: str, by: User) -> Invite:
    current = organization.invites.filter(
        email__iexact=address, accepted_at__isnull=True, declined_at__isnull=True
    ).first()
    if current is None:
        return Invite.objects.create(
            organization=organization, email=address, group=group, invited_by=by
        )
    current.group = group
    current.invited_by = by
    current.expires_at = invite_expiry()
    current.save(update_fields=["group", "invited_by", "expires_at", "updated_at"])
    return current


def answer_invite(*, token: str, user: User, accept: bool) -> Invite:
    """Accepts (joining in the invited group) or declines the invitation with `token`, for
    the signed-in user whose email address it was sent to.

    NotFound for an unknown token; NotAllowed for another address's invitation; Conflict
    once answered, or when accepting while already a member; InviteExpired past its date;
    OrganizationError when joining would exceed a competition's team size.
    """
    found = Invite.objects.filter(token=token).select_related("organization").first()
    if found is None:
        raise NotFound("no invitation has this token; check the link, or ask for a new invitation")
    if not user.email or user.email.lower() != found.email.lower():
        raise NotAllowed(
            f"this invitation was sent to {found.email}, not to the address of your account; "
            "sign in with the account of that address"
        )
    with transaction.atomic():
        organization = _lock(found.organization)
        invitation = Invite.objects.select_for_update().get(pk=found.pk)
        invitation.organization = organization
        if invitation.accepted_at is not None:
            raise Conflict(f"this invitation was accepted on {_date(invitation.accepted_at)}")
        if invitation.declined_at is not None:
            raise Conflict(f"this invitation was declined on {_date(invitation.declined_at)}")
        if invitation.expires_at <= timezone.now():
            raise InviteExpired(
                f"this invitation expired on {_date(invitation.expires_at)}; ask the owners or "
                f"managers of {organization.name} for a new one"
            )
        if not accept:
            invitation.declined_at = timezone.now()
            invitation.save(update_fields=["declined_at", "updated_at"])
            return invitation
        if organization.memberships.filter(user=user).exists():
            raise Conflict(f"you are already a member of {organization.name}")
        _check_team_size(organization, joining=1)
        Membership.objects.create(organization=organization, user=user, group=invitation.group)
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at", "updated_at"])
    return invitation


# Members


def find_member(
    organization: Organization, *, by: User, member: int | None, username: str | None
) -> Membership:
    """The membership named by its id or its user's username. Only members (and platform
    admins) look members up: anyone else is refused before learning who is a member."""
    if not by.is_superuser and membership_of(organization, by) is None:
        raise NotAllowed(f"only the members of {organization.name} may do this")
    found = organization.memberships.select_related("user")
    found = found.filter(pk=member) if member is not None else found.filter(user__username=username)
    membership = found.first()
    if membership is None:
        named = f"member {member}" if member is not None else repr(username)
        raise NotFound(f"{named} is not a member of {organization.name}")
    return membership


def change_group(
    *, organization: Organization, by: User, member: Membership, group: str
) -> Membership:
    """Moves `member` to `group`. Owners and managers; only owners make owners or change an
    owner's group; the last owner stays an owner."""
    with transaction.atomic():
        organization = _lock(organization)
        actor = _require_manager(organization, by)
        member = Membership.objects.select_related("user").get(pk=member.pk)
        if (group == OWNER or member.group == OWNER) and not _acts_as_owner(by, actor):
            raise NotAllowed("only owners may make an owner or change an owner's group")
        if member.group == group:
            return member
        if member.group == OWNER and _owners(organization) == 1:
            raise Conflict(
                f"{member.user.username} is the last owner of {organization.name}; make "
                "another member an owner first"
            )
        before = member.group
        member.group = group
        member.save(update_fields=["group", "updated_at"])
        audit.record(
            actor=by,
            action=Action.ORGANIZATION_MEMBER_GROUP,
            target=organization,
            details={"user": member.user.username, "from": before, "to": group},
        )
    return member


def remove_member(*, organization: Organization, by: User, member: Membership) -> None:
    """Removes `member`: any member may leave; owners and managers remove others, and
    only owners remove owners. The last owner can neither leave nor be removed."""
    with transaction.atomic():
        organization = _lock(organization)
        member = Membership.objects.select_related("user").get(pk=member.pk)
        leaving = member.user_id == by.pk
        if not leaving:
            actor = _require_manager(organization, by)
            if member.group == OWNER and not _acts_as_owner(by, actor):
                raise NotAllowed("only owners may remove an owner")
        if member.group == OWNER and _owners(organization) == 1:
            raise Conflict(
                f"{member.user.username} is the last owner of {organization.name}; make "
                "another member an owner first, or delete the organization"
            )
        audit.record(
            actor=by,
            action=Action.ORGANIZATION_MEMBER_REMOVE,
            target=organization,
            details={"user": member.user.username, "group": member.group, "left": leaving},
        )
        member.delete()


def delete_organization(*, organization: Organization, by: User) -> None:
    """Deletes the organization with its memberships and invitations. Its owners (and
    platform admins) only.

    Refused (Conflict) while any of its submissions is an entry of a leaderboard: the
    competition's results would silently lose the team's name. Its submissions elsewhere
    stay, as their owners' own.
    """
    with transaction.atomic():
        organization = _lock(organization)
        if not _acts_as_owner(by, membership_of(organization, by)):
            raise NotAllowed(f"only the owners of {organization.name} may delete it")
        ranked = (
            Competition.objects.filter(
                phases__submissions__organization=organization,
                phases__submissions__leaderboard__isnull=False,
            )
            .distinct()
            .order_by("title")
            .values_list("title", flat=True)
        )
        titles = list(ranked)
        if titles:
            raise Conflict(
                f"{organization.name} has entries on the leaderboards of "
                f"{', '.join(repr(title) for title in titles)}; remove them from the "
                "leaderboards (or delete those submissions) first, so that no results lose "
                "the team's name"
            )
        audit.record(
            actor=by,
            action=Action.ORGANIZATION_DELETE,
            target=organization,
            details={
                "name": organization.name,
                "members": sorted(
                    organization.memberships.values_list("user__username", flat=True)
                ),
            },
        )
        organization.delete()
