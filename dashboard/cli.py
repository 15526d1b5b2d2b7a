"""The ``incident-map`` command line: a thin layer over the library modules."""

from __future__ import annotations

import os
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
@click.option("--engine", type=click.Choice(["pandas", "duckdb"]), default=None,
              help="What filters and counts the data: pandas (default) or DuckDB "
                   "(pip install 'incident-map[scale]'; also INCIDENT_MAP_ENGINE).")
@click.option("--limit", "limit_options", multiple=True, metavar="NAME=N",
              help="Raise or lower one limit on what visitors upload, e.g. --limit "
                   "upload_mb=500 (repeatable; also INCIDENT_MAP_LIMIT_<NAME>; see the README's "
                   "Security section).")
def serve(data_path: Path | None, port: int, offline: bool | None, address: str,
          extra_hosts: tuple[str, ...], edit: bool, basemap_file: Path | None,
          engine: str | None, limit_options: tuple[str, ...]) -> None:
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
    if edit:
        _check_editing(dataset, address, from_env + list(extra_hosts))
        env[EDIT_VAR] = "1"
    named = basemap_file or os.environ.get("INCIDENT_MAP_BASEMAP", "").strip()
    if named:
        from dashboard.maps.tile_archive import ArchiveError, check_archive

        try:
            archive = check_archive(Path(named))
        except ArchiveError as error:
            raise CliError(str(error)) from None
        env["INCIDENT_MAP_BASEMAP"] = str(archive)
    from dashboard.data.schema import DatasetError, validate_file

    try:
        problems = validate_file(dataset)
    except DatasetError as error:
        raise CliError(str(error)) from None
    if problems:
        raise CliError(
            f"{dataset} has {len(problems)} problem(s); run `incident-map validate {dataset}`."
        )
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
    click.echo(f"Incident Map on http://{address}:{port} ({dataset})", err=True)
    os.execvpe(command[0], command, env)


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


def _check_editing(dataset: Path, address: str, extra_hosts: list[str]) -> None:
    """Refuse ``--edit`` when the server would be reachable from elsewhere without a token,
    or when the dataset cannot be written."""
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
    if result.ambiguous:
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
           title_slide: bool, duration_s: float | None) -> None:
    """Export the view chosen by the filters as PNG, HTML, CSV, GeoJSON, a PPTX/PDF deck of a
    briefing, or an animated GIF of the years."""
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
@click.option("-o", "--output", type=click.Path(path_type=Path, readable=False), required=True,
              help="Dataset to write (refuses to replace an existing file without --force).")
@click.option("--from", "source", type=click.Choice(["acled", "gtd", "ucdp", "geojson", "csv"]),
              default=None, help="Source format (default: detected from the file).")
@click.option("--map", "map_file", type=click.Path(path_type=Path, readable=False), default=None,
              help='Column mapping file: a JSON object {"field": "column"} for --from csv.')
@click.option("--column", "columns", multiple=True, metavar="FIELD=COLUMN",
              help="Map one of our fields to a column of the file (repeatable), e.g. "
                   "--column date=\"Event date\".")
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@click.option("--limit", "limit_options", multiple=True, metavar="NAME=N",
              help="Raise or lower one limit the file is read under, e.g. --limit "
                   "rows=2000000 (repeatable; also INCIDENT_MAP_LIMIT_<NAME>).")
def import_(source_path: Path, output: Path, source: str | None, map_file: Path | None,
            columns: tuple[str, ...], force: bool, limit_options: tuple[str, ...]) -> None:
    """Convert an ACLED, GTD, UCDP GED, GeoJSON, CSV or .xlsx file into a dataset."""
    os.environ.update(_limits(limit_options).as_env())  # read by the readers below
    from dashboard.data.importers import (
        NAMES,
        import_file,
        parse_options,
        read_mapping,
        write_dataset,
    )
    from dashboard.data.schema import DatasetError
    from dashboard.exports.formats import ExportError, check_writable

    if output.exists() and not force:
        raise CliError(f"{output} exists; choose another name or add --force")
    try:
        mapping = read_mapping(map_file) if map_file else {}
        mapping.update(parse_options(columns))
        check_writable(output)
        result = import_file(source_path, source, mapping or None)
    except (DatasetError, ExportError) as error:
        raise CliError(str(error)) from None
    for problem in result.problems:
        click.echo(_one_line(str(problem)), err=True)
    name = NAMES.get(result.source, result.source)
    if result.incidents.empty:
        raise CliError(
            f"nothing converted from {source_path} ({name}; {result.summary()}): every row was "
            f"refused (reasons above); {output} was not written")
    try:
        write_dataset(result.incidents, output)
    except OSError as error:
        raise CliError(f"cannot write {output}: {error.strerror or error}") from None
    click.echo(f"{output}: {len(result.incidents)} incidents from {name} "
               f"({result.summary()}; {len(result.problems)} problem(s) reported above)", err=True)
