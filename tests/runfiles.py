"""Small activity files made on the spot: GPX, TCX, FIT (a minimal valid FIT encoder),
gzipped variants and Strava bulk exports. Used by the import tests and the import benchmark."""

from __future__ import annotations

import csv
import gzip
import io
import struct
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fitdecode.utils import compute_crc

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class Sample:
    """A run to write into a file: it starts at `start` and runs `km` in `minutes`."""

    start: datetime
    km: float = 10.0
    minutes: float = 50.0
    heart_rate: int | None = 150
    climb_m: float = 0.0
    points: int = 60
    sport: str = "running"

    def track(self) -> list[tuple[datetime, float, float, float, float]]:
        """(time, latitude, longitude, elevation, metres so far) along a line due north."""
        rows = []
        for i in range(self.points):
            share = i / max(self.points - 1, 1)
            metres = self.km * 1000 * share
            # One degree of latitude is about 111,195 m.
            rows.append(
                (
                    self.start + timedelta(minutes=self.minutes * share),
                    51.0 + metres / 111_195,
                    0.0,
                    100.0 + self.climb_m * share,
                    metres,
                )
            )
        return rows


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def gpx(sample: Sample, *, doctype: str = "", track_type: str | None = None) -> bytes:
    kind = f"<type>{track_type}</type>" if track_type else ""
    points = "".join(
        f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><ele>{ele:.1f}</ele><time>{iso(t)}</time>'
        + (
            "<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>"
            f"{sample.heart_rate}</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions>"
            if sample.heart_rate
            else ""
        )
        + "</trkpt>"
        for t, lat, lon, ele, _ in sample.track()
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
        '<gpx version="1.1" creator="tests" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><name>Run</name>{kind}<trkseg>{points}</trkseg></trk></gpx>"
    ).encode()


def tcx(sample: Sample, *, doctype: str = "", sport: str = "Running") -> bytes:
    points = "".join(
        f"<Trackpoint><Time>{iso(t)}</Time><AltitudeMeters>{ele:.1f}</AltitudeMeters>"
        f"<DistanceMeters>{metres:.1f}</DistanceMeters></Trackpoint>"
        for t, _, _, ele, metres in sample.track()
    )
    heart = (
        f"<AverageHeartRateBpm><Value>{sample.heart_rate}</Value></AverageHeartRateBpm>"
        if sample.heart_rate
        else ""
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">'
        f'<Activities><Activity Sport="{sport}"><Id>{iso(sample.start)}</Id>'
        f'<Lap StartTime="{iso(sample.start)}"><TotalTimeSeconds>{sample.minutes * 60:.1f}'
        f"</TotalTimeSeconds><DistanceMeters>{sample.km * 1000:.1f}</DistanceMeters>{heart}"
        f"<Track>{points}</Track></Lap></Activity></Activities></TrainingCenterDatabase>"
    ).encode()


# FIT: a header, then definition and data messages, then a CRC (the FIT SDK's layout).
# Base types: enum 0x00, uint8 0x02, uint16 0x84, uint32 0x86.
FIT_FORMATS = {0x00: "B", 0x02: "B", 0x84: "H", 0x86: "I"}
SPORTS = {"generic": 0, "running": 1, "cycling": 2, "swimming": 5}


def _fit_definition(
    local: int, global_number: int, fields: Sequence[tuple[int, int, int | None]]
) -> bytes:
    """The definition of a local message type; fields are (number, base type, value)."""
    definition = struct.pack("<BBBHB", 0x40 | local, 0, 0, global_number, len(fields))
    for number, base, _ in fields:
        definition += struct.pack("<BBB", number, struct.calcsize(FIT_FORMATS[base]), base)
    return definition


def _fit_data(local: int, fields: Sequence[tuple[int, int, int | None]]) -> bytes:
    data = struct.pack("<B", local)
    for _, base, value in fields:
        fmt = FIT_FORMATS[base]
        invalid = {"B": 0xFF, "H": 0xFFFF, "I": 0xFFFFFFFF}[fmt]
        data += struct.pack(f"<{fmt}", invalid if value is None else value)
    return data


