"""Real programs the tests start and stop themselves (PostgreSQL, nginx, dashboard replicas)."""
