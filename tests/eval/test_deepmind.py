"""DeepMind Mathematics: generation (eval/deepmind.py under eval/deepmind_compat.py) and the grading
of its answer forms (eval/answer_forms.py).

For every module the gold must grade equal to itself and to an equivalent form, and unequal to a
near miss; both are made mechanically from the gold by its form (`equivalent`, `near_miss`)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest
import sympy

pytest.importorskip("mathematics_dataset")

from eval import deepmind  # noqa: E402
from eval.answer_forms import form_of, parse_sympy  # noqa: E402
from eval.datasets import load  # noqa: E402
from eval.grading import grade  # noqa: E402

DIGITS36 = "0123456789abcdefghijklmnopqrstuvwxyz"
MODULE_COUNTS = {"train-easy": 56, "train-medium": 56, "train-hard": 56, "interpolate": 56, "extrapolate": 15}


@pytest.fixture(scope="module")
def graded_items() -> list[deepmind.DMProblem]:
    """Two items of every module of both test splits (the train splits have the same modules), and
    enough of measurement__time to include clock-time answers."""
    return (deepmind.generate("interpolate", seed=7, per_module=2)
            + deepmind.generate("extrapolate", seed=7, per_module=2)
            + deepmind.generate("interpolate", seed=7, per_module=8, only=["measurement__time"]))


def _sympy(text: str) -> sympy.Expr:
    parsed = parse_sympy(text)
    assert parsed, f"the generator's gold {text!r} is not sympy syntax"
    return sympy.nsimplify(parsed[0].doit(), rational=True)


def _clock(minutes: int, twelve_hour: bool) -> str:
    h, m = divmod(minutes % 1440, 60)
    return f"{(h - 1) % 12 + 1}:{m:02d} {'AM' if h < 12 else 'PM'}" if twelve_hour else f"{h:02d}:{m:02d}"


def _minutes(gold: str) -> int:
    h, m, half = re.match(r"(\d+):(\d+) ([AP])M", gold).groups()
    return (int(h) % 12 + (12 if half == "P" else 0)) * 60 + int(m)


def _equivalent_expr(gold: str) -> str:
    """Another way to write the same value: decimal <-> fraction, integer -> `n.0`, an expression
    expanded or factored, else in LaTeX."""
    e = _sympy(gold)
    if e.is_Integer:
        return f"{e}.0"
    if e.is_Rational:
        if "." in gold:
            return f"{e.p}/{e.q}"
        q = e.q
        while q % 2 == 0 or q % 5 == 0:
            q //= 2 if q % 2 == 0 else 5
        return str(sympy.Float(e, 30)).rstrip("0") if q == 1 else f"{2 * e.p}/{2 * e.q}"
    for other in (str(sympy.expand(e)), str(sympy.factor(e))):
        if "".join(other.split()) != "".join(gold.split()):
            return other
    return sympy.latex(e)


def equivalent(gold: str, form: str) -> str:
    if form == "bool":
        return {"True": "true", "False": "no"}[gold]
    if form == "base":
        return f" {gold.upper()} "
    if form == "label":
        return f"({gold.upper()})"
    if form == "time":
        return _clock(_minutes(gold), twelve_hour=False)
    items = [s.strip() for s in gold.split(",")]
    if form == "sequence":
        return ",".join(_equivalent_expr(i) if parse_sympy(i)[0].is_number else i for i in items)
    if form == "set":
        return ", ".join(_equivalent_expr(i) for i in reversed(items))
    return _equivalent_expr(gold)


def _near_expr(gold: str) -> str:
    e = _sympy(gold)
    if isinstance(e, sympy.Symbol):
        return "z" if e.name != "z" else "y"
    return str(e + 1)


def near_miss(gold: str, form: str) -> str:
    if form == "bool":
        return {"True": "False", "False": "True"}[gold]
    if form == "base":
        return gold[:-1] + DIGITS36[(DIGITS36.index(gold[-1]) + 1) % 36]
    if form == "label":
        return chr(ord(gold) + 1)
    if form == "time":
        return _clock(_minutes(gold) + 1, twelve_hour=True)
    items = [s.strip() for s in gold.split(",")]
    if form == "sequence":
        differ = next((i for i in range(len(items) - 1) if not grade(items[i + 1], items[i], "expr")), None)
        if differ is not None:  # the same elements in another order
            items[differ], items[differ + 1] = items[differ + 1], items[differ]
            return ", ".join(items)
    return ", ".join(items[:-1] + [_near_expr(items[-1])])


def test_every_module_of_every_split_generates_with_its_name():
    for split, count in MODULE_COUNTS.items():
        items = deepmind.generate(split, seed=3, per_module=1)
        assert [p.module for p in items] == list(deepmind.modules(split)) and len(items) == count
        for p in items:
            assert p.split == split and p.id == f"dm/{split}/{p.module}/3/0"
            assert p.question.strip() and p.answer.strip() and len(p.answer) <= 30 and len(p.question) <= 160


def test_generation_is_reproducible_from_the_seed_in_another_process():
    only = ["algebra__polynomial_roots", "comparison__sort_composed", "numbers__base_conversion",
            "polynomials__simplify_power", "probability__swr_p_sequence", "measurement__time"]
    here = [(p.id, p.question, p.answer) for p in deepmind.generate("interpolate", seed=11, per_module=3, only=only)]
    assert here == [(p.id, p.question, p.answer)
                    for p in deepmind.generate("interpolate", seed=11, per_module=3, only=only)]
    # another process with another hash seed (set iteration order) gives the same items
    code = ("import json; from eval import deepmind; print(json.dumps([(p.id, p.question, p.answer) for p in "
            f"deepmind.generate('interpolate', seed=11, per_module=3, only={only!r})]))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert [tuple(x) for x in json.loads(out.stdout)] == here
    other = [(p.question, p.answer) for p in deepmind.generate("interpolate", seed=12, per_module=3, only=only)]
    assert other != [(q, a) for _, q, a in here]


def test_a_module_s_items_do_not_depend_on_the_other_modules_and_random_states_are_restored():
    import random

    import numpy as np

    random.seed(99)
    np.random.seed(99)
    before = (random.random(), np.random.rand())
    random.seed(99)
    np.random.seed(99)
    alone = deepmind.generate("extrapolate", seed=2, per_module=2, only=["numbers__place_value_big"])
    assert (random.random(), np.random.rand()) == before
    together = [p for p in deepmind.generate("extrapolate", seed=2, per_module=2,
                                             only=["numbers__place_value_big", "numbers__round_number_big"])
                if p.module == "numbers__place_value_big"]
    assert alone == together


def test_the_registry_names_and_options():
    items = load("dm-extrapolate:per_module=1,seed=4")
    assert len(items) == MODULE_COUNTS["extrapolate"] and all(p.form for p in items)
    assert [p.id for p in items] == [f"dm/extrapolate/{m}/4/0" for m in deepmind.modules("extrapolate")]
    with pytest.raises(ValueError, match="per_module=N,seed=S"):
        load("dm-extrapolate:size=3")


def test_every_module_s_gold_grades_equal_to_itself_and_an_equivalent_form_and_not_to_a_near_miss(graded_items):
    t0 = time.perf_counter()
    forms: dict[str, set[str]] = {}
    for p in graded_items:
        form = form_of(p.module, p.question, p.answer)
        forms.setdefault(form, set()).add(p.module)
        same, miss = equivalent(p.answer, form), near_miss(p.answer, form)
        assert grade(p.answer, p.answer, form), (p.module, p.answer)
        assert grade(same, p.answer, form), (p.module, p.answer, same)
        assert not grade(miss, p.answer, form), (p.module, p.answer, miss)
    assert set(forms) == {"bool", "base", "label", "time", "sequence", "set", "expr"}, forms
    assert time.perf_counter() - t0 < 20


@pytest.mark.parametrize("gold,form,same,miss", [
    ("True", "bool", "\\text{True}", "False"),
    ("-1, 2, 10", "set", "10, -1, 2", "-1, 2, 11"),
    ("-1, 2, 10", "sequence", "-1,2,10", "10, 2, -1"),
    ("2, 3, 7, 50417", "set", "\\{50417, 7, 3, 2\\}", "2, 3, 7"),
    ("x**2 + 1", "expr", "1 + x^2", "x**2 - 1"),
    ("-2*n*(n - 7)", "expr", "-2 n^{2} + 14 n", "-2*n*(n + 7)"),
    ("m**(-37093/51)", "expr", "1/m**(37093/51)", "m**(-37092/51)"),
    ("-7b4725", "base", "-7B4725_{16}", "-7b4724"),
    ("12136a", "base", "12136A", "a12136"),
    ("-191694.4", "expr", "-1916944/10", "-191694.5"),
    ("3/32", "expr", "\\frac{3}{32}", "0.0938"),
    ("1/15", "expr", "2/30", "0.0667"),
    ("2 - sqrt(3)", "expr", "-\\sqrt{3} + 2", "2 + sqrt(3)"),
    ("c", "label", "(c)", "b"),
    ("k", "expr", "k", "K"),
    ("4:38 PM", "time", "4:38pm", "4:38 AM"),
])
def test_answer_forms_of_the_brief(gold, form, same, miss):
    assert grade(same, gold, form) and not grade(miss, gold, form)


def test_form_of_reads_module_question_and_gold():
    assert form_of("numbers__is_prime", "Is 7 prime?", "True") == "bool"
    assert form_of("numbers__base_conversion", "12 (base 3) to base 10", "5") == "base"
    assert form_of("comparison__kth_biggest", "Which is smallest?  (a) 1  (b) 2", "a") == "label"
    assert form_of("comparison__closest_composed", "Let a = 2. Which is closest to 1: a, 5?", "a") == "expr"
    assert form_of("comparison__sort", "Sort 2, 1.", "1, 2") == "sequence"
    assert form_of("numbers__list_prime_factors", "List the prime factors of 6.", "2, 3") == "set"


@pytest.mark.parametrize("text", ["__import__('os').system('true')", "x.__class__", "(1).real", "exp(1)",
                                  "lambda: 1", "a[0]", "print(1)"])
def test_model_text_that_is_not_plain_sympy_syntax_is_never_evaluated_as_python(text):
    assert parse_sympy(text) == []


def test_a_huge_power_is_compared_without_evaluating_it():
    t0 = time.perf_counter()
    assert not grade("9**9**9**9", "2", "expr")
    assert time.perf_counter() - t0 < 5


def test_the_runner_grades_with_the_problem_s_form(tmp_path):
    import anyio

    from agent_client import Trajectory
    from eval.datasets import Problem
    from eval.records import RunWriter
    from eval.runner import run_problems

    class Agent:
        async def run(self, problem: str, *, seed: int | None = None) -> Trajectory:
            return Trajectory(problem=problem, prompt_ids=[1], answer="x^2 + 1", finish_reason="answer")

    items = [(0, Problem(id="a", problem="Expand.", answer="x**2 + 1", form="expr")),
             (1, Problem(id="b", problem="Expand.", answer="x**2 - 1", form="expr"))]
    with RunWriter(tmp_path / "run.jsonl", "w") as w:
        anyio.run(lambda: run_problems(Agent(), items, w, samples=1, concurrency=1))
    verdicts = {d["id"]: d["correct"] for d in map(json.loads, (tmp_path / "run.jsonl").read_text().splitlines())
                if d["type"] == "problem"}
    assert verdicts == {"a": [True], "b": [False]}
