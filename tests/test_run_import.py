"""Importing runs: GPX, FIT, TCX (plain and gzipped), Strava exports; hostile and broken files
reported by name with nothing half-stored; limits; the progress page and its JSON."""

from __future__ import annotations

import gzip
import io
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from legs.history import imports
from legs.history.imports import Budget, NotARun, UnreadableFile, read_activity, upload_entries
from legs.history.models import Episode, ImportBatch, ImportFile, ImportStatus, Run
from legs.history.run_import import process_batch
from legs.history.services import import_batch_create
from tests.factories import make_user
from tests.runfiles import (
    Sample,
    StravaActivity,
    fit,
    gpx,
    gz,
    strava_export,
    tcx,
    zipped,
)
from tests.test_history import make_episode

pytestmark = pytest.mark.usefixtures("seeded")

IMPORT = reverse("history:run_import")
START = datetime(2026, 11, 2, 7, 30, tzinfo=UTC)
RUN = Sample(START, km=12.5, minutes=65, heart_rate=152, climb_m=120)

XXE = '<!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


@pytest.fixture
def owner() -> User:
    return make_user("owner@example.com")


@pytest.fixture
def outsider() -> User:
    return make_user("outsider@example.com")


def read(name: str, data: bytes) -> imports.Activity:
    return read_activity(name, data, Budget())


def upload(client: Client, *files: tuple[str, bytes], **extra: Any) -> Any:
    uploads = [SimpleUploadedFile(name, data) for name, data in files]
    return client.post(IMPORT, {"uploads": uploads}, **extra)


def latest_batch() -> ImportBatch:
    batch = ImportBatch.objects.order_by("-pk").first()
    assert batch is not None
    return batch


# READING ONE FILE


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("run.gpx", gpx),
        ("run.tcx", tcx),
        ("run.fit", fit),
        ("run.gpx.gz", lambda s: gz(gpx(s))),
        ("run.tcx.gz", lambda s: gz(tcx(s))),
        ("run.fit.gz", lambda s: gz(fit(s))),
    ],
)
def test_each_format_gives_the_runs_start_distance_time_climb_and_heart_rate(
    name: str, make: Any
) -> None:
    found = read(name, make(RUN))
    assert found.start_time == START
    assert abs(found.distance_m - 12_500) < 50
    assert found.moving_time_s == 65 * 60
    assert found.elevation_gain_m is not None and abs(found.elevation_gain_m - 120) <= 2
    assert found.average_heart_rate == 152
    assert found.source == name.split(".")[1]


def test_a_fit_file_without_a_session_is_read_from_its_records() -> None:
    found = read("run.fit", fit(RUN, with_session=False))
    assert (found.start_time, found.distance_m, found.moving_time_s) == (START, 12_500, 3900)


def test_a_fit_file_gives_the_date_where_it_was_run() -> None:
    evening = Sample(datetime(2026, 11, 3, 3, 0, tzinfo=UTC), minutes=40)
    found = read("run.fit", fit(evening, utc_offset=timedelta(hours=-8)))
    assert found.day(UTC).isoformat() == "2026-11-02"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("ride.fit", fit(Sample(START, sport="cycling"))),
        ("ride.tcx", tcx(RUN, sport="Biking")),
        ("ride.gpx", gpx(RUN, track_type="cycling")),
    ],
)
def test_other_sports_are_not_runs(name: str, data: bytes) -> None:
    with pytest.raises(NotARun):
        read(name, data)


# HOSTILE AND BROKEN FILES


@pytest.mark.parametrize("doctype", [XXE, LAUGHS])
@pytest.mark.parametrize(("name", "make"), [("evil.gpx", gpx), ("evil.tcx", tcx)])
def test_xml_with_a_dtd_or_entities_is_refused_unread(doctype: str, name: str, make: Any) -> None:
    with pytest.raises(UnreadableFile, match="DTD or entities"):
        read(name, make(RUN, doctype=doctype))


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("run.gpx", b"", "empty"),
        ("run.gpx", b"<gpx><trk>", "not valid GPX"),
        ("run.tcx", b"not xml at all", "not valid TCX"),
        ("run.tcx", b'<TrainingCenterDatabase xmlns="x"/>', "no activity"),
        ("run.fit", b"GARBAGE-GARBAGE-GARBAGE", "not a FIT file"),
        ("run.fit", fit(RUN)[:-40], "damaged"),
        ("run.fit", fit(RUN)[:-2] + b"\x00\x00", "damaged"),
        ("run.fit.gz", b"not gzip", "not a valid .gz"),
        ("run.gpx", gpx(Sample(START, km=0)), "no distance"),
        ("notes.txt", b"hello", "not a GPX, FIT or TCX"),
        ("run.gpx", fit(RUN), "not valid GPX"),
    ],
)
def test_broken_or_foreign_files_are_refused_with_a_reason(
    name: str, data: bytes, problem: str
) -> None:
    with pytest.raises(UnreadableFile, match=problem):
        read(name, data)


