"""Dataset registry: CHAMP offline, local files with column mapping, a useful offline error."""

from __future__ import annotations

import csv
import json

import pytest

from eval import datasets as ds


def test_champ_is_available_offline_with_gradable_answers():
    items = ds.load("champ")
    assert 80 <= len(items) <= 270
    assert len({p.id for p in items}) == len(items)
    by_id = {p.id: p for p in items}
    assert by_id["P_Combinatorics_1"].answer == "239"
    assert by_id["P_Combinatorics_2"].answer == "252"      # "@@C(10, 5)@@, or equivalently @@252@@"
    assert all(p.problem and "@@" not in p.problem for p in items)
    assert len(ds.load("champ-all")) == 270
    assert [p.id for p in ds.load("champ", limit=5)] == [p.id for p in items[:5]]


def test_champ_answer_normalisation():
    assert ds.champ_answer("@@5/14@@, or approximately 35.7%") == "5/14"
    assert ds.champ_answer("@@(20*10^15-2)/17@@, or equivalently 1176470588235294") == "1176470588235294"
    assert ds.champ_answer("No integer solutions") == "No integer solutions"


ROWS = [{"question": "1+1?", "final_answer": 2, "uid": "a"}, {"question": "Half of 1?", "final_answer": "\\frac12", "uid": "b"}]


def test_local_jsonl_with_detected_columns(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n")
    items = ds.load(str(path))
    assert [(p.id, p.problem, p.answer) for p in items] == [("0", "1+1?", "2"), ("1", "Half of 1?", "\\frac12")]


def test_local_csv_with_explicit_mapping(tmp_path):
    path = tmp_path / "set.csv"
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["uid", "question", "final_answer"])
        w.writeheader()
        w.writerows(ROWS)
    items = ds.load(str(path), columns=ds.ColumnMap(problem="question", answer="final_answer", id="uid"))
    assert [(p.id, p.answer) for p in items] == [("a", "2"), ("b", "\\frac12")]


def test_local_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "set.parquet"
    pq.write_table(pa.Table.from_pylist([{**r, "final_answer": str(r["final_answer"])} for r in ROWS]), path)
    items = ds.load(str(path), columns=ds.ColumnMap(id="uid"), limit=1)
    assert [(p.id, p.problem, p.answer) for p in items] == [("a", "1+1?", "2")]


def test_missing_column_names_the_columns(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps({"text": "x", "answer": 1}) + "\n")
    with pytest.raises(ValueError, match="--problem-col"):
        ds.load(str(path))


def test_offline_error_says_how_to_pass_a_local_file(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    try:
        ds.load("hmmt25")
    except ds.DatasetUnavailable as e:
        msg = str(e)
        assert "--dataset hmmt25.jsonl" in msg and "--problem-col problem" in msg
    else:  # the dataset happens to be in the local HF cache: then it must be well formed
        items = ds.load("hmmt25")
        assert items and all(p.answer for p in items)


def test_unknown_name_lists_the_registry():
    with pytest.raises(ds.DatasetUnavailable, match="math500"):
        ds.load("no-such-benchmark")


def test_registry_is_a_name_to_loader_mapping_that_load_uses():
    problems = [ds.Problem(id="x1", problem="1+1?", answer="2"), ds.Problem(id="x2", problem="2+2?", answer="4")]
    ds.register("test-tiny-family", "two sums", lambda: list(problems))
    try:
        assert ds.available()["test-tiny-family"] == "two sums"
        assert ds.load("test-tiny-family", limit=1) == problems[:1]
        with pytest.raises(ValueError, match="taken"):
            ds.register("champ", "again", list)
    finally:
        del ds.REGISTRY["test-tiny-family"]
    assert {"math500", "aime25", "champ", "champ-all", "openmath-tir"} <= set(ds.available())


def test_rows_without_problem_or_answer_are_dropped(tmp_path):
    path = tmp_path / "p.jsonl"
    rows = [{"q": "1+1?", "a": "2"}, {"q": "no answer", "a": ""}, {"q": "", "a": "3"}, {"q": "null", "a": None}]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    items = ds.load(str(path), columns=ds.ColumnMap(problem="q", answer="a"))
    assert [(p.problem, p.answer) for p in items] == [("1+1?", "2")]


def test_hub_spec_offline_error_names_the_repo_and_a_way_out(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(ds.DatasetUnavailable, match=r"(?s)no-such-owner/no-such-set \(split test\).*--dataset champ"):
        ds.load("hf:no-such-owner/no-such-set:test", columns=ds.ColumnMap(problem="q"))
