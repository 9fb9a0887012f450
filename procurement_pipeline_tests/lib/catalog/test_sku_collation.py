"""SKUs are judged as MySQL's utf8mb4_unicode_ci judges them, on both backends (issue 13,
item 8): ``TEC-00001``, ``tec-00001`` and ``TÉC-00001`` are one SKU. Within a file that is a
duplicate naming both lines; against the warehouse it is a clear validation error, on SQLite
(where the strings are distinct) and on MariaDB (where the insert was a raw IntegrityError)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from procurement_pipeline.lib.catalog import CatalogValidationError, parse_catalog
from procurement_pipeline.lib.validation import SKU_ALPHABET, sku_key
from procurement_pipeline.lib.warehouse.catalog import upsert_catalog
from procurement_pipeline.lib.warehouse.schema import products
from procurement_pipeline_tests.conftest import SAMPLE_ROWS, _mysql_connect, catalog_csv

TEC = SAMPLE_ROWS[1]  # TEC-00001


def error_of(raw: bytes) -> str:
    with pytest.raises(CatalogValidationError) as excinfo:
        parse_catalog(raw, source="catalog.csv")
    return str(excinfo.value)


def stored(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        return {r.sku: tuple(r) for r in conn.execute(select(products))}


@pytest.mark.parametrize("other", ["tec-00001", "TÉC-00001", "Téc-00001"])
def test_duplicates_differing_in_case_or_accents_name_both_lines(other):
    message = error_of(catalog_csv([SAMPLE_ROWS[0], TEC, TEC.replace("TEC-00001", other)]))
    assert (
        f"line 4, field 'sku': duplicate SKU '{other.strip()}' (first at line 3 as 'TEC-00001'; "
        "SKUs that differ only in case or accents are the same SKU)" in message
    )


def test_exact_duplicates_keep_their_message():
    message = error_of(catalog_csv([TEC, SAMPLE_ROWS[0], TEC]))
    assert "line 4, field 'sku': duplicate SKU 'TEC-00001' (first at line 2)" in message


@pytest.mark.parametrize("other", ["tec-00001", "TÉC-00001"])
def test_file_sku_colliding_with_a_warehouse_sku_is_a_validation_error(warehouse_engine, other):
    upsert_catalog(warehouse_engine, parse_catalog(catalog_csv(SAMPLE_ROWS), source="v1.csv"))
    before = stored(warehouse_engine)
    renamed = TEC.replace("TEC-00001", other).replace("32.40", "35.00")
    new_catalog = parse_catalog(
        catalog_csv([SAMPLE_ROWS[0], renamed, SAMPLE_ROWS[2]]), source="v2.csv"
    )
    with pytest.raises(CatalogValidationError) as excinfo:
        upsert_catalog(warehouse_engine, new_catalog)
    message = str(excinfo.value)
    assert message.startswith("invalid catalog v2.csv: 1 problem(s)")
    assert (
        f"line 3, field 'sku': SKU '{other}' is the SKU 'TEC-00001' already in the warehouse "
        "(SKUs that differ only in case or accents are the same SKU); use 'TEC-00001'"
    ) in message
    assert stored(warehouse_engine) == before  # nothing written, nothing deactivated


def test_same_spelling_still_updates_and_reactivates(warehouse_engine):
    upsert_catalog(warehouse_engine, parse_catalog(catalog_csv(SAMPLE_ROWS)))
    upsert_catalog(warehouse_engine, parse_catalog(catalog_csv(SAMPLE_ROWS[:2])))
    result = upsert_catalog(
        warehouse_engine,
        parse_catalog(catalog_csv([SAMPLE_ROWS[0], TEC.replace("32.40", "35.00"), SAMPLE_ROWS[2]])),
    )
    assert result.updated == ["TEC-00001"] and result.reactivated == ["ADE-00001"]


@pytest.mark.parametrize(
    ("sku", "shown"),
    [
        ("TEC\u200b-1", "U+200B"),  # zero-width space: ignorable for MySQL
        ("TEC\u00ad1", "U+00AD"),  # soft hyphen: not ignorable
        ("TEC\t1", "U+0009"),
        ("ΩMEGA-1", "U+03A9"),  # another script: not verified, so not accepted
    ],
)
def test_skus_with_characters_that_cannot_be_compared_reliably_are_rejected(sku, shown):
    row = f'"{sku}",Produto,espumas,chapa,espuma,1,1,1,10.00'
    message = error_of(catalog_csv([row]))
    assert f"line 2, field 'sku': character {shown}" in message


def test_key_examples():
    assert sku_key("TEC-00001") == sku_key("tec-00001") == sku_key("TÉC-00001")
    assert sku_key("Straße-1") == sku_key("STRASSE-1")
    assert sku_key("Œuvre") == sku_key("oeuvre")
    assert sku_key("TEC-00001") != sku_key("TEC-00002") != sku_key("TEC_00002")
    assert sku_key("A-1") != sku_key("A1")


@pytest.mark.mysql
def test_the_key_judges_every_accepted_character_as_mariadb_does(mysql_server):
    """For every character a SKU may hold, MariaDB's utf8mb4_unicode_ci weights of the
    character equal those of its key, and the characters keys are made of have one distinct
    weight each: so two SKUs have the same key exactly when MariaDB says they are equal."""
    conn = _mysql_connect()
    conn.set_character_set("utf8mb4")

    def weights(texts: list[str]) -> list[str]:
        sql = "SELECT " + ",".join(
            ["HEX(WEIGHT_STRING(CONVERT(%s USING utf8mb4) COLLATE utf8mb4_unicode_ci))"]
            * len(texts)
        )
        with conn.cursor() as cursor:
            cursor.execute(sql, texts)
            return list(cursor.fetchone())

    try:
        alphabet = sorted(SKU_ALPHABET - {" "})  # a trailing space is padding for both
        assert len(alphabet) > 250
        chars = weights(alphabet)
        keys = weights([sku_key(c) for c in alphabet])
        mismatched = [(c, w, k) for c, w, k in zip(alphabet, chars, keys, strict=True) if w != k]
        assert mismatched == []
        base = sorted({ch for c in alphabet for ch in sku_key(c)})
        base_weights = weights(base)
        assert all(len(w) == 4 for w in base_weights), list(zip(base, base_weights, strict=True))
        assert len(set(base_weights)) == len(base)
        # And on whole SKUs, a few the issue names plus a few expansions.
        pairs = [
            ("TEC-00001", "tec-00001"),
            ("TEC-00001", "TÉC-00001"),
            ("Straße", "STRASSE"),
            ("Œuvre-2", "oeuvre-2"),
            ("A-1", "A1"),
            ("ÆB", "AEB"),
            ("Ø-1", "O-1"),
        ]
        with conn.cursor() as cursor:
            for a, b in pairs:
                cursor.execute("SELECT %s = %s COLLATE utf8mb4_unicode_ci", (a, b))
                assert bool(cursor.fetchone()[0]) == (sku_key(a) == sku_key(b)), (a, b)
    finally:
        conn.close()
