"""The fixed backdrop of synthetic incidents: place tree, organisations, sources, names."""

import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from tracker.demo.synthetic_dates import FIRST_YEAR, LAST_YEAR, random_day
from tracker.domain.dates import DatePrecision, DateQualifier, FuzzyDate
from tracker.domain.text import fold_for_search
from tracker.services.vocabularies import detect_script

Row = dict[str, Any]
# Azerbaijani Latin to Russian Cyrillic, letter by letter: rough, as newspapers do it.
AZ_TO_CYRILLIC = str.maketrans(
    {
        "a": "а",
        "b": "б",
        "c": "дж",
        "ç": "ч",
        "d": "д",
        "e": "е",
        "ə": "э",
        "f": "ф",
        "g": "г",
        "ğ": "г",
        "h": "х",
        "x": "х",
        "ı": "ы",
        "i": "и",
        "j": "ж",
        "k": "к",
        "q": "г",
        "l": "л",
        "m": "м",
        "n": "н",
        "o": "о",
        "ö": "ё",
        "p": "п",
        "r": "р",
        "s": "с",
        "ş": "ш",
        "t": "т",
        "u": "у",
        "ü": "ю",
        "v": "в",
        "y": "й",
        "z": "з",
        "A": "А",
        "B": "Б",
        "C": "Дж",
        "Ç": "Ч",
        "D": "Д",
        "E": "Е",
        "Ə": "Э",
        "F": "Ф",
        "G": "Г",
        "H": "Х",
        "X": "Х",
        "I": "Ы",
        "İ": "И",
        "J": "Ж",
        "K": "К",
        "Q": "Г",
        "L": "Л",
        "M": "М",
        "N": "Н",
        "O": "О",
        "Ö": "Ё",
        "P": "П",
        "R": "Р",
        "S": "С",
        "Ş": "Ш",
        "T": "Т",
        "U": "У",
        "Ü": "Ю",
        "V": "В",
        "Y": "Й",
        "Z": "З",
    }
)
SOURCE_KINDS = {
    "victim_testimony": 20,
    "witness_testimony": 12,
    "lawyer_account": 8,
    "ngo_report": 20,
    "media_article": 20,
    "social_media_post": 12,
    "official_document": 5,
    "medical_record": 3,
}
RELIABILITY_WEIGHTS = {"A": 5, "B": 25, "C": 35, "D": 15, "E": 5, "F": 15}


