from keras_transfer.recipes import defaults
from keras_transfer.recipes.choose_plan import choose_plan
from keras_transfer.testing import TestCase


class ChoosePlanTest(TestCase):
    def test_table_by_examples_per_class(self):
        probe_max, lp_ft_max = defaults.LINEAR_PROBE_MAX_PER_CLASS, defaults.LP_FT_MAX_PER_CLASS
        self.assertEqual((probe_max, lp_ft_max), (2, 100))  # defaults.py says why
        table = {1: "linear_probe", probe_max: "linear_probe", probe_max + 1: "lp_ft",
                 lp_ft_max: "lp_ft", lp_ft_max + 1: "full", 5000: "full"}
        for count, plan in table.items():
            chosen = choose_plan(count)
            self.assertEqual(chosen["plan"], plan, count)
            self.assertIn(f"{count} examples per class", chosen["reason"])
            self.assertNotIn("held out", chosen["reason"])

    def test_override(self):
        chosen = choose_plan(4, plan="full")
        self.assertEqual(chosen["plan"], "full")
        self.assertIn("chosen by the caller", chosen["reason"])
        self.assertEqual(choose_plan(1000, plan="linear_probe")["plan"], "linear_probe")

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, r"`plan` must be one of \['auto', "
                                                "'linear_probe', 'lp_ft', 'full'\]. "
                                                "Received: plan='probe'"):
            choose_plan(5, plan="probe")
        with self.assertRaisesRegex(ValueError, "Received: examples_per_class=0"):
            choose_plan(0)
