"""Training: the loop and the small parts it is assembled from.

:mod:`~graphae.training.loop` runs epochs and batches and knows nothing of
``RunConfig``; :mod:`~graphae.training.selection` picks the epoch to keep
(and stops early); :mod:`~graphae.training.callbacks` watches the run
(metrics files, trackers, progress, checkpoints, stop control);
:mod:`~graphae.training.runtime` holds device, seeds, precision, memory and
global state; :mod:`~graphae.training.sampling` draws each epoch's pairs;
:mod:`~graphae.training.steps` the per-step options (target-edge masking,
gradient clipping); :mod:`~graphae.training.reuse` scores an epoch from the
next epoch's first forward; :mod:`~graphae.training.distributed` data-parallel
training; :mod:`~graphae.training.strategies` the optimisers and loss hook of a
step (plain, latent codes joint/alternating) and :mod:`~graphae.training.schedules`
the learning-rate schedules. :func:`graphae.pipeline.fit` assembles them from a ``RunConfig``.
"""