@cache
def material() -> dict[str, Any]:
    """The word lists shipped beside this module."""
    text = resources.files("tracker.demo").joinpath("synthetic_material.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def cyrillic_of(text: str) -> str:
    return text.translate(AZ_TO_CYRILLIC)


@dataclass
class World:
    """Rows of the backdrop, and the pools incidents draw from."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    places: list[tuple[uuid.UUID, str, int]] = field(default_factory=list)
    police_units: list[uuid.UUID] = field(default_factory=list)
    state_bodies: list[uuid.UUID] = field(default_factory=list)
    media: list[uuid.UUID] = field(default_factory=list)
    institutions: list[uuid.UUID] = field(default_factory=list)
    sources: list[uuid.UUID] = field(default_factory=list)

    def add(self, table: str, row: Row) -> Row:
        self.rows.setdefault(table, []).append(row)
        return row


class WorldBuilder:
    """Builds the backdrop; `new_id` draws UUIDs from the run's seeded generator."""

    def __init__(self, rng: random.Random, new_id: Callable[[], uuid.UUID]) -> None:
        self.rng, self.new_id, self.world = rng, new_id, World()

    def build(self, *, source_count: int, site_count: int) -> World:
        self.place_tree(site_count)
        self.organisations()
        for _ in range(source_count):
            self.source()
        return self.world

    # --- places -------------------------------------------------------------------------

    def place(
        self,
        names: list[str],
        kind: str,
        parent: uuid.UUID | None,
        precision: int,
        platform: str = "",
    ) -> uuid.UUID:
        place_id = self.new_id()
        self.world.add(
            "place",
            {
                "id": place_id,
                "name": names[0],
                "kind": kind,
                "parent_id": parent,
                "geo_precision": precision,
                "platform": platform,
            },
        )
        for text in dict.fromkeys(names):
            self.world.add(
                "place_alias",
                {
                    "id": self.new_id(),
                    "place_id": place_id,
                    "text": text,
                    "script": detect_script(text),
                    "folded": fold_for_search(text),
                },
            )
        self.world.places.append((place_id, kind, precision))
        return place_id

    def place_tree(self, site_count: int) -> None:
        words = material()
        country = self.place(words["country"], "country", None, 4)
        parents = [self.first_level(names, country) for names in words["cities"]]
        parents += [self.first_level(names, country) for names in words["rayons"]]
        baku = parents[0]
        parents += [self.place(names, "district", baku, 2) for names in words["baku_raions"]]
        for _ in range(site_count):
            self.site(self.rng.choice(parents))
        for platform in words["platforms"]:
            self.place([f"Online: {platform}"], "online", None, 5, platform)

    def first_level(self, names: list[str], country: uuid.UUID) -> uuid.UUID:
        return self.place(names, "first_level_unit", country, 3)

    def site(self, parent: uuid.UUID) -> uuid.UUID:
        words = material()
        template = self.rng.choice(words["site_kinds"])
        name = template.format(n=self.rng.randint(1, 40), street=self.rng.choice(words["streets"]))
        return self.place([name[0].upper() + name[1:]], "site", parent, 1)

    # --- organisations ------------------------------------------------------------------

    def organisation(
        self,
        name: str,
        kind: str,
        relation: str,
        perpetrator_type: str,
        parent: uuid.UUID | None = None,
        aliases: tuple[str, ...] = (),
    ) -> uuid.UUID:
        organisation_id = self.new_id()
        self.world.add(
            "organisation",
            {
                "id": organisation_id,
                "name": name,
                "kind": kind,
                "parent_id": parent,
                "state_relation": relation,
                "perpetrator_type": perpetrator_type,
            },
        )
        for text in aliases:
            self.world.add(
                "organisation_alias",
                {
                    "id": self.new_id(),
                    "organisation_id": organisation_id,
                    "text": text,
                    "script": detect_script(text),
                    "folded": fold_for_search(text),
                },
            )
        return organisation_id

    def state(
        self, name: str, kind: str, parent: uuid.UUID | None, aliases: tuple[str, ...] = ()
    ) -> uuid.UUID:
        return self.organisation(name, kind, "state", "state_agent", parent, aliases)

    def organisations(self) -> None:
        words, world = material(), self.world
        ministry = self.state(
            "Ministry of Internal Affairs",
            "ministry",
            None,
            ("Daxili İşlər Nazirliyi", "Министерство внутренних дел"),
        )
        baku_police = self.state(
            "Baku City Main Police Department",
            "department",
            ministry,
            ("Bakı şəhər Baş Polis İdarəsi",),
        )
        for english, azerbaijani, russian in words["baku_raions"]:
            district = self.state(
                f"{english} District Police Department",
                "department",
                baku_police,
                (f"{azerbaijani} RPİ", f"{russian} РУП"),
            )
            world.police_units += [district] + [
                self.state(f"Police station No. {number} ({english})", "police_station", district)
                for number in range(1, 4)
            ]
        for english, azerbaijani, _russian in words["cities"][1:] + words["rayons"]:
            world.police_units.append(
                self.state(
                    f"{english} Police Department",
                    "department",
                    ministry,
                    (f"{azerbaijani} Polis İdarəsi",),
                )
            )
        self.other_state_bodies()
        self.non_state_bodies()

    def other_state_bodies(self) -> None:
        words, world = material(), self.world
        world.state_bodies += [
            self.state(
                "State Security Service",
                "security_service",
                None,
                ("Dövlət Təhlükəsizliyi Xidməti", "Служба государственной безопасности"),
            ),
            self.state("Prosecutor General's Office", "prosecutor", None, ("Baş Prokurorluq",)),
            self.state("Baku Court of Appeal", "court", None, ("Bakı Apellyasiya Məhkəməsi",)),
        ]
        world.state_bodies += [
            self.state(
                f"{english} District Court", "court", None, (f"{azerbaijani} Rayon Məhkəməsi",)
            )
            for english, azerbaijani, _russian in words["baku_raions"]
        ]
        world.media += [
            self.organisation(
                name, "media_outlet", "state_affiliated", "state_affiliated", aliases=(name,)
            )
            for name in words["media_outlets"]
        ]

    def non_state_bodies(self) -> None:
        words, world = material(), self.world
        for name in words["ngos"]:
            self.organisation(name, "ngo", "non_state", "non_state_institution", aliases=(name,))
        world.institutions += [
            self.organisation(
                template.format(n=number), "other", "non_state", "non_state_institution"
            )
            for template in words["institutions"]
            for number in range(1, 4)
        ]

    # --- sources ------------------------------------------------------------------------

    def source(self) -> None:
        rng = self.rng
        kind = rng.choices(tuple(SOURCE_KINDS), weights=tuple(SOURCE_KINDS.values()))[0]
        source_id = self.new_id()
        published = random_day(rng)
        number = len(self.world.sources) + 1
        online = kind in ("media_article", "social_media_post", "ngo_report")
        self.world.add(
            "source",
            {
                "id": source_id,
                "kind": kind,
                "title": f"{kind.replace('_', ' ').capitalize()} no. {number}",
                "url": f"https://example.org/synthetic/{source_id.hex[:12]}" if online else "",
                "published_on": FuzzyDate(
                    f"{published:%d.%m.%Y}",
                    published,
                    published,
                    DatePrecision.DAY,
                    DateQualifier.EXACT,
                ),
                "accessed_on": date(min(published.year + 1, LAST_YEAR), 6, 1),
                "reliability": rng.choices(
                    tuple(RELIABILITY_WEIGHTS), weights=tuple(RELIABILITY_WEIGHTS.values())
                )[0],
                "citation_text": f"Synthetic source {number} (not a real document).",
            },
        )
        self.world.sources.append(source_id)


def random_name(rng: random.Random) -> Iterator[tuple[str, str, str]]:
    """A person's names as (text, script, kind): Azerbaijani or Russian, with a transliteration."""
    words = material()
    female = rng.random() < 0.5
    if rng.random() < 0.15:
        first = rng.choice(words["russian_female_first" if female else "russian_male_first"])
        last = rng.choice(words["russian_surnames"]) + ("а" if female else "")
        yield f"{first} {last}", "cyrl", "legal"
        return
    first = rng.choice(words["female_first" if female else "male_first"])
    last = rng.choice(words["surnames"]) + ("a" if female else "")
    yield f"{first} {last}", "latn", "legal"
    if rng.random() < 0.5:
        yield cyrillic_of(f"{first} {last}"), "cyrl", "transliteration"


__all__ = ["FIRST_YEAR", "World", "WorldBuilder", "cyrillic_of", "material", "random_name"]
