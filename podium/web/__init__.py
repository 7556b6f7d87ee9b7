"""What the web pages are built from, apart from their views and templates: the front-end
packages served from node_modules (`assets`), the competition listing (`listing`), a
phase's results as a page shows them (`results`) and a participant's own submissions
(`submissions`). Read-only: every rule stays in its app's services and querysets."""
