"""The ``incident-map`` command line: a thin layer over the library modules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from dashboard.base.settings import offline_requested

#: What ``streamlit run`` starts: the page behind the Host check (``web_app.py``).
APP_PATH = Path(__file__).with_name("web_app.py")


class CliError(click.ClickException):
    """An error printed as one line: line breaks and control characters from a value the
    user gave (or a file held) are shown escaped, so nothing can fake a second line."""

    def __init__(self, message: str):
        super().__init__(_one_line(message))


def _one_line(text: str) -> str:
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="incident-map")
def main() -> None:
    """Incident Map: a sourced, filterable map of state-linked covert action."""


@main.command()
@click.option("--data", "data_path", type=click.Path(path_type=Path, readable=False),
              help="Dataset to open (default: $INCIDENT_MAP_DATA or data/incidents.csv).")
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True)
@click.option("--offline", is_flag=True, default=None,
              help="Request nothing outside the dashboard's origin (also INCIDENT_MAP_OFFLINE=1).")
@click.option("--address", default="localhost", show_default=True, help="Address to listen on.")
@click.option("--allowed-host", "extra_hosts", multiple=True, metavar="NAME",
              help="Another Host name to answer to, e.g. the public name behind a reverse "
                   "proxy (repeatable; also INCIDENT_MAP_ALLOWED_HOSTS).")
@click.option("--edit", is_flag=True,
              help="Turn the editor on (off by default). Beyond loopback, editors must type "
                   "the token in INCIDENT_MAP_EDIT_TOKEN.")
@click.option("--basemap", "basemap_file", type=click.Path(path_type=Path, readable=False),
              help="A street-level tile archive (PMTiles or MBTiles, raster or vector) to draw "
                   "(also INCIDENT_MAP_BASEMAP).")
@click.option("--store", "store_url", metavar="URL",
              help="Where the dataset lives: a PostgreSQL database shared by several "
                   "dashboard processes (postgresql://USER@HOST:PORT/DB; the password from "
                   "PGPASSWORD or ~/.pgpass) or a CSV file (default: --data; also "
                   "INCIDENT_MAP_STORE).")
@click.option("--engine", type=click.Choice(["pandas", "duckdb"]), default=None,
              help="What filters and counts the data: pandas (default) or DuckDB "
                   "(pip install 'incident-map[scale]'; also INCIDENT_MAP_ENGINE).")
@click.option("--limit", "limit_options", multiple=True, metavar="NAME=N",
              help="Raise or lower one limit on what visitors upload, e.g. --limit "
                   "upload_mb=500 (repeatable; also INCIDENT_MAP_LIMIT_<NAME>; see the README's "
                   "Security section).")
@click.option("--source", "source_spec", metavar="parquet:PATH|postgresql://...|spark:TABLE",
              default=None,
              help="Serve a dataset from a query engine instead of a file loaded into the "
                   "page: a Parquet file (DuckDB), a PostgreSQL database or a Spark table "
                   "(also INCIDENT_MAP_SOURCE).")
def serve(data_path: Path | None, port: int, offline: bool | None, address: str,
          extra_hosts: tuple[str, ...], edit: bool, basemap_file: Path | None,
          store_url: str | None, engine: str | None,
          limit_options: tuple[str, ...], source_spec: str | None) -> None:
    """Start the dashboard."""
    from dashboard.base.settings import EDIT_VAR
    from dashboard.data.loading import default_data_path
    from dashboard.data.query import ENGINE_VAR, QueryError, engine_requested
    from dashboard.server.hosts import ENV_VAR, allowed_hosts

    env = dict(os.environ)
    dataset = data_path.absolute() if data_path is not None else default_data_path()
    if data_path is not None:
        env["INCIDENT_MAP_DATA"] = str(dataset)
    if offline_requested(offline):
        env["INCIDENT_MAP_OFFLINE"] = "1"
    try:
        env[ENGINE_VAR] = engine_requested(engine)
        if env[ENGINE_VAR] == "duckdb":
            import duckdb  # noqa: F401  (refused here, not on the first page view)
    except QueryError as error:
        raise CliError(str(error)) from None
    except ImportError:
        raise CliError("--engine duckdb needs the duckdb package: "
                       "pip install 'incident-map[scale]'") from None
    env.update(_limits(limit_options).as_env())
    from_env = [name for name in os.environ.get(ENV_VAR, "").split(",") if name.strip()]
    _refuse_any_host([*from_env, *extra_hosts])
    hosts = allowed_hosts(address, extra=[*from_env, *extra_hosts])
    env[ENV_VAR] = ",".join(hosts)
    env.pop(EDIT_VAR, None)
    from dashboard.data.stores import STORE_VAR, is_database_url

    store_url = (store_url or os.environ.get(STORE_VAR, "")).strip() or None
    env.pop(STORE_VAR, None)
    if store_url and not is_database_url(store_url):
        dataset = Path(store_url).absolute()  # a CSV file: the same as --data
        env["INCIDENT_MAP_DATA"] = str(dataset)
        store_url = None
    if edit:
        _check_editing(None if store_url else dataset, address, from_env + list(extra_hosts))
        env[EDIT_VAR] = "1"
    named = basemap_file or os.environ.get("INCIDENT_MAP_BASEMAP", "").strip()
    if named:
        from dashboard.maps.tile_archive import ArchiveError, check_archive

        try:
            archive = check_archive(Path(named))
        except ArchiveError as error:
            raise CliError(str(error)) from None
        env["INCIDENT_MAP_BASEMAP"] = str(archive)
    served = None if store_url else _engine_source(source_spec, dataset, env, edit)
    from dashboard.data.schema import DatasetError, validate_file

    if store_url:
        served = _large_store(store_url, env, edit)
        shown = served.describe() if served is not None else _check_store(store_url)
        env[STORE_VAR] = store_url
    elif served is not None:
        shown = served.describe()
    else:
        shown = str(dataset)
        try:
            problems = validate_file(dataset)
        except DatasetError as error:
            raise CliError(str(error)) from None
        if problems:
            raise CliError(
                f"{dataset} has {len(problems)} problem(s); run `incident-map validate "
                f"{dataset}`.")
    # Several processes behind a reverse proxy share one secret for Streamlit's signed
    # cookies (its XSRF token), so any of them accepts a browser's token.
    secret = os.environ.get(COOKIE_SECRET_VAR, "").strip()
    if secret:
        env["STREAMLIT_SERVER_COOKIE_SECRET"] = secret
    command = [
        sys.executable, "-m", "dashboard.server.launch", "run", str(APP_PATH),
        "--server.port", str(port),
        "--server.address", address,
        "--server.headless", "true",
        "--server.enableStaticServing", "true",
        # The page's updates (table page, timeline, the map's filter) are compressed on
        # the wire (permessage-deflate), a third of their size after a filter change.
        "--server.enableWebsocketCompression", "true",
        # Requests whose Host is not ours are refused (DNS rebinding); Streamlit checks
        # the websocket's Host and Origin too, and keeps its XSRF and CORS protection.
        *(part for host in hosts for part in ("--server.allowedHosts", host)),
        "--server.enableXsrfProtection", "true",
        "--server.enableCORS", "true",
        "--server.fileWatcherType", "none",
        # Uploads are limited by the dashboard itself (dashboard/server/uploads.py: per file,
        # per session and in all, refused with the limit's own line on the page); Streamlit's
        # limit is set far above, or the browser would refuse first, in its own words.
        "--server.maxUploadSize", str(UPLOAD_CEILING_MB),
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
        "--theme.base", "light",
    ]
    click.echo(f"Incident Map on http://{address}:{port} ({shown})", err=True)
    os.execvpe(command[0], command, env)


def _engine_source(spec: str | None, dataset: Path, env: dict[str, str], edit: bool):
    """The source ``serve`` serves through the query engine (checked, and put into ``env``),
    or None for a file loaded into the page. A large CSV file is converted to Parquet in
    the background (once per content): its checks run there, and the page says when it is
    ready or what is wrong."""
    from dashboard.data.engine.convert import converted
    from dashboard.data.engine.shared import large_file
    from dashboard.data.engine.sources import SOURCE_VAR, SourceError, parse_source

    spec = spec or os.environ.get(SOURCE_VAR, "").strip() or None
    try:
        source = parse_source(spec) if spec else None
    except SourceError as error:
        raise CliError(str(error)) from None
    if source is not None and source.kind == "csv":
        dataset = Path(source.location).absolute()
        env["INCIDENT_MAP_DATA"] = str(dataset)
        env.pop(SOURCE_VAR, None)
        source = None
    if source is None and not large_file(dataset):
        env.pop(SOURCE_VAR, None)
        return None
    if edit:
        raise CliError("--edit works on a dataset file loaded into the page, not on a "
                       "source served by a query engine")
    if source is None:
        from dashboard.data.engine.sources import Source

        source = Source("csv", str(dataset))
        if converted(dataset) is None:
            log = open(os.devnull, "wb")  # noqa: SIM115 (the child keeps it)
            subprocess.Popen([sys.executable, "-m", "dashboard.data.engine.convert",
                              str(dataset)], stdout=log, stderr=log, start_new_session=True,
                             env=env)
            click.echo(f"Converting {dataset.name} to Parquet in the background (once); "
                       "the page opens it when ready.", err=True)
        else:
            _start_rollups(converted(dataset), env)
    elif source.kind == "parquet":
        if not Path(source.location).exists():
            raise CliError(f"{source.location}: no such Parquet file or folder")
        env[SOURCE_VAR] = f"parquet:{Path(source.location).absolute()}"
        _start_rollups(Path(source.location).absolute(), env)
    else:
        env[SOURCE_VAR] = spec
        _check_engine_installed(source.kind)
    return source


def _large_store(url: str, env: dict[str, str], edit: bool):
    """A PostgreSQL store of LARGE_STORE_ROWS rows or more is served through the query
    engine: its typed table is copied from the store in the background and kept in step
    (``dashboard/data/engine/from_store.py``); the editor still reads the store. None for a
    smaller store (the page loads it)."""
    from dashboard.data.engine.from_store import LARGE_STORE_ROWS, store_rows
    from dashboard.data.engine.sources import SOURCE_VAR, parse_source

    try:
        rows = store_rows(url)
    except Exception as error:  # the driver's errors name the host, never a password
        raise CliError(f"cannot read the store: {str(error).splitlines()[0]}") from None
    if rows < LARGE_STORE_ROWS or edit:
        return None
    log = open(os.devnull, "wb")  # noqa: SIM115 (the child keeps it)
    subprocess.Popen([sys.executable, "-m", "dashboard.data.engine.from_store", url,
                      "--watch"], stdout=log, stderr=log, start_new_session=True, env=env)
    click.echo(f"{rows:,} rows in the store: served through the query engine; its table is "
               "kept in step with the store in the background.", err=True)
    env[SOURCE_VAR] = url
    return parse_source(url)


def _start_rollups(parquet: Path | None, env: dict[str, str]) -> None:
    """Make the roll-ups of a Parquet source in the background when they are not made yet
    (once per version of the file; the page uses them when they are ready)."""
    from dashboard.data.engine.rollup import existing

    if parquet is None or existing(parquet) is not None:
        return
    log = open(os.devnull, "wb")  # noqa: SIM115 (the child keeps it)
    subprocess.Popen([sys.executable, "-m", "dashboard.data.engine.rollup", str(parquet)],
                     stdout=log, stderr=log, start_new_session=True, env=env)
    click.echo(f"Counting {parquet.name} into its roll-ups in the background (once); until "
               "they are ready every view reads the whole table.", err=True)


def _check_engine_installed(kind: str) -> None:
    import importlib.util

    needs = {"postgres": ("psycopg", "engines"), "spark": ("pyspark", "engines"),
             "trino": ("trino", "trino"), "bigquery": ("google.cloud.bigquery", "bigquery"),
             "clickhouse": ("clickhouse_connect", "clickhouse")}[kind]
    try:
        found = importlib.util.find_spec(needs[0]) is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        install = ("'incident-map[engines]'" if needs[1] == "engines"
                   else f"'ibis-framework[{needs[1]}]==12.0.0'")
        raise CliError(f"the {kind} engine needs {needs[0]}: pip install {install}")


#: A secret shared by every replica behind a proxy (signs Streamlit's XSRF cookie).
COOKIE_SECRET_VAR = "INCIDENT_MAP_COOKIE_SECRET"


def _check_store(url: str) -> str:
    """Open the database store once: reachable, holding a valid dataset. Its name (never
    its password) for the start-up line."""
    from dashboard.data.schema import DatasetError, validate_frame
    from dashboard.data.stores import StoreError, open_store

    try:
        store = open_store(url, watch=False)
    except StoreError as error:
        raise CliError(str(error)) from None
    try:
        problems = validate_frame(store.read_frame())
    except (DatasetError, StoreError) as error:
        raise CliError(str(error)) from None
    finally:
        store.close()
    if problems:
        raise CliError(f"{store.label} holds a dataset with {len(problems)} problem(s); dump "
                       "it with `incident-map store dump` and run `incident-map validate` on "
                       "the file.")
    return store.label


#: Streamlit's own upload limit, in MB: above every limit of ours (see serve).
UPLOAD_CEILING_MB = 1_048_576


def _limits(options: tuple[str, ...]):
    """The upload limits: defaults, ``INCIDENT_MAP_LIMIT_*``, then ``--limit`` options."""
    from dashboard.data.importers.limits import Limits

    try:
        return Limits.from_env().with_options(options)
    except ValueError as error:
        raise CliError(str(error)) from None


def _refuse_any_host(names: list[str]) -> None:
    """``--allowed-host '*'`` would answer to every Host: the DNS-rebinding check off."""
    import re

    from dashboard.server.hosts import ENV_VAR

    # "*.example.org" (the subdomains of one domain) stays possible; "*", "*.org", "*org"
    # and any other star would answer to hosts nobody named.
    wild = [name for name in names
            if "*" in name and not re.fullmatch(r"\*\.[^*.]+\.[^*]+", name.strip())]
    if wild:
        raise CliError(
            f"--allowed-host / {ENV_VAR} {wild[0].strip()!r} would answer to any Host name "
            "and switch off the Host check that stops DNS rebinding; name each host the "
            "dashboard is reached under (e.g. --allowed-host maps.example.org)")


def _check_editing(dataset: Path | None, address: str, extra_hosts: list[str]) -> None:
    """Refuse ``--edit`` when the server would be reachable from elsewhere without a token,
    or when the dataset file (None: a database store) cannot be written."""
    from dashboard.base.settings import EDIT_TOKEN_VAR, MIN_TOKEN_LENGTH, edit_token
    from dashboard.server.hosts import LOOPBACK_NAMES

    exposed = address.strip().strip("[]").lower() not in LOOPBACK_NAMES or bool(extra_hosts)
    token = edit_token()
    if exposed and token is None:
        raise click.ClickException(
            f"--edit on {address}{' behind --allowed-host' if extra_hosts else ''} needs a "
            f"token: set {EDIT_TOKEN_VAR} to a secret of {MIN_TOKEN_LENGTH}+ characters "
            "(editors type it on the page), or serve on 127.0.0.1")
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise click.ClickException(
            f"{EDIT_TOKEN_VAR} is too short; use at least {MIN_TOKEN_LENGTH} characters")
    if dataset is None:
        return
    folder = dataset.parent
    if not (os.access(dataset, os.W_OK) and os.access(folder, os.W_OK)):
        raise click.ClickException(
            f"--edit: {dataset} (and its folder, for atomic saves and the change log) "
            "must be writable")


@main.command()
@click.argument("path", type=click.Path(path_type=Path, readable=False))
def validate(path: Path) -> None:
    """Check a dataset: one line per problem, exit 1 if there is any."""
    from dashboard.data.schema import DatasetError, validate_file

    try:
        problems = validate_file(path)
    except DatasetError as error:
        click.echo(_one_line(f"error: {error}"), err=True)
        sys.exit(1)
    if problems:
        for problem in problems:
            click.echo(_one_line(str(problem)))
        click.echo(f"{path}: {len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo(f"{path}: valid")


@main.command()
@click.argument("place")
@click.option("--country", help="Country to search in: ISO code or name (e.g. ES, Spain).")
@click.option("--offline", is_flag=True, default=None,
              help="Use only the offline gazetteer and the cache (also INCIDENT_MAP_OFFLINE=1).")
@click.option("--json", "as_json", is_flag=True,
              help="Print query, lat, lon, display_name, country, precision, source as JSON.")
def locate(place: str, country: str | None, offline: bool | None, as_json: bool) -> None:
    """Resolve one PLACE to coordinates; exit 1 when nothing matches."""
    import json

    from dashboard.data.countries import normalise_country
    from dashboard.geocoding import GeocodingError
    from dashboard.geocoding.pipeline import resolve

    code = None
    if country:
        code = normalise_country(country)
        if code is None:
            raise click.BadParameter(f"{country!r} is not a country name or ISO code",
                                     param_hint="--country")
    try:
        result = resolve(place, country=code, offline=offline_requested(offline))
    except GeocodingError as error:
        raise CliError(str(error)) from None
    if result is None:
        where = f" in {code}" if code else ""
        shown = place if len(place) <= 80 else place[:77] + "..."
        click.echo(f"no match for {shown!r}{where}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False))
        return
    origin = f"{result.source}: {result.reference}" if result.reference else result.source
    # a named site's name and row come from a dataset cell: no control characters pass
    click.echo(f"{_one_line(result.display_name)}\n  {result.lat:.5f}, {result.lon:.5f}"
               f"  ({result.precision} precision, {_one_line(origin)})")
    if result.reason:
        click.echo(_one_line(f"  {result.reason}"), err=True)
    elif result.ambiguous:
        others = "; ".join(f"{c['name']} ({c['country']})" for c in result.candidates[1:5])
        click.echo(f"  ambiguous, other candidates: {others}", err=True)


@main.command()
@click.argument("path", type=click.Path(path_type=Path, readable=False))
@click.option("--offline", is_flag=True, default=None,
              help="Use only the offline gazetteer and the cache (also INCIDENT_MAP_OFFLINE=1).")
@click.option("--dry-run", is_flag=True, help="Resolve and report, but write nothing.")
@click.option("--cache", "cache_path", type=click.Path(path_type=Path, readable=False),
              help="Cache of online answers (default: geocode_cache.json beside PATH).")
def geocode(path: Path, offline: bool | None, dry_run: bool, cache_path: Path | None) -> None:
    """Fill empty lat/lon in PATH; coordinates already there are never changed."""
    from dashboard.geocoding import GeocodingError
    from dashboard.geocoding.pipeline import geocode_file

    try:
        summary = geocode_file(path, offline=offline_requested(offline), dry_run=dry_run,
                               cache_path=cache_path, progress=True)
    except GeocodingError as error:
        raise CliError(str(error)) from None
    for line in summary.lines():
        click.echo(_one_line(line))
    if summary.error:
        sys.exit(1)


@main.command()
@click.option("-o", "--output", "output", required=True,
              type=click.Path(path_type=Path, readable=False),
              help="File to write; the format follows its extension unless --format is given.")
@click.option("--format", "fmt",
              help="png, html, csv, geojson, pptx, pdf, gif, mp4 or webm (default: from -o's "
                   "extension).")
@click.option("--data", "data_path", type=click.Path(path_type=Path, readable=False),
              help="Dataset (default: $INCIDENT_MAP_DATA or data/incidents.csv).")
@click.option("--years", help="Inclusive range as in the URL, e.g. 2019-2025.")
@click.option("--months", metavar="YYYY-MM..YYYY-MM",
              help="Inclusive span of months as in the URL, e.g. 2022-02..2022-04 (incidents "
                   "known only to their year are in it only when it holds the whole year).")
@click.option("--country", help="Comma-separated ISO codes or names, e.g. DE,ES.")
@click.option("--type", "event_type", help="Comma-separated event types, e.g. killing.")
@click.option("--attribution", help="Comma-separated, e.g. confirmed,suspected.")
@click.option("--q", "query", help="Search text.")
@click.option("--incident", "focus_id", help="Focus the map on this incident id.")
@click.option("--at", "at", metavar="LAT,LON,ZOOM",
              help="Map centre and zoom as in the URL's at=, e.g. 52.52,13.40,11.")
@click.option("--frame", "frame", metavar="WIDTHxHEIGHT",
              help="With --at: the on-screen map's size in CSS pixels, as in the URL's frame=; "
                   "a PNG then shows that map's extent at any size.")
@click.option("--layers", metavar="KIND,..",
              help="Map layers shown, as in the URL's layers=: halos, flows, markers, clusters, "
                   "heat (default: the map's own choice).")
@click.option("--briefing", "briefing_name", metavar="NAME",
              help="pptx/pdf: the steps of briefings/NAME.toml (default: one step per "
                   "filtered incident).")
@click.option("--briefings-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of briefing files (default: briefings/).")
@click.option("--allow-empty", is_flag=True,
              help="Export a view (or a deck step) that shows no incident instead of refusing.")
@click.option("--cluster/--no-cluster", default=None, help="Cluster markers (map default).")
@click.option("--heatmap/--no-heatmap", default=None, help="Add the heat map layer.")
@click.option("--title", default="Incident Map", show_default=True, help="Title of the PNG/HTML.")
@click.option("--subtitle", default="", help="A line under the title of the PNG/HTML.")
@click.option("--labels", is_flag=True,
              help="PNG: name the symbols on the map (labels that would overlap are left out).")
@click.option("--preset", "--size", "preset",
              help="PNG size: hd 1600x900 (default), fhd 1920x1080, a4 landscape 1123x794.")
@click.option("--width", type=int, help="PNG width in CSS pixels (overrides --preset).")
@click.option("--height", type=int, help="PNG height in CSS pixels (overrides --preset).")
@click.option("--scale", type=int, default=1, show_default=True,
              help="PNG device scale (1, 2 or 3); 2 doubles the pixels for print.")
@click.option("--offline", is_flag=True, default=None,
              help="Bundled world outline instead of web tiles (also INCIDENT_MAP_OFFLINE=1).")
@click.option("--web-tiles", is_flag=True,
              help="HTML of an online view: keep the web map tiles (the file then requests them "
                   "when opened); by default it draws the bundled offline basemap.")
@click.option("--excel", is_flag=True,
              help="CSV: start with a UTF-8 byte-order mark so Excel reads the text right.")
@click.option("--source", "source_spec", metavar="parquet:PATH|postgresql://...|spark:TABLE",
              default=None,
              help="Export from a query engine: CSV and GeoJSON are streamed from it in "
                   "bounded memory, whatever the size (also a CSV file converted to Parquet).")
@click.option("--title-slide", is_flag=True,
              help="pptx/pdf: open the deck with a title slide (title, subtitle, what is shown, "
                   "dates, an overview map) before the one slide per step.")
@click.option("--duration", "duration_s", type=float, default=None, metavar="SECONDS",
              help="gif/mp4/webm: how long one pass of the animation lasts (default 10; "
                   "1 to 600), shared among its frames, the last held longer.")
def export(output: Path, fmt: str | None, data_path: Path | None, years: str | None,
           months: str | None, country: str | None, event_type: str | None,
           attribution: str | None, query: str | None, focus_id: str | None, at: str | None,
           frame: str | None, layers: str | None, briefing_name: str | None,
           briefings_dir: Path | None, allow_empty: bool, cluster: bool | None,
           heatmap: bool | None, title: str, subtitle: str, labels: bool, preset: str | None,
           width: int | None,
           height: int | None, scale: int, offline: bool | None, web_tiles: bool, excel: bool,
           title_slide: bool, duration_s: float | None, source_spec: str | None) -> None:
    """Export the view chosen by the filters as PNG, HTML, CSV, GeoJSON, a PPTX/PDF deck of a
    briefing, or an animated GIF of the years."""
    if source_spec is not None:
        _export_from_engine(source_spec, output, fmt, excel=excel, params={
            key: value for key, value in (
                ("years", years), ("months", months), ("country", country),
                ("type", event_type), ("attribution", attribution), ("q", query))
            if value is not None}, picture=dict(
                title=title, subtitle=subtitle, at=at, preset=preset, width=width,
                height=height, scale=scale, offline=offline, web_tiles=web_tiles,
                allow_empty=allow_empty, title_slide=title_slide))
        return
    from dashboard.exports.browser import ChromiumThread
    from dashboard.exports.sizes import ExportError, PngSize, context_options

    # A PNG needs Chromium: start it now, so that it starts while the libraries below load
    # and the dataset is read (about a second each).
    chromium = None
    if (fmt or output.suffix.lstrip(".")).lower() == "png":
        try:
            size = PngSize.from_options(preset=preset, width=width, height=height, scale=scale)
        except ExportError:
            size = None  # said by the export below
        chromium = ChromiumThread(context=context_options(size) if size else None)
        click.get_current_context().call_on_close(chromium.close)
    from dashboard.data.briefings import BriefingError, load_briefing
    from dashboard.data.filters import parse_query_params
    from dashboard.data.loading import default_data_path, load_incidents
    from dashboard.data.mapview import LAYER_KINDS, parse_at, parse_frame, parse_layers
    from dashboard.data.schema import DatasetError
    from dashboard.exports.browser import BrowserNotFound
    from dashboard.exports.formats import Provenance, View, export_file, format_for

    params = {key: value for key, value in (
        ("years", years), ("months", months), ("country", country), ("type", event_type),
        ("attribution", attribution), ("q", query)) if value is not None}
    filters, notices = parse_query_params(params)
    if notices:
        raise CliError(" ".join(n.replace("Ignored ", "invalid ", 1) for n in notices))
    dataset = data_path or default_data_path()
    try:
        fmt = format_for(output, fmt)
        size = PngSize.from_options(preset=preset, width=width, height=height, scale=scale)
        incidents = load_incidents(dataset)
        if focus_id and focus_id not in set(incidents["id"]):
            raise ExportError(f'no incident with id "{focus_id}" in {dataset}')
        map_at = None
        if at is not None:
            map_at = parse_at(at)
            if map_at is None:
                raise ExportError(f"invalid --at {at!r}: expected LAT,LON,ZOOM such as "
                                  "52.52,13.40,11 (zoom 1 to 18)")
        map_frame = None
        if frame is not None:
            map_frame = parse_frame(frame)
            if map_frame is None or map_at is None:
                raise ExportError(f"invalid --frame {frame!r}: expected WIDTHxHEIGHT such as "
                                  "980x560 (50 to 10000 each), with --at")
        shown_layers = None
        if layers is not None:
            shown_layers = parse_layers(layers)
            if shown_layers is None:
                raise ExportError(f"invalid --layers {layers!r}: use some of "
                                  f"{', '.join(LAYER_KINDS)}, comma-separated")
        briefing = None
        if briefing_name is not None:
            if fmt not in ("pptx", "pdf"):
                raise ExportError("--briefing goes with --format pptx or pdf")
            briefing = load_briefing(briefing_name, ids=incidents["id"],
                                     directory=briefings_dir)
        view = View(filters=filters, focus_id=focus_id, cluster=cluster, heatmap=heatmap,
                    offline=offline_requested(offline), title=title, subtitle=subtitle,
                    at=(map_at.lat, map_at.lon, map_at.zoom) if map_at else None,
                    frame=map_frame, web_tiles=web_tiles,
                    layers=shown_layers, labels=labels)
        path = export_file(incidents, view, output, fmt=fmt, provenance=Provenance.of(dataset),
                           size=size, excel=excel, briefing=briefing, allow_empty=allow_empty,
                           browser=chromium, title_slide=title_slide, duration_s=duration_s,
                           progress=_progress(fmt))
    except BriefingError as error:
        for line in error.problems:
            click.echo(line, err=True)
        raise click.ClickException(f"briefing {briefing_name!r} cannot be used "
                                   f"({len(error.problems)} problem(s))") from None
    except (ExportError, DatasetError, BrowserNotFound) as error:
        raise CliError(str(error)) from None
    click.echo(f"wrote {path} ({fmt}, {path.stat().st_size:,} bytes)", err=True)


def _export_from_engine(spec: str, output: Path, fmt: str | None, *, excel: bool,
                        params: dict[str, str], picture: dict) -> None:
    """CSV or GeoJSON of the rows passing the filters, streamed from the engine to a file;
    PNG, HTML, PPTX or PDF of what the engine map shows for them (grid cells or incidents,
    ``dashboard/exports/engine_view.py``)."""
    from dashboard.data.engine.connect import EngineError
    from dashboard.data.engine.convert import convert_csv
    from dashboard.data.engine.shared import shared_query
    from dashboard.data.engine.sources import SourceError, parse_source
    from dashboard.data.filters import parse_query_params
    from dashboard.data.mapview import parse_at
    from dashboard.data.schema import DatasetError
    from dashboard.exports.browser import BrowserNotFound
    from dashboard.exports.formats import ExportError, View, format_for, write_atomic
    from dashboard.exports.sizes import PngSize
    from dashboard.exports.stream import csv_stream, geojson_stream

    filters, notices = parse_query_params(params)
    if notices:
        raise CliError(" ".join(n.replace("Ignored ", "invalid ", 1) for n in notices))
    try:
        fmt = format_for(output, fmt)
        if fmt not in ("csv", "geojson", "png", "html", "pptx", "pdf"):
            raise ExportError(f"--source exports CSV, GeoJSON, PNG, HTML, PPTX or PDF; {fmt} "
                              "is made from a dataset file (--data)")
        source = parse_source(spec)
        if source.kind == "csv":
            convert_csv(Path(source.location))
        query = shared_query(source)
        if fmt in ("csv", "geojson"):
            chunks = (csv_stream(query, filters, excel=excel) if fmt == "csv"
                      else geojson_stream(query, filters))
            path = write_atomic(output, chunks)
        else:
            from dashboard.exports import engine_view

            at = None
            if picture["at"] is not None:
                found = parse_at(picture["at"])
                if found is None:
                    raise ExportError(f"invalid --at {picture['at']!r}: expected LAT,LON,ZOOM "
                                      "such as 52.52,13.40,11 (zoom 1 to 18)")
                at = (found.lat, found.lon, found.zoom)
            view = View(filters=filters, offline=offline_requested(picture["offline"]),
                        title=picture["title"], subtitle=picture["subtitle"], at=at,
                        web_tiles=picture["web_tiles"])
            size = PngSize.from_options(preset=picture["preset"], width=picture["width"],
                                        height=picture["height"], scale=picture["scale"])
            named = source.describe()
            if fmt == "png":
                data, _ = engine_view.render_png(query, filters, view, size=size, source=named,
                                                 allow_empty=picture["allow_empty"])
            elif fmt == "html":
                data = engine_view.page_html(query, filters, view, size=size, source=named,
                                             document=True)[0].encode("utf-8")
            else:
                data = engine_view.deck_bytes(query, filters, view, fmt=fmt, source=named,
                                              title_slide=picture["title_slide"])
            path = write_atomic(output, data)
    except (ExportError, DatasetError, EngineError, SourceError, BrowserNotFound) as error:
        raise CliError(str(error)) from None
    click.echo(f"wrote {path} ({fmt}, {path.stat().st_size:,} bytes)", err=True)


def _progress(fmt: str):
    """Slides and frames counted on stderr as they are drawn ("slide 7 of 17")."""
    if fmt not in ("pptx", "pdf", "gif", "mp4", "webm"):
        return None
    noun = "slide" if fmt in ("pptx", "pdf") else "frame"

    def report(number: int, total: int) -> None:
        click.echo(f"{noun} {number} of {total}", err=True)

    return report


@main.command(name="import")
@click.argument("source_path", type=click.Path(path_type=Path, readable=False))
@click.option("-o", "--output", type=click.Path(path_type=Path, readable=False), default=None,
              help="Dataset to write (refuses to replace an existing file without --force).")
@click.option("--to", "target", metavar="parquet:PATH|postgresql://...|spark:TABLE",
              default=None,
              help="Put the dataset into a query engine instead of (or besides) a CSV file: "
                   "a Parquet file, the table of a PostgreSQL database (INCIDENT_MAP_TABLE, "
                   "default incidents; replaced in one transaction) or a Spark table.")
@click.option("--from", "source", type=click.Choice(["acled", "gtd", "ucdp", "geojson", "csv"]),
              default=None, help="Source format (default: detected from the file).")
@click.option("--map", "map_file", type=click.Path(path_type=Path, readable=False), default=None,
              help='Mapping file (JSON): {"columns": {"field": "column"}, "values": {"field": '
                   '"value"}, "date_order": "month-first"}, as --save-map writes it.')
@click.option("--column", "columns", multiple=True, metavar="FIELD=COLUMN",
              help="Map one of our fields to a column of the file (repeatable), e.g. "
                   "--column date=\"Event date\".")
@click.option("--value", "values", multiple=True, metavar="FIELD=VALUE",
              help="One value for every row of a field the file lacks (repeatable; fills a "
                   "mapped column's empty cells too), e.g. --value sources=https://...")
@click.option("--country", "country", metavar="COUNTRY",
              help="Every row is in this country (ISO code or name): --value country=COUNTRY.")
@click.option("--date-order", type=click.Choice(["day-first", "month-first"]), default=None,
              help="How numeric dates such as 04/05/2016 are read (default: decided from the "
                   "column's values and reported).")
@click.option("--as-written", is_flag=True,
              help="Keep coordinates as written, even where latitude and longitude look "
                   "swapped (they are still reported).")
@click.option("--save-map", "save_map", type=click.Path(path_type=Path, readable=False),
              default=None, help="Write the mapping used (guesses included) to reuse with --map.")
@click.option("--allow-partial", is_flag=True,
              help="Write the dataset even when fewer than 90% of the file's rows convert.")
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@click.option("--limit", "limit_options", multiple=True, metavar="NAME=N",
              help="Raise or lower one limit the file is read under, e.g. --limit "
                   "rows=2000000 (repeatable; also INCIDENT_MAP_LIMIT_<NAME>).")
def import_(source_path: Path, output: Path | None, target: str | None, source: str | None,
            map_file: Path | None, columns: tuple[str, ...], values: tuple[str, ...],
            country: str | None, date_order: str | None, as_written: bool,
            save_map: Path | None, allow_partial: bool, force: bool,
            limit_options: tuple[str, ...]) -> None:
    """Convert an ACLED, GTD, UCDP GED, GeoJSON, CSV, workbook or GIS file (KML/KMZ,
    GeoPackage, zipped Shapefile, GPX, FlatGeobuf) into a dataset, or put it into a query
    engine (--to)."""
    options = dict(source=source, map_file=map_file, columns=columns, values=values,
                   country=country, date_order=date_order, as_written=as_written,
                   save_map=save_map, allow_partial=allow_partial,
                   limit_options=limit_options)
    if output is None and target is None:
        raise CliError("say where to write: -o FILE.csv, --to ENGINE, or both")
    if output is None and source is None and not map_file and not columns and not values \
            and country is None and _our_format(source_path):
        # Already a dataset of ours: streamed into the engine, never loaded whole.
        _import_to(source_path, target)
        return
    if output is None:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="incident-map-import-") as folder:
            staged = Path(folder) / "incidents.csv"
            _import_file(source_path, staged, force=True, **options)
            _import_to(staged, target)
        return
    _import_file(source_path, output, force=force, **options)
    if target is not None:
        _import_to(output, target)


def _our_format(path: Path) -> bool:
    """Does the file start with a header holding every required column of our format?"""
    from dashboard.data.schema import REQUIRED_COLUMNS

    try:
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            header = handle.readline(64 * 1024)
    except OSError:
        return False
    names = {name.strip().strip('"') for name in header.strip().split(",")}
    return path.suffix.lower() == ".csv" and set(REQUIRED_COLUMNS) <= names


def _import_to(dataset: Path, target: str | None) -> None:
    """Convert the dataset file to the engine table and put it where ``target`` says."""
    import shutil
    import time

    from dashboard.data.engine.connect import EngineError
    from dashboard.data.engine.convert import convert_csv, load_postgres, load_spark
    from dashboard.data.engine.sources import SourceError, parse_source, table_name
    from dashboard.data.schema import DatasetError, InvalidDataset

    try:
        where = parse_source(target or "")
    except SourceError as error:
        raise CliError(f"--to: {error}") from None
    if where.kind in ("trino", "bigquery", "clickhouse"):
        raise CliError(f"--to {where.kind}: write a Parquet file (--to parquet:FILE) and load "
                       "it with the warehouse's own loader (see docs/engines.md)")
    if where.kind == "csv":
        raise CliError("--to names an engine (parquet:PATH, postgresql://..., spark:TABLE); "
                       "use -o for a CSV file")
    started = time.monotonic()
    try:
        parquet = convert_csv(dataset, progress=lambda rows: click.echo(
            f"\r{rows:,} rows read", nl=False, err=True))
        click.echo("", err=True)
        rows = None
        if where.kind == "parquet":
            target_path = Path(where.location)
            part = target_path.with_name(f".{target_path.name}.part")
            shutil.copyfile(parquet, part)
            os.replace(part, target_path)
        elif where.kind == "postgres":
            _check_engine_installed("postgres")
            rows = load_postgres(parquet, where.location, table_name())
        else:
            _check_engine_installed("spark")
            load_spark(parquet, where.location)
    except InvalidDataset as error:
        for problem in error.problems[:200]:
            click.echo(_one_line(str(problem)), err=True)
        raise CliError(f"{dataset}: {len(error.problems)} problem(s); nothing was written to "
                       f"{where.describe()}") from None
    except (DatasetError, EngineError, SourceError, OSError) as error:
        raise CliError(str(error)) from None
    except Exception as error:  # the database driver's own errors, as one line
        if type(error).__module__.split(".")[0] not in ("psycopg", "pyspark", "py4j"):
            raise
        raise CliError(f"{where.describe()}: {str(error).splitlines()[0]}") from None
    done = f" ({rows:,} rows)" if rows is not None else ""
    click.echo(f"{where.describe()}: the dataset is in place{done} in "
               f"{time.monotonic() - started:.1f} s; serve it with "
               f"incident-map serve --source {target}", err=True)


def _import_file(source_path: Path, output: Path, *, source: str | None,
                 map_file: Path | None, columns: tuple[str, ...], values: tuple[str, ...],
                 country: str | None, date_order: str | None, as_written: bool,
                 save_map: Path | None, allow_partial: bool, force: bool,
                 limit_options: tuple[str, ...]) -> None:
    """Convert the file into a dataset file at ``output`` (the importers)."""
    os.environ.update(_limits(limit_options).as_env())  # read by the readers below
    from dashboard.data.importers import (
        MIN_KEPT_SHARE,
        NAMES,
        Mapping,
        check_values,
        import_file,
        parse_options,
        read_mapping,
        write_dataset,
        write_mapping,
    )
    from dashboard.data.schema import DatasetError
    from dashboard.exports.formats import ExportError, check_writable

    if output.exists() and not force:
        raise CliError(f"{output} exists; choose another name or add --force")
    try:
        given = parse_options(values, "--value")
        if country is not None:
            given["country"] = country
        mapping = (read_mapping(map_file) if map_file else Mapping()).updated(
            Mapping(parse_options(columns), check_values(given), date_order, as_written))
        check_writable(output)
        result = import_file(source_path, source, mapping or None)
    except (DatasetError, ExportError) as error:
        raise CliError(str(error)) from None
    for problem in result.problems:
        click.echo(_one_line(str(problem)), err=True)
    for notice in result.notices:
        click.echo(_one_line(f"note: {notice}"), err=True)
    name = NAMES.get(result.source, result.source)
    if save_map is not None and result.mapping is not None:
        try:
            write_mapping(result.mapping, save_map)
        except OSError as error:
            raise CliError(f"cannot write {save_map}: {error.strerror or error}") from None
        click.echo(f"{save_map}: the mapping used (reuse it with --map {save_map})", err=True)
    if result.incidents.empty:
        raise CliError(
            f"nothing converted from {source_path} ({name}; {result.summary()}): every row was "
            f"refused ({_reasons(result)}); {output} was not written")
    if result.kept_share < MIN_KEPT_SHARE and not allow_partial:
        raise CliError(
            f"only {result.kept_share:.0%} of the rows of {source_path} converted ({name}; "
            f"{result.summary()}); the commonest reasons: {_reasons(result)}. {output} was "
            "not written: fix the file or the mapping, or add --allow-partial to write the "
            "rows that converted")
    try:
        write_dataset(result.incidents, output)
    except OSError as error:
        raise CliError(f"cannot write {output}: {error.strerror or error}") from None
    click.echo(f"{output}: {len(result.incidents)} incidents from {name} "
               f"({result.summary()}; {len(result.problems)} problem(s) reported above)", err=True)


def _reasons(result) -> str:
    """The three commonest reasons rows were refused, with their counts, in one line."""
    reasons = result.reasons()
    if not reasons:
        return "reasons above"
    return "; ".join(f"{reason} ({count:,} row{'' if count == 1 else 's'})"
                     for reason, count in reasons)


@main.group()
def sources() -> None:
    """The dataset's sources: are its links still answering?"""


