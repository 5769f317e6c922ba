"""Evaluation: metrics (:mod:`.metrics`), their on-device forms (:mod:`.device`) and the
one assembly of a run's metrics and probes (:mod:`.measure`).

Nothing is imported here, so that reading a submodule loads only what it needs.
"""
