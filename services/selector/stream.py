"""The selector as a faust-streaming app (``ZYGARDE_SELECTOR_ENGINE=faust``).

Two agents, one over ``results`` and one over ``job-events``, decode each message with
``zygarde.events.decode`` and hand it to the same ``Selector.handle`` as the default engine, so the
durable writes to MongoDB and the announcements are identical (idempotent by trial id and event id).

What faust adds is streaming state: a table ``jobs``, backed by a compacted changelog topic
``<prefix>selector-jobs-changelog`` and rebuilt from it at start-up, holding per job the results
counted by outcome, the best so far, the top-k trials by score and the trial ids already counted. One
result is one write of the job's entry, so the changelog never holds half an update (two tables, say
"counts" and "seen", could be flushed one without the other by a kill -9), and a re-delivered result is
recognised by its trial id and never counts twice. The entry grows with the job's trials (~50 bytes each).

The table is a fast, replayable view; MongoDB stays the store of record (the planner's API, the
leaderboard and the winner read it, and it is what makes the announcements exactly-once). The table is
written from the ``results`` agent, so an entry lives on the partition of the job's results (results are
keyed by job id) and the table has that topic's partitions.

Offsets: faust acks a message when the agent's body returns for it, and commits acked offsets after
flushing the changelog, so an offset is committed only after the Mongo write (at-least-once). faust
would also ack a message whose body raised, so an error (Mongo or Kafka down) ends the process at once,
before anything is acked: the restarted selector handles that message again.

Restarts: the table is recovered from its changelog, then the stream partitions are sought to their
committed offsets and resumed. ``StreamRecovery`` (``stream_recovery.py``) closes two races of faust 0.15.3
that dropped the results waiting at that moment and stalled the selector, and a watchdog exits (75, to be
restarted) should consumption ever stop with messages waiting (docs/selector.md).
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import faust
from faust.tables import TableManager
from faust.types import TP, EventT

from services.selector.selection import Selector
from services.selector.stream_recovery import StreamTableManager
from zygarde import events as ev
from zygarde import topics
from zygarde.bus import BusAdmin, EventProducer, MessageMeta
from zygarde.bus.consumer import _job_id_guess
from zygarde.errors import DecodeError
from zygarde.ml import metrics
from zygarde.observability import BUS_CONSUMED, BUS_DEAD_LETTERED, precreate_bus
from zygarde.settings import Settings, kafka_client_conf

log = logging.getLogger(__name__)

EXIT_HANDLER_FAILED = 70  # EX_SOFTWARE: the orchestrator restarts the selector
EXIT_STALLED = 75  # EX_TEMPFAIL: messages waiting, none handled for stall_s; the orchestrator restarts it


def _credentials(conf: dict[str, str]) -> faust.SASLCredentials | None:
    """The selector principal's librdkafka settings as faust (aiokafka) takes them; None: PLAINTEXT."""
    if not conf.get("security.protocol", "PLAINTEXT").startswith("SASL"):
        return None
    tls = ssl.create_default_context(cafile=conf["ssl.ca.location"]) if "ssl.ca.location" in conf else None
    return faust.SASLCredentials(username=conf["sasl.username"], password=conf["sasl.password"],
                                 mechanism=conf.get("sasl.mechanism", "SCRAM-SHA-512"), ssl_context=tls)


def app_id(prefix: str) -> str:
    """The faust app id, which is also its consumer group and the prefix of its changelog topics."""
    return f"{prefix}selector"


def tally(state: dict[str, Any] | None, event: ev.TrialCompleted | ev.TrialFailed,
          top_k: int) -> dict[str, Any] | None:
    """A job's table entry after one more result (counts by outcome, best, top-k by score, trial ids
    counted), or None when that trial was already counted (a re-delivery, a second attempt)."""
    state = state or {"counts": {}, "best": None, "top": [], "trials": {}}
    if event.trial_id in state["trials"]:
        return None
    outcome = "completed" if isinstance(event, ev.TrialCompleted) else "failed"
    counts = {**state["counts"], outcome: state["counts"].get(outcome, 0) + 1}
    top: list[list[Any]] = list(state["top"])
    if isinstance(event, ev.TrialCompleted):
        key = event.cv_mean if metrics.get(event.metric).greater_is_better else -event.cv_mean
        top = sorted([*top, [key, event.trial_id, event.cv_mean]], key=lambda row: -row[0])[:top_k]
    best = {"trial_id": top[0][1], "cv_mean": top[0][2]} if top else None
    return {"counts": counts, "best": best, "top": top, "trials": {**state["trials"], event.trial_id: outcome}}


def stalled(*, idle_s: float, stall_s: float, busy: bool, lag: Mapping[str, int]) -> bool:
    """The watchdog's verdict: no message in hand, none handled for ``stall_s`` (0 turns the watchdog
    off), and some waiting on a partition this worker is assigned (committed offset below the end)."""
    return stall_s > 0 and not busy and idle_s >= stall_s and any(n > 0 for n in lag.values())


