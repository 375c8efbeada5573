"""What POST /slack/events accepts from the network, checked before bolt sees it.

In this order, each step refusing with one log line:

1. size: a body over MAX_BODY gets 413 before it is read whole (a declared
   Content-Length is believed, a streamed body is counted as it arrives), so a
   huge POST costs no memory;
2. signature: Slack's HMAC of the raw bytes under SLACK_SIGNING_SECRET, with a
   timestamp within 5 minutes; anything else gets 401 and is never parsed;
3. parse: signed bytes that are not UTF-8, not JSON (or a form whose `payload`
   is not), not an object, or nested deeper than MAX_DEPTH get 400;
4. shape: the fields bolt and the listeners read (bot/slack/payloads.py).

Only then is a bolt request built; the same shape check guards Socket Mode.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltRequest
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

from bot.slack import payloads

log = logging.getLogger("narrator.slack")

#: Slack's requests are small: a slash command is under 1 KB, a button click carries
#: the message it sits on (at most 50 blocks of 3,000 characters, our own replies
#: stay within 12,000), URL-encoded. 256 KiB leaves room for that several times
#: over and refuses anything that could hurt.
MAX_BODY = 256 * 1024
#: Slack's payloads nest about 10 deep (view, blocks, elements, rich text); deeper
#: nesting only serves to exhaust the stack of whatever walks it later.
MAX_DEPTH = 64
#: Seconds since 1970 in ASCII digits (int() would also take "١٧٠٠" or " 17 ").
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


@dataclass(frozen=True)
class Refused:
    """A request turned away: the status to answer and why, in plain words for the log."""

    status: int
    reason: str


def declared_size(headers: Mapping[str, str]) -> Refused | None:
    """Refuse at once a request that announces a body over MAX_BODY."""
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        return Refused(413, f"its body of {int(declared):,} bytes is larger than {MAX_BODY:,}")
    return None


async def read_capped(stream: AsyncIterator[bytes]) -> bytes | Refused:
    """The body, read chunk by chunk and abandoned as soon as it passes MAX_BODY."""
    body = bytearray()
    async for chunk in stream:
        body += chunk
        if len(body) > MAX_BODY:
            return Refused(413, f"its body is larger than {MAX_BODY:,} bytes")
    return bytes(body)


def check_signature(
    verifier: SignatureVerifier, headers: Mapping[str, str], body: bytes
) -> Refused | None:
    """Slack's v0 signature of exactly these bytes, made within the last 5 minutes."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not _TIMESTAMP.fullmatch(timestamp):
        return Refused(401, "its X-Slack-Request-Timestamp is missing or not a number")
    if not _SIGNATURE.fullmatch(signature):
        return Refused(401, "its X-Slack-Signature is missing or not of the form v0=<64 hex>")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Refused(401, "its body is not UTF-8 text, so Slack did not sign it")
    if not verifier.is_valid(text, timestamp, signature):
        return Refused(
            401,
            "its signature does not match SLACK_SIGNING_SECRET, or it was signed over "
            "5 minutes ago (check the secret and this machine's clock)",
        )
    return None


def bolt_request(
    body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
) -> BoltRequest | Refused:
    """A bolt request from a signed body, or why the body is malformed."""
    text = body.decode("utf-8")  # check_signature decoded it already
    content_type = (headers.get("content-type") or "").split(";")[0].strip() or None
    try:
        parsed = parse_body(text, content_type)  # as bolt parses it
    except (ValueError, RecursionError):
        return Refused(400, "its body (or its payload field) is not valid JSON")
    return checked(parsed, lambda: BoltRequest(body=text, headers=dict(headers), query=dict(query)))


def checked(parsed: Any, build: Any) -> BoltRequest | Refused:
    """`build()` the bolt request for a parsed body whose depth and shape are sound.

    An event gets the quiet 200 Slack expects (anything else makes it retry, and in
    the end turn the subscription off); other requests 400."""
    if not isinstance(parsed, dict):
        return Refused(400, f"its body is a JSON {type(parsed).__name__}, not an object")
    status = 200 if parsed.get("type") == "event_callback" else 400
    if depth(parsed) > MAX_DEPTH:
        return Refused(status, f"its body nests deeper than {MAX_DEPTH} levels")
    problem = payloads.problem(parsed)
    if problem is not None:
        return Refused(status, problem)
    try:
        return build()  # bolt reads ids and authorizations out of the body here
    except Exception as exc:  # a field bolt indexes has a shape Slack never sends
        return Refused(status, f"bolt could not read it ({type(exc).__name__})")


def depth(value: Any) -> int:
    """How deep lists and objects nest in `value`, counted without recursion (a
    recursive walk is what a deep body would break); stops once past MAX_DEPTH."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def refuse(refused: Refused, client: str) -> None:
    log.warning("refused a request from %s: %s (HTTP %d)", client, refused.reason, refused.status)
