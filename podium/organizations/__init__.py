"""Organizations (teams) with member groups and invites."""
