"""Vote, tie and pass@k rules against values computed by hand."""

from __future__ import annotations

import io
import json

import pytest

from eval.metrics import bootstrap_ci, majority_correct, majority_vote, pass_at_k, score_problems
from eval.records import ProblemRecord, SampleRecord


@pytest.mark.parametrize(("n", "c", "k", "expected"), [
    (4, 1, 1, 0.25),                 # pass@1 = c/n
    (5, 2, 2, 0.7),                  # 1 - C(3,2)/C(5,2) = 1 - 3/10
    (10, 3, 5, 1 - 21 / 252),        # 1 - C(7,5)/C(10,5)
    (16, 1, 8, 0.5),                 # 1 - C(15,8)/C(16,8) = 1 - 6435/12870
    (16, 1, 16, 1.0),
    (3, 0, 2, 0.0),
    (3, 2, 2, 1.0),                  # n - c < k: every draw of 2 contains a correct one
])
def test_pass_at_k_hand_values(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_k_rejects_k_above_n():
    with pytest.raises(ValueError):
        pass_at_k(4, 1, 5)


def test_unparsable_answers_do_not_vote():
    # two unparsable samples outnumber the single parsable one, which still wins
    assert majority_vote([None, 1, None]) == 1
    assert majority_vote([None, None]) is None
    assert majority_correct([None, None], [False, False]) is False


def test_ties_go_to_the_earliest_cluster():
    assert majority_vote([0, 1, 0, 1]) == 0
    assert majority_vote([None, 1, 2, 2, 1]) == 1
    assert majority_vote([0, 1, 1]) == 1   # a strict majority beats the earlier cluster
    # the verdict is that of the winning cluster's first sample
    assert majority_correct([0, 1, 0, 1], [False, True, False, True]) is False
    assert majority_correct([0, 1, 1], [False, True, True]) is True


def test_bootstrap_interval_by_hand():
    # means of 2 resampled values from {0, 1}: 0 (p=1/4), 0.5 (1/2), 1 (1/4) -> 2.5%..97.5% = 0..1
    assert bootstrap_ci([0.0, 1.0]) == (0.0, 1.0)
    assert bootstrap_ci([1.0] * 10) == (1.0, 1.0)
    lo, hi = bootstrap_ci([1.0] * 70 + [0.0] * 30)
    assert lo < 0.7 < hi and hi - lo < 0.25
    assert bootstrap_ci([0.0, 1.0, 1.0], seed=3) == bootstrap_ci([0.0, 1.0, 1.0], seed=3)


def _sample(cluster, correct, *, tokens=10, calls=1, errors=0, finish="answer"):
    return SampleRecord(answer=None if cluster is None else str(cluster), correct=correct, cluster=cluster,
                        model_tokens=tokens, trace_tokens=tokens + 5 * calls, tool_calls=calls,
                        tool_errors=errors, finish_reason=finish, wall_s=1.0)


def test_score_problems_by_hand():
    problems = [
        # votes: cluster 0 twice (wrong), cluster 2 once (right) -> maj wrong; mean 1/4
        ProblemRecord(id="a", problem="p", gold="1", wall_s=2.0, samples=[
            _sample(0, False), _sample(0, False), _sample(2, True, calls=2, errors=1), _sample(None, False, finish="budget")]),
        # tie 0 vs 1 -> earliest (0) which is right; mean 2/4
        ProblemRecord(id="b", problem="p", gold="2", wall_s=4.0, samples=[
            _sample(0, True), _sample(1, False), _sample(0, True, tokens=30), _sample(1, False)]),
    ]
    s = score_problems(problems)
    assert s.problems == 2 and s.samples_per_problem == 4
    assert s.maj.value == 0.5
    assert s.mean.value == pytest.approx((0.25 + 0.5) / 2)
    assert s.pass_at[1].value == pytest.approx(s.mean.value)
    # pass@2: a: 1 - C(3,2)/C(4,2) = 0.5 ; b: 1 - C(2,2)/C(4,2) = 5/6
    assert s.pass_at[2].value == pytest.approx((0.5 + 5 / 6) / 2)
    assert s.pass_at[4].value == 1.0
    assert s.mean_model_tokens == pytest.approx((10 * 7 + 30) / 8)
    assert s.tool_calls_per_problem == pytest.approx(9 / 2)
    assert s.tool_error_rate == pytest.approx(1 / 9)
    assert s.unparsable_rate == pytest.approx(1 / 8)
    assert s.finish_reasons == {"answer": 7, "budget": 1}
    assert s.wall_s_per_problem == 3.0
    assert s.maj.lo <= s.maj.value <= s.maj.hi


def test_vote_reports_ties_and_ignores_unparsable_answers():
    from agent_client.vote import vote

    v = vote(["23", "7", None, "I could not finish"])  # a 1-1 tie; two samples do not vote
    assert v.clusters == [0, 1, None, None] and v.voters == 2
    assert v.winner == 0 and v.votes == 1 and v.tied == [0, 1]
    v = vote(["\\frac12", "3", "0.5", "3.0", "1/2"])  # equivalent answers are one vote
    assert v.winner == 0 and v.votes == 3 and v.tied is None
    assert vote([None, ""]).winner is None


def test_a_tie_is_shown_as_a_tie():
    from rich.console import Console

    from agent_client.render import majority_view

    def shown(answers, n):
        console = Console(file=io.StringIO(), record=True, width=200, color_system=None)
        console.print(majority_view(answers, n))
        return console.export_text()

    tie = shown(["23", "7", None, None], 4)
    assert "majority answer" not in tie
    assert "tie" in tie and "1/4 votes each: 23, 7" in tie and "tie-break (earliest) 23" in tie
    assert "majority answer 0.5  2/3 votes (67%)" in shown(["0.5", "3", "\\frac{1}{2}"], 3)
    assert "no answer from any of 2 samples" in shown([None, ""], 2)


ANSWERS = ["3", "\\frac{1}{2}", "0.5", "3", "1/2"]  # strings: "3" leads 2-1-1-1; as numbers 1/2 wins 3-2


def test_agent_samples_and_eval_score_name_the_same_majority(tmp_path, tiny_model_dir, tiny_tokenizer, capsys):
    """The same five samples through `deepmath-agent --samples` (its vote line) and through
    eval's grading, record file and `deepmath-eval score`. The model is a SCRIPTED POLICY behind
    the real loopback HTTP server: sample i boxes ANSWERS[i] (in request order)."""
    import argparse
    import itertools
    import threading

    from rich.console import Console

    from agent_client import Trajectory
    from agent_client.cli import main as agent_main
    from agent_client.cli import report
    from support.scripted_server import ScriptedCompletions, ScriptedOpenAIServer
    from eval.cli import main as eval_main
    from eval.datasets import Problem
    from eval.metrics import majority_answer
    from eval.records import RunHeader, read_run
    from eval.runner import grade_problem, sample_line

    counter, lock = itertools.count(), threading.Lock()

    def policy(prompt_text: str) -> str:
        with lock:
            i = next(counter)
        return f"The answer is \\boxed{{{ANSWERS[i % len(ANSWERS)]}}}.<|im_end|>"

    srv = ScriptedOpenAIServer(ScriptedCompletions(tiny_tokenizer, policy)).start()
    try:
        quiet = Console(file=io.StringIO(), record=True, width=200, color_system=None)
        rc = agent_main(["--base-url", srv.base_url, "--tokenizer", str(tiny_model_dir), "--mode", "plain",
                         "--samples", "5", "--json", "What is one half?"], console=quiet, err=quiet)
    finally:
        srv.stop()
    assert rc == 0
    trajs = [Trajectory.model_validate(t) for t in json.loads(capsys.readouterr().out)]
    assert sorted(t.answer for t in trajs) == sorted(ANSWERS)

    console = Console(file=io.StringIO(), record=True, width=200, color_system=None)
    report(trajs, argparse.Namespace(json=False), console)
    line = next(ln for ln in console.export_text().splitlines() if "majority answer" in ln)
    agent_answer = line.split("majority answer ")[1].split()[0]
    assert "3/5 votes" in line

    lines = [sample_line("half", j, None, t) for j, t in enumerate(trajs)]
    rec = grade_problem(Problem(id="half", problem="What is one half?", answer="\\frac{1}{2}"), lines, 1.0)
    header = RunHeader(dataset="half", dataset_size=1, samples=5, mode="plain", model="scripted", engine="openai",
                       tokenizer=str(tiny_model_dir), prompt_version="v1", sampling={}, budgets={}, concurrency=5)
    run = tmp_path / "run.jsonl"
    run.write_text("".join(x.model_dump_json() + "\n" for x in (header, *lines, rec)))
    out = Console(file=io.StringIO(), record=True, width=200, color_system=None)
    assert eval_main(["score", str(run), "--format", "json"], console=out, err=out) == 0, out.export_text()
    scored = json.loads(out.export_text())
    assert scored[0]["score"]["maj"]["value"] == 1.0  # maj@k graded the 1/2 cluster: right
    assert majority_answer(read_run(run).problems[0]) == agent_answer
    assert agent_answer in ("\\frac{1}{2}", "0.5", "1/2")
