"""Questions of the comparison, measurement and probability modules."""

from __future__ import annotations

import re

from train.dm_teacher.algebra import _match
from train.dm_teacher.context import Snippet, Unparsed, count_word, ordinal

# -- comparison ---------------------------------------------------------------------------------------


def _values(code: Snippet, items: list[tuple[str, str]]) -> None:
    """`values = {'label': value, ...}`; the label is what the answer names (the item's text or its letter)."""
    body = ", ".join(f"{label!r}: {code.number(text)}" for label, text in items)
    code.add(f"values = {{{body}}}")


def _listed(text: str) -> list[tuple[str, str]]:
    items = [t.strip() for t in text.split(",")]
    if len(items) < 2:
        raise Unparsed(f"list {text!r}")
    return [(t, t) for t in items]


def _choices(text: str) -> list[tuple[str, str]]:
    items = re.findall(r"\(([a-z])\) (\S+)", text)
    if len(items) < 2 or re.sub(r"\s*\([a-z]\) \S+", "", text).strip():
        raise Unparsed(f"choices {text!r}")
    return items


def _items(m: re.Match[str]) -> list[tuple[str, str]]:
    return _listed(m["list"]) if m.groupdict().get("list") else _choices(m["choices"])


def closest(code: Snippet, q: str) -> None:
    m = _match([r"What is the (?:closest|nearest) to (?P<t>\S+) in (?P<list>.+)",
                r"Which is the (?:closest|nearest) to (?P<t>\S+)\?(?P<choices>.+)"], q)
    _values(code, _items(m))
    code.add(f"print(min(values, key=lambda label: abs(values[label] - {code.number(m['t'])})))")


def kth_biggest(code: Snippet, q: str) -> None:
    m = _match([r"What is the (?:(?P<k>\w+) )?(?P<dir>biggest|smallest) value in (?P<list>.+)",
                r"Which is the (?:(?P<k>\w+) )?(?P<dir>biggest|smallest) value\?(?P<choices>.+)"], q)
    _values(code, _items(m))
    k = ordinal(m["k"]) if m["k"] else 1
    rev = ", reverse=True" if m["dir"] == "biggest" else ""
    code.add(f"print(sorted(values, key=values.get{rev})[{k - 1}])")


_OPS = [("<=", r"<=|less than or equal to|at most(?: as big as)?"),
        (">=", r">=|greater than or equal to|at least(?: as big as)?"), ("!=", r"!=|not equal to"),
        ("<", r"<|less than|smaller than"), (">", r">|greater than|bigger than"),
        ("==", r"equal to")]


def pair(code: Snippet, q: str) -> None:
    if m := re.fullmatch(r"Which is (?P<w>bigger|greater|smaller): (?P<a>\S+) or (?P<b>\S+)", q):
        _values(code, [(m["a"], m["a"]), (m["b"], m["b"])])
        code.add(f"print({'min' if m['w'] == 'smaller' else 'max'}(values, key=values.get))")
        return
    for op, words in _OPS:
        if m := re.fullmatch(rf"Is (?P<a>\S+) (?:{words}) (?P<b>\S+)", q):
            break
    else:
        m = None
        for op, pattern in (("==", r"Does (?P<a>\S+) = (?P<b>\S+)"), ("==", r"Are (?P<a>\S+) and (?P<b>\S+) equal"),
                            ("==", r"Do (?P<a>\S+) and (?P<b>\S+) have the same value"),
                            ("!=", r"Are (?P<a>\S+) and (?P<b>\S+) (?:unequal|nonequal|non-equal)"),
                            ("!=", r"Do (?P<a>\S+) and (?P<b>\S+) have different values")):
            if m := re.fullmatch(pattern, q):
                break
        if m is None:
            raise Unparsed(f"question {q!r}")
    code.add(f"print({code.number(m['a'])} {op} {code.number(m['b'])})")


def sort(code: Snippet, q: str) -> None:
    m = _match([r"(?:Sort|Put) (?P<list>.+) in (?P<dir>ascending|increasing|descending|decreasing) order",
                r"Sort (?P<list>.+)"], q)
    _values(code, _items(m))
    rev = ", reverse=True" if m.groupdict().get("dir") in ("descending", "decreasing") else ""
    code.add(f"print(*sorted(values, key=values.get{rev}), sep=', ')")


