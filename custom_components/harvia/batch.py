"""Reads asked for in one turn of the loop, sent as one aliased GraphQL query.

No Home Assistant here. A poll reads every device concurrently; with many
saunas, one query per device would make the account's requests (eight in
flight at most) the slowest part of a poll. The loader collects what is asked
for until the loop turns, then reads it in queries of at most ``per_query``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from .api import (
    HarviaBadRequestError,
    HarviaError,
    HarviaNotFoundError,
    HarviaParseError,
)


class BatchLoader[K, V]:
    """Reads the keys asked for in one turn of the loop together.

    One key alone is read with ``read_one``; several with ``read_many``, which
    answers in their order (a value that cannot be parsed as its parse error).
    When the cloud refuses a whole query (one of its devices gone, a reply
    that cannot be read, a query it will not run) each key is read alone, so
    one device's failure stays its own; any other failure (the cloud down) is
    every key's failure.
    """

    def __init__(
        self,
        read_one: Callable[[K], Awaitable[V]],
        read_many: Callable[[Sequence[K]], Awaitable[Sequence[V | HarviaParseError]]],
        *,
        per_query: int,
    ) -> None:
        """Read with these two calls, at most ``per_query`` keys a query."""
        self._read_one = read_one
        self._read_many = read_many
        self._per_query = per_query
        self._queue: list[tuple[K, asyncio.Future[V]]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def load(self, key: K) -> V:
        """One key's value; raises what reading it alone would raise."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V] = loop.create_future()
        if not self._queue:
            loop.call_soon(self._flush)
        self._queue.append((key, future))
        return await future

    def _flush(self) -> None:
        queue, self._queue = self._queue, []
        for start in range(0, len(queue), self._per_query):
            task = asyncio.create_task(
                self._read(queue[start : start + self._per_query])
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _read(self, batch: list[tuple[K, asyncio.Future[V]]]) -> None:
        if len(batch) > 1:
            try:
                values = await self._read_many([key for key, _ in batch])
            except (HarviaBadRequestError, HarviaNotFoundError, HarviaParseError):
                pass  # read each alone below
            except HarviaError as err:
                for _, future in batch:
                    _fail(future, err)
                return
            else:
                for (_, future), value in zip(batch, values, strict=True):
                    if isinstance(value, HarviaParseError):
                        _fail(future, value)
                    else:
                        _resolve(future, value)
                return
        await asyncio.gather(*(self._read_alone(key, f) for key, f in batch))

    async def _read_alone(self, key: K, future: asyncio.Future[V]) -> None:
        try:
            value = await self._read_one(key)
        except HarviaError as err:
            _fail(future, err)
        else:
            _resolve(future, value)


def _resolve[V](future: asyncio.Future[V], value: V) -> None:
    if not future.done():  # done: the poll was cancelled
        future.set_result(value)


def _fail[V](future: asyncio.Future[V], error: HarviaError) -> None:
    if not future.done():
        future.set_exception(error)
