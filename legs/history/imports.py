"""Reading runs from the files watches and Strava write: GPX, FIT, TCX (each possibly gzipped,
as in a Strava export), a Strava bulk export (.zip with activities.csv) or its activities.csv
alone. Plain Python: bytes in, `Activity` dataclasses out; nothing here touches the database.

Hostile files are refused, never half-read:
- XML (GPX, TCX) with a DTD is refused before it is parsed, so no entity, external or
  internal (billion laughs), is ever expanded; TCX is parsed by defusedxml itself.
- A zip is read in memory, member by member, never extracted to disk; a member's name that
  is absolute or climbs out (`..`) is refused. Before anything is decompressed, the member
  count, the total size the zip claims and each member's compression ratio are checked
  against the limits below; while decompressing, reads are capped at the sizes claimed
  and at the batch's total budget, so a zip or gzip that lies about its sizes is stopped.
"""

from __future__ import annotations

import csv
import gzip
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from statistics import mean
from typing import Any

import fitdecode
import gpxpy
import gpxpy.gpx
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

# LIMITS (documented in the README)
# Decompressed bytes one upload may produce in all: its zip members and gzipped files.
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
# One activity file, decompressed (a 24-hour GPX track at one point a second is ~20 MB).
MAX_FILE_BYTES = 64 * 1024 * 1024
# Members of one zip (a Strava export has one file per activity, plus photos).
MAX_ZIP_MEMBERS = 50_000
# Uncompressed size over compressed size, per member. Text GPX compresses about 10:1;
# a zip bomb compresses 1000:1 and more.
MAX_COMPRESSION_RATIO = 100

STRAVA_CSV = "activities.csv"
ACTIVITY_EXTENSIONS = (".gpx", ".fit", ".tcx")
GZIP_EXTENSIONS = tuple(f"{ext}.gz" for ext in ACTIVITY_EXTENSIONS)
UPLOAD_EXTENSIONS = (*ACTIVITY_EXTENSIONS, *GZIP_EXTENSIONS, ".zip", ".csv")

# Sources, as legs.history.models.RunSource spells them.
GPX, FIT, TCX, STRAVA = "gpx", "fit", "tcx", "strava"


class UnreadableFile(ValueError):
    """The file is corrupt, hostile or not what its name says; the message says which, in
    words a runner understands."""


class NotARun(Exception):
    """A ride, a swim, a walk…: read fine, but not a run."""

    def __init__(self, sport: str) -> None:
        super().__init__(f"not a run ({sport})")
        self.sport = sport


@dataclass(frozen=True, slots=True)
class Activity:
    start_time: datetime  # aware
    distance_m: int
    moving_time_s: int
    source: str
    elevation_gain_m: int | None = None
    average_heart_rate: int | None = None
    strava_id: int | None = None
    # The offset of the runner's clock from UTC at the start, when the file records it
    # (FIT files do); otherwise the date is taken in the site's time zone.
    utc_offset: timedelta | None = None

    def day(self, default_zone: tzinfo) -> date:
        """The date of the run where it was run (or in `default_zone` if unknown)."""
        if self.utc_offset is not None:
            return (self.start_time.astimezone(UTC) + self.utc_offset).date()
        return self.start_time.astimezone(default_zone).date()


@dataclass(frozen=True, slots=True)
class Entry:
    """One activity of an upload, read when called: raises UnreadableFile or NotARun."""

    name: str
    read: Callable[[], Activity]


class Budget:
    """Decompressed bytes left to this upload (MAX_UNCOMPRESSED_BYTES to start with)."""

    def __init__(self, limit: int = MAX_UNCOMPRESSED_BYTES) -> None:
        self.left = limit

    def take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise UnreadableFile(
                f"the upload unpacks to more than {MAX_UNCOMPRESSED_BYTES // 2**20} MB; "
                "split it into smaller uploads"
            )


def _capped_read(stream: io.BufferedIOBase | Any, limit: int, budget: Budget) -> bytes:
    """Read at most `limit` bytes: a stream that has more is refused, not truncated."""
    data: bytes = stream.read(limit + 1)
    if len(data) > limit:
        raise UnreadableFile(f"it unpacks to more than {limit // 2**20} MB")
    budget.take(len(data))
    return data