# -- measurement --------------------------------------------------------------------------------------

# (name, symbol, size in the dimension's base unit as Python source, base unit)
_UNITS = [
    ("meter", "m", "1", "meters"), ("kilometer", "km", "1000", "meters"),
    ("centimeter", "cm", "Rational(1, 100)", "meters"), ("millimeter", "mm", "Rational(1, 1000)", "meters"),
    ("micrometer", "um", "Rational(1, 10**6)", "meters"), ("nanometer", "nm", "Rational(1, 10**9)", "meters"),
    ("second", "s", "1", "seconds"), ("minute", None, "60", "seconds"), ("hour", None, "60*60", "seconds"),
    ("day", None, "24*60*60", "seconds"), ("week", None, "7*24*60*60", "seconds"),
    ("millisecond", "ms", "Rational(1, 1000)", "seconds"), ("microsecond", "us", "Rational(1, 10**6)", "seconds"),
    ("nanosecond", "ns", "Rational(1, 10**9)", "seconds"),
    ("year", None, "1", "years"), ("decade", None, "10", "years"), ("century", None, "100", "years"),
    ("millennium", None, "1000", "years"), ("month", None, "Rational(1, 12)", "years"),
    ("kilogram", "kg", "1", "kilograms"), ("tonne", "t", "1000", "kilograms"),
    ("gram", "g", "Rational(1, 1000)", "kilograms"),
    ("milligram", "mg", "Rational(1, 10**6)", "kilograms"), ("microgram", "ug", "Rational(1, 10**9)", "kilograms"),
    ("nanogram", "ng", "Rational(1, 10**12)", "kilograms"),
    ("litre", "l", "1", "litres"), ("millilitre", "ml", "Rational(1, 1000)", "litres"),
]
_PLURAL = {"century": "centuries", "millennium": "millennia"}


def _unit(text: str) -> tuple[str, str, str]:
    for name, symbol, size, base in _UNITS:
        if text in (name, _PLURAL.get(name, name + "s"), symbol):
            return name, size, base
    raise Unparsed(f"unit {text!r}")


_SMALL = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen " \
         "sixteen seventeen eighteen nineteen".split()