@sources.command(name="check")
@click.argument("path", type=click.Path(path_type=Path, readable=False), required=False)
@click.option("--catalogue", "catalogue_file", type=click.Path(path_type=Path, readable=False),
              help="Source catalogue to update (default: sources.csv beside PATH).")
@click.option("--timeout", type=click.FloatRange(0.1, 120), default=10.0, show_default=True,
              help="Seconds to wait for each server.")
@click.option("--workers", type=click.IntRange(1, 32), default=8, show_default=True,
              help="Links checked at once.")
@click.option("--archive/--no-archive", default=True, show_default=True,
              help="Look up an archived copy (Wayback Machine) for links without one.")
@click.option("--archive-api", default=None, metavar="URL",
              help="Availability API to ask for archived copies "
                   "(default: https://archive.org/wayback/available).")
@click.option("--dry-run", is_flag=True, help="Report only; do not update the catalogue.")
def sources_check(path: Path | None, catalogue_file: Path | None, timeout: float, workers: int,
                  archive: bool, archive_api: str | None, dry_run: bool) -> None:
    """Ask every link of PATH (default: the dashboard's dataset) whether it still answers.

    Prints one line per link that moved elsewhere, is gone (404, 410), answers with another
    error, or does not answer within the timeout, then a summary; records each link's status,
    the day and any archived copy in the source catalogue. Exits 1 when any link failed."""
    from datetime import date

    from dashboard.data.linkcheck import WAYBACK_API, check_links
    from dashboard.data.loading import default_data_path
    from dashboard.data.schema import DatasetError, read_dataset
    from dashboard.data.sources import (
        CatalogueError,
        SourceInfo,
        catalogue_path,
        dataset_urls,
        load_catalogue,
        site_name,
        with_check,
        write_catalogue,
    )

    dataset = path or default_data_path()
    target = catalogue_file or catalogue_path(dataset)
    try:
        frame = read_dataset(dataset)
        catalogue = load_catalogue(target)
    except (DatasetError, CatalogueError) as error:
        raise CliError(str(error)) from None
    for problem in catalogue.problems:
        click.echo(_one_line(problem), err=True)
    if "sources" not in frame.columns:
        raise CliError(f"{dataset} has no sources column")
    urls = dataset_urls(frame["sources"])
    if not urls:
        click.echo(f"{dataset}: no http(s) links to check")
        return
    known = {url: info.archived for url, info in catalogue.items() if info.archived}
    results = check_links(urls, timeout=timeout, workers=workers, archive=archive,
                          archive_api=archive_api or WAYBACK_API, known_archives=known)
    today = date.today().isoformat()
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
        if result.failed:
            click.echo(_one_line(result.line()))
        info = catalogue.get(result.url) or SourceInfo(url=result.url,
                                                       publisher=site_name(result.url))
        catalogue.updated(with_check(info, status=result.status, checked=today,
                                     archived=result.archived))
    failed = sum(1 for r in results if r.failed)
    summary = ", ".join(f"{counts[s]} {s}" for s in
                        ("ok", "moved", "gone", "broken", "unreachable") if s in counts)
    archived = sum(1 for r in results if r.archived)
    if not dry_run:
        try:
            write_catalogue(target, catalogue)
        except OSError as error:
            raise CliError(f"cannot write {target}: {error.strerror or error}") from None
    click.echo(f"{len(results)} link(s): {summary}; {archived} with an archived copy"
               + ("" if dry_run else f"; recorded in {target}"), err=True)
    if failed:
        sys.exit(1)