class StreamingSelector:
    """The faust app, its two agents and its table, around one ``Selector``."""

    def __init__(self, settings: Settings, selector: Selector, producer: EventProducer, *, top_k: int = 5,
                 replication: int = 1, datadir: Path | None = None, stall_s: float = 20.0) -> None:
        self.selector = selector
        self.producer = producer
        self.top_k = top_k
        prefix = settings.topic_prefix
        self.group = app_id(prefix)
        partitions = topics.RESULTS.partitions
        datadir = datadir or settings.home / "faust"  # faust's own folder (unused by the memory store)
        datadir.mkdir(parents=True, exist_ok=True)
        self.app = faust.App(
            app_id(prefix),
            broker=[f"kafka://{host.strip()}" for host in settings.kafka_bootstrap.split(",") if host.strip()],
            store="memory://",
            datadir=str(datadir),
            topic_partitions=partitions,
            topic_replication_factor=replication,
            web_enabled=False,
            broker_client_id="zygarde-selector",
            broker_credentials=_credentials(kafka_client_conf("selector")),
            consumer_auto_offset_reset="earliest",
            broker_session_timeout=6.0,  # a selector killed -9 gives its partitions up within seconds
            broker_heartbeat_interval=1.0,
            broker_commit_interval=1.0,
            table_standby_replicas=0,
            TableManager=StreamTableManager,  # see StreamRecovery: a restart must not drop the results waiting
        )
        schema: faust.Schema[str, Any] = faust.Schema(key_type=str, key_serializer="json", value_serializer="json")
        self.jobs = self.app.Table("jobs", partitions=partitions, schema=schema,
                                   help="per job: counts by outcome, best so far, top-k, trial ids counted")
        # Selector.handle is blocking (MongoDB, refit of the winner): it runs off the event loop, one call
        # at a time across both agents, as the default engine's single loop does.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="selector-handle")
        self._specs = {t.physical(prefix): t for t in (topics.RESULTS, topics.JOB_EVENTS)}
        precreate_bus("selector", consumed=[t.name for t in self._specs.values()])
        results = self.app.topic(topics.RESULTS.physical(prefix), key_serializer="raw", value_serializer="raw")
        job_events = self.app.topic(topics.JOB_EVENTS.physical(prefix), key_serializer="raw",
                                    value_serializer="raw")
        self.app.agent(results, name="results")(self._on_results)
        self.app.agent(job_events, name="job-events")(self._on_job_events)
        # The stall watchdog (a defence: StreamRecovery fixes the stalls seen so far). Progress is a message
        # handled, a handle in flight, a rebalance or a recovery; lag is read off the event loop with
        # bounded admin calls.
        self.stall_s = stall_s
        self._admin = BusAdmin(settings.kafka_bootstrap, prefix, service="selector")
        self._busy = 0
        self._handled = 0
        self._progress_at = time.monotonic()
        if stall_s > 0:
            self.app.timer(interval=min(5.0, stall_s / 4), name="selector-stall-watchdog")(self._watch)

    async def _on_results(self, stream: faust.StreamT[bytes]) -> None:
        async for message in stream.events():
            event = await self._handle(message)
            if not isinstance(event, ev.TrialCompleted | ev.TrialFailed):
                continue
            state = tally(self.jobs.get(event.job_id), event, self.top_k)
            if state is not None:
                # written here, in the agent, so the changelog entry goes to this result's partition
                self.jobs[event.job_id] = state
                log.info("job table: %s", _describe(state), extra={"job_id": event.job_id})

    async def _on_job_events(self, stream: faust.StreamT[bytes]) -> None:
        async for message in stream.events():
            event = await self._handle(message)
            if isinstance(event, ev.JobCompleted | ev.JobFailed):
                log.info("job table at the end: %s", _describe(self.jobs.get(event.job_id)),
                         extra={"job_id": event.job_id})

    async def _handle(self, message: EventT[bytes]) -> ev.Event | None:
        """Decode one message and run ``Selector.handle`` on it; dead-letter it if it cannot be read."""
        msg = message.message
        spec = self._specs.get(msg.topic)
        key = msg.key.decode(errors="replace") if isinstance(msg.key, bytes) else msg.key
        meta = MessageMeta(msg.topic, msg.partition, msg.offset, key)
        raw = msg.value if isinstance(msg.value, bytes) else bytes(msg.value or b"")
        loop = asyncio.get_running_loop()
        self._busy += 1
        try:
            try:
                event = ev.decode(raw)
                if spec is not None and not spec.accepts(event):
                    raise DecodeError(f"{event.type} does not belong on topic {spec.name}")
            except DecodeError as exc:
                await loop.run_in_executor(self._executor, self._dead_letter, raw, meta, str(exc))
                return None
            await loop.run_in_executor(self._executor, self.selector.handle, event, meta)
        except Exception:
            # faust acks a message whose handler raised: end now, before anything more is acked or committed
            log.exception("selector handler failed at %s[%d]@%d; exiting to be restarted",
                          meta.topic, meta.partition, meta.offset)
            os._exit(EXIT_HANDLER_FAILED)
        finally:
            self._busy -= 1
            self._handled += 1
            self._progress_at = time.monotonic()
        if spec is not None:
            BUS_CONSUMED.labels(topic=spec.name, service="selector").inc()
        return event

    async def _watch(self) -> None:
        """Exit with ``EXIT_STALLED`` when messages wait on this worker's partitions and none was handled
        for ``stall_s``: the orchestrator restarts the selector, which resumes from the committed offsets."""
        app = self.app
        now = time.monotonic()
        recovery = cast(TableManager, app.tables).recovery
        if self._busy or app.rebalancing or recovery.in_recovery or not recovery.completed.is_set():
            self._progress_at = now
            return
        if now - self._progress_at < self.stall_s:
            return
        handled = self._handled
        assigned = {tp for tp in app.consumer.assignment() if tp.topic in self._specs}
        lag = await asyncio.get_running_loop().run_in_executor(None, self._lag, assigned)
        if self._handled != handled:
            return  # a message came while the lag was read
        idle_s = time.monotonic() - self._progress_at
        if not stalled(idle_s=idle_s, stall_s=self.stall_s, busy=self._busy > 0, lag=lag):
            self._progress_at = time.monotonic()  # nothing waiting (or no answer): look again in stall_s
            return
        log.error("faust selector stalled: %d message(s) waiting, none handled for %.0f s; exiting (%d) to be "
                  "restarted. state: %s\nagents:\n%s", sum(lag.values()), idle_s, EXIT_STALLED,
                  self._diagnostics(lag), _agent_tracebacks(app))
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(EXIT_STALLED)

    def _lag(self, assigned: set[TP]) -> dict[str, int]:
        """Committed-to-end lag of this app's group on the partitions assigned to this worker ({} when the
        broker does not answer: no progress is expected then, and no restart would help)."""
        lag: dict[str, int] = {}
        for name, spec in self._specs.items():
            try:
                parts = self._admin.lag(self.group, spec, timeout=5.0)
            except Exception as exc:  # noqa: BLE001 - a broker that does not answer is not a stall
                log.warning("stall watchdog: cannot read the lag of %s: %s", name, exc)
                return {}
            lag.update({f"{name}[{p.partition}]": p.lag for p in parts if TP(name, p.partition) in assigned})
        return lag

    def _diagnostics(self, lag: Mapping[str, int]) -> dict[str, Any]:
        """What a stall looked like from inside faust, for the log (best effort)."""
        app, consumer = self.app, self.app.consumer
        state: dict[str, Any] = {"lag": {k: n for k, n in lag.items() if n}, "handled": self._handled,
                                 "generation": app.consumer_generation_id}
        try:
            paused: set[TP] = getattr(consumer, "_paused_partitions", set())
            recovery = cast(TableManager, app.tables).recovery
            state.update(
                flow_control_active=app.flow_control.is_active(),
                consumer_flow_active=getattr(consumer, "flow_active", None),
                paused=sorted(f"{tp.topic}[{tp.partition}]" for tp in paused if tp.topic in self._specs),
                buffers={str(ch): ch.queue.qsize() for ch in app.topics if str(ch) in self._specs},
                unacked=len(consumer.unacked),
                recovery={"in_recovery": recovery.in_recovery, "completed": recovery.completed.is_set()},
            )
        except Exception as exc:  # noqa: BLE001 - diagnostics must not stop the exit
            state["error"] = repr(exc)
        return state

    def _dead_letter(self, raw: bytes, meta: MessageMeta, error: str) -> None:
        import base64

        log.warning("dead-lettering %s[%d]@%d: %s", meta.topic, meta.partition, meta.offset, error)
        self.producer.publish(ev.MessageDeadLettered(
            job_id=_job_id_guess(raw), source_topic=meta.topic, partition=meta.partition, offset=meta.offset,
            error=error[:2000], raw_b64=base64.b64encode(raw[:1_000_000]).decode(), key=meta.key))
        self.producer.flush()  # durable before the poison message is acked
        spec = self._specs.get(meta.topic)
        BUS_DEAD_LETTERED.labels(topic=spec.name if spec else meta.topic, service="selector").inc()

    def run(self, loglevel: str = "INFO") -> None:
        """Run the worker until SIGTERM/SIGINT (faust's own signal handling); logging stays ours."""
        worker = faust.Worker(self.app, loglevel=loglevel.lower(), quiet=True, redirect_stdouts=False,
                              override_logging=False)
        try:
            worker.execute_from_commandline()
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
        finally:
            self._executor.shutdown(wait=True)


def _agent_tracebacks(app: faust.App) -> str:
    try:
        return str(app.agents.human_tracebacks())
    except Exception as exc:  # noqa: BLE001
        return repr(exc)


def _describe(state: dict[str, Any] | None) -> str:
    if not state:
        return "no results yet"
    top = ", ".join(f"{row[1]}={row[2]:.4f}" for row in state["top"])
    return f"counts={state['counts']} best={state['best']} top=[{top}]"