def gunzip(data: bytes, budget: Budget) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            return _capped_read(stream, MAX_FILE_BYTES, budget)
    except (OSError, EOFError, zlib.error) as exc:
        raise UnreadableFile("it is not a valid .gz file") from exc


def _kind_of(name: str) -> str:
    lower = name.lower()
    for ext in ACTIVITY_EXTENSIONS:
        if lower.endswith(ext) or lower.endswith(f"{ext}.gz"):
            return ext[1:]
    return ""


# ONE FILE


def read_activity(name: str, data: bytes, budget: Budget) -> Activity:
    """The run in one GPX, FIT or TCX file (or its .gz)."""
    kind = _kind_of(name)
    if not kind:
        raise UnreadableFile("not a GPX, FIT or TCX file")
    if name.lower().endswith(".gz"):
        data = gunzip(data, budget)
    if not data.strip():
        raise UnreadableFile("the file is empty")
    reader = {GPX: read_gpx, FIT: read_fit, TCX: read_tcx}[kind]
    return reader(data)


def refuse_dtd(data: bytes, kind: str) -> None:
    """Refuse XML with a document type declaration (the only place entities can be
    declared); checks the prolog only, so the document is parsed once, by its parser."""
    try:
        events = SafeET.iterparse(io.BytesIO(data), events=("start",), forbid_dtd=True)
        next(iter(events), None)
    except DefusedXmlException as exc:
        raise UnreadableFile(
            f"the {kind} file declares a DTD or entities, which are refused for safety"
        ) from exc
    except SafeET.ParseError as exc:
        raise UnreadableFile(f"it is not valid {kind} (XML error: {exc})") from exc


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _whole(value: float | None) -> int | None:
    return None if value is None else round(value)


def _hr_of(point: gpxpy.gpx.GPXTrackPoint) -> int | None:
    for extension in point.extensions:
        for element in extension.iter():
            if element.tag.rsplit("}", 1)[-1].lower() == "hr" and element.text:
                try:
                    return int(float(element.text))
                except ValueError:
                    return None
    return None


def read_gpx(data: bytes) -> Activity:
    data = data.lstrip()
    refuse_dtd(data, "GPX")
    try:
        gpx = gpxpy.parse(data.decode("utf-8-sig"))
    except (gpxpy.gpx.GPXException, UnicodeDecodeError, ValueError) as exc:
        raise UnreadableFile(f"it is not valid GPX ({exc})") from exc
    for track in gpx.tracks:
        kind = (track.type or "").strip().lower()
        if kind and "run" not in kind and kind not in ("9", "1"):
            raise NotARun(track.type or "")
    points = [p for p in gpx.walk(only_points=True) if p.time is not None]
    if not points:
        raise UnreadableFile("the GPX file has no track points with times")
    moving = gpx.get_moving_data()
    distance = gpx.length_2d()
    heart_rates = [hr for hr in map(_hr_of, points) if hr]
    uphill = gpx.get_uphill_downhill().uphill if any(p.elevation for p in points) else None
    assert points[0].time is not None  # noqa: S101 - filtered above
    return _checked(
        Activity(
            start_time=_utc(points[0].time),
            distance_m=round(distance or 0),
            moving_time_s=round(moving.moving_time if moving else 0),
            elevation_gain_m=_whole(uphill),
            average_heart_rate=round(mean(heart_rates)) if heart_rates else None,
            source=GPX,
        ),
        "GPX",
    )


FIT_RUNNING = {"running", "generic", 0, 1}
MAX_UTC_OFFSET = timedelta(hours=14)


