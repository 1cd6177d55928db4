"""The bad-input catalogue: every case a user can get wrong, the exact message they see, and the
exit code. ``test_catalogue.py`` runs each case; ``docs/bad-input.md`` is rendered from here
(``python -m tests.integration.catalogue.render`` rewrites it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "bad-input.md"
START, END = "<!-- catalogue:start -->", "<!-- catalogue:end -->"


@dataclass(frozen=True)
class Case:
    name: str
    area: str
    bad_input: str
    message: str  # exact text the user sees; <tmp>: the run's scratch folder, <repo>: the checkout
    exit_code: int
    unchanged: str  # what the test proves was not written
    run: Callable = field(compare=False, repr=False)

    def pattern(self) -> re.Pattern:
        """The message as a regex: ``<now>`` is a UTC timestamp, ``<n>`` a number."""
        text = re.escape(self.message)
        for token, regex in PLACEHOLDERS.items():
            text = text.replace(re.escape(token), regex)
        return re.compile(text)


CASES: dict[str, Case] = {}
PLACEHOLDERS = {"<now>": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<n>": r"\d+", "<hex>": r"[0-9a-f]+"}


def case(area: str, bad_input: str, message: str, *, unchanged: str, exit_code: int = 1):
    def register(fn: Callable) -> Callable:
        CASES[fn.__name__] = Case(fn.__name__, area, bad_input, message, exit_code, unchanged, fn)
        return fn

    return register


def table() -> str:
    rows = [
        "| # | area | bad input | what the user sees | exit | nothing written |",
        "|---|---|---|---|---|---|",
    ]
    for number, c in enumerate(CASES.values(), 1):
        message = "<br>".join(f"`{line}`" for line in c.message.splitlines())
        cells = [str(number), c.area, c.bad_input, message, str(c.exit_code), c.unchanged]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)


def render(text: str) -> str:
    """``text`` with the table between the markers replaced by the current one."""
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    return pattern.sub(lambda _: f"{START}\n{table()}\n{END}", text)
