"""Starting a deployment on one machine: PostgreSQL, N dashboard replicas, nginx in front.

Used by ``deploy/local.py`` (the README's two commands) and by the test suite, so that what
the tests drive is what an operator starts. Each part is a real program: Debian's
PostgreSQL (``initdb``/``pg_ctl``), ``incident-map serve`` processes and Debian's nginx
with ``deploy/nginx.conf``.

Secrets never go on a command line (where ``ps`` shows them): the store's URL with its
password, the edit token and the cookie secret reach the replicas in their environment.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from dashboard.server.background import free_port

ROOT = Path(__file__).resolve().parents[1]
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf"
STATIC = ROOT / "dashboard" / "static"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
START_TIMEOUT_S = 90.0
#: The folders nginx writes temporary files to (inside its run folder).
NGINX_TEMP = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


class DeploymentError(RuntimeError):
    """A part of the deployment did not start; the message says which and why."""


def _worker_user() -> str:
    """The user nginx's workers run as: Debian's www-data when started as root."""
    if os.geteuid() == 0:
        return "www-data"
    return pwd.getpwuid(os.geteuid()).pw_name


def render_nginx(*, listen: str, public_name: str, replicas: list[str], run_dir: Path,
                 static: Path = STATIC, user: str | None = None) -> str:
    """``deploy/nginx.conf`` with its markers filled in.

    ``listen`` is nginx's address (``127.0.0.1:8080``), ``replicas`` the replicas'
    ``host:port``, ``run_dir`` the folder of its pid, logs and temporary files."""
    upstreams = "\n".join(f"        server {address} max_fails=1 fail_timeout=10s;"
                          for address in replicas)
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    for marker, value in (("@USER@", user or _worker_user()), ("@RUN@", str(run_dir)),
                          ("@UPSTREAMS@", upstreams), ("@LISTEN@", listen),
                          ("@PUBLIC_NAME@", public_name), ("@STATIC@", str(static))):
        text = text.replace(marker, value)
    return text


def wait_for(check, *, what: str, process: subprocess.Popen | None = None,
             log: Path | None = None, timeout: float = START_TIMEOUT_S) -> None:
    """Poll ``check()`` until it is true; raise if ``process`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise DeploymentError(f"{what} exited with code {process.returncode}:\n{tail}")
        if check():
            return
        time.sleep(0.2)
    raise DeploymentError(f"{what} did not start within {timeout:.0f} s")


def answers(url: str, *, host: str | None = None) -> bool:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=3) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@dataclass
class Replica:
    """One ``incident-map serve`` process."""

    port: int
    log: Path
    process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash or the kernel's out-of-memory killer would."""
        if self.alive():
            self.process.kill()
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def start_replica(replica: Replica, *, store_url: str, public_name: str,
                  env: dict[str, str], edit: bool = True, offline: bool = True) -> Replica:
    """Start ``incident-map serve`` for ``replica`` (returns at once; see ``wait_replica``)."""
    command = [sys.executable, "-m", "dashboard", "serve", "--address", "127.0.0.1",
               "--port", str(replica.port), "--allowed-host", public_name]
    if edit:
        command.append("--edit")
    if offline:
        command.append("--offline")
    replica.log.parent.mkdir(parents=True, exist_ok=True)
    with replica.log.open("w", encoding="utf-8") as output:
        replica.process = subprocess.Popen(
            command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
            env={**os.environ, **env, "INCIDENT_MAP_STORE": store_url})
    return replica


def wait_replica(replica: Replica) -> None:
    wait_for(lambda: answers(f"{replica.url}/_stcore/health"),
             what=f"the replica on port {replica.port}", process=replica.process,
             log=replica.log)


@dataclass
class Proxy:
    """nginx in front of the replicas."""

    port: int
    public_name: str
    run_dir: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.public_name}:{self.port}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_proxy(*, port: int, public_name: str, replicas: list[Replica],
                run_dir: Path, address: str = "127.0.0.1") -> Proxy:
    """Render ``deploy/nginx.conf`` into ``run_dir`` and run nginx in the foreground."""
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o755)
    user = _worker_user()
    for name in NGINX_TEMP:
        folder = run_dir / name
        folder.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            entry = pwd.getpwnam(user)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
    conf = run_dir / "nginx.conf"
    conf.write_text(render_nginx(listen=f"{address}:{port}", public_name=public_name,
                                 replicas=[r.address for r in replicas], run_dir=run_dir,
                                 user=user), encoding="utf-8")
    check = subprocess.run([NGINX, "-t", "-q", "-c", str(conf), "-p", str(run_dir)],
                           capture_output=True, text=True)
    if check.returncode != 0:
        raise DeploymentError(f"nginx refused {conf}: {check.stderr.strip()}")
    log = run_dir / "nginx.out"
    with log.open("w") as output:
        process = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(run_dir), "-g",
                                    "daemon off;"], stdout=output, stderr=subprocess.STDOUT)
    proxy = Proxy(port=port, public_name=public_name, run_dir=run_dir, process=process)
    wait_for(lambda: answers(f"http://127.0.0.1:{port}/_stcore/health",
                             host=f"{public_name}:{port}"),
             what="nginx", process=process, log=run_dir / "error.log")
    return proxy


@dataclass
class Deployment:
    """The replicas and the proxy in front of them."""

    proxy: Proxy
    replicas: list[Replica] = field(default_factory=list)
    store_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    edit: bool = True

    @property
    def url(self) -> str:
        return self.proxy.url

    def restart(self, replica: Replica) -> None:
        """Start a stopped or killed replica again on its port."""
        start_replica(replica, store_url=self.store_url, public_name=self.proxy.public_name,
                      env=self.env, edit=self.edit)
        wait_replica(replica)


@contextmanager
def running_deployment(*, store_url: str, run_dir: Path, replicas: int = 3,
                       public_name: str = "localhost", port: int | None = None,
                       address: str = "127.0.0.1", edit: bool = True,
                       env: dict[str, str] | None = None) -> Iterator[Deployment]:
    """N replicas on free ports and nginx in front of them, stopped when the block ends.

    ``env`` is added to the replicas' environment (the edit token, the cookie secret)."""
    env = dict(env or {})
    members = [Replica(port=free_port(), log=run_dir / f"replica-{i + 1}.log")
               for i in range(replicas)]
    proxy = None
    try:
        for replica in members:
            start_replica(replica, store_url=store_url, public_name=public_name, env=env,
                          edit=edit)
        for replica in members:
            wait_replica(replica)
        proxy = start_proxy(port=port or free_port(), public_name=public_name,
                            replicas=members, run_dir=run_dir / "nginx", address=address)
        yield Deployment(proxy=proxy, replicas=members, store_url=store_url, env=env,
                         edit=edit)
    finally:
        if proxy is not None:
            proxy.stop()
        for replica in members:
            with suppress(Exception):
                replica.stop()


# ---------------------------------------------------------------- PostgreSQL in a folder

PG_BIN = Path(os.environ.get("INCIDENT_MAP_PG_BIN", "/usr/lib/postgresql/15/bin"))
#: The role the dashboards connect as (owns the database; not a superuser).
APP_ROLE = "incident_map"
DATABASE = "incident_map"


def _as_postgres(*args: str) -> list[str]:
    """A command run as Debian's ``postgres`` user when we are root (PostgreSQL refuses
    to run as root)."""
    if os.geteuid() != 0:
        return list(args)
    entry = pwd.getpwnam("postgres")
    return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}",
            "--init-groups", "--", *args]


def _give_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(path, entry.pw_uid, entry.pw_gid)


def secret_file(path: Path) -> str:
    """The secret kept in ``path`` (created, readable by its owner only, on first use)."""
    import secrets

    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(24) + "\n")
    return path.read_text().strip()


@contextmanager
def local_postgres(folder: Path, *, port: int | None = None) -> Iterator[str]:
    """PostgreSQL with PostGIS whose data lives in ``folder/data`` (made on first use),
    listening on loopback only; yields the URL the dashboards use (role ``incident_map``,
    its password from ``folder/password``, mode 600). Stopped when the block ends.

    Passwords are SCRAM-checked for every connection, the superuser's kept in
    ``folder/superuser-password``."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)  # the server's user must reach its data folder
    data = folder / "data"
    app_password = secret_file(folder / "password")
    admin_password = secret_file(folder / "superuser-password")
    port = port or free_port()
    if not (data / "PG_VERSION").exists():
        pwfile = folder / ".pw"
        pwfile.write_text(admin_password + "\n")
        _give_to_postgres(pwfile)
        data.mkdir(exist_ok=True)
        _give_to_postgres(data)
        try:
            subprocess.run(_as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-U",
                                        "postgres", "--pwfile", str(pwfile),
                                        "--auth-local=scram-sha-256",
                                        "--auth-host=scram-sha-256", "--encoding=UTF8",
                                        "--locale=C.UTF-8"),
                           check=True, capture_output=True, timeout=180)
        except subprocess.CalledProcessError as error:
            raise DeploymentError(
                f"initdb failed: {error.stderr.decode(errors='replace')}") from None
        finally:
            pwfile.unlink(missing_ok=True)
        fresh = True
    else:
        fresh = False
    log = data / "server.log"
    options = (f"-c listen_addresses=127.0.0.1 -c port={port} "
               f"-c unix_socket_directories={data} -c max_connections=200")
    started = subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l",
                                          str(log), "-o", options, "-w", "-t", "90", "start"),
                             capture_output=True, text=True, timeout=120)
    if started.returncode != 0:
        raise DeploymentError(f"PostgreSQL did not start: {started.stderr.strip()}; see {log}")
    try:
        admin = f"postgresql://postgres@127.0.0.1:{port}"
        if fresh:
            _sql(f"{admin}/postgres", admin_password,
                 f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{app_password}'")
            _sql(f"{admin}/postgres", admin_password,
                 f"CREATE DATABASE {DATABASE} OWNER {APP_ROLE}")
            _sql(f"{admin}/{DATABASE}", admin_password, "CREATE EXTENSION postgis")
        yield f"postgresql://{APP_ROLE}:{app_password}@127.0.0.1:{port}/{DATABASE}"
    finally:
        subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast",
                                    "-w", "stop"), capture_output=True, timeout=120)


def _sql(url: str, password: str, statement: str) -> None:
    """Run one statement with psql; the password in its environment and the statement on
    its standard input, never in its arguments (which ``ps`` shows)."""
    result = subprocess.run([str(PG_BIN / "psql"), "--no-psqlrc", "-v", "ON_ERROR_STOP=1",
                             "-q", "-d", url], input=statement + ";\n",
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PGPASSWORD": password})
    if result.returncode != 0:
        raise DeploymentError(f"psql: {result.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    """``python deploy/cluster.py nginx ...``: print deploy/nginx.conf filled in."""
    import argparse

    parser = argparse.ArgumentParser(description="Fill in deploy/nginx.conf")
    commands = parser.add_subparsers(dest="command", required=True)
    nginx = commands.add_parser("nginx", help="print the nginx configuration")
    nginx.add_argument("--listen", default="127.0.0.1:8080")
    nginx.add_argument("--public-name", required=True)
    nginx.add_argument("--replica", action="append", required=True, metavar="HOST:PORT")
    nginx.add_argument("--run-dir", type=Path, default=Path("/var/lib/incident-map/nginx"))
    nginx.add_argument("--static", type=Path, default=STATIC)
    nginx.add_argument("--user", default="www-data")
    args = parser.parse_args(argv)
    print(render_nginx(listen=args.listen, public_name=args.public_name,
                       replicas=args.replica, run_dir=args.run_dir, static=args.static,
                       user=args.user), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