def read_fit(data: bytes) -> Activity:
    if len(data) < 12 or data[8:12] != b".FIT":
        raise UnreadableFile("it is not a FIT file")
    session: dict[str, Any] | None = None
    first_record: dict[str, Any] | None = None
    last_record: dict[str, Any] | None = None
    offset: timedelta | None = None
    try:
        with fitdecode.FitReader(
            io.BytesIO(data),
            check_crc=fitdecode.CrcCheck.RAISE,
            error_handling=fitdecode.ErrorHandling.RAISE,
        ) as fit:
            for frame in fit:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                if frame.name == "session" and session is None:
                    session = {f.name: f.value for f in frame.fields}
                elif frame.name == "record":
                    values = {f.name: f.value for f in frame.fields}
                    first_record = first_record or values
                    last_record = values
                elif frame.name == "activity":
                    values = {f.name: f.value for f in frame.fields}
                    local, stamp = values.get("local_timestamp"), values.get("timestamp")
                    if isinstance(local, datetime) and isinstance(stamp, datetime):
                        # fitdecode labels the device's local wall time as UTC.
                        offset = timedelta(minutes=round((local - stamp).total_seconds() / 60))
    except (fitdecode.FitError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise UnreadableFile(f"the FIT file is damaged ({exc})") from exc
    if session is not None:
        sport = session.get("sport")
        if sport is not None and sport not in FIT_RUNNING:
            raise NotARun(str(sport))
        start = session.get("start_time")
        distance = session.get("total_distance")
        moving = session.get("total_timer_time") or session.get("total_elapsed_time")
        ascent, heart = session.get("total_ascent"), session.get("avg_heart_rate")
    elif first_record and last_record:
        start = first_record.get("timestamp")
        distance = last_record.get("distance")
        end = last_record.get("timestamp")
        moving = (end - start).total_seconds() if isinstance(end, datetime) and start else None
        ascent = heart = None
    else:
        raise UnreadableFile("the FIT file holds no activity")
    if not isinstance(start, datetime):
        raise UnreadableFile("the FIT file has no start time")
    return _checked(
        Activity(
            start_time=_utc(start),
            distance_m=round(float(distance or 0)),
            moving_time_s=round(float(moving or 0)),
            elevation_gain_m=_whole(ascent),
            average_heart_rate=_whole(heart),
            source=FIT,
            utc_offset=offset if offset is not None and abs(offset) <= MAX_UTC_OFFSET else None,
        ),
        "FIT",
    )


TCX_NS = {"t": "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"}


def _parse_time(text: str) -> datetime:
    return _utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))


def read_tcx(data: bytes) -> Activity:
    data = data.lstrip()
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise UnreadableFile(
            "the TCX file declares a DTD or entities, which are refused for safety"
        ) from exc
    except SafeET.ParseError as exc:
        raise UnreadableFile(f"it is not valid TCX (XML error: {exc})") from exc
    activity = root.find("t:Activities/t:Activity", TCX_NS)
    if activity is None:
        raise UnreadableFile("the TCX file holds no activity")
    sport = activity.get("Sport", "")
    if sport.lower() not in ("running", "other", ""):
        raise NotARun(sport)
    try:
        laps = activity.findall("t:Lap", TCX_NS)
        start_text = activity.findtext("t:Id", "", TCX_NS) or (laps[0].get("StartTime", ""))
        start = _parse_time(start_text)
        seconds = sum(float(lap.findtext("t:TotalTimeSeconds", "0", TCX_NS)) for lap in laps)
        metres = sum(float(lap.findtext("t:DistanceMeters", "0", TCX_NS)) for lap in laps)
        beats = [
            (float(lap.findtext("t:TotalTimeSeconds", "0", TCX_NS)), float(value))
            for lap in laps
            if (value := lap.findtext("t:AverageHeartRateBpm/t:Value", "", TCX_NS))
        ]
        altitudes = [
            float(a.text)
            for a in activity.iterfind("t:Lap/t:Track/t:Trackpoint/t:AltitudeMeters", TCX_NS)
            if a.text
        ]
    except (ValueError, IndexError) as exc:
        raise UnreadableFile(
            f"the TCX file has values that are not numbers or times ({exc})"
        ) from exc
    weight = sum(s for s, _ in beats)
    heart = sum(s * bpm for s, bpm in beats) / weight if weight else None
    gain = sum(max(b - a, 0) for a, b in zip(altitudes, altitudes[1:], strict=False))
    return _checked(
        Activity(
            start_time=start,
            distance_m=round(metres),
            moving_time_s=round(seconds),
            elevation_gain_m=round(gain) if altitudes else None,
            average_heart_rate=_whole(heart),
            source=TCX,
        ),
        "TCX",
    )


def _checked(activity: Activity, kind: str) -> Activity:
    if activity.distance_m <= 0:
        raise UnreadableFile(f"the {kind} file records no distance")
    if activity.distance_m > 1_000_000:
        raise UnreadableFile(f"the {kind} file records more than 1,000 km")
    if activity.moving_time_s <= 0:
        raise UnreadableFile(f"the {kind} file records no moving time")
    return activity


# STRAVA EXPORT

