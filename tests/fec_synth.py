"""Realistic synthetic FEC files (fichier des écritures comptables), for tests and measurement.

    python tests/fec_synth.py OUT --lines N [--seed S] [--separator tab|pipe] [--year 2025] [--defects]

writes a FEC of N entry lines after its header (N + 1 lines in all): one
financial year of a small manufacturer and service company, dated in order
through the year, every entry balanced (debit = credit):

- purchase invoices (journal AC): 60x/61x/62x debit, 44566 VAT debit, 401 credit
  (some in US dollars, with Montantdevise and Idevise);
- sales invoices (VT): 411 debit, 70x and 44571 VAT credit;
- bank (BQ): supplier payments 401/512, customer receipts 512/411, bank charges 627;
- payroll (OD): 641 and 645 debit, 421 and 431 credit;
- fixed-asset purchases (AC): 205, 2154, 2182 or 2183 and 44562 debit, 404 credit;
- the year's depreciation on 31 December (OD): 6811 debit, 28x credit.

With `--defects`, four lines are spoiled at known places (`defect_lines`): a
Debit or Credit written with a decimal point, an impossible EcritureDate, an
account (658800) that the representative mapping leaves unmapped, and a line
cut short of its last two columns. The generator does not use engine/adapters/fec.py,
so that tests can check the reader against it.

From Python: `fec_lines(n, …)` yields the lines, `write_fec(path, n, …)` writes them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path
from typing import Iterator

HEADER = (
    "JournalCode JournalLib EcritureNum EcritureDate CompteNum CompteLib CompAuxNum CompAuxLib PieceRef "
    "PieceDate EcritureLib Debit Credit EcritureLet DateLet ValidDate Montantdevise Idevise"
).split()

SEPARATORS = {"tab": "\t", "pipe": "|"}

# A mapping of Plan comptable général prefixes to purchase categories, as a
# scheme's versioned mapping would give it: longest prefix wins, None leaves an
# account out on purpose. Classes 2, 6 and 7 are in scope.
REPRESENTATIVE_MAPPING: dict[str, str | None] = {
    "601": "raw_materials",
    "602": "supplies",
    "6061": "energy",
    "6063": "small_equipment",
    "6064": "office_supplies",
    "607": "goods_for_resale",
    "61": "external_services",
    "62": "external_services",
    "624": "transport",
    "625": "travel",
    "627": "bank_services",
    "641": None,
    "645": None,
    "681": "depreciation",
    "205": "fixed_assets_services",
    "213": "fixed_assets_buildings",
    "215": "fixed_assets_machinery",
    "2182": "fixed_assets_vehicles",
    "2183": "fixed_assets_machinery",
    "28": None,
    "70": "sales",
}
IN_SCOPE = ("2", "6", "7")
UNMAPPED_ACCOUNT = ("658800", "Charges diverses de gestion courante")

# (code, name, [(account, account label, what is bought)], VAT rate in %)
SUPPLIERS = [
    ("F0001", "EDF Entreprises", [("606110", "Électricité", "électricité")], 20),
    ("F0002", "Engie Pro", [("606120", "Gaz naturel", "gaz")], 20),
    ("F0003", "TotalEnergies Marketing", [("606130", "Carburants", "gazole flotte")], 20),
    ("F0004", "Aciers du Rhône", [("601000", "Achats matières premières", "tôles acier"), ("601000", "Achats matières premières", "profilés")], 20),
    ("F0005", "Würth France", [("602200", "Fournitures consommables", "visserie"), ("606300", "Fournitures d'entretien et petit équipement", "outillage")], 20),
    ("F0006", "Lyreco", [("606400", "Fournitures administratives", "fournitures de bureau")], 20),
    ("F0007", "Négoce Bâti Sud", [("607000", "Achats de marchandises", "marchandises revendues")], 20),
    ("F0008", "Usinage Précis SARL", [("611000", "Sous-traitance générale", "usinage pièces")], 20),
    ("F0009", "SCI Les Tilleuls", [("613200", "Locations immobilières", "loyer atelier")], 20),
    ("F0010", "Maintenance Industrielle 69", [("615500", "Entretien et réparations biens mobiliers", "maintenance presse")], 20),
    ("F0011", "Allianz IARD", [("616000", "Primes d'assurances", "assurance multirisque")], 0),
    ("F0012", "Cabinet Durand & Associés", [("622600", "Honoraires", "honoraires expert-comptable")], 20),
    ("F0013", "Geodis", [("624100", "Transports sur achats", "transport entrant"), ("624200", "Transports sur ventes", "transport sortant")], 20),
    ("F0014", "SNCF Voyageurs", [("625100", "Voyages et déplacements", "billets de train")], 10),
    ("F0015", "Orange Business", [("626000", "Frais postaux et télécommunications", "téléphonie et internet")], 20),
    ("F0016", "Amazon Web Services", [("626000", "Frais postaux et télécommunications", "hébergement informatique")], 20),
]
US_SUPPLIER = "F0016"
CUSTOMERS = [(f"C{i:04d}", name) for i, name in enumerate(
    ["Renault Trucks", "Alstom Transport", "Bouygues Bâtiment", "Mairie de Villeurbanne", "Boulangerie Martin",
     "Groupe Seb", "Clinique du Parc", "Decathlon Logistique", "Atelier Lefèvre", "Vinci Énergies"], 1)]
SALES = [("701000", "Ventes de produits finis", "pièces usinées"), ("706000", "Prestations de services", "maintenance sur site"),
         ("707000", "Ventes de marchandises", "négoce quincaillerie")]
ASSETS = [  # (account, label, what, depreciation account, its label, allowance account)
    ("205000", "Logiciels", "licence ERP", "280500", "Amortissements logiciels", "681110"),
    ("215400", "Matériel industriel", "tour à commande numérique", "281540", "Amortissements matériel industriel", "681120"),
    ("218200", "Matériel de transport", "véhicule utilitaire", "281820", "Amortissements matériel de transport", "681120"),
    ("218300", "Matériel de bureau et informatique", "postes informatiques", "281830", "Amortissements matériel informatique", "681120"),
]
ALLOWANCES = {"681110": "Dotations amortissements immobilisations incorporelles", "681120": "Dotations amortissements immobilisations corporelles"}
JOURNALS = {"AC": "Achats", "VT": "Ventes", "BQ": "Banque", "OD": "Opérations diverses"}
DEFECT_KINDS = ("amount", "date", "unmapped", "columns")

Line = list[str]


def defect_lines(lines: int) -> dict[int, str]:
    """Where `--defects` spoils a file of `lines` entry lines: physical line number (header = 1) → kind."""
    if lines < 10:
        raise ValueError("defects need at least 10 entry lines")
    step = lines // (len(DEFECT_KINDS) + 1)
    return {1 + step * (i + 1): kind for i, kind in enumerate(DEFECT_KINDS)}


def fec_lines(lines: int, *, seed: int = 0, separator: str = "\t", year: int = 2025, defects: bool = False) -> Iterator[str]:
    """The header, then `lines` entry lines of balanced entries, each without its line break."""
    if lines == 1 or lines < 0:
        raise ValueError("a FEC of balanced entries has 0 or at least 2 entry lines")
    spoil = defect_lines(lines) if defects else {}
    yield separator.join(HEADER)
    number = 1
    for line in _Ledger(random.Random(seed), year).lines(lines):
        number += 1
        if number in spoil:
            line = _spoil(line, spoil[number], year)
        yield separator.join(line)


def write_fec(path: Path, lines: int, *, seed: int = 0, separator: str = "\t", year: int = 2025, defects: bool = False) -> None:
    """Write `fec_lines(…)` to `path` as UTF-8, LF line breaks, in large chunks."""
    chunk: list[str] = []
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for text in fec_lines(lines, seed=seed, separator=separator, year=year, defects=defects):
            chunk.append(text)
            if len(chunk) == 20000:
                out.write("\n".join(chunk) + "\n")
                chunk.clear()
        if chunk:
            out.write("\n".join(chunk) + "\n")


def _spoil(line: Line, kind: str, year: int) -> Line:
    line = list(line)
    if kind == "amount":
        side = 11 if line[11] != "0,00" else 12
        line[side] = line[side].replace(",", ".")
    elif kind == "date":
        line[3] = f"{year}0230"
    elif kind == "unmapped":
        line[4], line[5] = UNMAPPED_ACCOUNT
    else:
        line = line[:-2]
    return line


def _money(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


class _Ledger:
    """Entries of one year, in date order; each builder returns (journal, lines) with EcritureNum unset."""

    def __init__(self, rng: random.Random, year: int) -> None:
        self.rng = rng
        self.year = year
        start = dt.date(year, 1, 1)
        self.days = (dt.date(year, 12, 31) - start).days + 1
        self.margin = 45  # dates reach back (invoice dates) and forward (validation, lettering) this far
        self.dates = [(start + dt.timedelta(days=i - self.margin)).strftime("%Y%m%d") for i in range(self.days + 2 * self.margin)]
        self.sequence = {code: 0 for code in JOURNALS}
        self.pieces = 0
        self.day = 0

    def lines(self, count: int) -> Iterator[Line]:
        """Exactly `count` lines: random entries, the depreciation closing the year, fillers to fit."""
        closing = 2 * len(ASSETS) if count >= 40 else 0
        budget = remaining = count - closing
        while remaining:
            self.day = min(self.days - 1, (budget - remaining) * self.days // budget)
            journal, lines = self.entry()
            if len(lines) > remaining or len(lines) == remaining - 1:
                journal, lines = self.purchase(only=1) if remaining == 3 else self.bank()
            remaining -= len(lines)
            yield from self.numbered(journal, lines)
        for journal, lines in self.depreciation() if closing else []:
            yield from self.numbered(journal, lines)

    def numbered(self, journal: str, lines: list[Line]) -> list[Line]:
        self.sequence[journal] += 1
        number = f"{journal}{self.sequence[journal]:06d}"
        for line in lines:
            line[2] = number
        return lines

    def entry(self) -> tuple[str, list[Line]]:
        draw = self.rng.random()
        if draw < 0.42:
            return self.purchase()
        if draw < 0.67:
            return self.sale()
        if draw < 0.94:
            return self.bank()
        if draw < 0.99:
            return self.payroll()
        return self.asset()

    def line(self, journal: str, day: int, account: str, label: str, piece: str, piece_day: int, text: str,
             debit: int, credit: int, aux: tuple[str, str] = ("", ""), letter: str = "", currency: tuple[str, str] = ("", "")) -> Line:
        d = self.dates
        entry_day = day + self.margin
        return [journal, JOURNALS[journal], "", d[entry_day], account, label, aux[0], aux[1], piece, d[piece_day + self.margin],
                text, _money(debit), _money(credit), letter, d[entry_day + 30] if letter else "", d[entry_day + 2], *currency]

    def amount(self, low: float, high: float) -> int:
        """Cents, log-uniform between `low` and `high` euros: many small invoices, a few large ones."""
        return int(10 ** (low + (high - low) * self.rng.random()) * 100)

    def piece(self, prefix: str) -> str:
        self.pieces += 1
        return f"{prefix}{self.year % 100:02d}-{self.pieces:07d}"

    def letter(self) -> str:
        n = self.pieces
        return "".join(chr(65 + (n // 26**k) % 26) for k in range(3)) if self.rng.random() < 0.8 else ""

    def purchase(self, only: int = 0) -> tuple[str, list[Line]]:
        rng, day = self.rng, self.day
        code, name, goods, rate = rng.choice(SUPPLIERS)
        if only and not rate:
            code, name, goods, rate = SUPPLIERS[0]
        piece, piece_day = self.piece("FA"), day - int(rng.random() * 15)
        items = goods[: only or 1 + int(rng.random() * len(goods))]
        amounts = [self.amount(1.5, 4.5) for _ in items]
        lines = [self.line("AC", day, acc, label, piece, piece_day, f"{name} - {what}", cents, 0) for (acc, label, what), cents in zip(items, amounts)]
        vat = sum(amounts) * rate // 100
        if vat:
            lines.append(self.line("AC", day, "445660", "TVA déductible sur ABS", piece, piece_day, f"{name} - TVA", vat, 0))
        total = sum(amounts) + vat
        currency = (_money(total * 108 // 100), "USD") if code == US_SUPPLIER else ("", "")
        lines.append(self.line("AC", day, "401000", "Fournisseurs", piece, piece_day, f"{name} - facture {piece}", 0, total,
                               (code, name), self.letter(), currency))
        return "AC", lines

    def sale(self) -> tuple[str, list[Line]]:
        rng, day = self.rng, self.day
        code, name = rng.choice(CUSTOMERS)
        piece = self.piece("VE")
        items = rng.sample(SALES, 1 + int(rng.random() * 2))
        amounts = [self.amount(2.5, 5) for _ in items]
        vat = sum(amounts) * 20 // 100
        lines = [self.line("VT", day, "411000", "Clients", piece, day, f"{name} - facture {piece}", sum(amounts) + vat, 0, (code, name), self.letter())]
        lines += [self.line("VT", day, acc, label, piece, day, f"{name} - {what}", 0, cents) for (acc, label, what), cents in zip(items, amounts)]
        lines.append(self.line("VT", day, "445710", "TVA collectée", piece, day, f"{name} - TVA", 0, vat))
        return "VT", lines

    def bank(self) -> tuple[str, list[Line]]:
        rng, day = self.rng, self.day
        piece = self.piece("BQ")
        kind = rng.random()
        cents = self.amount(2, 4.5)
        if kind < 0.45:
            code, name, _, _ = rng.choice(SUPPLIERS)
            return "BQ", [self.line("BQ", day, "401000", "Fournisseurs", piece, day, f"Virement {name}", cents, 0, (code, name), self.letter()),
                          self.line("BQ", day, "512000", "Banque", piece, day, f"Virement {name}", 0, cents)]
        if kind < 0.9:
            code, name = rng.choice(CUSTOMERS)
            return "BQ", [self.line("BQ", day, "512000", "Banque", piece, day, f"Règlement {name}", cents, 0),
                          self.line("BQ", day, "411000", "Clients", piece, day, f"Règlement {name}", 0, cents, (code, name), self.letter())]
        fee = self.amount(0.5, 2)
        return "BQ", [self.line("BQ", day, "627800", "Frais bancaires", piece, day, "Commissions bancaires", fee, 0),
                      self.line("BQ", day, "512000", "Banque", piece, day, "Commissions bancaires", 0, fee)]

    def payroll(self) -> tuple[str, list[Line]]:
        day = self.day
        piece = self.piece("PA")
        gross = self.amount(3, 4.7)
        employer, employee = gross * 42 // 100, gross * 22 // 100
        text = f"Paie {self.dates[day + self.margin][4:6]}/{self.year}"
        return "OD", [
            self.line("OD", day, "641100", "Salaires et appointements", piece, day, text, gross, 0),
            self.line("OD", day, "645100", "Cotisations URSSAF", piece, day, text, employer, 0),
            self.line("OD", day, "421000", "Personnel - rémunérations dues", piece, day, text, 0, gross - employee),
            self.line("OD", day, "431000", "Sécurité sociale", piece, day, text, 0, employee + employer),
        ]

    def asset(self) -> tuple[str, list[Line]]:
        rng, day = self.rng, self.day
        account, label, what, *_ = rng.choice(ASSETS)
        code, name = "F0100", "Équipements Industriels Rhône-Alpes"
        piece = self.piece("FI")
        cents = self.amount(3.3, 5.3)
        vat = cents * 20 // 100
        return "AC", [
            self.line("AC", day, account, label, piece, day, f"{name} - {what}", cents, 0),
            self.line("AC", day, "445620", "TVA déductible sur immobilisations", piece, day, f"{name} - TVA", vat, 0),
            self.line("AC", day, "404000", "Fournisseurs d'immobilisations", piece, day, f"{name} - facture {piece}", 0, cents + vat, (code, name)),
        ]

    def depreciation(self) -> list[tuple[str, list[Line]]]:
        day = self.days - 1
        entries = []
        for _, label, _, account, account_label, allowance in ASSETS:
            piece = self.piece("DA")
            cents = self.amount(3.5, 5)
            text = f"Dotation {self.year} - {label.lower()}"
            entries.append(("OD", [self.line("OD", day, allowance, ALLOWANCES[allowance], piece, day, text, cents, 0),
                                   self.line("OD", day, account, account_label, piece, day, text, 0, cents)]))
        return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, required=True, help="entry lines after the header")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--separator", choices=sorted(SEPARATORS), default="tab")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--defects", action="store_true", help="spoil four lines (see defect_lines)")
    args = parser.parse_args()
    start = time.perf_counter()
    write_fec(args.out, args.lines, seed=args.seed, separator=SEPARATORS[args.separator], year=args.year, defects=args.defects)
    print(f"{args.out}: {args.lines + 1} lines in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    if args.defects:
        for number, kind in defect_lines(args.lines).items():
            print(f"  line {number}: {kind}", file=sys.stderr)


if __name__ == "__main__":
    main()
