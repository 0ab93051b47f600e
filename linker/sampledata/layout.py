"""The three extracts' file layouts and the mapping that reads them.

Column names are the agencies' own, different in each file, as real extracts are: CBP
keeps both surnames in one LAST_NAME column and splits the U.S. address into parts, ICE
writes the whole name in one "LAST1 LAST2, FIRST MIDDLE" column and the address on one
line, HHS has a column per surname for the child and a second person (the sponsor) on the
same row. The mapping written next to the extracts is generated from these constants, so
the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    name: str  # source name in the mapping and in truth/records.csv
    file: str
    key: str
    encoding: str  # Python codec used to write the file
    columns: tuple[str, ...]


# --- CBP apprehensions ---------------------------------------------------------------------
CBP_KEY = "EVENT_ID"
CBP_DATE = "APPREHENSION_DT"
CBP_SECTOR = "SECTOR"
CBP_SUBJECT = "SUBJECT_ID"
CBP_FAMU = "FAMU_ID"
CBP_LAST = "LAST_NAME"
CBP_FIRST = "FIRST_NAME"
CBP_MIDDLE = "MIDDLE_NAME"
CBP_DOB = "DOB"
CBP_SEX = "GENDER"
CBP_COUNTRY = "CITIZENSHIP"
CBP_ANUM = "ALIEN_NBR"
CBP_DOC = "TRAVEL_DOC_NBR"
CBP_ADDR_NO = "US_ADDR_NO"
CBP_ADDR_STREET = "US_ADDR_STREET"
CBP_ADDR_CITY = "US_ADDR_CITY"
CBP_ADDR_STATE = "US_ADDR_STATE"
CBP_ADDR_ZIP = "US_ADDR_ZIP"
CBP_PHONE = "PHONE_NBR"
CBP_UAC = "UAC_IND"
CBP_DISPOSITION = "DISPOSITION"
CBP_DATE_FORMAT = "%m/%d/%Y"
CBP = Layout(
    name="cbp",
    file="cbp_apprehensions.csv",
    key=CBP_KEY,
    encoding="utf-8",
    columns=(
        CBP_KEY, CBP_DATE, CBP_SECTOR, CBP_SUBJECT, CBP_FAMU, CBP_LAST, CBP_FIRST, CBP_MIDDLE,
        CBP_DOB, CBP_SEX, CBP_COUNTRY, CBP_ANUM, CBP_DOC, CBP_ADDR_NO, CBP_ADDR_STREET,
        CBP_ADDR_CITY, CBP_ADDR_STATE, CBP_ADDR_ZIP, CBP_PHONE, CBP_UAC, CBP_DISPOSITION,
    ),
)  # fmt: skip

# --- ICE releases / check-ins -----------------------------------------------------------------
ICE_KEY = "CASE_NO"
ICE_DATE = "CHECK_IN_DATE"
ICE_OFFICE = "ERO_OFFICE"
ICE_ANUM = "ANUMBER"
ICE_NAME = "ALIEN_NAME"
ICE_DOB = "BIRTH_DATE"
ICE_SEX = "SEX"
ICE_COUNTRY = "COUNTRY_OF_CITIZENSHIP"
ICE_ADDRESS = "RELEASE_ADDRESS"
ICE_PHONE = "CONTACT_PHONE"
ICE_XREF = "CBP_EVENT_NO"
ICE_DATE_FORMAT = "%Y-%m-%d"
ICE = Layout(
    name="ice",
    file="ice_releases.csv",
    key=ICE_KEY,
    encoding="cp1252",
    columns=(
        ICE_KEY, ICE_DATE, ICE_OFFICE, ICE_ANUM, ICE_NAME, ICE_DOB, ICE_SEX, ICE_COUNTRY,
        ICE_ADDRESS, ICE_PHONE, ICE_XREF,
    ),
)  # fmt: skip

# --- HHS unaccompanied-children referrals ---------------------------------------------------------
HHS_KEY = "REFERRAL_ID"
HHS_DATE = "REFERRAL_DATE"
HHS_XREF = "CBP_APPREHENSION_ID"
HHS_ANUM = "CHILD_A_NUMBER"
HHS_FIRST = "CHILD_FIRST_NAME"
HHS_MIDDLE = "CHILD_MIDDLE_NAME"
HHS_LAST1 = "CHILD_PATERNAL_LAST_NAME"
HHS_LAST2 = "CHILD_MATERNAL_LAST_NAME"
HHS_DOB = "CHILD_DOB"
HHS_DOB_EST = "DOB_ESTIMATED"
HHS_SEX = "CHILD_GENDER"
HHS_COUNTRY = "COUNTRY_OF_BIRTH"
HHS_SP_NAME = "SPONSOR_NAME"
HHS_SP_DOB = "SPONSOR_DOB"
HHS_SP_REL = "SPONSOR_RELATIONSHIP"
HHS_SP_CATEGORY = "SPONSOR_CATEGORY"
HHS_SP_ADDRESS = "SPONSOR_ADDRESS"
HHS_SP_PHONE = "SPONSOR_PHONE"
HHS_DATE_FORMAT = "%d/%m/%Y"
HHS = Layout(
    name="hhs",
    file="hhs_referrals.csv",
    key=HHS_KEY,
    encoding="utf-8-sig",
    columns=(
        HHS_KEY, HHS_DATE, HHS_XREF, HHS_ANUM, HHS_FIRST, HHS_MIDDLE, HHS_LAST1, HHS_LAST2,
        HHS_DOB, HHS_DOB_EST, HHS_SEX, HHS_COUNTRY, HHS_SP_NAME, HHS_SP_DOB, HHS_SP_REL,
        HHS_SP_CATEGORY, HHS_SP_ADDRESS, HHS_SP_PHONE,
    ),
)  # fmt: skip
SPONSOR_ROLE = "sponsor"

LAYOUTS: tuple[Layout, ...] = (CBP, ICE, HHS)


def mapping_toml() -> str:
    """The mapping for the three extracts, as TOML text (paths relative to the mapping)."""
    return f"""\