def _fit_message(
    local: int, global_number: int, fields: Sequence[tuple[int, int, int | None]]
) -> bytes:
    """A definition and one data message."""
    return _fit_definition(local, global_number, fields) + _fit_data(local, fields)


def _fit_time(moment: datetime) -> int:
    return int((moment - FIT_EPOCH).total_seconds())


def fit(
    sample: Sample,
    *,
    utc_offset: timedelta | None = None,
    with_session: bool = True,
) -> bytes:
    """A FIT activity file: file_id, the run's records, a session and an activity."""
    end = sample.start + timedelta(minutes=sample.minutes)
    body = _fit_message(0, 0, [(0, 0x00, 4), (1, 0x84, 1), (4, 0x86, _fit_time(sample.start))])
    # One definition for every record, as watches write them.
    for n, (t, _, _, _, metres) in enumerate(sample.track()):
        fields = [
            (253, 0x86, _fit_time(t)),
            (5, 0x86, round(metres * 100)),
            (3, 0x02, sample.heart_rate),
        ]
        body += (_fit_definition(1, 20, fields) if n == 0 else b"") + _fit_data(1, fields)
    if with_session:
        seconds = round(sample.minutes * 60 * 1000)
        body += _fit_message(
            2,
            18,
            [
                (253, 0x86, _fit_time(end)),
                (2, 0x86, _fit_time(sample.start)),
                (7, 0x86, seconds),
                (8, 0x86, seconds),
                (9, 0x86, round(sample.km * 100_000)),
                (5, 0x00, SPORTS[sample.sport]),
                (22, 0x84, round(sample.climb_m)),
                (16, 0x02, sample.heart_rate),
            ],
        )
    if utc_offset is not None:
        local = _fit_time(end) + int(utc_offset.total_seconds())
        body += _fit_message(3, 34, [(253, 0x86, _fit_time(end)), (5, 0x86, local)])
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", compute_crc(header))
    return header + body + struct.pack("<H", compute_crc(header + body))


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def zipped(members: Iterable[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


STRAVA_HEADER = [
    "Activity ID",
    "Activity Date",
    "Activity Name",
    "Activity Type",
    "Elapsed Time",
    "Distance",
    "Filename",
    "Moving Time",
    "Distance",
    "Elevation Gain",
    "Average Heart Rate",
]


def strava_date(moment: datetime) -> str:
    """As Strava writes it: "Jan 5, 2026, 7:32:10 AM" (UTC)."""
    moment = moment.astimezone(UTC)
    hour = moment.hour % 12 or 12
    return f"{moment:%b} {moment.day}, {moment:%Y}, {hour}:{moment:%M:%S} {moment:%p}"


@dataclass(frozen=True)
class StravaActivity:
    activity_id: int
    sample: Sample
    kind: str = "Run"
    filename: str = ""
    in_csv: bool = True  # False: the CSV row leaves distance and time empty


def strava_csv(activities: Sequence[StravaActivity]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STRAVA_HEADER)
    for a in activities:
        s = a.sample
        seconds = round(s.minutes * 60)
        writer.writerow(
            [
                a.activity_id,
                strava_date(s.start),
                "Morning Run",
                a.kind,
                seconds,
                f"{s.km:.2f}" if a.in_csv else "",
                a.filename,
                f"{seconds}.0" if a.in_csv else "",
                f"{s.km * 1000:.1f}" if a.in_csv else "",
                f"{s.climb_m:.1f}",
                f"{s.heart_rate}.0" if s.heart_rate else "",
            ]
        )
    return out.getvalue().encode()


def strava_export(
    activities: Sequence[StravaActivity], files: Iterable[tuple[str, bytes]] = ()
) -> bytes:
    """A Strava bulk export: activities.csv and the activity files."""
    return zipped([("activities.csv", strava_csv(activities)), *files])
