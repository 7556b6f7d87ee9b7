"""Competition bundles: safe unpacking, a pure parser, saving in one transaction, export.

The pure part (archive, yamlsafe, dates, spec, parser, legacy) never touches the ORM; an
import-linter contract keeps it that way. `services` saves a parsed bundle and `export`
writes a competition back as a bundle.
"""
