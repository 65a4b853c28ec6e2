"""The gymnasium-free simulation engine: schedules, charging, resume, incumbent, proposals.

Uses a hand-written test source (``_TableSource``: fixed toy curves per NB201 cell, labelled as
test data) so every number below can be checked by hand.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest

from nasx11_env.curves import CurveBatch, ScoreInfo
from nasx11_env.envs.engine import Simulator
from nasx11_env.envs.proposals import (
    PoolProposer,
    RandomProposer,
    build_curves,
    in_split,
    make_proposer,
    parse_noise,
)
from nasx11_env.envs.schedule import decision_epochs, next_point_table
from nasx11_env.spaces import get_space

ENVS_DIR = Path(__file__).resolve().parents[1] / "envs"
SPACE = get_space("nb201")
E = 8


class _TableSource:
    """TEST source: the curve of cell ``ops`` rises linearly to ``10 * ops[0]`` (%); runtime per
    epoch is ``1 + ops[1]`` s; the observed curve adds ``noise[ops[2]]`` to the final epoch."""

    def __init__(self, noise: tuple[float, ...] = (0.0,) * 5) -> None:
        self.space = SPACE
        self.n_epochs = E
        self.score = ScoreInfo("toy", "%", lower=0.0, upper=100.0, optimum=40.0)
        self.noise = noise
        self.calls = 0

    def curves(self, archs, rng):
        self.calls += 1
        ops = np.array([a.ops for a in archs])
        final = 10.0 * ops[:, 0]
        mean = final[:, None] * np.arange(1, E + 1) / E
        observed = mean.copy()
        observed[:, -1] += np.array(self.noise)[ops[:, 2]]
        runtime = np.repeat((1.0 + ops[:, 1])[:, None], E, axis=1)
        return CurveBatch(observed, mean, runtime)


def cell(final: int, runtime: int = 0, noise: int = 0) -> object:
    return SPACE.from_index(final + 5 * runtime + 25 * noise)


def sim(
    budget: float,
    unit: str = "epochs",
    checkpointing: bool = True,
    n_slots: int = 1,
    points: tuple[int, ...] = (1, 2, 4, 8),
    source: _TableSource | None = None,
) -> Simulator:
    engine = Simulator(
        source or _TableSource(),
        n_slots=n_slots,
        points=points,
        budget=budget,
        budget_unit=unit,
        checkpointing=checkpointing,
        proposer=None,
        extra_noise=None,
    )
    engine.reset(np.random.default_rng(0))
    return engine


# ------------------------------------------------------------------ schedules
def test_rungs_are_geometric_capped_and_end_at_the_last_epoch() -> None:
    assert decision_epochs(20) == (1, 2, 4, 8, 16, 20)
    assert decision_epochs(98, min_epochs=3, eta=3) == (3, 9, 27, 81, 98)
    assert decision_epochs(16) == (1, 2, 4, 8, 16)
    assert decision_epochs(10, min_epochs=1, eta=1.5) == (1, 2, 3, 5, 7, 10)


def test_other_schedules() -> None:
    assert decision_epochs(5, "every_epoch") == (1, 2, 3, 4, 5)
    assert decision_epochs(10, "every_k", every_k=4) == (4, 8, 10)
    assert decision_epochs(10, "every_k", every_k=10) == (10,)
    assert decision_epochs(10, [5, 2, 2]) == (2, 5, 10)
    assert next_point_table((2, 5, 10), 10) == (2, 2, 5, 5, 5, 10, 10, 10, 10, 10)


@pytest.mark.parametrize(
    ("args", "kwargs", "needle"),
    [
        (("often",), {}, "decision_points"),
        (("every_k",), {}, "every_k"),
        (("every_k",), {"every_k": 0}, "every_k"),
        (("rungs",), {"eta": 1.0}, "eta"),
        (("rungs",), {"min_epochs": 0}, "min_epochs"),
        (("rungs",), {"every_k": 3}, "every_k"),
        (([0, 3],), {}, "decision_points"),
        (([30],), {}, "decision_points"),
    ],
)
def test_bad_schedules_name_the_argument(args, kwargs, needle) -> None:
    with pytest.raises(ValueError, match=needle):
        decision_epochs(20, *args, **kwargs)


# ------------------------------------------------------------------ charging
def test_training_charges_epochs_and_the_clock() -> None:
    engine = sim(budget=100)
    engine.propose([cell(4, runtime=2)])
    charge = engine.start(0)
    assert (charge.cost, charge.epochs_paid, charge.completed) == (1.0, 1, False)
    assert engine.sim_time == 3.0
    for expected_epoch in (2, 4, 8):
        engine.train(0)
        assert engine.slots[0].epochs == expected_epoch
    assert engine.used == 8.0 and engine.sim_time == 24.0 and engine.n_completed == 1
    assert engine.incumbent_true == pytest.approx(0.4) and engine.regret == pytest.approx(0.0)


def test_seconds_budget_charges_runtime() -> None:
    engine = sim(budget=1000, unit="seconds")
    engine.propose([cell(1, runtime=3)])
    engine.start(0)
    engine.train(0)
    assert engine.used == 8.0 and engine.sim_time == 8.0


def test_unaffordable_training_charges_what_remains_and_never_completes() -> None:
    engine = sim(budget=6.5)
    engine.propose([cell(4)])
    engine.start(0)
    engine.train(0)
    engine.train(0)  # epoch 4, used 4
    charge = engine.train(0)  # would need 4 epochs, 2.5 remain
    assert charge.exhausted and charge.cost == pytest.approx(2.5) and not charge.completed
    assert engine.slots[0].epochs == 6 and engine.used == 6.5
    assert engine.incumbent is None and engine.n_completed == 0


def test_unaffordable_training_in_seconds_trains_whole_epochs_only() -> None:
    engine = sim(budget=10.0, unit="seconds")
    engine.propose([cell(4, runtime=2)])  # 3 s per epoch
    engine.start(0)
    engine.train(0)  # 6 s
    charge = engine.train(0)  # epochs 3-4 need 6 s, 4 remain: trains epoch 3 only
    assert charge.exhausted and engine.slots[0].epochs == 3
    assert engine.used == 10.0 and engine.sim_time == 10.0


def test_resume_pays_only_new_epochs_with_checkpointing() -> None:
    engine = sim(budget=100, n_slots=2)
    engine.propose([cell(1), cell(2)])
    engine.start(0)
    engine.start(1)
    engine.train(0)  # resume slot 0: 1 -> 2
    engine.train(1)  # resume slot 1: 1 -> 2
    engine.train(0)  # 2 -> 4
    assert [run.epochs_paid for run in engine.runs] == [4, 2]
    assert engine.used == 6.0


def test_resume_without_checkpointing_retrains_from_scratch() -> None:
    engine = sim(budget=100, n_slots=2, checkpointing=False)
    engine.propose([cell(1), cell(2)])
    engine.start(0)
    engine.start(1)
    assert engine.cost_to_next(0) == 2.0  # paused: retrain epochs 1..2
    engine.train(0)
    assert engine.cost_to_next(0) == 2.0  # not paused: continue 2 -> 4
    engine.train(0)
    assert engine.runs[0].epochs_paid == 1 + 2 + 2 and engine.runs[0].epochs == 4


def test_incumbent_is_selected_by_observed_and_credited_true() -> None:
    source = _TableSource(noise=(0.0, 15.0, 0.0, 0.0, 0.0))
    engine = sim(budget=100, source=source, points=(E,))
    engine.propose([cell(3), cell(2, noise=1), cell(3, runtime=1)])
    engine.start(0)  # observed 30, true 30
    assert engine.incumbent_true == pytest.approx(0.3)
    engine.start(0)  # observed 35 (lucky noise), true 20: selected, credited 0.2
    assert engine.incumbent_observed == pytest.approx(0.35)
    assert engine.incumbent_true == pytest.approx(0.2)
    engine.start(0)  # observed 30 < 35: not selected
    assert engine.incumbent.index == 1


def test_regret_area_is_regret_times_cost() -> None:
    engine = sim(budget=100, points=(E,))
    engine.propose([cell(2), cell(4)])
    engine.start(0)  # 8 epochs at regret 0.4 (no incumbent yet)
    engine.start(0)  # 8 epochs at regret 0.4 - 0.2
    assert engine.regret_area == pytest.approx(8 * 0.4 + 8 * 0.2)
    assert engine.regret == pytest.approx(0.0)


def test_agent_proposer_without_a_proposal_says_what_to_do() -> None:
    engine = sim(budget=100)
    with pytest.raises(RuntimeError, match="propose"):
        engine.start(0)


def test_training_an_empty_or_finished_slot_is_refused() -> None:
    engine = sim(budget=100, points=(E,))
    with pytest.raises(ValueError, match="slot 0"):
        engine.train(0)
    engine.propose([cell(1)])
    engine.start(0)
    with pytest.raises(ValueError, match="finished"):
        engine.train(0)


def test_a_repeated_architecture_reuses_its_curve_within_an_episode() -> None:
    source = _TableSource()
    engine = sim(budget=100, source=source)
    engine.propose([cell(1), cell(1)])
    engine.start(0)
    engine.start(0)
    assert engine.runs[0].curve is engine.runs[1].curve and source.calls == 1


# ------------------------------------------------------------------ proposals
def test_pool_proposer_visits_every_architecture_before_repeating() -> None:
    pool = [cell(i) for i in range(5)]
    proposer = PoolProposer(pool)
    rng = np.random.default_rng(1)
    proposer.reset(rng)
    first = proposer.draw(5, rng)
    assert sorted(a.ops for a in first) == sorted(a.ops for a in pool)
    assert len(proposer.draw(7, rng)) == 7


def test_splits_partition_the_space_with_a_fixed_hash() -> None:
    archs = SPACE.all_archs()[:2000]
    test = [a for a in archs if in_split(SPACE, a, "test", 0)]
    train = [a for a in archs if in_split(SPACE, a, "train", 0)]
    assert len(test) + len(train) == len(archs) and not set(test) & set(train)
    assert 0.15 < len(test) / len(archs) < 0.25
    assert [a for a in archs if in_split(SPACE, a, "test", 1)] != test
    proposer = RandomProposer(SPACE, "test", 0)
    assert all(in_split(SPACE, a, "test", 0) for a in proposer.draw(50, np.random.default_rng(0)))


def test_make_proposer_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="proposer"):
        make_proposer("bayes", SPACE, None, "all", 0)
    with pytest.raises(ValueError, match="arch_split"):
        make_proposer("random", SPACE, None, "val", 0)
    with pytest.raises(ValueError, match="pool"):
        make_proposer("pool", SPACE, None, "all", 0)
    with pytest.raises(ValueError, match="pool"):
        make_proposer("random", SPACE, [cell(1)], "all", 0)
    proposer = make_proposer("pool", SPACE, [SPACE.to_str(cell(1))], "all", 0)
    assert proposer.pool == (cell(1),)


def test_noise_options() -> None:
    assert parse_noise("source") is None and parse_noise("none") == 0.0
    assert parse_noise("gaussian:0.02") == 0.02
    for bad in ("loud", "gaussian:-1", "gaussian:x", 0.1):
        with pytest.raises(ValueError, match="noise"):
            parse_noise(bad)
    source = _TableSource(noise=(5.0,) * 5)
    (quiet,) = build_curves(source, [cell(4)], np.random.default_rng(0), 0.0)
    assert np.array_equal(quiet.observed, quiet.true.astype(np.float32))
    (noisy,) = build_curves(source, [cell(4)], np.random.default_rng(0), 0.05)
    assert not np.array_equal(noisy.observed, quiet.observed)
    assert np.all((noisy.observed >= 0) & (noisy.observed <= 1))


def test_engine_modules_do_not_import_gymnasium() -> None:
    for name in ("engine", "schedule", "proposals", "observation", "render"):
        tree = ast.parse((ENVS_DIR / f"{name}.py").read_text())
        imported = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            node.module.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert "gymnasium" not in imported, name


def test_infinite_budget_never_exhausts() -> None:
    engine = sim(budget=math.inf)
    engine.propose([cell(1)])
    engine.start(0)
    for _ in range(3):
        assert not engine.train(0).exhausted
    assert engine.n_completed == 1
