"""Authored briefings: a named sequence of views, kept as plain TOML files in ``briefings/``.

A briefing file reads like this (every key but ``title`` and each step's ``heading`` is
optional)::

    title = "The 2022 expulsions"
    subtitle = "Europe expels Russian intelligence officers under diplomatic cover"

    [[steps]]
    heading = "Berlin, 4 April 2022"
    caption = "Germany declares 40 Russian diplomats persona non grata."
    incident = "2022-04-04-berlin-russian-diplomats-expelled"   # focus one incident

    [[steps]]
    heading = "The wave"
    years = "2022-2022"                 # filters, written as in the URL
    type = "diplomatic_expulsion"
    at = "50.0,15.0,4"                  # map centre and zoom: lat,lon,zoom

Steps are validated like the dataset: every problem is one line naming the file and the
step (``briefings/x.toml, step 3: unknown incident "..."``). Nothing in a file is evaluated;
values are plain strings checked against the dataset's vocabularies.

The default briefing (no file) steps through the filtered incidents in date order; it is
built by :func:`filtered_briefing`.

>>> b = parse_briefing({"title": "T", "steps": [{"heading": "One", "years": "2022-2022"}]},
...                    name="t", ids={"a"})
>>> b.title, b.steps[0].heading, b.steps[0].filters.years
('T', 'One', (2022, 2022))
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard.base.files import write_atomic
from dashboard.data.filters import FILTER_PARAMS, Filters, parse_query_params, to_query_params
from dashboard.data.mapview import MapAt, parse_at

#: A briefing's name is its file name without ``.toml``: letters, digits, ``-`` and ``_``.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")
#: Where briefings live by default (beside ``data/``); ``INCIDENT_MAP_BRIEFINGS`` overrides it.
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "briefings"
ENV_VAR = "INCIDENT_MAP_BRIEFINGS"
MAX_STEPS = 200
MAX_HEADING = 200
MAX_CAPTION = 1000
#: The largest briefing file read (200 steps of the longest heading and caption fit in a
#: quarter of it).
MAX_FILE_BYTES = 1024 * 1024

STEP_KEYS = ("heading", "caption", "incident", "at", *FILTER_PARAMS)
TOP_KEYS = ("title", "subtitle", "steps")


class BriefingError(Exception):
    """A briefing file that cannot be used; ``problems`` has one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class BriefingConflict(BriefingError):
    """The briefing's file changed since it was opened: saving would lose that change."""


@dataclass(frozen=True)
class Step:
    """One view of a briefing: filters, an optional focus and extent, a heading and caption."""

    heading: str
    caption: str = ""
    filters: Filters = field(default_factory=Filters)
    incident: str | None = None
    at: MapAt | None = None

    def as_table(self, *, full_span: tuple[int, int] | None = None) -> dict[str, str]:
        table = {"heading": self.heading}
        if self.caption:
            table["caption"] = self.caption
        if self.incident:
            table["incident"] = self.incident
        if self.at:
            table["at"] = self.at.text()
        table.update(to_query_params(self.filters, full_span=full_span))
        return table


@dataclass(frozen=True)
class Briefing:
    """A named briefing: its title step (title, subtitle) and its steps."""

    name: str
    title: str
    subtitle: str = ""
    steps: tuple[Step, ...] = ()
    authored: bool = True

    def as_table(self) -> dict[str, object]:
        table: dict[str, object] = {"title": self.title}
        if self.subtitle:
            table["subtitle"] = self.subtitle
        table["steps"] = [step.as_table() for step in self.steps]
        return table


