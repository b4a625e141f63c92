"""gunicorn settings read by default from the project directory (`gunicorn portal.wsgi`).

Each worker aggregates API-key usage counts in memory and writes them at least once a
second (apikeys.api.counting); they are written when the worker exits, so a graceful stop
(SIGTERM, SIGHUP, SIGQUIT) loses none.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))


def post_worker_init(worker):
    from apikeys.api import counting

    counting.start()


def worker_exit(server, worker):
    from apikeys.api import counting

    counting.stop()
