"""MyHarvia accounts as the simulated Cognito user pool holds them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(eq=False)
class Account:
    """A user; `username` is the stable id (`cognito:username`)."""

    email: str
    password: str | None  # None: Apple/Google sign-in only
    username: str
    organization_id: str
    licensed: bool = True  # the paid MyHarvia "Control" licence (writes need it)
    device_ids: list[str] = field(default_factory=list)
    # `connectionTimeoutMs` of this account's realtime sockets (None: the cloud's).
    connection_timeout_ms: int | None = None
