"""The performance benchmark of SPEC §6 and issue 8 (`make bench`; not part of `make test` or CI).

Method:
- Data: `demo-data --scale N` (crm/demo/) loaded into a database made for the run — a temporary
  SQLite file, and a fresh PostgreSQL database when 127.0.0.1:5432 answers — after the migrations
  and `seed`; a second database at scale 1 for the statement comparison. Each is dropped afterwards;
  nothing reads DATABASE_URL or writes to instance/. PostgreSQL gets VACUUM ANALYZE after the load,
  the state autovacuum reaches on its own a minute later; SQLite gets nothing the app doesn't do.
- Pages: in-process through Flask's test client with the production configuration (CSRF on,
  scrypt), logged in through the real login form as the city head (全市) and as the demo officer who
  owns the most open items. Server time is the wall clock around `client.get` (routing, every query,
  template rendering; no network, no browser). Each page is warmed up, then requested BENCH_REQUESTS
  times: p50/p95 and the statements per request, counted by a "before_cursor_execute" listener on
  the engine. One more request per page logs each statement's time (until the database hands back
  its first row; fetching the rest counts as Python time), for the diagnosis of a slow page.
- Baseline: `/account/password` (an authenticated, trivial template: login check, navigation, unread
  count) — every page's p50 is also given as a multiple of it; `/healthz` shows the bare framework.
- Jobs, at the main scale only: the reminder scan as a dry run (3 runs) and then for real, last, as it
  writes; the weekly summary of the last complete ISO week for the city, built and rendered to each
  format (3 runs each). Best and median wall-clock seconds.
- Output: bench/results.json (every figure) and bench/results.md (tables against the targets).
The machine is shared: figures carry its CPU count and load average, and a noisy run can be repeated.
"""
