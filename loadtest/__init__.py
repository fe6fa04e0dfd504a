"""The load test of issue 8 (`make loadtest`; not part of `make test` or CI): the production setup under
load on loopback, against PostgreSQL, and a check afterwards that no saved write was lost.

Method:
- Data: a fresh PostgreSQL database (bench/databases.py: created for the run, dropped afterwards
  whatever happens; DATABASE_URL and instance/ are never used), migrated, seeded and loaded with
  `demo-data --scale LOADTEST_SCALE`.
- Servers, as in production: gunicorn with LOADTEST_WORKERS workers (deploy/gunicorn.conf.py, with
  bind and workers from the command line) on a free 127.0.0.1 port, and exactly one `flask --app wsgi scheduler` process; the run
  starts once /healthz answers ok. Both are stopped at the end, on failure and on Ctrl-C.
- Load: locust, headless, LOADTEST_USERS users for LOADTEST_SECONDS seconds (loadtest/locustfile.py):
  officers and heads in a 6:1 ratio, each signed in through the login form as its own demo account,
  1–3 s between clicks and 1–3 s to fill in a form. Officers read their desk, the board and the lists, open their items, log
  follow-ups (next date within the stage's limit) and move projects forward with the evidence SPEC §3
  asks for; heads read the dashboard, 预警, filtered project lists and the weekly summary.
- Writes: each carries a marker LT-<run>-<n>; a write is "reported" only when the server redirected to
  the item and showed its success message. A refusal because someone else saved first (the optimistic
  lock's 已被他人修改, or 项目已处于… after another user's move) is counted apart: with
  LOADTEST_OFFICERS=N only N officer accounts are shared by all the officer users, to provoke them.
- Verification (loadtest/verify.py), straight from the database: every reported write is there exactly
  once, on its item, with its audit_event row; each moved project is in the stage of its last move;
  nothing refused was saved.
- Output: loadtest/results.json (every figure) and loadtest/results.md. Exit status 1 when a write is
  missing, doubled or unaudited, when any request got a 5xx or another unexpected answer, or when
  nothing was written at all (a run that saved nothing proves nothing).
"""
