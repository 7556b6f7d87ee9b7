from __future__ import annotations

from rest_framework import serializers

from podium.messaging.models import Preferences


class PreferencesSerializer(serializers.ModelSerializer[Preferences]):
    unsubscribed_competitions = serializers.SerializerMethodField(
        help_text="Competitions whose organizers' emails this user turned off."
    )

    class Meta:
        model = Preferences
        fields = [
            "registration",
            "announcement",
            "forum",
            "submission",
            "organizer",
            "unsubscribed_competitions",
        ]

    def get_unsubscribed_competitions(self, prefs: Preferences) -> list[int]:
        return sorted(prefs.user.unsubscriptions.values_list("competition_id", flat=True))
