from __future__ import annotations

import re
from dataclasses import dataclass

VAT_ID = re.compile(r"^[A-Z]{2}[0-9A-Z]{8,12}$")


@dataclass(frozen=True)
class Customer:
    customer_id: str
    name: str
    vat_id: str | None = None

    @property
    def is_business(self) -> bool:
        return self.vat_id is not None


def normalize_vat_id(raw: str) -> str:
    vat_id = re.sub(r"[\s.-]", "", raw).upper()
    if not VAT_ID.match(vat_id):
        raise ValueError(f"invalid VAT id: {raw!r}")
    return vat_id
