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
               "Solve: {eq}.",
               "Find the number x that makes {eq} true.",
               "{eq}. Find the unknown x.",
               "A student is given {eq} and must find x. What value should she get?",
               "Which x balances the equation {eq}?",
               "Determine the unknown x in {eq}, giving an exact fraction if needed.",
               "Help me solve {eq} for x, please.",
               "If x obeys {eq}, then x = ?",
               "Find the root of the linear equation {eq}.",
               "What number can replace x so that {eq} is a true statement?",
               "Work out x: {eq}",
               "I'm thinking of a number x such that {eq}. What is my number?",
               "On the homework sheet, one problem reads {eq}. What is x?",
               "The equation {eq} has exactly one solution. Give it.",
               "Isolate x in {eq} and state its exact value.",
               "Given the condition {eq}, compute x.",
               "A balance puzzle is summarized by the equation {eq}, where x is the unknown weight. What is x?"],
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
               "Give the {which} root of the equation {eq}.",
               "{eq} has two real solutions. Give the {which}.",
               "Solve for x: {eq}. Report only the {which} root.",
               "Among the values of x that make {eq} true, which is the {which}?",
               "A student solves the quadratic equation {eq}. What is the {which} of the two answers she finds?",
               "Find x, the {which} of the two solutions to {eq}.",
               "Let x be the {which} of the two numbers satisfying {eq}. What is x?",
               "If {eq}, what is the {which} possible value of x?",
               "Help me with this: {eq}. I need the {which} of its two roots.",
               "Two numbers satisfy {eq}. What is the {which} of these numbers?",
               "Solving {eq} gives two values of x; state the {which} one.",
               "Give, as a number, the {which} of the pair of x-values solving {eq}.",
               "Consider the quadratic {eq}. Find its {which} solution for x.",
               "On a homework sheet, the equation {eq} is to be solved. Write down the {which} solution.",
               "Quadratic {eq}: {which} root?",
               "Tell me the {which} value of x for which {eq} holds."],
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
               "Give the {what} of the solutions of the equation {eq}.",
               "Call the two roots of {eq} u and v. Compute their {what}.",
               "For the quadratic equation {eq}, give the {what} of its two roots.",
               "Without necessarily solving it, find the {what} of the roots of {eq}.",
               "Solve {eq}, then take the {what} of both solutions. What do you get?",
               "A student finds both roots of {eq}. What does she get for their {what}?",
               "The two values of x satisfying {eq} are combined by taking their {what}. What is the result?",
               "Equation: {eq}. Required: the {what} of its roots.",
               "Can you tell me the {what} of the x-values that solve {eq}?",
               "Determine the {what} of the two x-values that make {eq} true.",
               "Using Vieta's formulas or otherwise, find the {what} of the roots of {eq}.",
               "Homework check: the equation {eq} has two roots. State their {what}.",
               "In the equation {eq}, the roots are r_1 and r_2. Work out the {what} of r_1 and r_2.",
               "Consider {eq}. What is the {what} of the numbers x that satisfy it?",
               "Give me the {what} of every solution x of {eq}.",
               "Taking both roots of {eq} into account, compute their {what}.",
               "Quick question: {what} of the roots of {eq}?"],
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
               "x and y satisfy {e1} and {e2}. Find {ask}.",
               "Two unknowns x and y satisfy {e1} as well as {e2}. Find the value of {ask}.",
               "Solve simultaneously: {e1}; {e2}. Report {ask}.",
               "A student solves the pair of equations {e1} and {e2}. What value of {ask} should she find?",
               "System: {e1}, {e2}. {ask} = ?",
               "Using substitution or elimination on {e1} and {e2}, determine {ask}.",
               "Can you help me find {ask}? The equations are {e1} and {e2}.",
               "Suppose both {e1} and {e2} hold. Compute {ask}.",
               "What is the value of {ask} at the point where the lines {e1} and {e2} intersect?",
               "Given the simultaneous equations {e1} and {e2}, what does {ask} equal?",
               "The pair (x, y) solves {e1} together with {e2}. State {ask}.",
               "Homework: solve {e1} and {e2} together, and give only {ask}.",
               "For the unique solution of {e1}, {e2}, find {ask}.",
               "When x and y make both {e1} and {e2} true, {ask} is what number?",
               "A puzzle gives two clues about secret numbers x and y: {e1} and {e2}. What is {ask}?",
               "Solve the linear system consisting of {e1} and {e2}, then give {ask}."],
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
               "Evaluate the derivative of {f_text} at x = {x0}.",
               "Take the derivative of y = {f_text} and plug in x = {x0}. What number results?",
               "What is the instantaneous rate of change of f(x) = {f_text} when x = {x0}?",
               "A particle's position after x seconds is {f_text} metres. What is its velocity, in metres per second, at x = {x0}?",
               "f(x) = {f_text}; f'({x0}) = ?",
               "Find the gradient of the curve y = {f_text} at the point where x = {x0}.",
               "Compute dy/dx at x = {x0} for y = {f_text}.",
               "A company's profit from making x units is {f_text}. What is the marginal profit, meaning the derivative of profit, at x = {x0}?",
               "Can you help me with calculus homework? I need f'({x0}) where f(x) = {f_text}.",
               "Using the power rule, find the value of the first derivative of {f_text} at x = {x0}.",
               "The function g is given by g(x) = {f_text}. Determine g'({x0}).",
               "Let p(x) = {f_text}. What value does p' take at {x0}?",
               "Derivative of {f_text} at {x0}?",
               "If the height of a balloon after x minutes is {f_text} metres, how quickly is the height changing, in metres per minute, at x = {x0}?",
               "Find the limit of (f({x0} + h) - f({x0}))/h as h goes to 0, where f(x) = {f_text}.",
               "How steep is the graph of {f_text} exactly at x = {x0}? Give the slope.",
               "First differentiate the polynomial {f_text}, then substitute {x0} for x. What do you get?"],
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
               "Integrate {f_text} with respect to x from {a} to {b}.",
               "Compute an antiderivative of {f_text}, evaluate it at {b} and at {a}, and give the value at {b} minus the value at {a}.",
               "Definite integral of {f_text}, lower limit {a}, upper limit {b}?",
               "A car's velocity at time x is {f_text} m/s. What is its net displacement, in metres, from x = {a} to x = {b}?",
               "Evaluate the integral of f(x) dx over the interval from {a} up to {b}, where f(x) = {f_text}.",
               "Can you help me integrate {f_text} between the limits x = {a} and x = {b}?",
               "Treating {a} as the lower limit and {b} as the upper limit, integrate {f_text} with respect to x. What number results?",
               "Water flows into a tank at a rate of {f_text} litres per minute at time x, where negative values mean outflow. What is the net change in volume, in litres, between x = {a} and x = {b}?",
               "Let g(x) = {f_text}. Determine the integral of g on [{a}, {b}], with {a} as the lower bound.",
               "int_({a})^({b}) ({f_text}) dx = ?",
               "Calculus exercise: find the exact value of the definite integral from x = {a} to x = {b} of {f_text}.",
               "Integrating {f_text} from x = {a} up to x = {b}, what do you obtain?",
               "If F is an antiderivative of {f_text}, what is F({b}) - F({a})?",
               "A quantity changes at the rate {f_text} per unit of x. By how much does it change in total as x goes from {a} to {b}?",
               "Take the integral of the polynomial {f_text} over x in [{a}, {b}].",
               "A student must compute the definite integral of {f_text} with bounds {a} (lower) and {b} (upper). What is the correct result?",
               "Please find the signed area enclosed between y = {f_text} and the x-axis for x running from {a} to {b}, counting area below the axis as negative."],
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
               "Evaluate f(x) = {f_text} at x = {x0}.",
               "Plug x = {x0} into {f_text}. What number results?",
               "Take the polynomial {f_text} and replace every x with {x0}. What is the result?",
               "For the function g(x) = {f_text}, find g({x0}).",
               "A student is asked to evaluate the expression {f_text} when x equals {x0}. What answer should the student get?",
               "h(x) = {f_text}; h({x0}) = ?",
               "Determine the output of q(x) = {f_text} for the input x = {x0}.",
               "What does {f_text} equal if x is {x0}?",
               "Suppose x = {x0}. Work out the value of {f_text}.",
               "Can you help me compute {f_text} with x set to {x0}?",
               "On a worksheet, the polynomial P(x) = {f_text} must be evaluated at {x0}. What is P({x0})?",
               "Setting x to {x0}, find the numerical value of the expression {f_text}.",
               "A machine applies the rule y = {f_text} to its input x. If the input is x = {x0}, what output y does it give?",
               "Quick one: x = {x0}, so what is {f_text}?",
               "Given the polynomial {f_text}, compute its value at the point x = {x0}.",
               "My teacher wrote y = {f_text} on the board and asked for y when x = {x0}. What is y?",
               "Find r({x0}), where r(x) = {f_text}."],
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
               "If {b}^x = {n}, what is x?",
               "Find the exponent x for which {b} raised to the x equals {n}.",
               "{n} is a power of {b}. What is the exponent?",
               "A bacteria population multiplies by {b} every hour, starting from a single cell. After how many hours are there exactly {n} cells?",
               "Calculate the base-{b} logarithm of {n}.",
               "The equation {n} = {b}^x has one real solution. What is it?",
               "Starting from 1, you repeatedly multiply by {b}. After how many multiplications do you reach {n}?",
               "{b} to what exponent equals {n}?",
               "Determine the value of x satisfying {b} ** x = {n}.",
               "If {b} raised to the power x gives {n}, find x.",
               "An investment multiplies by a factor of {b} every year. After how many years has an initial 1 dollar grown to {n} dollars?",
               "What exponent do you put on {b} to get {n}?",
               "x = ? given {b}^x = {n}",
               "Help me solve this: {b} to the x equals {n}. What is x?",
               "Express {n} as {b}^x and give x.",
               "Writing {n} as a product of equal factors, each equal to {b}, how many factors are needed?"],
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
               "Calculate the diagonal of a {a} by {b} rectangle.",
               "With leg lengths {a} and {b}, how long is the longest side of a right triangle?",
               "A boat sails {a} km east and then {b} km north. How far, in km, is it from its starting point in a straight line?",
               "Find the length of the side opposite the right angle in a triangle whose other two sides are {a} and {b}.",
               "My TV screen is {a} inches wide and {b} inches tall. What is its diagonal in inches?",
               "Using the Pythagorean theorem, compute c where c^2 = {a}^2 + {b}^2 and c > 0.",
               "A kite flies {b} m above a point on the ground that is {a} m horizontally from the person holding its string at ground level. If the string is straight, how long is it in metres?",
               "Right triangle, legs {a} and {b}. Longest side?",
               "Can you help me find the hypotenuse when the two perpendicular sides measure {a} and {b}?",
               "What is the square root of the sum of the squares of {a} and {b}?",
               "A rectangular field measures {a} m by {b} m. How long is a straight path running from one corner to the opposite corner?",
               "Triangle ABC has a right angle at C, with AC = {a} and BC = {b}. Find AB.",
               "Compute the magnitude of the vector ({a}, {b}).",
               "For a wheelchair ramp that rises {b} cm over a horizontal run of {a} cm, how long is the sloped surface, in cm?",
               "If a right triangle's catheti are {a} and {b}, how long is its hypotenuse? Give the exact value.",
               "Evaluate sqrt({a}*{a} + {b}*{b})."],
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
