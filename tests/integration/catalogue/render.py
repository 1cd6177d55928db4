"""Rewrite the table in docs/bad-input.md from the catalogue cases."""

import sys

import tests.integration.catalogue.test_catalogue  # noqa: F401  (registers the cases)
from tests.integration.catalogue.cases import CASES, DOC, render

DOC.write_text(render(DOC.read_text()))
print(f"wrote {len(CASES)} cases to {DOC}", file=sys.stderr)