STRAVA_DATE_FORMATS = ("%b %d, %Y, %I:%M:%S %p", "%d %b %Y, %H:%M:%S", "%Y-%m-%d %H:%M:%S")


def _strava_date(text: str) -> datetime:
    text = text.strip().replace("\u202f", " ")
    for pattern in STRAVA_DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise UnreadableFile(f"the date {text!r} is not one Strava writes")


def _number(text: str | None) -> float | None:
    """A number as Strava writes it: "10020.5", "1,234.5", or with a decimal comma in
    some languages ("10020,5": not three digits after the comma, so not thousands)."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    if re.fullmatch(r"\d+,(\d{1,2}|\d{4,})", text):
        text = text.replace(",", ".")
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class StravaRow:
    line: int
    values: dict[str, str]
    # Columns Strava writes twice ("Distance": km, then metres): every value, in order.
    repeated: dict[str, list[str]]

    def first(self, column: str) -> str | None:
        return self.values.get(column)

    def last(self, column: str) -> str | None:
        found = self.repeated.get(column)
        return found[-1] if found else None


def strava_rows(data: bytes) -> list[StravaRow]:
    """The rows of an activities.csv; UnreadableFile if it is not UTF-8 text, not CSV (a
    field over the csv module's 128 KB limit, a stray quote) or not Strava's."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{STRAVA_CSV} is not UTF-8 text") from exc
    try:
        return _strava_rows(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise UnreadableFile(f"{STRAVA_CSV} is not a readable CSV file ({exc})") from exc


def _strava_rows(reader: Iterator[list[str]]) -> list[StravaRow]:
    header = next(reader, None)
    if not header or "Activity Date" not in header or "Activity Type" not in header:
        raise UnreadableFile("it is not the activities.csv of a Strava export")
    rows: list[StravaRow] = []
    for line, cells in enumerate(reader, start=2):
        if not any(cells):
            continue
        values: dict[str, str] = {}
        repeated: dict[str, list[str]] = {}
        for column, cell in zip(header, cells, strict=False):
            values.setdefault(column, cell)
            repeated.setdefault(column, []).append(cell)
        rows.append(StravaRow(line, values, repeated))
    return rows


def is_run_type(activity_type: str) -> bool:
    return "run" in activity_type.lower()


def activity_from_row(row: StravaRow) -> Activity | None:
    """The run as the CSV describes it; None when the CSV lacks its distance or time (the
    activity's own file is read instead)."""
    kind = (row.first("Activity Type") or "").strip()
    if not is_run_type(kind):
        raise NotARun(kind or "no activity type")
    start = _strava_date(row.first("Activity Date") or "")
    # Strava writes "Distance" twice: in km (or miles) for people, then in metres. Older
    # exports have the first only, in km.
    twice = len(row.repeated.get("Distance", [])) > 1
    metres = _number(row.last("Distance")) if twice else None
    if metres is None:
        km = _number(row.first("Distance"))
        metres = None if km is None else km * 1000
    moving = _number(row.first("Moving Time")) or _number(row.first("Elapsed Time"))
    if not metres or not moving:
        return None
    strava_id = row.first("Activity ID") or ""
    return _checked(
        Activity(
            start_time=start,
            distance_m=round(metres),
            moving_time_s=round(moving),
            elevation_gain_m=_whole(_number(row.first("Elevation Gain"))),
            average_heart_rate=_whole(_number(row.first("Average Heart Rate"))),
            strava_id=int(strava_id) if strava_id.isdigit() else None,
            source=STRAVA,
        ),
        "Strava",
    )


# ZIP FILES


def safe_member_name(name: str) -> str:
    """A member's name as a relative POSIX path; UnreadableFile if it is absolute or climbs
    out of the archive (it is never used as a path on disk, but such a name is a sign of a
    hostile archive)."""
    if not name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise UnreadableFile(f"the archive holds a file with an absolute path ({name!r})")
    normal = posixpath.normpath(name.replace("\\", "/"))
    if normal == ".." or normal.startswith("../") or "/../" in f"/{normal}/":
        raise UnreadableFile(f"the archive holds a file outside it ({name!r})")
    return normal


def open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise UnreadableFile("it is not a valid zip file") from exc
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise UnreadableFile(f"the archive holds more than {MAX_ZIP_MEMBERS:,} files")
    if sum(m.file_size for m in members) > MAX_UNCOMPRESSED_BYTES:
        raise UnreadableFile(
            f"the archive unpacks to more than {MAX_UNCOMPRESSED_BYTES // 2**20} MB"
        )
    for member in members:
        safe_member_name(member.filename)
        if member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1) and (
            member.file_size > 1024 * 1024
        ):
            raise UnreadableFile(
                f"{member.filename} is compressed far more than any activity file (a zip bomb?)"
            )
    return archive


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget) -> bytes:
    if info.file_size > MAX_FILE_BYTES:
        raise UnreadableFile(f"it is larger than {MAX_FILE_BYTES // 2**20} MB")
    try:
        with archive.open(info) as stream:
            return _capped_read(stream, info.file_size, budget)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
        raise UnreadableFile(f"it is damaged inside the archive ({exc})") from exc
    except RuntimeError as exc:  # encrypted members
        raise UnreadableFile("it is password-protected") from exc


