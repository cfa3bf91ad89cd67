"""MongoDB repositories (pymongo). Each collection has one owner service; documents are keyed by id."""

from zygarde.store.jobs import JobRepository
from zygarde.store.mongo import connect, ensure_indexes, ping
from zygarde.store.results import ResultRepository
from zygarde.store.trials import TrialRepository
from zygarde.store.workers import WorkerRepository

__all__ = ["JobRepository", "ResultRepository", "TrialRepository", "WorkerRepository", "connect", "ensure_indexes",
           "ping"]
