"""Where the time of a first response goes: detection, hand-offs, off-duty hours and the queue.

The four parts of each answered inquiry's first response add up to it; each is checked
against a plain reference (the off-duty hours hour by hour from the staffed hours), against
its limits (round-the-clock staff: no off-duty part; no hand-offs: none), against Erlang C
(the queue part of an M/M/c owner), and for the mechanism a strategist reads off it: more
staff shortens the queue and nothing else (paired on keyed draws).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation import build_config, load_scenario, run
from simulation.outputs import analysis
from simulation.outputs.kpis import WAIT_PARTS
from simulation.scenario.presets import builtin_presets
from simulation.studies.theory import erlang_c_mean_wait

SMALL = {"customers": {"count": 1500}, "simulation": {"steps": 400}}
PARTS = [f"first_response_{part}_h" for part in WAIT_PARTS]


@pytest.mark.parametrize("preset", sorted(builtin_presets()))
def test_the_four_parts_add_up_to_the_first_response(preset):
    summary = run(build_config({**SMALL, "organization": {"model": preset}}), seed=2).summary
    parts = [summary[name] for name in PARTS]
    assert all(p >= -1e-9 for p in parts), dict(zip(PARTS, parts, strict=True))
    assert math.fsum(parts) == pytest.approx(summary["first_response_mean_h"], rel=1e-9)


def _off_duty_reference(t_from: float, t_to: float, start: int, end: int) -> float:
    """Hours in [t_from, t_to) whose hour of day is outside [start, end): hour by hour, in plain Python."""
    total, hour = 0.0, math.floor(t_from)
    while hour < t_to:
        overlap = min(t_to, hour + 1) - max(t_from, hour)
        if not (start <= hour % 24 < end):
            total += max(overlap, 0.0)
        hour += 1
    return total


@pytest.mark.parametrize(("start_hour", "staffed"), [(0, [9, 17]), (7, [8, 20]), (13, [0, 6])])
def test_off_duty_hours_are_the_owners_unstaffed_hours_while_it_waited(start_hour, staffed):
    config = build_config(
        {
            **SMALL,
            "organization": {"model": "center_of_excellence"},
            "simulation": {"steps": 400, "start_hour": start_hour},
            "support": {"staffed_hours": staffed},
        }
    )
    table = run(config, seed=4).inquiries
    served = table[np.isfinite(table.t_start)]
    assert len(served) > 30 and (served.off_duty_h > 0).any()
    for row in served.itertuples():
        expected = _off_duty_reference(row.t_queue, row.t_start, *staffed)
        assert row.off_duty_h == pytest.approx(expected, abs=1e-9), (row.t_queue, row.t_start)


def test_round_the_clock_staff_has_no_off_duty_part_and_no_hand_offs_no_hand_off_part():
    always = run(build_config({**SMALL, "support": {"staffed_hours": [0, 24]}}), seed=3).summary
    assert always["first_response_off_duty_h"] == 0.0
    direct = run(build_config({**SMALL, "support": {"handoffs": False}}), seed=3).summary
    assert direct["first_response_handoff_h"] == 0.0 and direct["first_response_mean_h"] > 0


def test_the_queue_part_of_an_mmc_owner_is_erlang_c():
    """Hand-offs off, full coverage, no latency, round-the-clock staff: the queue part is Erlang C's mean wait."""
    servers, service_rate, load = 3, 4.0, 0.6
    config = analysis.mmc_config(servers, service_rate, load, customers=5000, steps=3000)
    queue = [run(config, seed=seed).summary for seed in (1, 2, 3)]
    expected = erlang_c_mean_wait(servers, load * servers * service_rate, service_rate)
    assert np.mean([s["first_response_queue_h"] for s in queue]) == pytest.approx(expected, rel=0.1)
    assert all(s["first_response_detection_h"] == 0.0 and s["first_response_off_duty_h"] == 0.0 for s in queue)


def test_more_staff_shortens_the_queue_and_nothing_else():
    """Paired on keyed draws: the same inquiries are detected and handed off the same way; only queueing changes."""
    busy = ["customers.count=3000", "customers.inquiry_rate_per_day=0.05", "simulation.steps=336"]
    config = load_scenario("scenarios/dedicated_care_team.toml", busy)
    owner = config.support.owners["service_complaint"]
    more = [*busy, f"organization.headcount.{owner}={4 * config.organization.headcount[owner]}"]
    few = run(config, seed=5).summary
    many = run(load_scenario("scenarios/dedicated_care_team.toml", more), seed=5).summary
    assert few["first_response_queue_h"] > 0.05
    assert many["first_response_queue_h"] < 0.5 * few["first_response_queue_h"]
    assert many["first_response_detection_h"] == pytest.approx(few["first_response_detection_h"], rel=0.05)
    assert many["first_response_handoff_h"] == pytest.approx(few["first_response_handoff_h"], rel=0.05, abs=1e-9)


def test_the_shipped_comparison_reads_where_centralized_waits_go():
    """Centralized waits are mostly hand-offs and off-duty hours; a 24/7 care team has no off-duty part."""
    small = ["customers.count=1500", "simulation.steps=400"]
    central = run(load_scenario("scenarios/centralized.toml", small), seed=1).summary
    care = run(load_scenario("scenarios/dedicated_care_team.toml", small), seed=1).summary
    assert central["first_response_handoff_h"] > central["first_response_queue_h"]
    assert care["first_response_off_duty_h"] == 0.0
