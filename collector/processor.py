"""From parsed request bodies to landed lines: the decisions every endpoint shares.

Per hit: account (token) → origin → blacklists and bots → full schema, else
fallback schema → cookie mode and visitor id → IP anonymisation → landed
record. A hit that fails validation also produces a ``validation_failure``
record (at either level); a hit that fails both levels is refused and the
response says why. One bad hit never fails the rest of its batch.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError

from collector.account_cache import AccountSettings
from collector.enrich import (
    RequestContext,
    anonymize_ip,
    browser_and_os,
    cookieless_visitor_id,
    url_host,
)
from touchline.contract import (
    ACCEPTED_TYPES,
    CONTRACT_VERSION,
    FallbackHit,
    IncomingHit,
    SalvagedHit,
    check_http_url,
    land_record,
    landed_line,
)
from touchline.control.registry import CollectionConfig
from touchline.landing import hour_folder

FAILURE_NAMESPACE = uuid.UUID("0b7f4a52-6a53-4f0e-9a7e-3c1d8f5e2a10")
_ACCEPTED = ", ".join(sorted(ACCEPTED_TYPES))
# Only ids we could have issued ourselves go back into a cookie.
_COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
# Event time supplied by an endpoint with its own rules (the Segment API).
EVENT_AT_KEY = "_event_at"


@dataclass
class Refusal:
    index: int
    hit_id: Any
    reason: str
    status: int
    code: str
    fields: list[dict[str, str]] | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"index": self.index, "hit_id": self.hit_id, "reason": self.reason}
        if self.fields:
            body["fields"] = self.fields
        return body


@dataclass
class Outcome:
    accepted: int = 0
    dropped: int = 0
    refused: list[Refusal] = field(default_factory=list)
    lines: dict[str, list[bytes]] = field(default_factory=dict)
    # for Set-Cookie: the visitor and session of the first cookie-mode hit
    cookie_mode: str | None = None
    cookie_domain: str | None = None
    cookie_visitor: str | None = None
    cookie_session: str | None = None
    # metric events, applied only once the lines are written
    counts: list[tuple[str, str, str]] = field(default_factory=list)
    accounts: set[str] = field(default_factory=set)
    # every account a hit named, for CORS (accepted or not)
    configs: dict[int, CollectionConfig] = field(default_factory=dict)

    def add(self, event_at: datetime, record: dict[str, Any], root: str) -> None:
        folder = hour_folder(root, record["account"], event_at)
        self.lines.setdefault(folder, []).append(landed_line(record))

    def refuse(self, refusal: Refusal, account: str) -> None:
        self.refused.append(refusal)
        self.counts.append(("refused", account, refusal.code))


@dataclass(frozen=True)
class Cookies:
    visitor: str | None
    session: str | None

    @classmethod
    def read(cls, cookies: Any, visitor_name: str, session_name: str) -> Cookies:
        visitor = cookies.get(visitor_name)
        session = cookies.get(session_name)
        return cls(
            visitor if visitor and _COOKIE_VALUE.match(visitor) else None,
            session if session and _COOKIE_VALUE.match(session) else None,
        )


NO_COOKIES = Cookies(None, None)


def flatten_errors(exc: ValidationError) -> list[dict[str, str]]:
    """pydantic's errors as ``{"field", "message"}`` pairs, without echoing the input."""
    fields = []
    for error in exc.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in error["loc"]) or "(hit)"
        kind = error["type"]
        if kind == "missing":
            message = "is required"
        elif kind == "extra_forbidden":
            message = "is not a field of the hit contract"
        elif kind == "literal_error" and error["loc"] == ("type",):
            message = f"is not a hit type; accepted types: {_ACCEPTED}"
        else:
            # Our own validators raise ValueError; pydantic prefixes it.
            message = error["msg"].removeprefix("Value error, ")
        fields.append({"field": name, "message": message})
    return fields


def summary(fields: list[dict[str, str]]) -> str:
    return "; ".join(
        f["message"] if f["field"] == "(hit)" else f"{f['field']}: {f['message']}" for f in fields
    )


