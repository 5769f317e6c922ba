"""The live metrics file: every record flushed, fsync at most once per interval."""

from __future__ import annotations

import json
import os

import pytest

from graphae.training.callbacks import MetricsFile


def _count_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return calls


def test_records_are_readable_at_once_and_fsynced_per_interval(tmp_path, monkeypatch) -> None:
    calls = _count_fsyncs(monkeypatch)
    path = tmp_path / "metrics.jsonl"
    f = MetricsFile(path, fsync_interval=3600.0)
    f.on_start([])
    assert len(calls) == 1  # the (re)written start
    for epoch in range(1, 51):
        f.on_epoch({"epoch": epoch})
        # flushed: another reader sees the record before the next epoch
        assert json.loads(path.read_text().splitlines()[-1]) == {"epoch": epoch}
    assert len(calls) == 1  # no fsync within the interval
    f.on_end(None)
    assert len(calls) == 2  # closing syncs


def test_interval_zero_fsyncs_every_record(tmp_path, monkeypatch) -> None:
    calls = _count_fsyncs(monkeypatch)
    f = MetricsFile(tmp_path / "m.jsonl", fsync_interval=0)
    f.on_start([{"epoch": 1}])
    for epoch in (2, 3, 4):
        f.on_epoch({"epoch": epoch})
    f.on_end(None)
    assert len(calls) == 1 + 3 + 1
    lines = (tmp_path / "m.jsonl").read_text().splitlines()
    assert [json.loads(x)["epoch"] for x in lines] == [1, 2, 3, 4]
