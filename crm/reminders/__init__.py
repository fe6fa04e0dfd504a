"""Stalled items and reminders (SPEC §4): stall rules now; delivery and scheduling to follow."""
