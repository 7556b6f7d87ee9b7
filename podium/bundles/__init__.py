"""Competition bundles on the server: saving a parsed bundle in one transaction (`services`),
and writing a competition back as a bundle (`export`).

The parser itself is pure and lives in the top-level package `podium_bundle`, which the client
shares; `parser`, `problems` and `yamlsafe` here are the server's names for its modules.
"""
