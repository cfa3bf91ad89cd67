"""faust's table recovery made safe for the messages waiting on the stream partitions when a faust selector
restarts (``services/selector/stream.py`` runs its table manager with ``StreamTableManager``)."""

from __future__ import annotations

import asyncio

from faust.tables import TableManager
from faust.tables.recovery import Recovery
from faust.types import TP

# In faust's set of partitions to fetch from, so that set is never empty: never assigned (partition -1).
NEVER_ASSIGNED = TP(topic="zygarde-selector-never-assigned", partition=-1)


class StreamRecovery(Recovery):
    """faust's table recovery, with the end of a recovery made safe for the messages waiting on the
    stream partitions (``results``, ``job-events``). Two races in faust-streaming 0.15.3 / aiokafka 0.14.0
    each lost a restarted selector the results it found waiting (docs/selector.md):

    1. faust hands aiokafka its *live* set of active partitions, and aiokafka reads an empty set as
       "every partition". When recovery pauses the changelog partitions at its end, that set is empty
       until the stream partitions are resumed, and a fetch in flight drains the stream partitions'
       prefetched records; faust drops them (their partitions are not active) with the position already
       past them. A never-assigned partition kept in the set (``on_rebalance``) keeps it from being empty.
    2. ``on_recovery_completed`` resumed the stream partitions, then awaited the seek to the committed
       offsets, then called ``app.flow_control.resume()``, which also *clears* the agents' buffers: what
       the running fetcher put there during the await was dropped (faust-streaming/faust#596 reports
       this race). Here the seek comes first, while the stream partitions are still paused, then the clear,
       then the resume, with no await in between.

    Either way the agent waited on an empty buffer, the fetcher on a partition read to its end, and the
    committed offset stayed before the dropped messages until the next rebalance. Everything else is
    faust's ``on_recovery_completed`` unchanged.
    """

    async def on_rebalance(self, assigned: set[TP], revoked: set[TP], newly_assigned: set[TP],
                           generation_id: int = 0) -> None:
        await super().on_rebalance(assigned, revoked, newly_assigned, generation_id)
        # the consumer has just reset its active partitions to the new assignment and paused them all
        self.app.consumer.resume_partitions({NEVER_ASSIGNED})

    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        consumer = self.app.consumer
        self.log.info("Restore complete!")
        await self.app.on_rebalance_complete.send()
        self._set_recovery_ended()
        callbacks = [asyncio.ensure_future(table.on_recovery_completed(self.actives_for_table[table],
                                                                         self.standbys_for_table[table]))
                     for table in self.tables.values()]
        if callbacks:
            await asyncio.wait(callbacks)
        assignment = consumer.assignment()
        if self.app.consumer_generation_id != generation_id:
            self.log.warning("Recovery rebalancing again app id %s param %s",
                             self.app.consumer_generation_id, generation_id)
            return
        if assignment:
            # the stream partitions are still paused: nothing is fetched from them while this awaits
            self.log.info("Seek stream partitions to committed offsets.")
            await self._wait(consumer.perform_seek(), timeout=self.app.conf.broker_request_timeout)
        self.completed.set()
        self.app.flow_control.resume()  # clears the agents' buffers: nothing of this generation is in them
        self.log.dev("Resume stream partitions")
        consumer.resume_partitions({tp for tp in assignment if not self._is_changelog_tp(tp)})
        consumer.resume_flow()
        await self.app._fetcher.maybe_start()  # type: ignore[attr-defined]
        self.tables.on_actives_ready()
        if not self.app.assignor.assigned_standbys():
            self.tables.on_standbys_ready()
        self.app.on_rebalance_end()
        self.log.info("Worker ready")


class StreamTableManager(TableManager):
    """faust's table manager with ``StreamRecovery`` (faust's ``TableManager`` setting)."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = StreamRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery
