"""Run the shared deployment on this machine: PostgreSQL, N replicas, nginx in front.

    .venv/bin/python deploy/local.py [--replicas 3] [--port 8080] [--public-name localhost]
                                     [--folder .deploy] [--data data/incidents.csv]

The database lives in ``FOLDER/postgres`` (made on first run, with PostGIS, a role
``incident_map`` and its password in ``FOLDER/postgres/password``); on first run the
dataset and ``briefings/`` are loaded into it. The replicas run ``incident-map serve --store``
with the editor on; the edit token is ``INCIDENT_MAP_EDIT_TOKEN`` or, when unset, one made
and kept in ``FOLDER/edit-token`` (printed once). nginx listens on ``127.0.0.1:PORT``
(``--address 0.0.0.0`` for every interface) and answers to ``--public-name``. Ctrl-C (or SIGTERM)
stops everything. ``--store URL`` uses an existing database instead of the local one.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.data.schema import DatasetError  # noqa: E402
from dashboard.data.stores import open_store  # noqa: E402
from deploy.cluster import (  # noqa: E402
    local_postgres,
    running_deployment,
    secret_file,
)


def load_if_empty(store_url: str, data: Path) -> None:
    store = open_store(store_url, watch=False)
    try:
        try:
            store.header()
            return  # it holds a dataset already: never replaced here
        except DatasetError:
            pass
        source = open_store(data)
        count = store.replace_all(*source.raw_rows())
        for name in source.briefing_names():
            store.put_briefing_text(name, source.briefing_text(name) or "")
        print(f"loaded {count} incidents from {data} into {store.label}", flush=True)
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--port", type=int, default=8080, help="nginx's port")
    parser.add_argument("--address", default="127.0.0.1", help="nginx's address")
    parser.add_argument("--public-name", default="localhost",
                        help="the name browsers use (nginx's server_name, each replica's "
                             "--allowed-host)")
    parser.add_argument("--folder", type=Path, default=ROOT / ".deploy")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "incidents.csv",
                        help="loaded into an empty store on first run")
    parser.add_argument("--store", help="an existing postgresql:// database (default: "
                                        "the local one in FOLDER/postgres)")
    args = parser.parse_args(argv)
    folder = args.folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    env = {"INCIDENT_MAP_COOKIE_SECRET": secret_file(folder / "cookie-secret")}
    if not os.environ.get("INCIDENT_MAP_EDIT_TOKEN"):
        made = not (folder / "edit-token").exists()
        env["INCIDENT_MAP_EDIT_TOKEN"] = secret_file(folder / "edit-token")
        if made:
            print(f"edit token (kept in {folder / 'edit-token'}): "
                  f"{env['INCIDENT_MAP_EDIT_TOKEN']}", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    def serve(store_url: str) -> None:
        load_if_empty(store_url, args.data)
        with running_deployment(store_url=store_url, run_dir=folder / "run",
                                replicas=args.replicas, public_name=args.public_name,
                                port=args.port, address=args.address,
                                env=env) as deployment:
            print(f"Incident Map on {deployment.url} ({args.replicas} replicas on ports "
                  f"{', '.join(str(r.port) for r in deployment.replicas)}); Ctrl-C stops it",
                  flush=True)
            while not stop.wait(1.0):
                for replica in deployment.replicas:
                    if not replica.alive():
                        print(f"replica on port {replica.port} exited; starting it again "
                              f"(see {replica.log})", flush=True)
                        deployment.restart(replica)

    if args.store:
        serve(args.store)
    else:
        with local_postgres(folder / "postgres") as store_url:
            serve(store_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
