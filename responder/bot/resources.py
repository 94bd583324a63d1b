"""Local help: each country's emergency, reporting, helpline and image-removal services.

Kept in content/resources/, one file per country plus international.toml, each entry
with where it was checked and when. An entry is shown to texters only when an
operator has marked it verified: a wrong number given to a child in crisis is worse
than none, so where nothing verified exists the texter is told what to do instead.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from responder.bot.problems import Problem

ROLES = ("emergency", "police", "child", "adult", "crisis", "removal")
CONFIDENCES = ("H", "M", "L", "NV")
INTERNATIONAL = "international"
STALE_AFTER = timedelta(days=180)
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
FIELDS = {
    "role",
    "name",
    "contact",
    "source",
    "checked",
    "confidence",
    "verified",
    "note",
    "audience",
}
OPTIONAL = {"note", "audience"}
# Who an entry is for, when only one age group can use it; without it, anyone.
AUDIENCES = ("under_18", "adult")


@dataclass(frozen=True)
class Resource:
    role: str
    # Name and contact as texters see them, by language; "en" is always there and is
    # used for a language the entry does not spell out.
    names: Mapping[str, str]
    contacts: Mapping[str, str]
    source: str
    checked: date
    confidence: str
    verified: bool
    note: str = ""
    audience: str | None = None  # "under_18" or "adult"; None: anyone

    def fits(self, under_18: bool | None) -> bool:
        """Can a texter of this age use it? None (age unknown) fits every entry."""
        if under_18 is None or self.audience is None:
            return True
        return self.audience == ("under_18" if under_18 else "adult")

    @property
    def name(self) -> str:
        return self.names["en"]

    def line(self, language: str = "en") -> str:
        name = self.names.get(language, self.names["en"])
        contact = self.contacts.get(language, self.contacts["en"])
        return f"{name}: {contact}"

    def lines(self) -> set[str]:
        """The entry as every language shows it."""
        return {self.line(code) for code in {*self.names, *self.contacts}}


@dataclass(frozen=True)
class Place:
    """A country, or the international fallback, with its resources."""

    code: str
    # The country's name by language; "en" is always there and stands in for the rest.
    names: Mapping[str, str]
    file: Path
    resources: tuple[Resource, ...]

    def verified(self, role: str) -> tuple[Resource, ...]:
        return tuple(r for r in self.resources if r.role == role and r.verified)


@dataclass(frozen=True)
class Directory:
    places: Mapping[str, Place]  # by upper-case ISO code
    international: Place

    def entries(self, country: str | None, role: str) -> tuple[Resource, ...]:
        """Return the verified entries of a role for a country, else the international ones.

        Image-removal services work across borders, so a country's own come first and
        the international ones follow.
        """
        place = self.places.get(country or "")
        own = place.verified(role) if place else ()
        if role == "removal":
            seen = {r.name for r in own}
            return own + tuple(r for r in self.international.verified(role) if r.name not in seen)
        return own or self.international.verified(role)

    def own(self, country: str | None, role: str, under_18: bool | None) -> tuple[Resource, ...]:
        """Return a country's own verified entries of a role that fit the texter's age."""
        place = self.places.get(country or "")
        return tuple(r for r in place.verified(role) if r.fits(under_18)) if place else ()

    def international_entries(self, role: str, under_18: bool | None) -> tuple[Resource, ...]:
        """Return the verified international entries of a role that fit the texter's age."""
        return tuple(r for r in self.international.verified(role) if r.fits(under_18))

    def name(self, country: str | None, language: str = "en") -> str | None:
        """Return the country's name as a texter of that language reads it, if known."""
        place = self.places.get(country or "")
        return place.names.get(language, place.names["en"]) if place else None


def load(folder: Path, problems: list[Problem]) -> Directory | None:
    """Read content/resources/; append every problem found and return None if any."""
    before = len(problems)
    places: dict[str, Place] = {}
    international: Place | None = None
    if not folder.is_dir():
        problems.append(Problem(str(folder), "-", "the resources folder is missing"))
        return None
    for path in sorted(folder.glob("*.toml")):
        place = _place(path, problems)
        if place is None:
            continue
        if place.code == INTERNATIONAL:
            international = place
        else:
            places[place.code] = place
    if international is None and len(problems) == before:
        problems.append(Problem(str(folder / "international.toml"), "-", "file is missing"))
    if len(problems) > before or international is None:
        return None
    return Directory(MappingProxyType(places), international)


