"""gunicorn settings read by default from the project directory (`gunicorn portal.wsgi`).

Each worker aggregates API-key usage counts and writes them every API_USAGE_FLUSH_SECONDS
(apikeys.api.counting). Its flusher starts as the worker boots (it would on the first use
anyway), so that with Redis every worker also writes what killed ones left there. Counts
are written when the worker exits, so a graceful stop (SIGTERM, SIGHUP, SIGQUIT) loses none.
"""

import os
import tempfile

# Metrics (portal.metrics) in prometheus-client's multiprocess mode: every worker writes its
# counts to files in one directory, so that one scrape sums them all. A fresh directory for
# each start, made here in the master before any worker imports prometheus-client.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="portal-metrics-"))

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))


def post_worker_init(worker):
    from apikeys.api import counting

    counting.start()


def worker_exit(server, worker):
    from apikeys.api import counting

    counting.close()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
