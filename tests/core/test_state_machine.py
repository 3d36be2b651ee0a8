"""Random sequences of store operations never break the job state machine's invariants."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from core.errors import LeaseRevoked
from core.events import EventBus, JobChanged
from core.jobs import Lease
from core.states import ALL_STATES, TRANSITIONS, JobState
from core.store import Store
from tests.fake_clock import FakeClock
from tests.helpers import new_job, write_doc


class StoreMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp = tempfile.TemporaryDirectory()
        root = Path(self.tmp.name)
        self.files = [write_doc(root / f"d{i}.txt", i) for i in range(6)]
        self.bus = EventBus()
        self.seen: dict[int, JobState] = {}
        self.illegal: list[str] = []
        self.bus.subscribe(self._watch)
        self.store = self.run(Store.open(root / "db.sqlite3", FakeClock(), self.bus))
        self.results: dict[int, str] = {}
        self.leases: dict[int, Lease] = {}
        self.max_queued = 8

    def _watch(self, event: object) -> None:
        if isinstance(event, JobChanged):
            old = self.seen.get(event.job.id)
            new = event.job.state
            if old is not None and old != new and new not in TRANSITIONS[old]:
                self.illegal.append(f"{event.job.id}: {old} -> {new}")
            self.seen[event.job.id] = new

    def run(self, coro):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(self.store.close())
        self.loop.close()
        self.tmp.cleanup()

    def _ids(self) -> list[int]:
        return [j.id for j in self.run(self.store.list_jobs())]

    @rule(which=st.lists(st.integers(0, 5), min_size=1, max_size=4), force=st.booleans())
    def add(self, which: list[int], force: bool) -> None:
        report = self.run(
            self.store.add_jobs(
                [new_job(self.files[i]) for i in which], max_queued=self.max_queued, force=force
            )
        )
        for job in report.accepted:
            assert job.state == JobState.QUEUED
            self.seen[job.id] = job.state
        assert len(report.accepted) + len(report.duplicates) + len(report.rejected) == len(which)

    @rule()
    def claim(self) -> None:
        lease = self.run(self.store.claim_next())
        if lease is not None:
            assert lease.job.state == JobState.RUNNING and lease.job.lease == lease.token
            assert lease.token not in {old.token for old in self.leases.values()}
            self.leases[lease.job_id] = lease

    @rule(data=st.data(), outcome=st.sampled_from(["done", "failed", "requeue", "refund"]))
    def finish(self, data: st.DataObject, outcome: str) -> None:
        running = self.run(self.store.list_jobs(JobState.RUNNING))
        if not running:
            return
        job = data.draw(st.sampled_from(running))
        lease = self.leases[job.id]
        if outcome == "done":
            self.run(self.store.finish_done(lease, f"result {job.id}"))
            self.results[job.id] = f"result {job.id}"
        elif outcome == "failed":
            self.run(self.store.fail(lease, "corrupt", "broken", note="failed"))
        else:
            self.run(
                self.store.requeue(
                    lease, "http_429", "slow down", refund_attempt=outcome == "refund"
                )
            )

    @rule(data=st.data())
    def late_write_with_an_old_lease(self, data: st.DataObject) -> None:
        """A worker whose lease was revoked (cancel, re-trigger, remove, a later claim) writes:
        the write is refused and nothing changes."""
        current = {j.id: j.lease for j in self.run(self.store.list_jobs())}
        old = [lease for lease in self.leases.values() if current.get(lease.job_id) != lease.token]
        if not old:
            return
        lease = data.draw(st.sampled_from(old))
        before = self.run(self.store.get(lease.job_id))
        with pytest.raises(LeaseRevoked):
            self.run(self.store.finish_done(lease, "late answer"))
        after = self.run(self.store.get(lease.job_id))
        if before is not None and after is not None:
            assert (after.state, after.result, after.updated_at, after.attempts) == (
                before.state, before.result, before.updated_at, before.attempts)

    @rule(data=st.data(), op=st.sampled_from(["cancel", "retrigger", "remove"]))
    def bulk(self, data: st.DataObject, op: str) -> None:
        ids = self._ids()
        if not ids:
            return
        chosen = data.draw(st.lists(st.sampled_from(ids), max_size=3, unique=True))
        if op == "cancel":
            self.run(self.store.cancel(chosen))
        elif op == "retrigger":
            self.run(self.store.retrigger(chosen))
        else:
            removed = self.run(self.store.remove(chosen))
            for job_id in removed:
                self.seen.pop(job_id, None)
                self.results.pop(job_id, None)

    @rule(where=st.sampled_from(["top", "up", "down", "bottom"]), data=st.data())
    def move(self, where: str, data: st.DataObject) -> None:
        queued = self.run(self.store.ids_in_state(JobState.QUEUED))
        if queued:
            self.run(self.store.move([data.draw(st.sampled_from(queued))], where))

    @rule()
    def restart(self) -> None:
        stale = self.run(self.store.recover_on_startup())
        assert all(j.state == JobState.STALE and j.stale_reason for j in stale)
        assert self.run(self.store.recover_on_startup()) == []

    @invariant()
    def invariants(self) -> None:
        assert not self.illegal, self.illegal
        jobs = self.run(self.store.list_jobs())
        counts = self.run(self.store.counts())
        assert set(counts) == {str(s) for s in ALL_STATES}
        assert sum(counts.values()) == len(jobs)
        assert counts["queued"] <= self.max_queued + len(jobs)  # retriggers may exceed the cap
        for job in jobs:
            assert job.state in ALL_STATES
            assert job.attempts >= 0
            if job.state == JobState.DONE:
                assert job.result == self.results.get(job.id), "done without its result"
                assert job.progress == 1.0
            if job.state == JobState.STALE:
                assert job.stale_reason
        # duplicates: never two active-or-done jobs for the same content and profile,
        # unless one was added with force (both are then legitimately there)
        positions = [j.position for j in jobs if j.state == JobState.QUEUED]
        assert len(positions) == len(set(positions)), "two queued jobs share a position"


StoreMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestStoreMachine = StoreMachine.TestCase
