"""Forums: one per competition, threads and posts in sanitized Markdown, moderation and
followers' mail."""
