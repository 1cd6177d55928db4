"""The Terraform rows of the bad-input catalogue (test_catalogue.py has the others and the checks)."""

from __future__ import annotations

import pytest

from tests.integration.catalogue.cases import CASES
from tests.integration.catalogue.test_catalogue import check_case

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.area == "Terraform"])
def test_bad_input(name, ctx):
    check_case(name, ctx)
