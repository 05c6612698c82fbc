"""Numbers, amounts, dates, units and the report's own words, in the reader's language (fr or en).

The report is the only view written for a reader rather than an auditor's
tool, so it alone is localised: a decimal comma and narrow no-break spaces
between thousands in French, a point and commas in English (CLDR's rules,
through Babel), dates in words, "€" and "kgCO₂e". The decision's sentences
and the referential's texts stay in the referential's language: they are
quoted, never translated.

A reported value's unit is read from its name's suffix (`…_kgco2e`, `…_eur`,
`…_g_per_eur`), the convention the bundled rules follow; a referential value's
unit is the one its version writes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from engine.compilation.expressions import format_value

LANGUAGES = ("en", "fr")
_CLDR = {"en": "en_GB", "fr": "fr_FR"}  # en_GB: the day before the month, as the schemes' texts write dates
_SYMBOLS = ((re.compile(r"CO2(?!\d)"), "CO₂"), (re.compile(r"\bEUR\b"), "€"))
NO_BREAK = "\u00a0"

# name suffix -> unit, the longest suffix first (a factor per euro is not an amount in euros)
_UNIT_SUFFIXES = (
    ("_kgco2e_per_unit", "kgCO₂e per unit"),
    ("_kgco2e_per_eur", "kgCO₂e/€"),
    ("_g_per_eur", "g/€"),
    ("_eur_excl_vat", "€ {excl_vat}"),
    ("_kgco2e", "kgCO₂e"),
    ("_tco2e", "tCO₂e"),
    ("_percent", "%"),
    ("_eur", "€"),
)


def unit_of(name: str) -> str | None:
    """The unit a reported value's name carries in its suffix, if any (`total_credits_tco2e` -> tCO₂e)."""
    return next((unit for suffix, unit in _UNIT_SUFFIXES if name.endswith(suffix)), None)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Locale:
    """How one language writes the report: its catalogue of words and its ways with numbers and dates."""

    lang: str

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"no report language {self.lang!r}: {', '.join(LANGUAGES)}")

    def word(self, key: str) -> str:
        """A word or phrase of the page (KeyError on an unknown key: a bug of the template)."""
        return CATALOGUE[self.lang][key]

    def term(self, kind: str, value: str) -> str:
        """A term of the decision (a severity, a version's mode) in words, or as written when the catalogue has none."""
        return CATALOGUE[self.lang].get(f"{kind}_{value}", value)

    def number(self, value: int | float) -> str:
        """A number as the engine's sentences round it (up to six decimals), in the locale's notation."""
        return format_decimal(Decimal(format_value(value)), locale=_CLDR[self.lang], decimal_quantization=False)

    def date(self, value: Any) -> str:
        """An ISO date in words (`21 mai 2024`, `21 May 2024`); anything else as written."""
        try:
            day = dt.date.fromisoformat(value) if isinstance(value, str) else value
        except ValueError:
            return value
        return format_date(day, format="long", locale=_CLDR[self.lang]) if isinstance(day, dt.date) else str(value)

    def moment(self, value: Any) -> str:
        """An ISO timestamp (when a store recorded a decision) in words, in UTC; a date alone as `date` writes it;
        anything else as written."""
        if isinstance(value, str) and len(value) == len("YYYY-MM-DD"):
            return self.date(value)
        try:
            when = dt.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return str(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return f"{format_datetime(when, format='medium', tzinfo=dt.UTC, locale=_CLDR[self.lang])} UTC"

    def unit(self, unit: str) -> str:
        """A unit as written in a referential, with its symbols (`EUR excl. VAT` -> `€ excl. VAT`, `kgCO2e` -> `kgCO₂e`)."""
        for pattern, symbol in _SYMBOLS:
            unit = pattern.sub(symbol, unit)
        return unit.replace("{excl_vat}", self.word("excl_vat"))

    def quantity(self, value: int | float, unit: str | None) -> str:
        """A number with its unit, never broken across lines: `1 250,50 € HT`, `25 kgCO₂e`, `35 %`."""
        if not unit:
            return self.number(value)
        unit = self.unit(unit)
        if unit == "€" or unit.startswith("€ "):
            amount = format_currency(Decimal(format_value(value)), "EUR", locale=_CLDR[self.lang])
            rest = unit[1:].strip()
            return f"{amount}{NO_BREAK}{rest}" if rest else amount
        if unit == "%" and self.lang == "en":
            return f"{self.number(value)}%"
        return f"{self.number(value)}{NO_BREAK}{unit}"

    def scalar(self, value: Any, unit: str | None = None) -> str:
        """A value that is not a list or a record: yes/no, a number (with its unit), a text as it is.

        A date in a value stays ISO (2027-05-21), as unambiguous in both languages: a text that looks
        like a date may be a version's id, which must read as written.
        """
        if isinstance(value, bool):
            return self.word("yes") if value else self.word("no")
        if value is None:
            return self.word("not_given")
        if is_number(value):
            return self.quantity(value, unit)
        return str(value)


def is_scalar(value: Any) -> bool:
    return not isinstance(value, list | tuple | Mapping)


# The page's words. Both languages hold the same keys (tests/test_report.py checks).
CATALOGUE: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "Decision report",
        "scheme": "Scheme",
        "procedure": "Procedure",
        "dossier": "Dossier",
        "cycle": "Cycle",
        "cycle_anchor": "cycle anchor",
        "event_date": "Date of the event decided",
        "evaluator": "Evaluator",
        "decided_at": "Decided on",
        "outcome": "Outcome",
        "forced": "Version {version} was forced by the evaluator.",
        "values": "Values",
        "findings": "Findings",
        "no_findings": "No finding.",
        "severity": "Severity",
        "severity_error": "error",
        "severity_warning": "warning",
        "severity_info": "information",
        "message": "Message",
        "clause": "Clause",
        "step": "step",
        "see_step": "see step {id}",
        "versions": "Versions applied",
        "versions_intro": "Each section of the referential is taken from the version the rules of time give, for the reason stated.",
        "section": "Section",
        "whole_cycle": "the whole cycle",
        "version": "Version",
        "why": "Why",
        "mode_pinned": "pinned to the cycle",
        "mode_event_date": "follows the event date",
        "mode_retroactive": "retroactive",
        "mode_forced": "forced",
        "mode_repealed": "repealed",
        "mode_not_encoded": "not encoded",
        "trail": "How the decision was reached",
        "trail_intro": "Each step opens onto the steps and the values it rests on, down to the dossier's facts and the referential's values.",
        "trail_outcome": "The outcome",
        "trail_values": "The other values reported",
        "trail_findings": "The steps that raised the findings",
        "rule": "Rule",
        "because": "Reason",
        "quoted": "Text of {clause}",
        "no_text": "The referential quotes no text for {clause}.",
        "reading": "Reading {id}",
        "premises": "Rests on",
        "dossier_fact": "dossier, {path}",
        "referential_value": "{clause} · version {version}, section {section}",
        "version_selection": "version selection of section {section}",
        "unresolved": "not shown: {why}",
        "in_appendix": "shown in the appendix",
        "facts": "Dossier facts read",
        "referential_values": "Referential values read",
        "digests": "Digests and seal",
        "digests_intro": "The digests identify what the decision was computed from; replaying it under the same ones must give the same decision.",
        "digest_dossier": "Dossier",
        "digest_rules": "Rule files",
        "digest_engine": "Engine",
        "digest_ledger": "Ledger (FEC)",
        "digest_lock": "Publication lock",
        "seal": "Seal",
        "seal_verified": "verified: the decision is the one that was sealed",
        "seal_none": "none: a {format} decision, written before decisions were sealed; whether it was altered cannot be told",
        "replay": "Replay",
        "verdict_reproduced": "reproduced",
        "verdict_differing": "NOT reproduced",
        "verdict_unverifiable": "could not be judged again",
        "replay_row": "row {row} of the decision store",
        "replay_not_stored": "not in the decision store",
        "replay_under_recorded": "judged again under the versions recorded with it",
        "replay_under_named": "judged again under the versions it names, its dossier from the store",
        "replay_difference": "first difference: {difference}",
        "replay_because": "because: {because}",
        "replay_not_done": "not replayed (no decision store was given)",
        "replay_unsealed": "not replayed: a {format} decision has no seal to compare a replay with",
        "yes": "yes",
        "no": "no",
        "not_given": "not given",
        "none": "none",
        "excl_vat": "excl. VAT",
        "expand_all": "Open every step",
        "collapse_all": "Close every step",
        "generated": "Report made by {engine} from the decision file; the decision, not this page, is the record.",
    },
    "fr": {
        "title": "Rapport de décision",
        "scheme": "Dispositif",
        "procedure": "Procédure",
        "dossier": "Dossier",
        "cycle": "Cycle",
        "cycle_anchor": "date d’ancrage du cycle",
        "event_date": "Date de l’événement décidé",
        "evaluator": "Évaluateur",
        "decided_at": "Décidé le",
        "outcome": "Issue",
        "forced": "La version {version} a été imposée par l’évaluateur.",
        "values": "Valeurs",
        "findings": "Constats",
        "no_findings": "Aucun constat.",
        "severity": "Gravité",
        "severity_error": "erreur",
        "severity_warning": "avertissement",
        "severity_info": "information",
        "message": "Message",
        "clause": "Clause",
        "step": "étape",
        "see_step": "voir l’étape {id}",
        "versions": "Versions appliquées",
        "versions_intro": "Chaque section du référentiel est prise dans la version que donnent les règles d’application dans le temps, pour la raison indiquée.",
        "section": "Section",
        "whole_cycle": "tout le cycle",
        "version": "Version",
        "why": "Pourquoi",
        "mode_pinned": "figée au début du cycle",
        "mode_event_date": "suit la date de l’événement",
        "mode_retroactive": "rétroactive",
        "mode_forced": "imposée",
        "mode_repealed": "abrogée",
        "mode_not_encoded": "non transcrite",
        "trail": "Comment la décision a été prise",
        "trail_intro": "Chaque étape s’ouvre sur les étapes et les valeurs dont elle dépend, jusqu’aux faits du dossier et aux valeurs du référentiel.",
        "trail_outcome": "L’issue",
        "trail_values": "Les autres valeurs rapportées",
        "trail_findings": "Les étapes qui ont relevé les constats",
        "rule": "Règle",
        "because": "Motif",
        "quoted": "Texte de {clause}",
        "no_text": "Le référentiel ne cite pas de texte pour {clause}.",
        "reading": "Lecture {id}",
        "premises": "Repose sur",
        "dossier_fact": "dossier, {path}",
        "referential_value": "{clause} · version {version}, section {section}",
        "version_selection": "choix de la version de la section {section}",
        "unresolved": "non affiché : {why}",
        "in_appendix": "voir en annexe",
        "facts": "Faits du dossier lus",
        "referential_values": "Valeurs du référentiel lues",
        "digests": "Empreintes et scellé",
        "digests_intro": "Les empreintes identifient ce dont la décision a été calculée ; la rejouer sous les mêmes doit donner la même décision.",
        "digest_dossier": "Dossier",
        "digest_rules": "Fichiers de règles",
        "digest_engine": "Moteur",
        "digest_ledger": "Fichier des écritures comptables (FEC)",
        "digest_lock": "Verrou de publication",
        "seal": "Scellé",
        "seal_verified": "vérifié : la décision est celle qui a été scellée",
        "seal_none": "aucun : une décision {format}, écrite avant que les décisions soient scellées ; on ne peut dire si elle a été modifiée",
        "replay": "Rejeu",
        "verdict_reproduced": "reproduite",
        "verdict_differing": "NON reproduite",
        "verdict_unverifiable": "n’a pu être rejugée",
        "replay_row": "ligne {row} du registre de décisions",
        "replay_not_stored": "absente du registre de décisions",
        "replay_under_recorded": "rejugée sous les versions enregistrées avec elle",
        "replay_under_named": "rejugée sous les versions qu’elle nomme, son dossier tiré du registre",
        "replay_difference": "première différence : {difference}",
        "replay_because": "parce que : {because}",
        "replay_not_done": "non rejouée (aucun registre de décisions n’a été donné)",
        "replay_unsealed": "non rejouée : une décision {format} n’a pas de scellé auquel comparer un rejeu",
        "yes": "oui",
        "no": "non",
        "not_given": "non renseigné",
        "none": "aucun",
        "excl_vat": "HT",
        "expand_all": "Ouvrir toutes les étapes",
        "collapse_all": "Fermer toutes les étapes",
        "generated": "Rapport établi par {engine} à partir du fichier de décision ; c’est la décision, non cette page, qui fait foi.",
    },
}
