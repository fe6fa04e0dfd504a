"""Gunicorn settings for the CRM behind nginx (deploy/nginx-crm.conf), used by deploy/crm-web.service.

    .venv/bin/gunicorn -c deploy/gunicorn.conf.py wsgi:app

Options given on the command line (e.g. --bind) win over these. The reminder scheduler is not
started here: it is its own single process (deploy/crm-scheduler.service), however many workers run.
"""

import gc
import os

# Only nginx on the same machine talks to gunicorn; clients never reach this port.
bind = ["127.0.0.1:8000"]
wsgi_app = "wsgi:app"
proc_name = "crm-web"

# Sync workers: one request at a time per process. nginx buffers requests and responses, so a slow
# phone on the network never holds a worker; the requests themselves are short and spend their time
# in the database. A sync worker stuck in one request is killed and replaced after `timeout`
# (gthread only watches the process, so a hung thread would stay hung), needs no thought about
# thread safety, and keeps only one request's database connections open (one, or two while an audit
# event is written in its own transaction): PostgreSQL's 100 connections go a long way.
worker_class = "sync"
# 2 × cores + 1, at most 9: for about 60 users more processes only add memory (~100 MB each) and
# PostgreSQL connections. CRM_WEB_WORKERS (in /etc/crm/crm.env) sets the number exactly.
MAX_DEFAULT_WORKERS = 9


def default_workers() -> int:
    """2 × the CPUs this process may use + 1, capped at MAX_DEFAULT_WORKERS."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(2 * cores + 1, MAX_DEFAULT_WORKERS)


def configured_workers() -> int:
    """CRM_WEB_WORKERS when set (a positive integer), else default_workers()."""
    value = os.environ.get("CRM_WEB_WORKERS", "").strip()
    if not value:
        return default_workers()
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"CRM_WEB_WORKERS 必须是正整数，现在是 {value!r}。")
    return int(value)


workers = configured_workers()

# The slowest pages (an .xlsx export of the whole 招商清单, a weekly summary at ten times Jiaxing's
# scale) take seconds; a request still running after a minute is stuck. nginx waits a little longer
# (proxy_read_timeout 75s), so gunicorn's own timeout fires first and is logged here.
timeout = 60
graceful_timeout = 30  # on stop or reload, requests in progress get this long to finish
keepalive = 5
# Recycle each worker after about a thousand requests: exports build large documents in memory.
max_requests = 1000
max_requests_jitter = 100

# Logs to stdout/stderr, i.e. the journal (journalctl -u crm-web). The client is the address nginx
# forwarded; %(M)s is the request's duration in milliseconds.
accesslog = "-"
errorlog = "-"
access_log_format = '%({x-forwarded-for}i)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'

# Trust X-Forwarded-Proto (https) only from nginx on this machine. The app itself takes the client's
# address from X-Forwarded-For when CRM_PROXY_FIX=1 (crm/__init__.py, ProxyFix).
forwarded_allow_ips = "127.0.0.1"

# gunicornc's control socket: in systemd's RuntimeDirectory (/run/crm-web) under the service;
# elsewhere (a shell, the tests) none, rather than a socket in the user's home directory.
if os.environ.get("RUNTIME_DIRECTORY"):
    control_socket = os.path.join(os.environ["RUNTIME_DIRECTORY"].split(":")[0], "gunicorn.ctl")
else:
    control_socket_disable = True


def post_worker_init(worker):
    """After a worker has loaded the app: move what is alive now (modules, templates, metadata, some
    150,000 objects) to the permanent generation, so the full collections that requests' garbage sets
    off don't scan it every time (otherwise a 20–50 ms pause in an occasional request)."""
    gc.freeze()
