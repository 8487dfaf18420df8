"""The runtime: playbooks run as supervised containers against the game.

- ``supervisor.Supervisor``: containers of one runner process as asyncio tasks (start,
  stop, replace, list, wait, shutdown); one container per ship; lease takeover.
- ``container.ContainerTask``: one container's lease, heartbeat and restart policy.
- ``executor.Executor``: walks a playbook's steps for one ship with live state, journals
  intents and checkpoints, waits on the server's clock, reacts to game errors by meaning.
- ``adapters``: the playbook language, agents' clients and the universe as the runtime
  uses them; ``game.GameApi``: commands onto the API client; ``journal``: the store.
- ``foreground``: ``st-run run``; ``embedded``: ``--sim``; ``live_view``: the display.
"""
