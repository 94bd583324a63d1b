"""Capacity benchmark: the helpline under gunicorn against a bare Flask baseline."""