def _text(value: object, where: str, key: str, limit: int, problems: list[str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(f"{where}: {key} must be text in quotes")
        return ""
    text = " ".join(value.split())
    if len(text) > limit:
        problems.append(f"{where}: {key} is longer than {limit} characters")
    return text


def _unknown_keys(table: Mapping[str, object], allowed: tuple[str, ...], where: str,
                  problems: list[str]) -> None:
    for key in table:
        if key not in allowed:
            problems.append(f"{where}: unknown key {key!r} (use {', '.join(allowed)})")


def _required(value: object, where: str, key: str, limit: int, problems: list[str]) -> str:
    text = _text(value, where, key, limit, problems)
    if not text:
        problems.append(f"{where}: {key} is missing")
    return text


def parse_briefing(table: Mapping[str, object], *, name: str,
                   ids: Iterable[str] | None = None, label: str | None = None) -> Briefing:
    """A :class:`Briefing` from a TOML table; :class:`BriefingError` lists every problem.

    ``ids`` are the dataset's incident ids (a step's ``incident`` must be one of them);
    ``label`` names the file in messages."""
    label = label or f"briefing {name}"
    problems: list[str] = []
    known_ids = set(ids) if ids is not None else None
    _unknown_keys(table, TOP_KEYS, label, problems)
    title = _required(table.get("title"), label, "title", MAX_HEADING, problems)
    subtitle = _text(table.get("subtitle"), label, "subtitle", MAX_CAPTION, problems)
    raw_steps = table.get("steps", [])
    if not isinstance(raw_steps, list) or not all(isinstance(s, dict) for s in raw_steps):
        problems.append(f"{label}: steps must be [[steps]] tables")
        raw_steps = []
    if not raw_steps:
        problems.append(f"{label}: no steps; add at least one [[steps]] table")
    if len(raw_steps) > MAX_STEPS:
        problems.append(f"{label}: {len(raw_steps)} steps; at most {MAX_STEPS}")
        raw_steps = raw_steps[:MAX_STEPS]
    steps = []
    for number, raw in enumerate(raw_steps, start=1):
        where = f"{label}, step {number}"
        _unknown_keys(raw, STEP_KEYS, where, problems)
        heading = _required(raw.get("heading"), where, "heading", MAX_HEADING, problems)
        caption = _text(raw.get("caption"), where, "caption", MAX_CAPTION, problems)
        params = {}
        for key in FILTER_PARAMS:
            if key in raw:
                if isinstance(raw[key], str):
                    params[key] = raw[key]
                else:
                    problems.append(f"{where}: {key} must be text in quotes, as in the URL")
        filters, notices = parse_query_params(params)
        problems += [f"{where}: {n.replace('Ignored ', 'invalid ', 1)}" for n in notices]
        incident = _text(raw.get("incident"), where, "incident", 200, problems) or None
        if incident and known_ids is not None and incident not in known_ids:
            problems.append(f'{where}: unknown incident "{incident}" (not in the dataset)')
        at = None
        if "at" in raw:
            at = parse_at(raw["at"]) if isinstance(raw["at"], str) else None
            if at is None:
                problems.append(f"{where}: at must be \"lat,lon,zoom\", e.g. \"52.52,13.40,11\"")
        steps.append(Step(heading=heading, caption=caption, filters=filters,
                          incident=incident, at=at))
    if problems:
        raise BriefingError(problems)
    return Briefing(name=name, title=title, subtitle=subtitle, steps=tuple(steps))


def briefings_dir(directory: Path | None = None) -> Path:
    """``directory``, else ``$INCIDENT_MAP_BRIEFINGS``, else ``briefings/`` in the repository."""
    if directory is not None:
        return Path(directory)
    return Path(os.environ[ENV_VAR]) if os.environ.get(ENV_VAR) else DEFAULT_DIR


def briefing_path(name: str, directory: Path | None = None) -> Path:
    """The file of briefing ``name``; refuses names that are not plain file names."""
    if not NAME_PATTERN.match(name or ""):
        raise BriefingError([f"briefing name {name!r} is not valid: use letters, digits, "
                             "'-' and '_' (e.g. expulsions-2022)"])
    return briefings_dir(directory) / f"{name}.toml"


def list_briefings(directory: Path | None = None) -> list[str]:
    """The names of the briefings in ``directory``, sorted."""
    folder = briefings_dir(directory)
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.toml")
                  if p.is_file() and NAME_PATTERN.match(p.stem))


def load_briefing(name: str, *, ids: Iterable[str] | None = None,
                  directory: Path | None = None) -> Briefing:
    """Read and validate ``briefings/NAME.toml`` (see the module's docstring)."""
    path = briefing_path(name, directory)
    label = f"{path.parent.name}/{path.name}"
    if not path.is_file():
        known = ", ".join(list_briefings(directory)) or "none"
        raise BriefingError([f"no briefing named {name!r} (known: {known})"])
    if path.stat().st_size > MAX_FILE_BYTES:
        raise BriefingError([f"{label}: larger than {MAX_FILE_BYTES // 1024:,} KB; a briefing "
                             f"holds at most {MAX_STEPS} short steps"])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BriefingError([f"{label}: not UTF-8 text"]) from None
    return briefing_from_text(text, name=name, ids=ids, label=label)


def briefing_from_text(text: str, *, name: str, ids: Iterable[str] | None = None,
                       label: str | None = None) -> Briefing:
    """A briefing from its TOML text (a file's, or a store's), validated."""
    label = label or f"{name}.toml"
    return parse_briefing(parse_toml(text, label), name=name, ids=ids, label=label)


def parse_toml(text: str, label: str) -> dict:
    """TOML text as a table, or BriefingError with one line: too large, nested deeper than
    Python's parser goes (arrays in arrays thousands deep), or not TOML."""
    if len(text) > MAX_FILE_BYTES:
        raise BriefingError([f"{label}: larger than {MAX_FILE_BYTES // 1024:,} KB"])
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise BriefingError([f"{label}: not a briefing: values nested too deeply"]) from None
    except tomllib.TOMLDecodeError as error:
        raise BriefingError([f"{label}: not valid TOML: {error}"]) from None


def dump_briefing(briefing: Briefing) -> str:
    """The briefing as TOML text, one ``[[steps]]`` table per step (stable, diffable)."""
    import tomli_w

    return tomli_w.dumps(briefing.as_table())


def file_stamp(path: Path) -> str | None:
    """A fingerprint of the file's bytes (None when there is no file): a save compares the
    stamp taken when the briefing was opened with the file's stamp now."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _leading_comments(path: Path) -> str:
    """The comment lines at the top of the file (kept when the page saves it)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    kept = []
    for line in lines:
        if not line.startswith("#"):
            break
        kept.append(line)
    return "\n".join(kept) + "\n" if kept else ""


#: ``save_briefing(..., expected=ANY_VERSION)``: write whatever the file holds now.
ANY_VERSION = "any"


def save_briefing(briefing: Briefing, *, directory: Path | None = None,
                  expected: str | None = ANY_VERSION,
                  ids: Iterable[str] | None = None) -> Path:
    """Write the briefing to ``briefings/NAME.toml`` atomically; returns the path.

    The text written is read back and validated first (as :func:`load_briefing` would,
    against the dataset's ``ids`` when given): an invalid briefing is never written.
    ``expected`` is the :func:`file_stamp` taken when the briefing was opened (None: it was
    new); if the file is not that version any more, :class:`BriefingConflict` is raised and
    nothing is written. The file's leading comment lines are kept."""
    path = briefing_path(briefing.name, directory)
    label = f"{path.parent.name}/{path.name}"
    text = dump_briefing(briefing)
    parse_briefing(parse_toml(text, label), name=briefing.name, ids=ids, label=label)
    if expected != ANY_VERSION and file_stamp(path) != expected:
        what = "was created" if expected is None else (
            "was deleted" if not path.exists() else "was changed")
        raise BriefingConflict([f"{label} {what} by someone else since you opened it; "
                                "reload it and make your changes again"])
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, (_leading_comments(path) + text).encode("utf-8"))
    return path


