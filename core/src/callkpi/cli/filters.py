"""The filter options ``callkpi report`` and ``callkpi contacts`` share: ``--queue sales
--queue support`` or ``--queue sales,support``, with the API's semantics (a row is kept when
its value is one of those given; several options must all hold)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..kpi.request_builder import split_list

FilterOption = Annotated[
    list[str] | None,
    typer.Option(metavar="VALUE,...", help="Keep these only; repeat or separate by commas.", show_default=False),
]


def given_filters(**options: list[str] | None) -> dict[str, tuple[str, ...]]:
    """The options given, each as the tuple of its values (``ReportRequest.filters``)."""
    given = {name: tuple(split_list(values or [])) for name, values in options.items()}
    return {name: values for name, values in given.items() if values}
