"""st-run's state: containers, leases, the step journal, logs and caches (``Store``)."""
