"""The publishing service: ``python schedule.py [--content DIR] [--out DIR] [--host H] [--port N]``.

Builds what changed while it was down, watches the content folder (a new or edited issue is live a
few seconds after the last write), publishes embargoed issues at their time and serves the output over
HTTP, until SIGTERM/SIGINT. The same command as ``exporter run``; the wiring (watchdog, APScheduler,
uvicorn) is in :mod:`exporter.service`, the building in :func:`exporter.publish.build`.
"""

from exporter.cli import run_service

if __name__ == "__main__":
    run_service(prog_name="schedule.py")