# Mapping for the sample extracts written by `linker sample-data`.
# Each [[sources]] table describes one extract: its file, key column and encoding, and
# which of its columns feed which canonical field (see docs/mapping.md).

[[sources]]
name = "{CBP.name}"
path = "{CBP.file}"
key = "{CBP.key}"
encoding = "utf-8"

  [sources.fields]
  a_number = "{CBP_ANUM}"
  given_name = "{CBP_FIRST}"
  middle_name = "{CBP_MIDDLE}"
  family_name = "{CBP_LAST}"
  dob = {{ column = "{CBP_DOB}", format = "{CBP_DATE_FORMAT}" }}
  sex = "{CBP_SEX}"
  country = {{ column = "{CBP_COUNTRY}", codes = "fips" }}
  address = ["{CBP_ADDR_NO}", "{CBP_ADDR_STREET}"]
  city = "{CBP_ADDR_CITY}"
  state = "{CBP_ADDR_STATE}"
  postal_code = "{CBP_ADDR_ZIP}"
  phone = "{CBP_PHONE}"
  event_date = {{ column = "{CBP_DATE}", format = "{CBP_DATE_FORMAT}" }}
  family_group = "{CBP_FAMU}"
  person_id = "{CBP_SUBJECT}"
  document_id = "{CBP_DOC}"

[[sources]]
name = "{ICE.name}"
path = "{ICE.file}"
key = "{ICE.key}"
encoding = "cp1252"

  [sources.fields]
  a_number = "{ICE_ANUM}"
  full_name = "{ICE_NAME}"
  dob = {{ column = "{ICE_DOB}", format = "{ICE_DATE_FORMAT}" }}
  sex = "{ICE_SEX}"
  country = "{ICE_COUNTRY}"
  address = "{ICE_ADDRESS}"
  phone = "{ICE_PHONE}"
  event_date = {{ column = "{ICE_DATE}", format = "{ICE_DATE_FORMAT}" }}
  cross_reference = {{ column = "{ICE_XREF}", source = "{CBP.name}" }}

[[sources]]
name = "{HHS.name}"
path = "{HHS.file}"
key = "{HHS.key}"
encoding = "utf-8-sig"

  [sources.fields]
  a_number = "{HHS_ANUM}"
  given_name = "{HHS_FIRST}"
  middle_name = "{HHS_MIDDLE}"
  family_name_1 = "{HHS_LAST1}"
  family_name_2 = "{HHS_LAST2}"
  dob = {{ column = "{HHS_DOB}", format = "{HHS_DATE_FORMAT}" }}
  dob_estimated = "{HHS_DOB_EST}"
  sex = "{HHS_SEX}"
  country = "{HHS_COUNTRY}"
  event_date = {{ column = "{HHS_DATE}", format = "{HHS_DATE_FORMAT}" }}
  cross_reference = {{ column = "{HHS_XREF}", source = "{CBP.name}" }}

  [[sources.related]]
  role = "{SPONSOR_ROLE}"
  relation = "sponsor_of"
  relationship = "{HHS_SP_REL}"

    [sources.related.fields]
    full_name = "{HHS_SP_NAME}"
    dob = {{ column = "{HHS_SP_DOB}", format = "{HHS_DATE_FORMAT}" }}
    address = "{HHS_SP_ADDRESS}"
    phone = "{HHS_SP_PHONE}"
"""
