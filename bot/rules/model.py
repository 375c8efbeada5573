"""The rule file format, validated strictly: unknown keys are errors."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    model_validator,
)

SEVERITIES: tuple[str, ...] = ("critical", "warning", "info", "positive")
SCOPES: tuple[str, ...] = ("post", "account")
ACCOUNT_KINDS: tuple[str, ...] = ("member", "organization")

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", strict=True)]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$", strict=True)]


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        shown = f"'{value}'" if isinstance(value, str) else repr(value)
        raise ValueError(f"{shown} is not a number; write it without quotes, such as 5 or 0.02")
    return value


Number = Annotated[int | float, PlainValidator(_number)]


class Override(BaseModel):
    """Params that apply instead of the defaults for one account, or one kind of account."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    account: Annotated[str, StringConstraints(min_length=1, strict=True)] | None = None
    account_kind: Literal["member", "organization"] | None = None
    params: dict[Name, Number]

    @model_validator(mode="after")
    def _one_target(self) -> Override:
        if (self.account is None) == (self.account_kind is None):
            raise ValueError("give either 'account' or 'account_kind' (exactly one)")
        return self

    @property
    def label(self) -> str:
        """Where an overridden value came from: `account:ID` or `kind:KIND`."""
        if self.account is not None:
            return f"account:{self.account}"
        return f"kind:{self.account_kind}"


class RuleSpec(BaseModel):
    """One rule as written in a rules/*.yaml file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RuleId
    description: Annotated[str, StringConstraints(min_length=1, strict=True)]
    scope: Literal["post", "account"] = "post"
    requires: Annotated[str, Field(strict=True)] | None = None
    condition: Annotated[str, Field(strict=True)]
    params: dict[Name, Number] = Field(default_factory=dict)
    shows: list[Name] = Field(default_factory=list)
    severity: Literal["critical", "warning", "info", "positive"]
    template: RuleId | None = None
    tags: list[Annotated[str, StringConstraints(strict=True)]] = Field(default_factory=list)
    overrides: list[Override] = Field(default_factory=list)

    @property
    def template_name(self) -> str:
        return self.template or self.id


class RuleFile(BaseModel):
    """A rules/*.yaml file: a list of rules, each validated on its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[dict[str, Any]]


#: Words for pydantic's error types, so a marketing lead reads plain English.
KEY_HELP = {
    "id": "lower-case letters, digits and dashes, such as 'low-engagement'",
    "params": "names in lower_snake_case, each set to a number",
    "shows": "a list of metric names",
    "template": "the name of a file in narratives/<language>/rules/, without .j2",
    "severity": "one of " + ", ".join(SEVERITIES),
    "scope": "one of " + ", ".join(SCOPES),
    "account_kind": "one of " + ", ".join(ACCOUNT_KINDS),
}
