"""Hosting many collectives: one PostgreSQL, one daemon, N workers (procrastinate).

- :mod:`hub.hosting.registry`: the collectives (id, configuration file, pause switch, last
  outcome, probe schedule) in the ``hub_hosting`` schema; each collective's state in its own
  schema ``c_<id>`` (the state store and its migrations run unchanged there).
- :mod:`hub.hosting.jobs`: what a job does for one collective (sync, probe, the scheduler's tick),
  with no job engine in sight.
- :mod:`hub.hosting.queue`: those jobs as procrastinate tasks (per-collective lock and queueing
  lock, the periodic tick, stalled-job recovery), and ``hub worker``.
- :mod:`hub.hosting.web`: ``hub daemon --hosting``: webhooks, /metrics and /readyz labelled by
  collective; it only enqueues.
- :mod:`hub.hosting.cli`: ``hub collective add|list|remove|check|pause|resume|sync``.

Nothing here is imported by single-collective mode: ``hub sync`` and ``hub daemon`` without
``--hosting`` never load procrastinate. See docs/hosting.md for the design and its figures.
"""
