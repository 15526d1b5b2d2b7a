"""The files of ``deploy/``: the systemd unit passes systemd's own check, the nginx
configuration passes nginx's (the browser tests run it for real)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from deploy.cluster import ROOT, render_nginx

UNIT = ROOT / "deploy" / "systemd" / "incident-map@.service"


def test_the_replica_unit_passes_systemd_analyze_verify(tmp_path):
    """The unit as installed for this checkout (its paths and an existing user)."""
    assert shutil.which("systemd-analyze"), "systemd-analyze (Debian's systemd) is missing"
    text = (UNIT.read_text()
            .replace("/opt/incident-map/.venv/bin/incident-map",
                     str(Path(sys.executable).with_name("incident-map")))
            .replace("/opt/incident-map", str(ROOT))
            .replace("User=incident-map", "User=www-data")
            .replace("Group=incident-map", "Group=www-data")
            .replace("EnvironmentFile=/etc/incident-map/env",
                     f"EnvironmentFile={ROOT / 'deploy' / 'systemd' / 'env.example'}"))
    unit = tmp_path / "incident-map@.service"
    unit.write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "incident-map@8501.service")],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_every_setting_of_the_unit_is_explained(tmp_path):
    """Each setting follows a comment (or another setting of the same explained group)."""
    lines = UNIT.read_text().splitlines()
    unexplained = [line for number, line in enumerate(lines)
                   if "=" in line and not line.startswith("#")
                   and not any(lines[k].startswith("#") for k in range(max(0, number - 3),
                                                                        number))]
    assert unexplained == []


def test_the_nginx_configuration_is_accepted_by_nginx(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    conf = run / "nginx.conf"
    conf.write_text(render_nginx(listen="127.0.0.1:8080", public_name="maps.example.org",
                                 replicas=["127.0.0.1:8501", "127.0.0.1:8502"], run_dir=run))
    assert "@" not in "".join(line for line in conf.read_text().splitlines()
                              if not line.lstrip().startswith("#"))
    result = subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(run)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