@main.command()
@click.argument("path", type=click.Path(path_type=Path, readable=False), required=False)
@click.option("--days", type=click.IntRange(1, 36500), default=365, show_default=True,
              help="A row last checked longer ago than this is due.")
@click.option("--today", "today_text", metavar="YYYY-MM-DD",
              help="Count ages from this day instead of today.")
@click.option("--places", is_flag=True,
              help="Also list rows whose coordinates need a person (the editor's review queue).")
def review(path: Path | None, days: int, today_text: str | None, places: bool) -> None:
    """List the rows of PATH (default: the dashboard's dataset) due for a fresh look: checked
    over a year ago, resting on one source, attribution unknown though a verdict followed,
    or citing a link the last `sources check` found dead. One line per row: id, then why."""
    from datetime import date

    from dashboard.data.loading import default_data_path
    from dashboard.data.review import freshness_queue, review_queue
    from dashboard.data.schema import DatasetError, read_dataset
    from dashboard.data.sources import CatalogueError, catalogue_path, load_catalogue

    dataset = path or default_data_path()
    try:
        today = date.fromisoformat(today_text) if today_text else date.today()
    except ValueError:
        raise click.BadParameter(f"{today_text!r} is not a date YYYY-MM-DD",
                                 param_hint="--today") from None
    try:
        frame = read_dataset(dataset)
        catalogue = load_catalogue(catalogue_path(dataset))
    except (DatasetError, CatalogueError) as error:
        raise CliError(str(error)) from None
    status = {url: info.status for url, info in catalogue.items() if info.status}
    queue = freshness_queue(frame, today=today, days=days, link_status=status)
    for record in queue.to_dict("records"):
        click.echo(_one_line(f"{record['id']}: {record['reasons']}"))
    lines = [f"{len(queue)} of {len(frame)} row(s) due for a fresh look"]
    if places:
        place_queue = review_queue(frame, today=today)
        for record in place_queue.to_dict("records"):
            click.echo(_one_line(f"{record['id']}: {record['reasons']}"))
        lines.append(f"{len(place_queue)} with places to review")
    click.echo(f"{dataset}: " + "; ".join(lines), err=True)


