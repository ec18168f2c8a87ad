"""API handlers over in-memory repositories (the HTTP layer is thin and lives
elsewhere; handlers take and return plain dicts)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.domain.customers import Customer, normalize_vat_id
from app.domain.invoice import Invoice
from app.domain.money import Money


class NotFound(LookupError):
    pass


class Api:
    def __init__(self) -> None:
        self.customers: dict[str, Customer] = {}
        self.invoices: dict[str, Invoice] = {}
        self.payments: list[dict[str, object]] = []

    def create_customer(self, body: dict[str, str]) -> dict[str, object]:
        customer_id = f"c{len(self.customers) + 1}"
        vat = normalize_vat_id(body["vat_id"]) if body.get("vat_id") else None
        customer = Customer(customer_id, body["name"].strip(), vat)
        self.customers[customer_id] = customer
        return {"id": customer_id, "name": customer.name, "business": customer.is_business}

    def get_customer(self, customer_id: str) -> dict[str, object]:
        customer = self.customers.get(customer_id)
        if customer is None:
            raise NotFound(customer_id)
        return {"id": customer.customer_id, "name": customer.name, "vat_id": customer.vat_id}

    def create_invoice(self, body: dict[str, object]) -> dict[str, object]:
        customer_id = str(body["customer_id"])
        if customer_id not in self.customers:
            raise NotFound(customer_id)
        number = f"INV-{len(self.invoices) + 1:05d}"
        invoice = Invoice(number, customer_id, date.fromisoformat(str(body["issued"])))
        for line in body.get("lines", []):  # type: ignore[union-attr]
            invoice.add_line(line["description"], int(line["quantity"]), Money.of(line["unit_price"]))
        invoice.issue()
        self.invoices[number] = invoice
        return self.invoice_view(number)

    def invoice_view(self, number: str) -> dict[str, object]:
        invoice = self.invoices.get(number)
        if invoice is None:
            raise NotFound(number)
        return {
            "number": invoice.number,
            "status": invoice.status,
            "net": str(invoice.net.amount),
            "vat": str(invoice.vat.amount),
            "gross": str(invoice.gross.amount),
            "due": invoice.due.isoformat(),
        }

    def record_payment(self, number: str, amount: str) -> dict[str, object]:
        invoice = self.invoices.get(number)
        if invoice is None:
            raise NotFound(number)
        paid = Money.of(amount)
        self.payments.append({"invoice": number, "amount": paid})
        total_paid = sum((p["amount"].amount for p in self.payments if p["invoice"] == number), Decimal(0))  # type: ignore[union-attr]
        if total_paid >= invoice.gross.amount:
            invoice.status = "paid"
        return {"number": number, "status": invoice.status, "paid": str(total_paid)}