def test_a_gzip_bomb_is_stopped_at_the_file_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 1024 * 1024)
    bomb = gzip.compress(b"\0" * (3 * 1024 * 1024))
    with pytest.raises(UnreadableFile, match="unpacks to more than 1 MB"):
        read("run.gpx.gz", bomb)


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    bomb = zipped([("activities/huge.gpx", b"\0" * (20 * 1024 * 1024))])
    with pytest.raises(UnreadableFile, match="zip bomb"):
        list(upload_entries("export.zip", bomb, Budget()))


def test_a_zip_claiming_too_much_in_all_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "MAX_UNCOMPRESSED_BYTES", 20_000)
    archive = zipped([(f"r{i}.gpx", gpx(Sample(START + timedelta(days=i)))) for i in range(5)])
    with pytest.raises(UnreadableFile, match="unpacks to more than"):
        list(upload_entries("export.zip", archive, Budget()))


def test_a_zip_with_too_many_members_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "MAX_ZIP_MEMBERS", 3)
    archive = zipped([(f"r{i}.gpx", b"x") for i in range(4)])
    with pytest.raises(UnreadableFile, match="more than 3 files"):
        list(upload_entries("export.zip", archive, Budget()))


def test_the_budget_stops_members_that_lie_about_their_size() -> None:
    archive = zipped([(f"r{i}.gpx", gpx(Sample(START + timedelta(days=i)))) for i in range(3)])
    budget = Budget(limit=len(gpx(RUN)) + 10)
    entries = list(upload_entries("export.zip", archive, budget))
    entries[0].read()
    with pytest.raises(UnreadableFile, match="split it into smaller uploads"):
        entries[1].read()


@pytest.mark.parametrize(
    "name", ["../outside.gpx", "activities/../../outside.gpx", "/etc/outside.gpx", "C:/x.gpx"]
)
def test_a_zip_with_a_path_out_of_it_is_refused(name: str) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(zipfile.ZipInfo(name), gpx(RUN))
    with pytest.raises(UnreadableFile, match="absolute path|outside it"):
        list(upload_entries("export.zip", archive.getvalue(), Budget()))


def test_a_strava_row_naming_a_file_outside_the_zip_is_refused() -> None:
    row = StravaActivity(1, RUN, filename="../../etc/passwd", in_csv=False)
    entries = list(upload_entries("export.zip", strava_export([row]), Budget()))
    with pytest.raises(UnreadableFile, match="outside it"):
        entries[0].read()


def test_a_file_that_is_not_a_zip_is_refused() -> None:
    with pytest.raises(UnreadableFile, match="not a valid zip"):
        list(upload_entries("export.zip", b"PK\x03\x04 broken", Budget()))


# STRAVA EXPORTS


def test_a_strava_export_reads_runs_from_its_csv_and_files_where_the_csv_is_blank() -> None:
    second = Sample(START + timedelta(days=1), km=8, minutes=44)
    activities = [
        StravaActivity(101, RUN, filename="activities/101.fit.gz"),
        StravaActivity(102, second, filename="activities/102.gpx.gz", in_csv=False),
        StravaActivity(103, RUN, kind="Ride"),
        StravaActivity(104, RUN, kind="Trail Run"),
    ]
    archive = strava_export(
        activities,
        [("activities/101.fit.gz", b"never read"), ("activities/102.gpx.gz", gz(gpx(second)))],
    )
    entries = list(upload_entries("export_1234.zip", archive, Budget()))
    first = entries[0].read()
    assert (first.strava_id, first.distance_m, first.moving_time_s) == (101, 12_500, 3900)
    assert (first.average_heart_rate, first.elevation_gain_m, first.source) == (152, 120, "strava")
    from_file = entries[1].read()
    assert from_file.strava_id == 102
    assert abs(from_file.distance_m - 8000) < 50
    with pytest.raises(NotARun):
        entries[2].read()
    assert entries[3].read().strava_id == 104


