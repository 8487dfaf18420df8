"""Seeing the fleet: Prometheus metrics, a live web dashboard and SVG maps.

- :mod:`runner.observe.state`: pure values of what the fleet looks like at one moment;
- :mod:`runner.observe.observer`: gathers them from a running supervisor (in memory, the
  store's caches, one agent read a minute for credits) and keeps short histories;
- :mod:`runner.observe.prometheus`: the Prometheus collector over an observer;
- :mod:`runner.observe.svg`: system, plan, galaxy and credits pictures (pure);
- :mod:`runner.observe.web`: the dashboard (server-rendered HTML, a little JavaScript);
- :mod:`runner.observe.serve`: listen addresses and the HTTP servers inside the runner's loop.

Nothing here is needed for a run to be correct, and nothing here ever reads a token.
"""