_TENS = {w: 20 + 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_TENS["fourty"] = 40  # the generator's spelling
_PARTS = {"half": 2, "halves": 2, **{w + s: i for i, w in enumerate(
    "third quarter fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth "
    "sixteenth seventeenth eighteenth nineteenth twentieth".split(), start=3) for s in ("", "s")}}


def _cardinal(text: str) -> int:
    if text in _SMALL:
        return _SMALL.index(text)
    tens, _, unit = text.partition("-")
    if tens not in _TENS or (unit and unit not in _SMALL[1:10]):
        raise Unparsed(f"number {text!r}")
    return _TENS[tens] + (_SMALL.index(unit) if unit else 0)


def _amount(text: str) -> str:
    """`1.28836`, `54/5` or `sixty-one halves` as a Rational (the last one's digits are not in the question)."""
    if re.fullmatch(r"\d+(?:\.\d+)?(?:/\d+)?", text):
        return f"Rational({text!r})"
    m = re.fullmatch(r"(a|an|[a-z-]+) ([a-z]+)", text)
    if m is None or m.group(2) not in _PARTS:
        raise Unparsed(f"amount {text!r}")
    num = 1 if m.group(1) in ("a", "an") else _cardinal(m.group(1))
    return f"Rational({num}, {_PARTS[m.group(2)]})"


def conversion(code: Snippet, q: str) -> None:
    m = _match([r"How many (?P<to>\w+) are there in (?P<x>.+?) of an? (?P<from>\w+)",
                r"What is (?P<x>.+?) of an? (?P<from>\w+) in (?P<to>\w+)",
                r"How many (?P<to>\w+) are there in (?P<x>[\d.]+) ?(?P<from>\w+)",
                r"What is (?P<x>[\d.]+) ?(?P<from>\w+) in (?P<to>\w+)",
                r"Convert (?P<x>[\d.]+) ?(?P<from>\w+) to (?P<to>\w+)"], q)
    (src, size_src, base), (dst, size_dst, base_dst) = _unit(m["from"]), _unit(m["to"])
    if base != base_dst:
        raise Unparsed(f"units of different dimensions in {q!r}")
    code.add(f"{src} = {size_src}  # {base}")
    code.add(f"{dst} = {size_dst}  # {base}")
    code.add(f"print({_amount(m['x'])} * {src} / {dst})")


_CLOCK = r"\d{1,2}:\d{2} [AP]M"


def _clock(code: Snippet, name: str, text: str) -> None:
    """`t = datetime(2000, 1, 1, 13, 1)  # 1:01 PM` (the sandbox has no `strptime`)."""
    hm, half = text.split()
    h, minute = (int(x) for x in hm.split(":"))
    code.add(f"{name} = datetime(2000, 1, 1, {h % 12 + (12 if half == 'PM' else 0)}, {minute})  # {text}")


def time(code: Snippet, q: str) -> None:
    code.imports.insert(0, "from datetime import datetime, timedelta")
    if m := re.fullmatch(rf"What is (?P<d>\d+) minutes (?P<op>after|before) (?P<t>{_CLOCK})", q):
        _clock(code, "t", m["t"])
        code.add(f"t = t {'+' if m['op'] == 'after' else '-'} timedelta(minutes={m['d']})")
        code.add("print(t.strftime('%I:%M %p').lstrip('0'))")
        return
    m = _match([rf"How many minutes are there between (?P<a>{_CLOCK}) and (?P<b>{_CLOCK})"], q)
    _clock(code, "a", m["a"])
    _clock(code, "b", m["b"])
    code.add("print(int((b - a).total_seconds() // 60) % (24*60))")


# -- probability (whole questions: the set-up sentence names the bag) ----------------------------------

_DRAW = r"(?P<n>\w+) letters picked without replacement from (?P<bag>\{[a-z: 0-9,]+\}|[a-z]+)"


def _bag(code: Snippet, text: str) -> None:
    if text.startswith("{"):
        pairs = re.findall(r"([a-z]): (\d+)", text)
        code.add("bag = Counter({" + ", ".join(f"{k!r}: {v}" for k, v in pairs) + "})")
    else:
        code.add(f"bag = Counter({text!r})")
    code.imports.insert(0, "from collections import Counter")


def _draw(q: str, event: str) -> re.Match[str]:
    return _match([rf"{_DRAW}\. (?:What is|Give) prob of {event}",
                   rf"(?:What is|Calculate) prob of {event} when {_DRAW}"], q)


def swr_p_level_set(code: Snippet, q: str) -> None:
    m = _draw(q, r"picking (?P<ev>[0-9a-z, ]+)")
    picks = re.findall(r"(\d+) ([a-z])", m["ev"])
    if not picks or re.sub(r"\d+ [a-z]|,| and ", "", m["ev"]).strip():
        raise Unparsed(f"event {m['ev']!r}")
    n = count_word(m["n"])
    if sum(int(k) for k, _ in picks) != n:
        raise Unparsed(f"event {m['ev']!r} does not pick {n} letters")
    _bag(code, m["bag"])
    code.add("picked = {" + ", ".join(f"{c!r}: {k}" for k, c in picks) + "}")
    code.add(f"print(prod(binomial(bag[c], k) for c, k in picked.items()) / binomial(sum(bag.values()), {n}))")


def swr_p_sequence(code: Snippet, q: str) -> None:
    m = _draw(q, r"sequence (?P<seq>[a-z]+)")
    if len(m["seq"]) != count_word(m["n"]):
        raise Unparsed(f"sequence {m['seq']!r}")
    _bag(code, m["bag"])
    code.add("p, n = 1, sum(bag.values())")
    code.add(f"for c in {m['seq']!r}:")
    code.add("    p, bag[c], n = p * Rational(bag[c], n), bag[c] - 1, n - 1")
    code.add("print(p)")


HANDLERS = {
    "comparison__closest": closest, "comparison__kth_biggest": kth_biggest, "comparison__pair": pair,
    "comparison__sort": sort, "measurement__conversion": conversion, "measurement__time": time,
    "probability__swr_p_level_set": swr_p_level_set, "probability__swr_p_sequence": swr_p_sequence,
}
WHOLE = {"probability__swr_p_level_set", "probability__swr_p_sequence"}
