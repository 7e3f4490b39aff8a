"""The account's device state, and how polls, pushes and commands merge into it.

No Home Assistant here: the coordinator schedules the reads and tells the
entities; this module decides what the data becomes. Pushes and commands merge
into a cabin's last payloads (never replacing them); a poll that was under way
when they landed re-applies them to what it read, so an older read never wins.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypedDict

from .api import CabinStatus, Device, merge_payload
from .const import LOGGER, MANUFACTURER

# The classic shadow (SaunaSensor) has no cabin id.
CLASSIC: Final = "classic"
# A panel applies a profile change 10-15 s after the write; give up waiting after this.
PROFILE_APPLY_TIMEOUT: Final = timedelta(seconds=60)

# (device id, cabin id)
type CabinKey = tuple[str, str]
type AccountData = dict[str, DeviceData]


def shadow_of(cabin_id: str) -> str | None:
    """The sub-shadow to address in API calls (None for the classic one)."""
    return None if cabin_id == CLASSIC else cabin_id


def cabin_of(device: Device, sub_id: str | None) -> str:
    """The cabin a payload (read or pushed) belongs to."""
    # A sensor has one (classic) shadow, whatever subId its telemetry names.
    if device.capabilities.telemetry_only:
        return CLASSIC
    return sub_id or device.capabilities.default_cabin or "C1"


class Partial(TypedDict, total=False):
    """A partial payload: what a push or a command changed."""

    reported: dict[str, Any] | None
    telemetry: dict[str, Any] | None
    connected: bool | None


@dataclass(frozen=True, kw_only=True)
class CabinData:
    """Raw payloads of one cabin and the status derived from them."""

    device_id: str
    cabin_id: str
    reported: dict[str, Any]
    telemetry: dict[str, Any]
    connected: bool | None
    has_steamer: bool | None
    status: CabinStatus

    @classmethod
    def build(
        cls,
        device_id: str,
        cabin_id: str,
        reported: dict[str, Any],
        telemetry: dict[str, Any],
        connected: bool | None,
        has_steamer: bool | None = None,
    ) -> CabinData:
        """Derive the status once, where the raw payloads change."""
        return cls(
            device_id=device_id,
            cabin_id=cabin_id,
            reported=reported,
            telemetry=telemetry,
            connected=connected,
            has_steamer=has_steamer,
            status=CabinStatus.from_payloads(
                reported, telemetry, connected, has_steamer=has_steamer
            ),
        )

    def merged(
        self,
        *,
        reported: dict[str, Any] | None = None,
        telemetry: dict[str, Any] | None = None,
        connected: bool | None = None,
    ) -> CabinData:
        """Merge a partial payload (push or commanded state), never replacing."""
        return CabinData.build(
            self.device_id,
            self.cabin_id,
            merge_payload(self.reported, reported) if reported else self.reported,
            merge_payload(self.telemetry, telemetry) if telemetry else self.telemetry,
            self.connected if connected is None else connected,
            self.has_steamer,
        )

    @property
    def shadow_id(self) -> str | None:
        """The sub-shadow to address in API calls (None for the classic one)."""
        return shadow_of(self.cabin_id)


@dataclass(frozen=True, kw_only=True)
class DeviceData:
    """One controller (or sensor) of the account and its cabins."""

    device: Device
    cabins: dict[str, CabinData] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The controller's name: the sauna's (one cabin), their controller (several)."""
        first = next(iter(self.cabins.values()), None)
        if first is not None and (display_name := first.status.display_name):
            if len(self.cabins) == 1:
                return display_name
            return f"{display_name} controller"
        return f"{MANUFACTURER} {self.device.model}"

    @property
    def firmware_version(self) -> str | None:
        """The version the controller reports, else its device attributes'."""
        for cabin in self.cabins.values():
            if cabin.status.firmware_version:
                return cabin.status.firmware_version
        return self.device.firmware_version

    @property
    def online(self) -> bool:
        """Whether the cloud reaches the controller (unknown counts as online)."""
        return any(cabin.connected is not False for cabin in self.cabins.values())


@dataclass(kw_only=True)
class PendingProfile:
    """A profile change sent to the panel and not yet applied."""

    profile: int
    sent_at: datetime
    # A change asked for meanwhile: sent once this one landed.
    queued: int | None = None


@dataclass(frozen=True, slots=True)
class _Held:
    """A command's outcome, shown over reads until the device reports it."""

    mark: int
    partial: Partial
    until: datetime


@dataclass(frozen=True, slots=True)
class _Merge:
    """A merge that landed while a poll was under way."""

    mark: int
    key: CabinKey
    partial: Partial


