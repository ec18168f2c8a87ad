from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from app.domain.money import Money


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_price: Money

    @property
    def total(self) -> Money:
        return self.unit_price.times(self.quantity)


@dataclass
class Invoice:
    number: str
    customer: str
    issued: date
    vat_rate: Decimal = Decimal("0.20")
    payment_terms_days: int = 30
    lines: list[Line] = field(default_factory=list)
    status: str = "draft"

    def add_line(self, description: str, quantity: int, unit_price: Money) -> None:
        if self.status != "draft":
            raise ValueError("only draft invoices can be changed")
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self.lines.append(Line(description, quantity, unit_price))

    @property
    def net(self) -> Money:
        total = Money.of(0)
        for line in self.lines:
            total = total + line.total
        return total

    @property
    def vat(self) -> Money:
        return self.net.times(self.vat_rate)

    @property
    def gross(self) -> Money:
        return self.net + self.vat

    @property
    def due(self) -> date:
        return self.issued + timedelta(days=self.payment_terms_days)

    def issue(self) -> None:
        if not self.lines:
            raise ValueError("cannot issue an empty invoice")
        self.status = "issued"

    def is_overdue(self, today: date) -> bool:
        return self.status == "issued" and today > self.due
