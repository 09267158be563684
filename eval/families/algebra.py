"""Algebra, calculus and geometry families: linear equations, quadratics, 2x2 systems, polynomial
values, exponential equations, derivatives, integrals, hypotenuses.

Equations are rendered twice by `core.poly`: as text ("3x^2 - 5x + 6") and as the Python the
teacher snippet hands to sympy ("3*x**2 - 5*x + 6"). Quadratics and systems have integer solutions
by construction; golds are computed from the construction (or exact `Fraction` arithmetic), and
the tests re-solve every item with sympy.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .core import family, nonzero, pick, poly, poly_value, random_poly

_SOLVE = "from sympy import symbols, Eq, solve\nx = symbols('x')\n"


@family("linear_equation", code=_SOLVE + "print(solve(Eq({lhs}, {rhs}), x)[0])",
        train=["Solve for x: {eq}.", "What value of x satisfies {eq}?", "Find x if {eq}.",
               "Solve the equation {eq}.", "If {eq}, what is x?", "Determine x such that {eq}.",
               "For which x does {eq} hold?", "What is the solution of {eq}?",
               "Solve {eq} for x.",
               "Find the value of x for which {eq}.",
               "What is x if {eq}?",
               "Solve: {eq}."],
        val=["Work out x given that {eq}.", "Which number x makes {eq} true?",
             "Find the solution x of {eq}."],
        test=["A number x has the property that {eq}; what is the number?",
              "The unknown x obeys the relation {eq}. Give x exactly.",
              "Give the exact value of x for which {eq} is true."])
def linear_equation(rng, test):
    a = nonzero(rng, -40, 40) if test else nonzero(rng, -12, 12)
    c = rng.randint(-40, 40) if test else rng.randint(-12, 12)
    while c == a:
        c += 1
    b = pick(rng, test, (-50, 50), (100, 999)) * (rng.choice([-1, 1]) if test else 1)
    d = pick(rng, test, (-50, 50), (100, 999)) * (rng.choice([-1, 1]) if test else 1)
    lhs_t, lhs_c = poly([(a, 1), (b, 0)])
    rhs_t, rhs_c = poly([(c, 1), (d, 0)])
    return {"eq": f"{lhs_t} = {rhs_t}", "lhs": lhs_c, "rhs": rhs_c}, Fraction(d - b, a - c)


def _quadratic(rng, test) -> tuple[int, int, list[tuple[int, int]]]:
    """Two distinct integer roots and the polynomial k(x - r)(x - s), as (coefficient, power) terms."""
    lo, hi = (13, 60) if test else (0, 12)
    r = rng.randint(lo, hi) * rng.choice([-1, 1])
    s = rng.randint(-hi, hi)
    while s == r:
        s = rng.randint(-hi, hi)
    k = rng.randint(1, 5 if test else 3)
    return r, s, [(k, 2), (-k * (r + s), 1), (k * r * s, 0)]


@family("quadratic_roots", code=_SOLVE + "print({op}(solve(Eq({lhs}, 0), x)))",
        train=["What is the {which} root of {eq}?", "Find the {which} solution of {eq}.",
               "Solve {eq} and give the {which} root.", "The equation {eq} has two roots. What is the {which} one?",
               "What is the {which} value of x satisfying {eq}?", "Determine the {which} root of the quadratic {eq}.",
               "Of the two solutions of {eq}, which is the {which}?", "Compute the {which} real root of {eq}.",
               "Find the {which} root of {eq}.",
               "What is the {which} solution of {eq}?",
               "Solve {eq}. What is the {which} solution?",
               "Give the {which} root of the equation {eq}."],
        val=["Work out the {which} root of {eq}.", "Which is the {which} x for which {eq}?",
             "What is the {which} of the two roots of {eq}?"],
        test=["A quadratic equation reads {eq}; report its {which} solution.",
              "Among the real numbers x with {eq}, which one is the {which}?",
              "The equation {eq} has two solutions; report the {which} of them."])
def quadratic_roots(rng, test):
    r, s, terms = _quadratic(rng, test)
    op, which = rng.choice([("max", "larger"), ("min", "smaller")])
    text, code = poly(terms)
    return {"eq": f"{text} = 0", "lhs": code, "op": op, "which": which}, max(r, s) if op == "max" else min(r, s)


@family("quadratic_vieta", code="from sympy import symbols, Eq, solve, prod\nx = symbols('x')\n"
                                "print({op}(solve(Eq({lhs}, 0), x)))",
        train=["What is the {what} of the roots of {eq}?", "Find the {what} of the solutions of {eq}.",
               "Compute the {what} of all x satisfying {eq}.", "The equation {eq} has two roots. What is their {what}?",
               "Determine the {what} of the roots of the quadratic {eq}.",
               "What is the {what} of the two solutions of {eq}?",
               "If r and s are the roots of {eq}, what is the {what} of r and s?",
               "Calculate the {what} of the real roots of {eq}.",
               "Find the {what} of the roots of {eq}.",
               "What is the {what} of all solutions of {eq}?",
               "Compute the {what} of the two roots of {eq}.",
               "Give the {what} of the solutions of the equation {eq}."],
        val=["Work out the {what} of the roots of {eq}.", "What {what} do the two solutions of {eq} have?",
             "What is the {what} of the solutions of {eq}?"],
        test=["Let u and v be the two numbers solving {eq}; report their {what}.",
              "A quadratic equation reads {eq}; combine its solutions and give their {what}.",
              "For the two numbers that satisfy {eq}, report their {what}."])
def quadratic_vieta(rng, test):
    r, s, terms = _quadratic(rng, test)
    op, what = rng.choice([("sum", "sum"), ("prod", "product")])
    text, code = poly(terms)
    return {"eq": f"{text} = 0", "lhs": code, "op": op, "what": what}, r + s if op == "sum" else r * s


def _linear2(a: int, b: int) -> tuple[str, str]:
    t1, c1 = poly([(a, 1)], "x")
    t2, c2 = poly([(b, 1)], "y")
    sign = "-" if b < 0 else "+"
    return f"{t1} {sign} {t2.lstrip('-')}", f"{c1} {sign} {c2.lstrip('-')}"


@family("linear_system", code="from sympy import symbols, Eq, solve\nx, y = symbols('x y')\n"
                              "s = solve([Eq({l1}, {r1}), Eq({l2}, {r2})], [x, y])\nprint({ask_code})",
        train=["If {e1} and {e2}, what is {ask}?", "Solve the system {e1}, {e2}. What is {ask}?",
               "Given {e1} and {e2}, find {ask}.", "The numbers x and y satisfy {e1} and {e2}. What is {ask}?",
               "Find {ask} where x and y solve {e1} and {e2}.",
               "Solve for x and y: {e1} and {e2}. Give {ask}.",
               "What is {ask} if x and y satisfy both {e1} and {e2}?",
               "Determine {ask} for the solution of the equations {e1} and {e2}.",
               "Solve {e1} and {e2}. What is {ask}?",
               "Find {ask} if {e1} and {e2}.",
               "Given that {e1} and {e2}, what is {ask}?",
               "x and y satisfy {e1} and {e2}. Find {ask}."],
        val=["Work out {ask} given that {e1} and {e2}.", "x and y obey {e1} and {e2}; what is {ask}?",
             "If x and y solve {e1} and {e2}, what is {ask}?"],
        test=["Two unknowns are tied together by the equations {e1} and {e2}. Report the value of {ask}.",
              "Suppose the pair (x, y) makes both {e1} and {e2} true; compute {ask}.",
              "For the pair of numbers x, y with {e1} and {e2}, what does {ask} equal?"])
def linear_system(rng, test):
    lo, hi = (10, 30) if test else (1, 9)
    while True:
        a1, b1, a2, b2 = (rng.randint(lo, hi) * rng.choice([-1, 1]) for _ in range(4))
        if a1 * b2 != a2 * b1:
            break
    x = pick(rng, test, (-20, 20), (21, 99)) * (rng.choice([-1, 1]) if test else 1)
    y = pick(rng, test, (-20, 20), (21, 99)) * (rng.choice([-1, 1]) if test else 1)
    (t1, c1), (t2, c2) = _linear2(a1, b1), _linear2(a2, b2)
    r1, r2 = a1 * x + b1 * y, a2 * x + b2 * y
    ask, ask_code, value = rng.choice([("x", "s[x]", x), ("y", "s[y]", y), ("x + y", "s[x] + s[y]", x + y)])
    return {"e1": f"{t1} = {r1}", "e2": f"{t2} = {r2}", "l1": c1, "r1": r1, "l2": c2, "r2": r2,
            "ask": ask, "ask_code": ask_code}, value


@family("derivative", code="from sympy import symbols, diff\nx = symbols('x')\nprint(diff({f}, x).subs(x, {x0}))",
        train=["If f(x) = {f_text}, what is f'({x0})?", "Find the derivative of {f_text} at x = {x0}.",
               "Let f(x) = {f_text}. Compute f'({x0}).", "What is the value of d/dx ({f_text}) at x = {x0}?",
               "Differentiate f(x) = {f_text} and evaluate the result at x = {x0}.",
               "What is the slope of the tangent line to y = {f_text} at x = {x0}?",
               "Given f(x) = {f_text}, determine f'({x0}).",
               "Calculate the derivative of f(x) = {f_text} at the point x = {x0}.",
               "Compute f'({x0}) for f(x) = {f_text}.",
               "What is f'({x0}) when f(x) = {f_text}?",
               "Find the derivative of f(x) = {f_text} at x = {x0}.",
               "Evaluate the derivative of {f_text} at x = {x0}."],
        val=["Work out f'({x0}) for f(x) = {f_text}.", "How fast is {f_text} changing at x = {x0}?",
             "What is the derivative of {f_text} at x = {x0}?"],
        test=["A particle's position at time x is {f_text}; what is its velocity at x = {x0}?",
              "Take g(x) = {f_text}. Report the instantaneous rate of change of g when x equals {x0}.",
              "What is the slope of the graph of y = {f_text} at the point where x = {x0}?"])
def derivative(rng, test):
    terms = random_poly(rng, rng.randint(3, 5) if test else rng.randint(2, 4), 30 if test else 9)
    x0 = rng.randint(6, 12) * rng.choice([-1, 1]) if test else rng.randint(-5, 5)
    text, code = poly(terms)
    deriv = [(c * p, p - 1) for c, p in terms if p > 0]
    return {"f_text": text, "f": code, "x0": x0}, poly_value(deriv, x0)


@family("integral", code="from sympy import symbols, integrate\nx = symbols('x')\nprint(integrate({f}, (x, {a}, {b})))",
        train=["What is the integral of {f_text} from x = {a} to x = {b}?",
               "Compute the definite integral of {f_text} over [{a}, {b}].",
               "Evaluate the integral from {a} to {b} of ({f_text}) dx.",
               "Find the area under y = {f_text}, counted with sign, between x = {a} and x = {b}.",
               "Integrate f(x) = {f_text} from {a} to {b}.",
               "What is the value of the definite integral of {f_text} dx with limits {a} and {b}?",
               "Calculate the integral of ({f_text}) dx from x = {a} to x = {b}.",
               "Let f(x) = {f_text}. What is the integral of f from {a} to {b}?",
               "Compute the integral of {f_text} from {a} to {b}.",
               "What is the definite integral of {f_text} from x = {a} to x = {b}?",
               "Find the integral from {a} to {b} of {f_text} dx.",
               "Integrate {f_text} with respect to x from {a} to {b}."],
        val=["Work out the integral of {f_text} between {a} and {b}.",
             "Determine the definite integral of {f_text} with respect to x from {a} to {b}.",
             "What is the integral of {f_text} over the interval [{a}, {b}]?"],
        test=["A velocity is given by v(x) = {f_text}; how far, in net terms, does it carry you from x = {a} to x = {b}?",
              "Report the exact signed area between the curve y = {f_text} and the x-axis over the interval from {a} to {b}.",
              "Find the net area under y = {f_text} from x = {a} to x = {b}, as an exact number."])
def integral(rng, test):
    terms = random_poly(rng, rng.randint(1, 3), 30 if test else 9)
    a = rng.randint(-12, 6) if test else rng.randint(-5, 3)
    b = a + (rng.randint(6, 12) if test else rng.randint(1, 5))
    text, code = poly(terms)
    anti = [(Fraction(c, p + 1), p + 1) for c, p in terms]
    return {"f_text": text, "f": code, "a": a, "b": b}, Fraction(poly_value(anti, b) - poly_value(anti, a))


@family("polynomial_eval", code="x = {x0}\nprint({f})",
        train=["If f(x) = {f_text}, what is f({x0})?", "Evaluate {f_text} at x = {x0}.", "Let f(x) = {f_text}. Compute f({x0}).",
               "What is the value of {f_text} when x = {x0}?", "Find p({x0}) for p(x) = {f_text}.",
               "Substitute x = {x0} into {f_text}. What do you get?", "Given f(x) = {f_text}, determine f({x0}).",
               "Calculate {f_text} for x = {x0}.",
               "Compute f({x0}) for f(x) = {f_text}.",
               "What is f({x0}) when f(x) = {f_text}?",
               "Find the value of {f_text} at x = {x0}.",
               "Evaluate f(x) = {f_text} at x = {x0}."],
        val=["Work out f({x0}) when f(x) = {f_text}.", "What number does {f_text} take at x = {x0}?",
             "What is the value of f(x) = {f_text} at x = {x0}?"],
        test=["The height of a curve is h(x) = {f_text}; how high is it at x = {x0}?",
              "Plug the value {x0} in for x in the expression {f_text} and report the result.",
              "Which number do you obtain when x takes the value {x0} in {f_text}?"])
def polynomial_eval(rng, test):
    terms = random_poly(rng, rng.randint(3, 4) if test else rng.randint(2, 3), 30 if test else 9)
    x0 = rng.randint(7, 15) * rng.choice([-1, 1]) if test else rng.randint(-6, 6)
    text, code = poly(terms)
    return {"f_text": text, "f": code, "x0": x0}, poly_value(terms, x0)


@family("exponent_equation", code="from sympy import log\nprint(log({n}, {b}))",
        train=["Solve {b}^x = {n} for x.", "Find x if {b}^x = {n}.", "What is x when {b}^x = {n}?",
               "For which x is {b}^x = {n}?", "Compute log base {b} of {n}.", "What is the logarithm of {n} to base {b}?",
               "To what power must {b} be raised to give {n}?", "Determine x such that {b} to the power x equals {n}.",
               "What exponent x makes {b}^x equal to {n}?", "Evaluate log_{b}({n}).", "Solve the equation {b}^x = {n}.",
               "If {b}^x = {n}, what is x?"],
        val=["Work out x given {b}^x = {n}.", "What is log_{b} of {n}?", "Find the exponent x with {b}^x = {n}."],
        test=["A quantity starts at 1 and is multiplied by {b} at every step; after how many steps does it reach exactly {n}?",
              "Report the real number x satisfying the exponential relation {b} raised to x equals {n}.",
              "How many factors of {b} must be multiplied together to obtain {n}?"])
def exponent_equation(rng, test):
    b = pick(rng, test, (2, 12), (13, 40))
    x = rng.randint(2, 20 if b < 6 or test else 12)  # test bases are new, so exponents need not be
    return {"b": b, "n": b**x}, x


@family("hypotenuse", code="from sympy import sqrt\nprint(sqrt({a}**2 + {b}**2))",
        train=["A right triangle has legs {a} and {b}. How long is the hypotenuse?",
               "The legs of a right triangle are {a} and {b}. Find the hypotenuse.",
               "What is the hypotenuse of a right triangle with legs of length {a} and {b}?",
               "In a right triangle the two shorter sides are {a} and {b}. What is the longest side?",
               "Find c if a right triangle has legs a = {a} and b = {b}.", "Compute the length of the hypotenuse when the legs are {a} and {b}.",
               "A rectangle is {a} by {b}. How long is its diagonal?", "What is sqrt({a}^2 + {b}^2)?",
               "A ladder reaches {b} m up a wall with its foot {a} m from the wall. How long is the ladder in metres?",
               "What is the distance between the points (0, 0) and ({a}, {b})?",
               "Two sides of a right triangle meeting at the right angle are {a} and {b}. Find the third side.",
               "Calculate the diagonal of a {a} by {b} rectangle."],
        val=["Work out the hypotenuse of a right triangle with legs {a} and {b}.",
             "How far apart are the points (0, 0) and ({a}, {b})?",
             "What is the length of the diagonal of a rectangle with sides {a} and {b}?"],
        test=["A ship sails {a} km east and then {b} km north; how far, in km, is it from where it started?",
              "A screen is {a} pixels wide and {b} pixels tall; how many pixels long is its diagonal?",
              "By Pythagoras, what is the length of the side opposite the right angle when the other two sides measure {a} and {b}?"])
def hypotenuse(rng, test):
    while True:  # Euclid's formula k(m^2 - n^2, 2mn, m^2 + n^2) gives integer right triangles
        m = pick(rng, test, (2, 8), (9, 25))
        n = rng.randint(1, m - 1)
        if math.gcd(m, n) == 1 and (m - n) % 2 == 1:
            break
    k = pick(rng, test, (1, 4), (5, 12))
    a, b = sorted((k * (m * m - n * n), k * 2 * m * n))
    if rng.random() < 0.5:
        a, b = b, a
    return {"a": a, "b": b}, k * (m * m + n * n)
