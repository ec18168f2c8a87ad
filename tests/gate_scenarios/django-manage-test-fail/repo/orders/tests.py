from django.test import TestCase

from orders.models import Order


class OrderTests(TestCase):
    def test_total(self):
        order = Order.objects.create(quantity=3, unit_cents=250)
        self.assertEqual(order.total_cents(), 700)