# -- editing a briefing (pure: a briefing in, a new briefing out) -----------------------


def view_step(*, heading: str, caption: str = "", filters: Filters | None = None,
              incident: str | None = None, at: MapAt | None = None) -> Step:
    """A step showing a view of the page: its filters, focused incident and map extent."""
    return Step(heading=" ".join(heading.split()), caption=" ".join(caption.split()),
                filters=filters or Filters(), incident=incident or None, at=at)


def with_step(briefing: Briefing, step: Step) -> Briefing:
    """``briefing`` with ``step`` added at the end."""
    return dataclasses.replace(briefing, steps=(*briefing.steps, step))


def without_step(briefing: Briefing, index: int) -> Briefing:
    """``briefing`` without its step at (zero-based) ``index``."""
    steps = list(briefing.steps)
    del steps[index]
    return dataclasses.replace(briefing, steps=tuple(steps))


def moved_step(briefing: Briefing, index: int, offset: int) -> Briefing:
    """``briefing`` with step ``index`` moved ``offset`` places (kept within the steps)."""
    steps = list(briefing.steps)
    target = max(0, min(len(steps) - 1, index + offset))
    steps.insert(target, steps.pop(index))
    return dataclasses.replace(briefing, steps=tuple(steps))


def edited_step(briefing: Briefing, index: int, *, heading: str, caption: str) -> Briefing:
    """``briefing`` with step ``index``'s heading and caption replaced."""
    steps = list(briefing.steps)
    steps[index] = dataclasses.replace(steps[index], heading=" ".join(heading.split()),
                                       caption=" ".join(caption.split()))
    return dataclasses.replace(briefing, steps=tuple(steps))


def filtered_briefing(rows: pd.DataFrame, filters: Filters, *, title: str,
                      subtitle: str = "") -> Briefing:
    """The default briefing: one step per incident of ``rows`` in date order."""
    ordered = rows.sort_values(["date_start", "id"], kind="stable", na_position="last")
    steps = tuple(
        Step(heading=str(row["title"]), caption=str(row.get("summary", "") or ""),
             filters=filters, incident=str(row["id"]))
        for _, row in ordered.iterrows()
    )
    return Briefing(name="", title=title, subtitle=" ".join(subtitle.split()), steps=steps,
                    authored=False)
