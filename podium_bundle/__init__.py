"""The competition bundle format, pure: safe reading of a bundle folder or zip into validated
data classes, every problem listed with its key path.

Shared by the server (`podium.bundles` saves what this parses) and the client (`podium bundle
check` runs the very same parser on an organizer's machine). It imports neither Django nor
the server, and of the worker only its pure modules (`archive`, `protocol`); import-linter
contracts in pyproject.toml keep it so.
"""
