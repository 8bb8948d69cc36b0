"""Which CSV column holds which field: headers as Google Contacts, Outlook (English and
French), Apple Numbers/Excel sheets and French real-estate CRMs write them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from crm_core import values
from crm_core.imports import ImportRow, Kind
from crm_core.imports.csvfile import Table

# Pseudo-fields, merged into ``name`` for contacts.
FIRST_NAME, LAST_NAME = "first_name", "last_name"

# Normalised header (see ``header_key``) -> field. Order of columns decides between two
# columns mapped to one field: the first non-empty cell wins (e.g. Mobile before Home).
CONTACT_HEADERS: dict[str, str] = {}
PROPERTY_HEADERS: dict[str, str] = {}


def _add(table: dict[str, str], target: str, *headers: str) -> None:
    for header in headers:
        table[header_key(header)] = target


def header_key(header: str) -> str:
    key = values.search_key(header)
    key = re.sub(r"[^a-z0-9]+", " ", key)
    return " ".join(key.split())


_add(
    CONTACT_HEADERS,
    "name",
    "name",
    "full name",
    "display name",
    "nom complet",
    "nom et prenom",
    "nom prenom",
    "contact",
    "client",
    "nom du contact",
    "file as",
    "classer sous",
)
_add(
    CONTACT_HEADERS,
    FIRST_NAME,
    "first name",
    "given name",
    "prenom",
    "firstname",
)
_add(
    CONTACT_HEADERS,
    LAST_NAME,
    "last name",
    "family name",
    "surname",
    "nom",
    "nom de famille",
    "lastname",
)
_add(
    CONTACT_HEADERS,
    "phone",
    "phone",
    "mobile",
    "mobile phone",
    "cell",
    "cell phone",
    "portable",
    "telephone",
    "tel",
    "telephone mobile",
    "tel portable",
    "tel mobile",
    "numero de telephone",
    "phone 1 value",
    "phone number",
    "primary phone",
    "business phone",
    "home phone",
    "telephone bureau",
    "telephone domicile",
    "telephone principal",
    "gsm",
)
_add(
    CONTACT_HEADERS,
    "email",
    "email",
    "e mail",
    "mail",
    "courriel",
    "adresse e mail",
    "adresse email",
    "e mail address",
    "email address",
    "e mail 1 value",
    "adresse de messagerie",
    "e mail 1 address",
    "email 1",
)
_add(
    CONTACT_HEADERS,
    "city",
    "city",
    "ville",
    "commune",
    "localite",
    "home city",
    "business city",
    "address 1 city",
    "ville domicile",
    "ville bureau",
    "secteur",
    "ville recherchee",
)
_add(CONTACT_HEADERS, "budget_max", "budget", "budget max", "budget maximum", "max budget")
_add(CONTACT_HEADERS, "budget_min", "budget min", "budget minimum", "min budget")
_add(
    CONTACT_HEADERS,
    "role",
    "role",
    "type de contact",
    "type contact",
    "categorie",
    "category",
    "statut",
    "profil",
)
_add(CONTACT_HEADERS, "property_type", "type de bien", "type de bien recherche", "property type")
_add(CONTACT_HEADERS, "rooms_min", "pieces", "nb pieces", "nombre de pieces", "rooms")
_add(CONTACT_HEADERS, "surface_min", "surface", "surface min", "surface minimum")
_add(CONTACT_HEADERS, "source", "source", "origine", "provenance")
_add(
    CONTACT_HEADERS,
    "notes",
    "notes",
    "note",
    "remarques",
    "remarque",
    "commentaire",
    "commentaires",
    "comments",
    "observations",
)

_add(
    PROPERTY_HEADERS,
    "title",
    "title",
    "titre",
    "libelle",
    "intitule",
    "titre de l annonce",
    "annonce",
    "listing",
)
_add(PROPERTY_HEADERS, "address", "address", "adresse", "adresse du bien", "street", "rue")
_add(PROPERTY_HEADERS, "city", "city", "ville", "commune", "localite")
_add(
    PROPERTY_HEADERS, "postcode", "postcode", "code postal", "cp", "zip", "zip code", "postal code"
)
_add(
    PROPERTY_HEADERS,
    "property_type",
    "type",
    "type de bien",
    "property type",
    "typologie",
    "nature",
    "nature du bien",
)
_add(PROPERTY_HEADERS, "transaction", "transaction", "type de transaction", "mandat", "offre")
_add(
    PROPERTY_HEADERS,
    "price",
    "price",
    "prix",
    "prix de vente",
    "prix fai",
    "loyer",
    "rent",
    "prix net vendeur",
    "montant",
)
_add(
    PROPERTY_HEADERS,
    "surface_m2",
    "surface",
    "surface m2",
    "surface habitable",
    "surface m²",
    "living area",
    "superficie",
)
_add(PROPERTY_HEADERS, "rooms", "rooms", "pieces", "nb pieces", "nombre de pieces")
_add(PROPERTY_HEADERS, "bedrooms", "bedrooms", "chambres", "nb chambres", "nombre de chambres")
_add(PROPERTY_HEADERS, "description", "description", "descriptif", "texte de l annonce", "notes")

# Headers that say "this is a list of listings", whatever else it has.
PROPERTY_ONLY = {"title", "address", "postcode", "transaction", "price", "surface_m2", "bedrooms"}
CONTACT_ONLY = {FIRST_NAME, LAST_NAME, "name", "phone", "email", "budget_max", "budget_min"}


@dataclass(frozen=True)
class Mapping:
    kind: Kind
    columns: list[tuple[str, str | None]]  # (header, field or None when ignored)

    @property
    def fields(self) -> set[str]:
        return {f for _h, f in self.columns if f}

    @property
    def usable(self) -> bool:
        if self.kind == "contacts":
            return bool(self.fields & {"name", FIRST_NAME, LAST_NAME})
        return bool(self.fields & {"title", "address", "city"})


def map_columns(headers: list[str], kind: Kind) -> Mapping:
    table = CONTACT_HEADERS if kind == "contacts" else PROPERTY_HEADERS
    return Mapping(kind, [(h, table.get(header_key(h))) for h in headers])


def detect_kind(headers: list[str]) -> Kind:
    contacts = map_columns(headers, "contacts").fields & CONTACT_ONLY
    properties = map_columns(headers, "properties").fields & PROPERTY_ONLY
    return "properties" if len(properties) > len(contacts) else "contacts"


def rows_of(table: Table, mapping: Mapping) -> list[ImportRow]:
    rows = []
    for line, cells in table.rows:
        fields: dict[str, str] = {}
        for (_header, target), cell in zip(mapping.columns, cells, strict=False):
            if target and cell and target not in fields:
                fields[target] = cell
        if mapping.kind == "contacts":
            first, last = fields.pop(FIRST_NAME, ""), fields.pop(LAST_NAME, "")
            if "name" not in fields and (first or last):
                fields["name"] = f"{first} {last}".strip()
        if fields:  # a row with data only in ignored columns is not a record
            rows.append(ImportRow(line, fields))
    return rows