@main.group()
def store() -> None:
    """Move a dataset between its CSV file and a PostgreSQL store (exact round trip)."""


def _store_url(url: str | None) -> str:
    from dashboard.data.stores import STORE_VAR, is_database_url

    url = (url or os.environ.get(STORE_VAR, "")).strip()
    if not url:
        raise CliError(f"no store named: give --store postgresql://... or set {STORE_VAR}")
    if not is_database_url(url):
        raise CliError(f"{_one_line(url[:80])} is not a postgresql:// URL")
    return url


@store.command(name="load")
@click.argument("path", type=click.Path(path_type=Path, readable=False))
@click.option("--store", "url", metavar="URL",
              help="postgresql://USER@HOST:PORT/DB (default: $INCIDENT_MAP_STORE; the password "
                   "from PGPASSWORD or ~/.pgpass, never on the command line).")
@click.option("--briefings-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Briefing files to copy in too (default: briefings/).")
@click.option("--replace", is_flag=True,
              help="Replace the dataset the store already holds (its change log is kept).")
def store_load(path: Path, url: str | None, briefings_dir: Path | None, replace: bool) -> None:
    """Load the CSV file PATH (and its briefings) into a PostgreSQL store."""
    from dashboard.data.schema import DatasetError, validate_file
    from dashboard.data.stores import StoreError, open_store

    url = _store_url(url)
    try:
        problems = validate_file(path)
    except DatasetError as error:
        raise CliError(str(error)) from None
    if problems:
        raise CliError(f"{path} has {len(problems)} problem(s); run "
                       f"`incident-map validate {path}` and fix them first")
    try:
        source = open_store(path, briefings_dir=briefings_dir)
        target = open_store(url, watch=False)
    except (StoreError, DatasetError) as error:
        raise CliError(str(error)) from None
    try:
        try:
            target.header()
            if not replace:
                raise CliError(f"{target.label} already holds a dataset; add --replace to "
                               "replace it")
        except DatasetError:
            pass  # an empty store
        header, rows = source.raw_rows()
        count = target.replace_all(header, rows)
        names = source.briefing_names()
        for name in names:
            target.put_briefing_text(name, source.briefing_text(name) or "")
    except (StoreError, DatasetError) as error:
        raise CliError(str(error)) from None
    finally:
        target.close()
    click.echo(f"{target.label}: {count} incidents from {path}, {len(names)} briefing(s)",
               err=True)


