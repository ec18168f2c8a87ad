from django.db import models


class Order(models.Model):
    quantity = models.PositiveIntegerField()
    unit_cents = models.PositiveIntegerField()

    def total_cents(self):
        return self.quantity * self.unit_cents