def stale(directory: Directory, today: date) -> list[Problem]:
    """Warn about entries not checked for more than 180 days."""
    warnings = []
    for place in (*directory.places.values(), directory.international):
        for number, resource in enumerate(place.resources, 1):
            age = today - resource.checked
            if age > STALE_AFTER:
                warnings.append(
                    Problem(
                        str(place.file),
                        f"resources #{number} ({resource.name})",
                        f"last checked {age.days} days ago; check it again",
                        warning=True,
                    )
                )
    return warnings


def _place(path: Path, problems: list[Problem]) -> Place | None:
    file = str(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem(file, "-", f"not valid TOML: {exc}"))
        return None
    code, name = data.get("country"), data.get("name")
    expected = path.stem if path.stem == INTERNATIONAL else path.stem.upper()
    if code != expected or (code != INTERNATIONAL and not COUNTRY_CODE.match(code)):
        problems.append(Problem(file, "country", f"must be {expected!r}, as the file name says"))
        return None
    names = _by_language(name)
    if names is None:
        problems.append(
            Problem(file, "name", "needs the country's name: text, or a table by language with en")
        )
        return None
    resources = []
    for number, table in enumerate(data.get("resources", []), 1):
        resource = _resource(file, f"resources #{number}", table, problems)
        if resource is not None:
            resources.append(resource)
    return Place(code, names, path, tuple(resources))


def _resource(file: str, entry: str, table: Any, problems: list[Problem]) -> Resource | None:
    if not isinstance(table, dict):
        problems.append(Problem(file, entry, "must be a [[resources]] table"))
        return None
    unknown = set(table) - FIELDS
    missing = FIELDS - OPTIONAL - set(table)
    if unknown or missing:
        said = [f"unknown fields: {', '.join(sorted(unknown))}"] if unknown else []
        said += [f"missing fields: {', '.join(sorted(missing))}"] if missing else []
        problems.append(Problem(file, entry, "; ".join(said)))
        return None
    role, confidence, checked = table["role"], table["confidence"], table["checked"]
    if role not in ROLES:
        problems.append(Problem(file, entry, f"role must be one of {', '.join(ROLES)}"))
        return None
    if confidence not in CONFIDENCES:
        problems.append(Problem(file, entry, f"confidence must be one of {', '.join(CONFIDENCES)}"))
        return None
    if not isinstance(checked, date):
        problems.append(Problem(file, entry, "checked must be a date like 2026-11-28"))
        return None
    if not isinstance(table["verified"], bool):
        problems.append(Problem(file, entry, "verified must be true or false"))
        return None
    names, contacts = _by_language(table["name"]), _by_language(table["contact"])
    source = table["source"]
    if names is None or contacts is None or not isinstance(source, str) or not source.strip():
        problems.append(
            Problem(
                file,
                entry,
                "name and contact must be text, or tables of text by language with en; "
                "source must be text",
            )
        )
        return None
    if table.get("audience", AUDIENCES[0]) not in AUDIENCES:
        problems.append(Problem(file, entry, f"audience must be one of {', '.join(AUDIENCES)}"))
        return None
    if table["verified"] and confidence not in ("H", "M"):
        problems.append(
            Problem(file, entry, f"confidence {confidence} cannot be verified; check it first")
        )
        return None
    return Resource(
        role,
        names,
        contacts,
        source.strip(),
        checked,
        confidence,
        table["verified"],
        str(table.get("note", "")),
        table.get("audience"),
    )


def _by_language(value: Any) -> Mapping[str, str] | None:
    """Read a text, or a table of texts by language code that includes en."""
    if isinstance(value, str) and value.strip():
        return MappingProxyType({"en": value.strip()})
    if (
        isinstance(value, dict)
        and "en" in value
        and all(isinstance(v, str) and v.strip() for v in value.values())
    ):
        return MappingProxyType({code: text.strip() for code, text in value.items()})
    return None
