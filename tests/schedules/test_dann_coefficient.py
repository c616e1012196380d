import math

from keras_transfer.schedules.dann_coefficient import dann_coefficient
from keras_transfer.testing import TestCase


class DannCoefficientTest(TestCase):
    def test_values_against_the_formula(self):
        for p in (0.0, 0.5, 1.0, 0.1):
            self.assertAllClose(dann_coefficient(p), 2 / (1 + math.exp(-10 * p)) - 1,
                                rtol=1e-12, atol=0)
        self.assertEqual(dann_coefficient(0.0), 0.0)
        self.assertAllClose(dann_coefficient(0.5), 0.9866142981514305, rtol=1e-12, atol=0)
        self.assertAllClose(dann_coefficient(1.0), 0.9999092042625951, rtol=1e-12, atol=0)
        self.assertAllClose(dann_coefficient(0.5, gamma=2.0), math.tanh(0.5),
                            rtol=1e-12, atol=0)  # 2 / (1 + e^-2x) - 1 = tanh(x)

    def test_rejects_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, r"`progress` must be a number in \[0, 1\]. "
                                                r"Received: progress=1.5"):
            dann_coefficient(1.5)
        with self.assertRaisesRegex(ValueError, r"`gamma` must be a finite number > 0"):
            dann_coefficient(0.5, gamma=0)
