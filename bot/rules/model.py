"""The rule file format, validated strictly: unknown keys are errors."""

from __future__ import annotations

import math
import re
from decimal import Decimal
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


_PERCENT = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*%$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_RATIO = re.compile(r"^(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def as_written(value: Any) -> int | float | None:
    """A number written as the narratives show it: `2%` is 0.02, `1,200` is 1200.

    Returns None for text that is no such number. A ratio (`1:4`) or a decimal
    comma (`1,5`) is refused with the exact number to write: `1:4` could as well
    mean 0.25 as 4, and `1,5` 1.5 as 15."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    percent = _PERCENT.match(text)
    if percent:
        return float(Decimal(percent.group(1)) / 100)
    if _GROUPED.match(text):
        plain = text.replace(",", "")
        return float(plain) if "." in plain else int(plain)
    ratio = _RATIO.match(text)
    if ratio and Decimal(ratio.group(1)) != 0:
        left, right = Decimal(ratio.group(1)), Decimal(ratio.group(2))
        raise ValueError(
            f"'{value}' is a ratio as the narratives show it (1:N for N impressions per "
            f"member reached); write the number it stands for: {float(right / left):g}"
        )
    if _DECIMAL_COMMA.match(text):
        raise ValueError(f"'{value}' has a decimal comma; write {text.replace(',', '.')}")
    return None


def _number(value: Any) -> int | float:
    written = as_written(value)
    if written is not None:
        return written
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
