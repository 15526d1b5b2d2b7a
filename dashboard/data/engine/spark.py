"""This process's Apache Spark session (local mode by default; the same code on a cluster).

``INCIDENT_MAP_SPARK_MASTER`` (default ``local[2]``, or ``spark://HOST:7077``),
``INCIDENT_MAP_SPARK_MEMORY`` (the driver's memory, default 1g), UTC, no web UI; tables that
are not in Spark's catalog live in ``INCIDENT_MAP_SPARK_WAREHOUSE``.
"""

from __future__ import annotations

import os
import threading

from dashboard.data.engine.sources import SPARK_MASTER_VAR, SPARK_MEMORY_VAR, spark_warehouse

_spark_lock = threading.Lock()
_spark = None


class EngineError(RuntimeError):
    """The engine cannot be reached or is not installed, with a one-line reason."""


def spark_session():
    """This process's Spark session (made once): ``INCIDENT_MAP_SPARK_MASTER`` (default
    ``local[2]``), driver memory ``INCIDENT_MAP_SPARK_MEMORY`` (default 1g), UTC, no web UI."""
    global _spark
    with _spark_lock:
        if _spark is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError:
                raise EngineError("the Spark engine needs pyspark: "
                                  "pip install 'incident-map[engines]'") from None
            memory = os.environ.get(SPARK_MEMORY_VAR, "1g")
            master = os.environ.get(SPARK_MASTER_VAR, "local[2]")
            builder = SparkSession.builder
            if master.startswith("local"):
                # Local mode talks to itself on loopback only, never on the machine's
                # network address.
                os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
                builder = (builder.config("spark.driver.host", "127.0.0.1")
                           .config("spark.driver.bindAddress", "127.0.0.1"))
            _spark = (builder
                      .master(master)
                      .appName("incident-map")
                      .config("spark.ui.enabled", "false")
                      .config("spark.driver.memory", memory)
                      .config("spark.sql.shuffle.partitions", "4")
                      .config("spark.sql.session.timeZone", "UTC")
                      .config("spark.sql.warehouse.dir", str(spark_warehouse().resolve()))
                      .getOrCreate())
            _spark.sparkContext.setLogLevel("ERROR")
        return _spark
