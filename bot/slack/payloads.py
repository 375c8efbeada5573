"""The shape of the Slack requests the bot handles: the fields bolt and the listeners
read, with their types, so a request missing one is refused in plain words instead
of failing inside a listener. Checked for HTTP (bot/slack/inbound.py) and Socket
Mode (bot/slack/socket_mode.py) alike; other fields pass untouched.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, model_validator

#: Buttons the bot puts on its messages; their value is the post or the rule.
VALUED_ACTIONS = ("why", "mute")

NonEmpty = Annotated[StrictStr, Field(min_length=1)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class SlashCommand(_Shape):
    command: NonEmpty
    user_id: NonEmpty
    channel_id: NonEmpty
    text: StrictStr = ""
    response_url: NonEmpty


class _Id(_Shape):
    id: NonEmpty


class _Action(_Shape):
    action_id: NonEmpty
    value: StrictStr | None = None

    @model_validator(mode="after")
    def _valued(self) -> _Action:
        if self.action_id in VALUED_ACTIONS and not self.value:
            raise ValueError(f"a '{self.action_id}' button without its value")
        return self


class BlockActions(_Shape):
    type: Literal["block_actions"]
    user: _Id
    actions: list[_Action] = Field(min_length=1)
    response_url: NonEmpty
    channel: _Id | None = None
    container: dict[str, Any] | None = None


class _Event(_Shape):
    type: NonEmpty


class HomeOpened(_Event):
    type: Literal["app_home_opened"]
    user: NonEmpty
    tab: StrictStr = "home"


class EventCallback(_Shape):
    type: Literal["event_callback"]
    event_id: NonEmpty
    event: _Event


class UrlVerification(_Shape):
    type: Literal["url_verification"]
    challenge: NonEmpty


def problem(body: dict[str, Any]) -> str | None:
    """What is wrong with a request body, in words for the log; None if nothing."""
    kind = body.get("type")
    try:
        if "command" in body:  # as bolt tells a slash command
            SlashCommand.model_validate(body)
            return None
        if kind == "block_actions":
            BlockActions.model_validate(body)
        elif kind == "event_callback":
            event = EventCallback.model_validate(body).event
            if event.type == "app_home_opened":
                HomeOpened.model_validate(body["event"])
        elif kind == "url_verification":
            UrlVerification.model_validate(body)
    except ValidationError as exc:
        return f"{_kind(body)} with {_first(exc)}"
    return None


def _kind(body: dict[str, Any]) -> str:
    if "command" in body:
        return "slash command"
    kind = body.get("type")
    if kind == "event_callback" and isinstance(body.get("event"), dict):
        return f"{str(body['event'].get('type'))[:40]} event"
    return f"{str(kind)[:40]} request"


def _first(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "body"
    kind = err["type"]
    if kind == "missing":
        return f"no '{where}'"
    if kind == "value_error":
        return str(err["ctx"]["error"])
    if kind in ("too_short", "string_too_short"):
        return f"'{where}' empty"
    words = {
        "string_type": "not text",
        "model_type": "not an object",
        "dict_type": "not an object",
        "list_type": "not a list",
        "literal_error": "not one Slack sends",
    }
    return f"'{where}' {words.get(kind, err['msg'])}"
