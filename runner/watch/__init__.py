"""Watch mode: ``st-run watch DIR`` keeps a fleet in line with a folder of playbooks.

Pure decisions, tested as tables:

- :mod:`~runner.watch.batching`: events grouped until 50 ms of quiet, 1.6 s at most;
- :mod:`~runner.watch.folder`: which files are playbooks, their bytes and sha256 identity;
- :mod:`~runner.watch.reconcile`: folder vs running containers -> Stop/Rename/Replace/
  Start/Reject;
- :mod:`~runner.watch.recovery`: at start, expected (files) vs recovered (database).

I/O at the edges:

- :mod:`~runner.watch.observer`: watchdog events -> asyncio batches;
- :mod:`~runner.watch.watcher`: the loop (scan, reconcile, apply) over a
  :class:`~runner.watch.fleet.Fleet`;
- :mod:`~runner.watch.runtime_fleet`: the Fleet over the runtime's ``Supervisor`` and the
  state store (the adapter: what the supervisor lacks for watching lives here);
- :mod:`~runner.watch.session`: one process: recover, watch, shut down on signals.
"""