@store.command(name="dump")
@click.argument("path", type=click.Path(path_type=Path, readable=False))
@click.option("--store", "url", metavar="URL",
              help="postgresql://USER@HOST:PORT/DB (default: $INCIDENT_MAP_STORE).")
@click.option("--briefings-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Also write the store's briefings as NAME.toml files into this folder.")
@click.option("--force", is_flag=True, help="Replace PATH (and briefing files) if they exist.")
def store_dump(path: Path, url: str | None, briefings_dir: Path | None, force: bool) -> None:
    """Write a PostgreSQL store's dataset to the CSV file PATH (every cell as stored)."""
    from dashboard.data.schema import DatasetError
    from dashboard.data.stores import StoreError, open_store

    url = _store_url(url)
    if path.exists() and not force:
        raise CliError(f"{path} exists; choose another name or add --force")
    try:
        source = open_store(url, watch=False)
    except StoreError as error:
        raise CliError(str(error)) from None
    try:
        header, rows = source.raw_rows()
        target = open_store(path, briefings_dir=briefings_dir)
        target.replace_all(header, rows)
        written = []
        if briefings_dir is not None:
            for name in source.briefing_names():
                if (briefings_dir / f"{name}.toml").exists() and not force:
                    raise CliError(f"{briefings_dir / (name + '.toml')} exists; add --force")
                target.put_briefing_text(name, source.briefing_text(name) or "")
                written.append(name)
    except (StoreError, DatasetError) as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        source.close()
    click.echo(f"{path}: {len(rows)} incidents from {source.label}"
               + (f", {len(written)} briefing(s) in {briefings_dir}" if written else ""),
               err=True)