class HitProcessor:
    def __init__(self, accounts: AccountSettings, root: str) -> None:
        self.accounts = accounts
        self.root = root

    def process(
        self,
        items: list[Any],
        ctx: RequestContext,
        *,
        cookies: Cookies,
        request_host: str | None,
        inherit: dict[str, Any] | None = None,
        config: CollectionConfig | None = None,
        server_side: bool = False,
        internal_type: str | None = None,
        check_origin: bool = True,
    ) -> Outcome:
        """``config`` set: the caller authenticated the account (write key); the
        hits' tokens are then not looked at. ``server_side``: no cookies, no Origin.
        ``internal_type``: a type the collector makes itself (redirect) is allowed."""
        out = Outcome()
        for index, raw in enumerate(items):
            self._one(
                index, raw, ctx, out, cookies, request_host, inherit, config, server_side,
                internal_type, check_origin,
            )  # fmt: skip
        return out

    # -- one hit ---------------------------------------------------------------------

    def _one(
        self,
        index: int,
        raw: Any,
        ctx: RequestContext,
        out: Outcome,
        cookies: Cookies,
        request_host: str | None,
        inherit: dict[str, Any] | None,
        config: CollectionConfig | None,
        server_side: bool,
        internal_type: str | None,
        check_origin: bool,
    ) -> None:
        if not isinstance(raw, dict):
            reason = "a hit must be a JSON object"
            token = (inherit or {}).get("token")
            if config is None and isinstance(token, str) and token.strip():
                config = ctx.config_for(token.strip(), self.accounts.by_token)
            if config is not None:  # the batch named the account: record the failure there
                problem = [{"field": "(hit)", "message": reason}]
                self._failure(out, config, ctx, {"type": None}, problem, "fallback", index)
            slug = config.account.slug if config else "-"
            out.refuse(Refusal(index, None, reason, 400, "invalid"), slug)
            return
        payload = {**inherit, **raw} if inherit else dict(raw)
        hit_id = payload.get("hit_id") if isinstance(payload.get("hit_id"), str) else None
        # Only the server-side API sets an event time of its own; from a browser
        # the key is just one more field that is not in the contract.
        event_at = payload.pop(EVENT_AT_KEY, None) if server_side else None
        if config is None:
            token = payload.get("token")
            if not isinstance(token, str) or not token.strip():
                reason = "token is required: the account's tracking token, in the hit or batch"
                out.refuse(Refusal(index, hit_id, reason, 400, "invalid"), "-")
                return
            config = ctx.config_for(token.strip(), self.accounts.by_token)
            if config is None:
                reason = "unknown tracking token: check the token in the tag snippet"
                out.refuse(Refusal(index, hit_id, reason, 401, "unknown_token"), "-")
                return
        else:
            payload["token"] = config.account.tracking_token
        account = config.account
        slug = account.slug
        out.configs[account.id] = config

        if check_origin and not server_side and ctx.origin_host and not ctx.origin_allowed(account):
            reason = (
                f"this account does not accept hits sent from {ctx.origin_host!r}: "
                "add the domain to the account's domains"
            )
            out.refuse(Refusal(index, hit_id, reason, 403, "origin"), slug)
            return
        if ctx.ip_blocked(config):
            out.dropped += 1
            out.counts.append(("blacklisted", slug, "ip"))
            return
        if ctx.is_bot and config.bot_policy == "drop":
            out.dropped += 1
            out.counts.append(("bot", slug, "dropped"))
            return

        hit, level, problem = self._validate(payload, internal_type)
        if hit is None:
            assert problem is not None
            self._failure(out, config, ctx, payload, problem, "fallback", index)
            out.refuse(Refusal(index, hit_id, summary(problem), 400, "invalid", problem), slug)
            return
        if hit.url is not None:
            host = url_host(hit.url)
            if not ctx.host_allowed(account, host):
                reason = (
                    f"this tracking token does not accept hits from {host!r}: "
                    "add the domain to the account's domains"
                )
                out.refuse(Refusal(index, str(hit.hit_id), reason, 403, "domain"), slug)
                return
        visitor = hit.visitor_id
        if (visitor and visitor in config.blocked_visitors) or (
            cookies.visitor and cookies.visitor in config.blocked_visitors
        ):
            out.dropped += 1
            out.counts.append(("blacklisted", slug, "visitor_id"))
            return

        mode, visitor, session = self._cookie_decision(
            hit, config, ctx, cookies, request_host, server_side
        )
        ip = anonymize_ip(ctx.ip) if config.anonymize_ip else ctx.ip
        try:
            event_time, record = land_record(
                hit,
                account=slug,
                received_at=ctx.received_at,
                ip=ip,
                user_agent=ctx.user_agent,
                is_bot=ctx.is_bot,
                dnt=ctx.dnt,
                visitor_id=visitor,
                cookie_mode=mode,
                schema_level=level,
                event_at=event_at,
                received_iso=ctx.received_iso,
            )
        except ValueError as exc:  # implausible event time; the message is written for clients
            fields = [{"field": "client_ts", "message": str(exc)}]
            self._failure(out, config, ctx, payload, fields, "fallback", index)
            out.refuse(Refusal(index, str(hit.hit_id), str(exc), 400, "time", fields), slug)
            return
        if level == "fallback":
            assert problem is not None
            self._failure(out, config, ctx, payload, problem, "full", index)
        out.add(event_time, record, self.root)
        out.accepted += 1
        out.accounts.add(slug)
        out.counts.append(("accepted", slug, level))
        if ctx.is_bot:
            out.counts.append(("bot", slug, "flagged"))
        if mode == "none" and not server_side:
            out.counts.append(("no_cookie", slug, ""))
        elif mode != "none" and out.cookie_visitor is None:
            out.cookie_mode = mode
            out.cookie_domain = config.cookie_domain if mode == "first_party" else None
            out.cookie_visitor = cookies.visitor or visitor
            out.cookie_session = session

    @staticmethod
    def _validate(
        payload: dict[str, Any], internal_type: str | None = None
    ) -> tuple[IncomingHit | SalvagedHit | None, str, list[dict[str, str]] | None]:
        hit_type = payload.get("type", "pageview")
        if (
            isinstance(hit_type, str)
            and hit_type not in ACCEPTED_TYPES
            and hit_type != internal_type
        ):
            message = (
                f"{hit_type!r} is reserved for the collector"
                if hit_type in ("redirect", "validation_failure")
                else f"{hit_type[:64]!r} is not a hit type"
            )
            return None, "", [{"field": "type", "message": f"{message}; accepted: {_ACCEPTED}"}]
        try:
            return IncomingHit.model_validate(payload), "full", None
        except ValidationError as exc:
            problem = flatten_errors(exc)
        try:
            FallbackHit.model_validate(payload)
        except ValidationError as exc:
            return (
                None,
                "",
                problem
                + [f for f in flatten_errors(exc) if f not in problem and f["field"] != "(hit)"],
            )
        bad = {f["field"].split(".", 1)[0] for f in problem}
        kept = {k: v for k, v in payload.items() if k not in bad}
        try:
            return SalvagedHit.model_validate(kept), "fallback", problem
        except ValidationError:  # cannot happen with the failing fields gone; stay safe
            return None, "", problem

    def _cookie_decision(
        self,
        hit: IncomingHit | SalvagedHit,
        config: CollectionConfig,
        ctx: RequestContext,
        cookies: Cookies,
        request_host: str | None,
        server_side: bool,
    ) -> tuple[str, str, str | None]:
        """(cookie_mode, visitor id to land, session id for the cookie)."""
        if server_side:
            return "none", hit.visitor_id or f"anon-{hit.hit_id}", None
        consent = hit.consent or config.consent_default
        if hit.simulated:
            # Synthetic visitors are nobody: keep their ids so the demo's
            # sessions can be checked, but never set a cookie for them.
            return "none", hit.visitor_id or self._cookieless(config, ctx), None
        if ctx.dnt or consent == "denied":
            return "none", self._cookieless(config, ctx), None
        domain = config.cookie_domain
        host = request_host or ""
        first_party = bool(domain) and (host == domain or host.endswith(f".{domain}"))
        visitor = hit.visitor_id or cookies.visitor or f"tl.{uuid.uuid4().hex}"
        session = hit.session_id or cookies.session or f"tl.{uuid.uuid4().hex}"
        return ("first_party" if first_party else "third_party"), visitor, session

    def _cookieless(self, config: CollectionConfig, ctx: RequestContext) -> str:
        salt = self.accounts.salt(ctx.received_at.date())
        return cookieless_visitor_id(salt, config.account.slug, ctx.ip, ctx.user_agent)

    def _failure(
        self,
        out: Outcome,
        config: CollectionConfig,
        ctx: RequestContext,
        payload: dict[str, Any],
        fields: list[dict[str, str]],
        level: str,
        index: int,
    ) -> None:
        """The validation_failure record: reason, page, browser and OS, queryable in dbt."""
        raw_id = payload.get("hit_id")
        failed_id = raw_id if isinstance(raw_id, str) and len(raw_id) <= 64 else None
        # A retried hit yields the same record id, so the loader keeps it once.
        record_id = (
            uuid.uuid5(FAILURE_NAMESPACE, f"{config.account.slug}/{failed_id}/{level}")
            if failed_id
            else uuid.uuid4()
        )
        page = payload.get("url")
        try:
            page = check_http_url(page) if isinstance(page, str) and len(page) <= 4096 else None
        except ValueError:
            page = None
        visitor = payload.get("visitor_id")
        if not (isinstance(visitor, str) and 0 < len(visitor) <= 128):
            visitor = self._cookieless(config, ctx)
        browser, system = browser_and_os(ctx.user_agent)
        hit_type = payload.get("type", "pageview")
        ip = anonymize_ip(ctx.ip) if config.anonymize_ip else ctx.ip
        received = ctx.received_iso
        record = dict(
            contract_version=CONTRACT_VERSION,
            hit_id=str(record_id),
            type="validation_failure",
            account=config.account.slug,
            event_at=received,
            received_at=received,
            visitor_id=visitor,
            url=page or ctx.page,
            ip=ip,
            user_agent=ctx.user_agent,
            is_bot=ctx.is_bot,
            dnt=ctx.dnt,
            cookie_mode="none",
            schema_level=level,
            properties={
                "reason": summary(fields)[:2000],
                "level": level,
                "fields": fields[:50],
                "failed_hit_id": failed_id,
                "failed_type": hit_type[:64] if isinstance(hit_type, str) else None,
                "batch_index": index,
                "browser": browser,
                "os": system,
            },
        )
        out.add(ctx.received_at, record, self.root)
        out.counts.append(("validation_failure", config.account.slug, level))


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