class StateStore:
    """The bookkeeping around the data the coordinator holds.

    Every merge is numbered (its mark). A poll records the mark at each cabin's
    reads and, when it ends, re-applies the merges numbered after them.
    """

    def __init__(
        self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        """Start with nothing merged, polled or pending."""
        self.pending_profiles: dict[CabinKey, PendingProfile] = {}
        self._mark = 0
        self._during_poll: list[_Merge] | None = None
        # Per cabin: the marks at its state read and at its telemetry read.
        self._read_marks: dict[CabinKey, tuple[int, int]] = {}
        self._state_pushed: dict[CabinKey, int] = {}
        self._held: dict[CabinKey, list[_Held]] = {}
        # Per cabin: the mark of the last command the device reported applied.
        self._applied: dict[CabinKey, int] = {}
        self._clock = clock
        self._online: dict[str, bool] = {}

    @property
    def mark(self) -> int:
        """The number of the last merge."""
        return self._mark

    # -- merges ------------------------------------------------------------------

    def merge(
        self,
        data: AccountData,
        key: CabinKey,
        partial: Partial,
        *,
        state_push: bool = False,
        command: bool = False,
    ) -> AccountData | None:
        """The data with a partial payload merged into one cabin.

        None when the data has no such cabin. ``state_push``: the device pushed
        its state (what confirms a command). ``command``: a command's outcome,
        which replaces what older commands held of the same values.
        """
        device_id, cabin_id = key
        if (device := data.get(device_id)) is None:
            return None
        if (cabin := device.cabins.get(cabin_id)) is None:
            return None
        self._mark += 1
        if self._during_poll is not None:
            self._during_poll.append(_Merge(self._mark, key, partial))
        if state_push:
            self._state_pushed[key] = self._mark
        merged = cabin.merged(**partial)
        if command:
            leaves = _leaves(partial)
            self._held[key] = [
                h for h in self._held.pop(key, []) if not _leaves(h.partial) & leaves
            ]
        # A push confirms what it carries; the rest stays held.
        for held in self._still_held(key, {} if command else partial):
            merged = merged.merged(
                reported=held.partial.get("reported"),
                telemetry=held.partial.get("telemetry"),
            )
        cabins = {**device.cabins, cabin_id: merged}
        return {**data, device_id: replace(device, cabins=cabins)}

    def state_pushed_after(self, key: CabinKey, mark: int) -> bool:
        """Whether the device pushed a cabin's state after the given merge."""
        return self._state_pushed.get(key, -1) > mark

    def hold(self, key: CabinKey, partial: Partial, within: timedelta) -> None:
        """Keep the last merge (a command's outcome) over reports for ``within``.

        A panel reports some writes late (a new target up to ~35 s after it
        took the write): until then reads and pushes still carry the old value
        and would show it again. The hold ends once a report carries the
        commanded values (see ``applied``), or when ``within`` has passed.
        """
        until = self._clock() + within
        held = self._held.get(key, [])
        # State and telemetry are reported apart (two feeds): each confirms its own.
        reported, telemetry = partial.get("reported"), partial.get("telemetry")
        if reported:
            held.append(_Held(self._mark, {"reported": reported}, until))
        if telemetry:
            held.append(_Held(self._mark, {"telemetry": telemetry}, until))
        self._held[key] = held

    def applied(self, key: CabinKey, mark: int) -> bool:
        """Whether the device reported the command merged at ``mark`` applied."""
        return self._applied.get(key, -1) >= mark

    def _still_held(self, key: CabinKey, report: Partial) -> list[_Held]:
        """The holds of a cabin that its reports do not show yet, in time."""
        now = self._clock()
        held: list[_Held] = []
        for hold in self._held.pop(key, []):
            if _reported(hold.partial, report):
                self._applied[key] = max(self._applied.get(key, -1), hold.mark)
            elif now < hold.until:
                held.append(hold)
        if held:
            self._held[key] = held
        return held

    # -- polls -------------------------------------------------------------------

    def poll_started(self) -> None:
        """Record merges from now on, for the poll to re-apply."""
        self._during_poll = []
        self._read_marks = {}

    def cabin_read(self, key: CabinKey, state_mark: int, telemetry_mark: int) -> None:
        """A poll read a cabin's state and telemetry; the marks when it sent each.

        Marks are taken before the request goes out: the cloud may answer with
        what it held before a push that we merged while the answer travelled,
        so every merge after the send is re-applied. A telemetry mark of -1:
        the telemetry was not read (it arrives by push).
        """
        self._read_marks[key] = (state_mark, telemetry_mark)

    def poll_ended(self, result: AccountData | None) -> None:
        """Re-apply what was merged after a cabin's reads to the poll's result.

        Commands still held (see ``hold``) are re-applied too. ``result`` is
        changed in place; None: the poll failed.
        """
        merged, self._during_poll = self._during_poll or [], None
        if result is None:
            return
        for key in list(self._held):
            device_data = result.get(key[0])
            cabin = device_data.cabins.get(key[1]) if device_data else None
            if device_data is None or cabin is None:
                self._held.pop(key)
                continue
            # Telemetry a poll did not read (it came by push) confirms nothing.
            marks = self._read_marks.get(key)
            report: Partial = {
                "reported": cabin.reported if marks else None,
                "telemetry": cabin.telemetry if marks and marks[1] != -1 else None,
            }
            for held in self._still_held(key, report):
                cabin = cabin.merged(
                    reported=held.partial.get("reported"),
                    telemetry=held.partial.get("telemetry"),
                )
            device_data.cabins[key[1]] = cabin
        for merge in merged:
            device_data = result.get(merge.key[0])
            cabin = device_data.cabins.get(merge.key[1]) if device_data else None
            read = self._read_marks.get(merge.key)
            if device_data is None or cabin is None or read is None:
                continue
            state_read, telemetry_read = read
            newer_state = merge.mark > state_read
            device_data.cabins[merge.key[1]] = cabin.merged(
                reported=merge.partial.get("reported") if newer_state else None,
                connected=merge.partial.get("connected") if newer_state else None,
                telemetry=merge.partial.get("telemetry")
                if merge.mark > telemetry_read
                else None,
            )

    # -- profile changes -----------------------------------------------------------

    def shown_profile(self, key: CabinKey) -> int | None:
        """The profile on its way to the panel (queued or sent), if any."""
        if (pending := self.pending_profiles.get(key)) is None:
            return None
        return pending.queued if pending.queued is not None else pending.profile

    def queue_profile(self, key: CabinKey, profile: int) -> bool:
        """Hold a profile change back while the panel applies the previous one.

        Returns whether it was queued (False: nothing pending, send it now).
        """
        if (pending := self.pending_profiles.get(key)) is None:
            return False
        pending.queued = profile
        return True

    def profile_sent(self, key: CabinKey, profile: int, now: datetime) -> None:
        """A profile change is being written (pending before the write returns)."""
        self.pending_profiles[key] = PendingProfile(profile=profile, sent_at=now)

    def profile_failed(self, key: CabinKey) -> int | None:
        """The write failed: what waited behind it, to send next (if anything)."""
        pending = self.pending_profiles.pop(key)
        return pending.queued if pending.queued != pending.profile else None

    def settle_profiles(
        self, data: AccountData, now: datetime
    ) -> list[tuple[CabinKey, int]]:
        """Drop changes the panel applied (or never will); return the queued ones."""
        send: list[tuple[CabinKey, int]] = []
        for key, pending in list(self.pending_profiles.items()):
            device = data.get(key[0])
            cabin = device.cabins.get(key[1]) if device else None
            applied = (
                cabin is not None and cabin.status.active_profile == pending.profile
            )
            if applied or now - pending.sent_at > PROFILE_APPLY_TIMEOUT:
                del self.pending_profiles[key]
                if pending.queued is not None and pending.queued != pending.profile:
                    send.append((key, pending.queued))
        return send

    # -- availability ----------------------------------------------------------------

    def note_online(self, data: AccountData, unreadable: Collection[str] = ()) -> None:
        """Log once when a device goes offline and once when it is back.

        Offline: the cloud reports it disconnected, or could not read it.
        """
        for device_id, device in data.items():
            online = device.online and device_id not in unreadable
            was_online = self._online.get(device_id, True)
            self._online[device_id] = online
            if online == was_online:
                continue
            if online:
                LOGGER.info("%s is back online", device.name)
            else:
                LOGGER.info(
                    "%s is offline: the Harvia cloud cannot reach it", device.name
                )
        for device_id in self._online.keys() - data.keys():
            del self._online[device_id]


def _paths(
    payload: Any, prefix: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, value) of every leaf of a payload."""
    if isinstance(payload, dict) and payload:
        for name, value in payload.items():
            yield from _paths(value, (*prefix, str(name)))
    else:
        yield prefix, payload


def _leaves(partial: Partial) -> set[tuple[str, ...]]:
    """The leaf paths a partial payload writes."""
    return {
        (part, *path)
        for part in ("reported", "telemetry")
        for path, _ in _paths(partial.get(part) or {}, ())
        if path
    }


def _reported(partial: Partial, report: Partial) -> bool:
    """Whether a report (a read cabin, or a push) holds every value of a partial."""
    for part in ("reported", "telemetry"):
        payload = report.get(part) or {}
        if not (written := partial.get(part)):
            continue
        for path, value in _paths(written, ()):
            node: Any = payload
            for name in path:
                node = node.get(name) if isinstance(node, dict) else None
            if node != value:
                return False
    return True
