"""Export plugin registration.

KNOWN ISSUE: these two tests share the module-level ``REGISTRY``.
``test_lookup_csv_exporter`` only passes when ``test_register_csv_exporter``
has already run in the same process. In file order (the default) both pass;
run ``test_lookup_csv_exporter`` alone, before the other one
(``--random-order``), or on a different xdist worker and it fails with
``LookupError: no exporter named 'csv'``.
"""

from core.plugins import PluginRegistry

REGISTRY = PluginRegistry()


def export_csv(rows):
    header = ",".join(rows[0])
    lines = [",".join(str(v) for v in row.values()) for row in rows]
    return "\n".join([header, *lines])


def test_register_csv_exporter():
    REGISTRY.register("csv", export_csv)
    assert REGISTRY.names() == ["csv"]


def test_lookup_csv_exporter():
    exporter = REGISTRY.get("csv")
    assert exporter([{"sku": "SKU-MUG", "qty": 2}]) == "sku,qty\nSKU-MUG,2"