@pytest.mark.parametrize(
    ("text", "value"),
    [("10020.5", 10020.5), ("1,234.5", 1234.5), ("10020,5", 10020.5), ("12,345", 12345.0)],
)
def test_strava_numbers_are_read_with_either_decimal_mark(text: str, value: float) -> None:
    assert imports._number(text) == value


def test_a_strava_row_with_a_date_in_another_language_is_read_from_its_file() -> None:
    from tests.runfiles import strava_csv

    csv_text = strava_csv([StravaActivity(5, RUN, filename="activities/5.fit")]).decode()
    csv_text = csv_text.replace("Nov 2, 2026, 7:30:00 AM", "2 nov. 2026, 07:30:00")
    archive = zipped([("activities.csv", csv_text.encode()), ("activities/5.fit", fit(RUN))])
    [entry] = upload_entries("export.zip", archive, Budget())
    found = entry.read()
    assert (found.start_time, found.strava_id, found.source) == (START, 5, "strava")
    alone = upload_entries("activities.csv", csv_text.encode(), Budget())
    with pytest.raises(UnreadableFile, match="not one Strava writes"):
        next(alone).read()


def test_the_activities_csv_alone_can_be_uploaded() -> None:
    from tests.runfiles import strava_csv

    data = strava_csv([StravaActivity(7, RUN), StravaActivity(8, RUN, in_csv=False)])
    entries = list(upload_entries("activities.csv", data, Budget()))
    assert entries[0].read().distance_m == 12_500
    with pytest.raises(UnreadableFile, match="upload the whole Strava export"):
        entries[1].read()


def test_a_csv_that_is_not_strava_s_is_refused() -> None:
    with pytest.raises(UnreadableFile, match="not the activities.csv"):
        list(upload_entries("activities.csv", b"a,b\n1,2\n", Budget()))


# THE UPLOAD PAGE AND THE BACKGROUND IMPORT


def test_uploading_files_imports_the_runs_and_shows_the_summary(
    client: Client, owner: User
) -> None:
    client.force_login(owner)
    second = Sample(START + timedelta(days=2), km=6)
    response = upload(client, ("monday.gpx", gpx(RUN)), ("wednesday.fit", fit(second)))
    batch = latest_batch()
    assert response.status_code == 302
    assert response["Location"] == batch.get_absolute_url()
    assert (batch.status, batch.total, batch.done, batch.imported) == ("finished", 2, 2, 2)
    assert batch.finished_at is not None
    assert not ImportFile.objects.exists(), "the uploaded files are deleted once read"
    assert sorted(Run.objects.values_list("source", flat=True)) == ["fit", "gpx"]
    page = client.get(batch.get_absolute_url())
    assert page.status_code == 200
    assert "Import finished" in page.content.decode()
    assert 'value="100"' in page.content.decode()


def test_a_broken_file_is_reported_by_name_and_the_others_still_import(
    client: Client, owner: User
) -> None:
    client.force_login(owner)
    upload(
        client,
        ("good.gpx", gpx(RUN)),
        ("broken.fit", fit(Sample(START + timedelta(days=1)))[:-30]),
        ("evil.gpx", gpx(Sample(START + timedelta(days=3)), doctype=XXE)),
        ("ride.tcx", tcx(Sample(START + timedelta(days=4)), sport="Biking")),
    )
    batch = latest_batch()
    assert (batch.imported, batch.skipped, batch.done, batch.total) == (1, 1, 4, 4)
    assert [e["file"] for e in batch.errors] == ["broken.fit", "evil.gpx"]
    assert "DTD" in batch.errors[1]["problem"]
    assert Run.objects.count() == 1
    page = client.get(batch.get_absolute_url()).content.decode()
    assert "broken.fit" in page and "evil.gpx" in page