def zip_entries(data: bytes, budget: Budget) -> list[Entry]:
    """The activities of a zip: a Strava export's activities.csv rows (with their activity
    files as a fallback), or else every GPX, FIT or TCX file in it."""
    archive = open_zip(data)
    by_name = {safe_member_name(i.filename): i for i in archive.infolist() if not i.is_dir()}
    csv_name = next(
        (n for n in sorted(by_name, key=len) if posixpath.basename(n).lower() == STRAVA_CSV), None
    )
    if csv_name is None:
        return [
            Entry(name, _member_reader(archive, info, budget))
            for name, info in by_name.items()
            if _kind_of(name)
        ]
    rows = strava_rows(read_member(archive, by_name[csv_name], budget))
    folder = posixpath.dirname(csv_name)
    return [_strava_entry(row, archive, by_name, folder, budget) for row in rows]


def _member_reader(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget
) -> Callable[[], Activity]:
    def read() -> Activity:
        return read_activity(info.filename, read_member(archive, info, budget), budget)

    return read


def _strava_entry(
    row: StravaRow,
    archive: zipfile.ZipFile,
    by_name: dict[str, zipfile.ZipInfo],
    folder: str,
    budget: Budget,
) -> Entry:
    file_name = (row.first("Filename") or "").strip()
    label = f"{STRAVA_CSV} line {row.line}" + (f" ({file_name})" if file_name else "")

    def read() -> Activity:
        try:
            activity = activity_from_row(row)
        except UnreadableFile:
            # A date or number in a form the CSV reader does not know: the file has it.
            if not file_name:
                raise
            activity = None
        if activity is not None:
            return activity
        if not file_name:
            raise UnreadableFile("the row has no distance or time, and no activity file")
        name = safe_member_name(posixpath.join(folder, file_name))
        info = by_name.get(name)
        if info is None:
            raise UnreadableFile(f"{file_name} is missing from the archive")
        found = read_activity(name, read_member(archive, info, budget), budget)
        strava_id = row.first("Activity ID") or ""
        return Activity(
            start_time=found.start_time,
            distance_m=found.distance_m,
            moving_time_s=found.moving_time_s,
            elevation_gain_m=found.elevation_gain_m,
            average_heart_rate=found.average_heart_rate,
            strava_id=int(strava_id) if strava_id.isdigit() else None,
            utc_offset=found.utc_offset,
            source=STRAVA,
        )

    return Entry(label, read)


# AN UPLOAD


def upload_entries(name: str, data: bytes, budget: Budget) -> Iterator[Entry]:
    """The activities in one uploaded file. A zip or CSV that cannot be opened at all
    raises UnreadableFile here; a single activity's problem is raised when it is read."""
    lower = name.lower()
    if lower.endswith(".zip"):
        yield from zip_entries(data, budget)
    elif lower.endswith(".csv"):
        for row in strava_rows(data):
            yield Entry(f"{name} line {row.line}", _csv_reader(row))
    else:
        yield Entry(name, lambda: read_activity(name, data, budget))


def _csv_reader(row: StravaRow) -> Callable[[], Activity]:
    def read() -> Activity:
        activity = activity_from_row(row)
        if activity is None:
            raise UnreadableFile(
                "the row has no distance or time; upload the whole Strava export (.zip) to "
                "read its activity file"
            )
        return activity

    return read
