"""Choosing cases on the command line (`--cases`, `--exclude`) and the line printed per case."""
from __future__ import annotations

import unittest
from types import SimpleNamespace

import fuzzing.cases  # noqa: F401  (registers the 517 cases)
from fuzzing.report import case_line, section_of, select


class SelectionTests(unittest.TestCase):
    def ids(self, patterns):
        return [cls.ID for _, cls in select(patterns)]

    def test_every_case_without_a_pattern_in_autobahns_order(self):
        chosen = select(None)
        self.assertEqual(len(chosen), 517)
        self.assertEqual([i for i, _ in chosen], list(range(1, 518)))
        self.assertEqual((chosen[0][1].ID, chosen[-1][1].ID), ("1.1.1", "13.7.18"))

    def test_a_prefix_takes_its_whole_group_and_a_glob_its_matches(self):
        self.assertEqual(self.ids("9.1"), ["9.1.1", "9.1.2", "9.1.3", "9.1.4", "9.1.5", "9.1.6"])
        self.assertEqual(self.ids("7.7.1*"), ["7.7.1", "7.7.10", "7.7.11", "7.7.12", "7.7.13"])
        self.assertEqual(self.ids("2.1, 4.1.1"), ["2.1", "4.1.1"])
        self.assertEqual(self.ids("99.*"), [])

    def test_a_case_line_has_id_verdict_time_and_reason(self):
        run = SimpleNamespace(cls=SimpleNamespace(ID="5.19"), verdict="OK", duration=1.5, reason="fine")
        self.assertEqual(case_line(run), "5.19      OK           1.50s  fine")
        self.assertEqual(section_of("12.3.4"), "12")


if __name__ == "__main__":
    unittest.main()
