"""The API's response bodies. Problems follow RFC 9457 (``application/problem+json``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EventStatus = Literal["accepted", "duplicate", "quarantined", "rejected"]


class ProblemItem(BaseModel):
    """One thing wrong, and where: a JSON pointer into the request body, or a header name."""

    model_config = ConfigDict(extra="forbid")

    detail: str = Field(description="What is wrong: the field, the value and what was expected.")
    pointer: str | None = Field(None, description="JSON pointer (RFC 6901) into the request body.")
    header: str | None = Field(None, description="The request header at fault.")


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    model_config = ConfigDict(extra="allow")

    type: str = Field("about:blank", description="URI reference identifying the problem type.")
    title: str = Field(description="Short summary of the problem type.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time.")
    instance: str | None = Field(None, description="The request path this happened at.")
    errors: list[ProblemItem] = Field(default_factory=list, description="Each problem and where.")


class EventResult(BaseModel):
    """What became of one event of the batch, in input order."""

    index: int = Field(description="Position in the request array, from 0.")
    id: str | None = Field(description="The event's id, when it had one.")
    status: EventStatus
    problem: Problem | None = Field(
        None, description="Why it was not stored (quarantined or rejected only)."
    )


class BatchResult(BaseModel):
    """The outcome of a batch: totals and one result per event."""

    accepted: int
    duplicates: int
    quarantined: int
    rejected: int
    results: list[EventResult]


class Health(BaseModel):
    """Whether the service can reach its store, and what it runs."""

    status: Literal["ok"] = "ok"
    store: Literal["reachable"] = "reachable"
    dialect: str = Field(description="The store's SQL dialect, e.g. sqlite or postgresql.")
    schema_revision: str | None = Field(description="The Alembic revision the store is at.")
    version: str = Field(description="The callkpi version serving.")