def test_the_same_runs_imported_twice_are_stored_once(client: Client, owner: User) -> None:
    client.force_login(owner)
    export = strava_export(
        [StravaActivity(1, RUN), StravaActivity(2, Sample(START + timedelta(days=1)))]
    )
    upload(client, ("export.zip", export))
    # The watch's own file of the first run, a few seconds off Strava's start.
    again = Sample(START + timedelta(seconds=7), km=12.48, minutes=65)
    upload(client, ("export.zip", export), ("watch.fit", fit(again)))
    batch = latest_batch()
    assert (batch.imported, batch.duplicates) == (0, 3)
    assert Run.objects.count() == 2


def test_an_import_links_runs_to_that_days_episodes(client: Client, owner: User) -> None:
    episode = make_episode(owner, days_ago=1)
    day = timezone.localdate() - timedelta(days=1)
    run = Sample(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))
    client.force_login(owner)
    upload(client, ("run.gpx", gpx(run)))
    assert Run.objects.get().episode == episode


def test_an_unexpected_error_stops_the_import_with_a_message(
    owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = import_batch_create(user=owner, files=[("run.gpx", gpx(RUN))])

    def broken(*args: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("legs.history.run_import._import", broken)
    process_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert batch.errors[-1]["problem"].startswith("the import stopped")
    assert not ImportFile.objects.exists()


def test_an_activities_csv_with_a_field_over_the_csv_limit_is_reported_and_the_rest_import(
    owner: User,
) -> None:
    from tests.runfiles import strava_csv

    good = strava_csv([StravaActivity(7, Sample(START + timedelta(days=1)))])
    # A notes column far over the csv module's 128 KB field limit.
    huge = good + b'8,"' + b"x" * 200_000 + b'"\n'
    files = [
        ("activities.csv", huge),
        ("export.zip", zipped([("activities.csv", huge)])),
        ("latin1.csv", "Activity Date,Activity Type\nété,Run\n".encode("latin-1")),
        ("run.gpx", gpx(RUN)),
    ]
    batch = process_batch(import_batch_create(user=owner, files=files).pk)

    assert batch is not None
    assert (batch.status, batch.imported, batch.total) == (ImportStatus.FINISHED, 1, 1)
    assert [e["file"] for e in batch.errors] == ["activities.csv", "export.zip", "latin1.csv"]
    assert "activities.csv is not a readable CSV file" in batch.errors[0]["problem"]
    assert "not UTF-8" in batch.errors[2]["problem"]
    assert Run.objects.get().source == "gpx"


def test_a_file_a_reader_fails_on_is_reported_and_the_rest_import(
    owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(data: bytes, budget: Budget) -> Any:
        raise KeyError("a reader's own bug")

    monkeypatch.setattr(imports, "zip_entries", broken)
    files = [("export.zip", zipped([])), ("run.gpx", gpx(RUN))]
    batch = process_batch(import_batch_create(user=owner, files=files).pk)

    assert batch is not None
    assert (batch.status, batch.imported) == (ImportStatus.FINISHED, 1)
    assert batch.errors == [{"file": "export.zip", "problem": "it could not be read"}]


def test_a_finished_batch_is_not_imported_again(owner: User) -> None:
    batch = import_batch_create(user=owner, files=[("run.gpx", gpx(RUN))])
    process_batch(batch.pk)
    ImportFile.objects.create(batch=batch, name="late.gpx", data=gpx(RUN))
    process_batch(batch.pk)
    assert Run.objects.count() == 1


def test_a_batch_another_run_is_importing_is_left_to_it(owner: User) -> None:
    """The worker runs a task again after TASKS_STALE_SECONDS in case its worker died; an
    import still moving is not run twice at once."""
    batch = import_batch_create(user=owner, files=[("run.gpx", gpx(RUN))])
    moving = timezone.now() - timedelta(seconds=60)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.RUNNING, progress_at=moving, total=5, done=2
    )

    again = process_batch(batch.pk)

    assert again is not None
    assert (again.status, again.total, again.done, again.progress_at) == ("running", 5, 2, moving)
    assert not Run.objects.exists()
    assert ImportFile.objects.filter(batch=batch).exists()


def test_a_batch_whose_run_died_is_imported_again_from_zero(owner: User, settings: Any) -> None:
    batch = import_batch_create(user=owner, files=[("run.gpx", gpx(RUN)), ("x.gpx", b"<")])
    still = timezone.now() - timedelta(seconds=settings.TASKS_STALE_SECONDS + 1)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.RUNNING,
        progress_at=still,
        errors=[{"file": "old.gpx", "problem": "from the dead run"}],
        **dict.fromkeys(("total", "done", "imported", "duplicates", "skipped"), 9),
    )

    again = process_batch(batch.pk)

    assert again is not None
    assert (again.status, again.total, again.done) == ("finished", 2, 2)
    assert (again.imported, again.duplicates, again.skipped) == (1, 0, 0)
    assert [e["file"] for e in again.errors] == ["x.gpx"]
    assert again.progress_at is not None and again.progress_at > still
    assert Run.objects.count() == 1


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("notes.txt", b"hello")], "notes.txt: not a GPX, FIT, TCX"),
        ([("empty.gpx", b"")], "empty.gpx: That file is empty."),
        ([], "Choose at least one file."),
    ],
)
def test_wrong_or_empty_files_are_refused_with_a_message(
    client: Client, owner: User, files: list[tuple[str, bytes]], message: str
) -> None:
    client.force_login(owner)
    response = upload(client, *files)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_an_upload_over_the_limit_is_refused_before_it_is_stored(
    client: Client, owner: User, settings: Any
) -> None:
    settings.RUNS_IMPORT_MAX_UPLOAD_MB = 1
    client.force_login(owner)
    response = upload(client, ("big.gpx", b"<gpx>" + b" " * (1024 * 1024 + 10) + b"</gpx>"))
    assert response.status_code == 413
    assert "larger than 1 MB, so nothing was read" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_too_many_files_at_once_is_a_message_not_an_error_page(
    client: Client, owner: User, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    client.force_login(owner)
    response = upload(client, *[(f"r{i}.gpx", gpx(RUN)) for i in range(3)])
    assert response.status_code == 400
    assert "At most 2 files at a time" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_an_upload_without_the_csrf_token_is_refused(owner: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert upload(client, ("run.gpx", gpx(RUN))).status_code == 403
    assert not ImportBatch.objects.exists()


# ACCESS


def test_the_import_page_needs_a_login(client: Client) -> None:
    response = client.get(IMPORT)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", ["import_status", "import_status_json"])
def test_an_import_is_its_owners_only(
    client: Client, owner: User, outsider: User, name: str
) -> None:
    batch = import_batch_create(user=owner, files=[("run.gpx", gpx(RUN))])
    url = reverse(f"history:{name}", args=[batch.pk])
    assert client.get(url).status_code == 302
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(owner)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405


def test_the_status_json_follows_a_waiting_import(client: Client, owner: User) -> None:
    batch = import_batch_create(user=owner, files=[("a.gpx", gpx(RUN))])
    client.force_login(owner)
    url = reverse("history:import_status_json", args=[batch.pk])
    waiting = client.get(url)
    assert waiting["Cache-Control"].count("no-store") == 1
    assert waiting.json() == {
        "status": "waiting",
        "status_text": "Waiting to start",
        "finished": False,
        "total": 0,
        "done": 0,
        "percent": 0,
        "imported": 0,
        "duplicates": 0,
        "skipped": 0,
        "problems": 0,
    }
    page = client.get(batch.get_absolute_url()).content.decode()
    assert 'data-import-status="' in page and "Refresh</a>" in page
    assert "import-progress.js" in page
    process_batch(batch.pk)
    finished = client.get(url).json()
    assert (finished["finished"], finished["percent"], finished["imported"]) == (True, 100, 1)


def test_the_import_page_lists_recent_imports_in_a_fixed_number_of_queries(
    client: Client, owner: User, outsider: User, django_assert_num_queries: Any
) -> None:
    for _ in range(3):
        import_batch_create(user=owner, files=[])
    import_batch_create(user=outsider, files=[])
    client.force_login(owner)
    # 1 session, 2 user, 3 the latest imports
    with django_assert_num_queries(3):
        response = client.get(IMPORT)
    assert len(response.context["recent"]) == 3


def test_episodes_are_untouched_by_a_failed_upload(client: Client, owner: User) -> None:
    make_episode(owner)
    client.force_login(owner)
    upload(client, ("bad.fit", b"nope"))
    assert Episode.objects.count() == 1
    assert not Run.objects.exists()
