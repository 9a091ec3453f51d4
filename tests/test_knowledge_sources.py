"""Every seed cause cites authoritative sources only: national health services and public
agencies, professional bodies, consensus statements, and peer-reviewed papers with a DOI or a
PubMed ID. Never a blog, a clinic's or brand's marketing page, a content farm, an answer engine
or an aggregator, even when it says the same thing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

SEED_DIR = Path(__file__).resolve().parents[1] / "legs" / "knowledge" / "seed"

# Refused whatever else is true of the address (a subdomain is refused with its domain).
DENIED = (
    "healthline.com", "verywellhealth.com", "verywellfit.com", "webmd.com", "webmd.boots.com",
    "medicalnewstoday.com", "runnersworld.com", "runnersworld.co.za", "wikipedia.org",
    "blogspot.com", "medium.com", "quora.com", "reddit.com", "consensus.app", "droracle.ai",
    "trustopen.org", "marathonhandbook.com", "blogs.bmj.com",
)  # fmt: skip

# Papers: a DOI or a PubMed ID.
PAPER_HOSTS = ("doi.org", "pubmed.ncbi.nlm.nih.gov")

# National health services and public agencies, professional bodies, consensus statements and
# the journals that publish them, and patient information written by medical institutions.
ALLOWED = (
    "nhs.uk", "nhsinform.scot", "nice.org.uk", "medlineplus.gov", "nih.gov", "cdc.gov",
    "who.int", "cochrane.org", "cochranelibrary.com", "bjsm.bmj.com", "journals.lww.com",
    "bhf.org.uk", "heart.org", "cardiosmart.org", "vascular.org", "acsm.org", "aaos.org",
    "olympics.com", "mayoclinic.org",
)  # fmt: skip


def _within(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def source_problem(url: str) -> str:
    """Why a source address is not acceptable, or "" when it is."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host:
        return "not an https address"
    if _within(host, DENIED):
        return f"{host} is not an authoritative source"
    if host == "doi.org" and not parts.path.startswith("/10."):
        return "a DOI address needs the DOI (10.…) after doi.org/"
    if host == "pubmed.ncbi.nlm.nih.gov" and not parts.path.strip("/").isdigit():
        return "a PubMed address needs the PubMed ID"
    if host in PAPER_HOSTS or _within(host, ALLOWED):
        return ""
    return f"{host} is neither a DOI, a PubMed ID nor an allowed domain"


def seed_sources() -> list[tuple[str, dict[str, Any]]]:
    causes = json.loads((SEED_DIR / "causes.json").read_text(encoding="utf-8"))["causes"]
    return [(cause["slug"], source) for cause in causes for source in cause["sources"]]


@pytest.mark.parametrize(
    ("slug", "source"), seed_sources(), ids=[f"{s}:{x['url']}" for s, x in seed_sources()]
)
def test_every_seed_source_is_authoritative(slug: str, source: dict[str, Any]) -> None:
    assert source_problem(source["url"]) == "", f"{slug}: {source['url']}"
    assert source["title"].strip(), slug


def test_every_seed_cause_has_sources_and_none_twice() -> None:
    causes = json.loads((SEED_DIR / "causes.json").read_text(encoding="utf-8"))["causes"]
    for cause in causes:
        urls = [source["url"] for source in cause["sources"]]
        assert len(urls) >= 2, cause["slug"]
        assert len(set(urls)) == len(urls), cause["slug"]


@pytest.mark.parametrize(
    "url",
    [
        "https://www.healthline.com/health/heavy-legs",
        "https://en.wikipedia.org/wiki/Claudication",
        "https://www.runnersworld.com/uk/training/a36979690/red-s/",
        "https://aradicle.blogspot.com/2009/10/",
        "https://consensus.app/questions/fatigue-from-beta-blockers/",
        "https://health.trustopen.org/disease/2116/",
        "https://blogs.bmj.com/bjsm/2025/10/06/how-much-running-is-too-much",
        "https://fathom.in/most-common-reasons-runners-feel-tired",
        "https://notnhs.uk/conditions/x/",  # a look-alike, not a subdomain
        "http://www.nhs.uk/conditions/sciatica/",
        "https://doi.org/",
        "https://pubmed.ncbi.nlm.nih.gov/?term=heavy+legs",
    ],
)
def test_blogs_aggregators_and_look_alikes_are_refused(url: str) -> None:
    assert source_problem(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.nhs.uk/conditions/sciatica/",
        "https://cks.nice.org.uk/topics/peripheral-arterial-disease/",
        "https://doi.org/10.1007/s00421-020-04360-2",
        "https://pubmed.ncbi.nlm.nih.gov/40623829/",
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC6735969/",
        "https://bjsm.bmj.com/content/52/11/687",
    ],
)
def test_health_services_papers_and_consensus_statements_are_accepted(url: str) -> None:
    assert source_problem(url) == ""
