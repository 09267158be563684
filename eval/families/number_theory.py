"""Number-theory and counting families: gcd/lcm, remainders, primes, divisors, factorials, binomials,
permutations, Fibonacci and linear recurrences, multiples, primality counts, a drawing probability,
distinct prime factors, trailing zeros of factorials.

Golds use plain Python (a sieve, trial division, `math`); the teacher snippets mostly use sympy, and
the tests check both against sympy's own functions.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

from .core import family, listing, ordinal, pick

SIEVE_LIMIT = 40_000  # covers the 3000th prime (27449) and every prime factor the samplers use


@functools.lru_cache(maxsize=1)
def _primes() -> tuple[int, ...]:
    flags = bytearray([1]) * (SIEVE_LIMIT + 1)
    flags[0:2] = b"\0\0"
    for p in range(2, math.isqrt(SIEVE_LIMIT) + 1):
        if flags[p]:
            flags[p * p::p] = bytearray(len(flags[p * p::p]))
    return tuple(i for i, f in enumerate(flags) if f)


def _is_prime(n: int) -> bool:
    return n >= 2 and all(n % p for p in range(2, math.isqrt(n) + 1))


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


@family("gcd_lcm", code="import math\nprint(math.{op}({args}))",
        train=["What is the {what} of {nums}?", "Find the {abbr} of {nums}.", "Compute {abbr}({args}).",
               "Calculate the {what} of the numbers {nums}.", "What is {abbr}({args})?",
               "Determine the {what} of {nums}.", "Give the {abbr} of the integers {nums}.",
               "For the numbers {nums}, what is their {what}?",
               "Compute the {what} of {nums}.",
               "Which number is the {abbr} of {nums}?",
               "Find the {what} of the integers {nums}.",
               "Calculate {abbr}({args}).",
               "Find the {what} of {nums}, also written {abbr}({args}).",
               "Determine {abbr}({args}) for me.",
               "A student is asked for the {what} of {nums}. What should she answer?",
               "{abbr} of {nums}?",
               "Using prime factorizations or any other method, work out the {what} of {nums}.",
               "Can you help me find the {abbr} of {nums}?",
               "What value does {abbr}({args}) take?",
               "Homework problem: calculate the {what} ({abbr}) of the integers {nums}.",
               "Consider the whole numbers {nums}. Compute their {what}.",
               "Please give the {what} for the set of numbers {nums}.",
               "The {abbr} of {nums} equals ____. Fill in the blank.",
               "On a worksheet, the task says to find the {abbr} of {nums}. What is the correct result?",
               "Looking at {nums} as a group, name their {what}.",
               "Evaluate {abbr}({args}) exactly.",
               "I need the {what} of {nums}. What is it?",
               "Tell me the {abbr}, that is, the {what}, of {nums}."],
        val=["What is the {abbr} of {nums}?", "Work out the {what} of {nums}.",
             "What is the {what} of the numbers {nums}?"],
        test=["Considering only the positive integers {nums}, which number is their {what}?",
              "Tell me the {what} shared by {nums}.",
              "Consider the collection {nums}: report the {what} of the whole collection."])
def gcd_lcm(rng, test):
    op = rng.choice(["gcd", "lcm"])
    g = pick(rng, test, (2, 30), (31, 200))
    lo, hi = (41, 300) if test else (2, 40)
    nums = [g * m for m in rng.sample(range(lo, hi + 1), rng.choice([2, 2, 3]))]  # distinct numbers
    what, abbr = {"gcd": ("greatest common divisor", "GCD"), "lcm": ("least common multiple", "LCM")}[op]
    value = math.gcd(*nums) if op == "gcd" else math.lcm(*nums)
    return {"op": op, "what": what, "abbr": abbr, "nums": listing(nums), "args": ", ".join(map(str, nums))}, value


@family("remainder", code="print({n} % {m})",
        train=["What is the remainder when {n} is divided by {m}?", "Compute {n} mod {m}.",
               "Find the remainder of {n} divided by {m}.", "What is {n} modulo {m}?",
               "When {n} is divided by {m}, what remainder is left?", "Calculate {n} % {m}.",
               "What remainder do you get dividing {n} by {m}?", "Determine {n} mod {m}.",
               "Find {n} mod {m}.",
               "Compute the remainder of {n} divided by {m}.",
               "What is the remainder of {n} / {m}?",
               "What is {n} % {m}?",
               "Suppose you divide {n} by {m} using whole numbers. What remainder results?",
               "A baker has {n} cookies and packs them into boxes of {m}. After filling as many full boxes as possible, how many cookies are left over?",
               "Find r such that {n} = {m}q + r for some integer q, with 0 <= r < {m}.",
               "{n} students are split into teams of {m}. How many students are left without a full team?",
               "Reduce {n} modulo {m}.",
               "Give the remainder of the integer division of {n} by {m}.",
               "What is the least nonnegative residue of {n} mod {m}?",
               "Can you tell me what remains when {n} is divided by {m}?",
               "{n} (mod {m}) reduces to what number?",
               "Using long division of {n} by {m}, what remainder do you end up with?",
               "After removing as many whole groups of {m} as possible from {n}, how much remains?",
               "A counter starts at 0 and wraps back to 0 every {m} steps. After {n} steps, what does it show?",
               "Determine the remainder upon dividing {n} by {m}.",
               "How much is left over when {n} items are shared equally among {m} people, each getting as many whole items as possible?",
               "Which number from 0 to {m} minus 1 is congruent to {n} modulo {m}?"],
        val=["What is left over when {n} is divided by {m}?", "Work out the remainder of {n} upon division by {m}.",
             "Determine the remainder when {n} is divided by {m}."],
        test=["If {n} items are packed into boxes of {m}, how many items are left unpacked?",
              "Which number between 0 and {m1} is congruent to {n} modulo {m}?",
              "After dividing {n} by {m} with whole-number division, what is left over?"])
def remainder(rng, test):
    n = pick(rng, test, (100, 99_999), (10**6, 10**12))
    m = pick(rng, test, (3, 50), (51, 999))
    return {"n": n, "m": m, "m1": m - 1}, n % m


@family("mod_power", code="print(pow({a}, {b}, {m}))",
        train=["What is the remainder when {a}^{b} is divided by {m}?", "Compute {a}^{b} mod {m}.",
               "Find {a}^{b} modulo {m}.", "What is {a} to the power {b}, modulo {m}?",
               "Calculate the remainder of {a}^{b} upon division by {m}.",
               "When {a}^{b} is divided by {m}, what is the remainder?",
               "Determine {a}**{b} mod {m}.", "What remainder does {a}^{b} leave when divided by {m}?",
               "Compute {a}^{b} modulo {m}.",
               "What is {a}^{b} mod {m}?",
               "Find the remainder of {a}^{b} divided by {m}.",
               "What is pow({a}, {b}) modulo {m}?",
               "Find the remainder when the product of {b} copies of {a} is divided by {m}.",
               "Suppose N = {a}^{b}. What is N mod {m}?",
               "In Python, what does {a}**{b} % {m} evaluate to?",
               "Raise {a} to the power of {b}, divide by {m}, and report the remainder.",
               "A simple calculator only shows the remainder after dividing by {m}. What does it show after computing {a} to the power {b}?",
               "{a}^{b} (mod {m}) = ?",
               "Determine the least non-negative residue of {a}^{b} modulo {m}.",
               "If you divide {a} to the exponent {b} by {m}, what is left over?",
               "Can you help me find {a}^{b} mod {m}? The number is too big for my calculator.",
               "Working in arithmetic modulo {m}, evaluate {a}^{b}.",
               "Find the integer r with 0 <= r < {m} such that {a}^{b} - r is divisible by {m}.",
               "Modular exponentiation: base {a}, exponent {b}, modulus {m}. What is the result?",
               "A teacher asks the class for the remainder of {a}^{b} after division by {m}. What is the right answer?",
               "There are {m} chairs in a circle, numbered consecutively starting from 0. Starting at chair 0, you move {a}^{b} steps forward, one chair per step. Which chair do you land on?",
               "Reduce the huge number {a}^{b} modulo {m}.",
               "What residue does {a} to the power of {b} have when the modulus is {m}?"],
        val=["What is {a}^{b} reduced modulo {m}?", "Work out the remainder of {a} raised to {b} when divided by {m}.",
             "Find the residue of {a}^{b} modulo {m}."],
        test=["Raise {a} to the exponent {b}; what remainder does the result leave after division by {m}?",
              "Which number between 0 and {m1} is congruent to {a}^{b} modulo {m}?",
              "What is left over when the number {a} to the {b} is divided by {m}?"])
def mod_power(rng, test):
    a = pick(rng, test, (2, 30), (31, 999))
    b = pick(rng, test, (10, 200), (201, 10**6))
    m = pick(rng, test, (5, 100), (101, 9_999))
    return {"a": a, "b": b, "m": m, "m1": m - 1}, pow(a, b, m)


@family("prime_count", code="from sympy import primepi\nprint(primepi({n}))",
        train=["How many primes are less than {n}?", "How many prime numbers are there below {n}?",
               "Count the primes smaller than {n}.", "Find the number of primes less than {n}.",
               "What is the number of prime numbers between 1 and {n}?",
               "How many positive integers less than {n} are prime?",
               "Compute the count of primes below {n}.", "How many primes p satisfy p < {n}?",
               "How many primes are smaller than {n}?",
               "What is the number of primes below {n}?",
               "Count how many prime numbers are less than {n}.",
               "How many prime numbers less than {n} are there?",
               "How many primes are there that do not exceed {n}?",
               "Count the prime numbers p with p <= {n}.",
               "Find pi({n}), the number of primes less than or equal to {n}.",
               "A student lists every prime from 2 up to {n}. How many primes are on the list?",
               "What is the value of the prime-counting function at {n}?",
               "Below {n}, how many prime numbers can you find?",
               "Determine how many of the integers 1, 2, ..., {n} are prime.",
               "Primes up to {n}: how many are there?",
               "Can you count the primes that are at most {n}?",
               "If you ran the sieve of Eratosthenes on the numbers 2 through {n}, how many primes would it leave?",
               "Tell me the number of primes under {n}.",
               "In the range from 1 to {n}, how many numbers are prime?",
               "A math club challenge: count all the primes smaller than {n}. What is the total?",
               "Of all positive integers up to and including {n}, how many are prime?",
               "What is the count of primes in the interval [1, {n}]?",
               "Give the total number of prime integers no greater than {n}."],
        val=["Determine how many primes are below {n}.", "What is the count of prime numbers smaller than {n}?",
             "Work out the number of primes below {n}."],
        test=["If you list every prime that does not exceed {n}, how long is the list?",
              "Among the whole numbers up to {n}, how many have exactly two divisors?",
              "How many prime numbers lie between 1 and {n}?"])
def prime_count(rng, test):
    n = pick(rng, test, (20, 5_000), (5_001, SIEVE_LIMIT))
    n += _is_prime(n)  # a composite n: "below n" and "up to n" then agree
    return {"n": n}, sum(1 for p in _primes() if p <= n)


@family("nth_prime", code="from sympy import prime\nprint(prime({n}))",
        train=["What is the {nth} prime number?", "Find the {nth} prime.", "Which number is the {nth} prime?",
               "What is the {nth} smallest prime?", "Compute the {nth} prime number.",
               "If primes are listed in increasing order starting with 2, what is the {nth} one?",
               "Give the {nth} prime.", "What prime is number {n} in the sequence of primes?",
               "Find the {nth} prime number.",
               "What is prime number {n}?",
               "What is the {nth} prime, counting 2 as the first?",
               "Compute the {nth} smallest prime number.",
               "List the primes in order: 2, 3, 5, 7, 11, ... What is the {nth} entry?",
               "If 2 is the first prime and 3 is the second, what is the {nth} prime?",
               "Which prime occupies position {n} in the increasing list of all primes?",
               "A student writes down prime numbers in increasing order, beginning with 2. What is the {nth} prime she writes?",
               "{nth} prime?",
               "Determine p_{n}, where p_1 = 2, p_2 = 3, p_3 = 5, and so on.",
               "Can you tell me what the {nth} prime number is?",
               "In the sequence of primes 2, 3, 5, 7, ..., find term number {n}.",
               "Identify the prime that is {nth} in line when primes are sorted from smallest to largest.",
               "Tell me the {nth} prime, where the first prime is 2.",
               "A treasure hunt clue says: the code is the {nth} prime number. What is the code?",
               "Find the prime p for which exactly {n} primes are less than or equal to p.",
               "A program prints the prime numbers in ascending order, one per line, beginning with 2. What number is printed on line {n}?",
               "Please find the {nth} term of the sequence of prime numbers.",
               "What prime comes in {nth} place among all the primes?",
               "Counting upward from 2, which number is prime number {n}?"],
        val=["Determine the {nth} prime number.", "What is prime number {n}, counting 2 as the first?",
             "Name the prime that comes {nth} in increasing order."],
        test=["Counting 2 as the first prime, 3 as the second and so on, which prime is in position {n}?",
              "Someone lists the primes in ascending order; what is entry {n} of the list?",
              "If you write the primes in order, which number do you write in place {n}?"])
def nth_prime(rng, test):
    n = pick(rng, test, (5, 500), (501, 3_000))
    return {"n": n, "nth": ordinal(n)}, _primes()[n - 1]


@family("prime_factor", code="from sympy import primefactors\nprint({op}(primefactors({n})))",
        train=["What is the {which} prime factor of {n}?", "Find the {which} prime divisor of {n}.",
               "Compute the {which} prime that divides {n}.", "What is the {which} prime factor of the number {n}?",
               "Determine the {which} prime in the prime factorisation of {n}.",
               "Of all primes dividing {n}, which is the {which}?",
               "Give the {which} prime factor of {n}.", "Which prime is the {which} factor of {n}?",
               "Find the {which} prime factor of {n}.",
               "What is the {which} prime dividing {n}?",
               "Compute the {which} prime factor of {n}.",
               "Determine the {which} prime factor of {n}.",
               "List the prime divisors of {n}. Which is the {which} of them?",
               "Factor {n} into primes and report the {which} prime that appears.",
               "What is the {which} prime number that divides {n} evenly?",
               "A student breaks {n} down into its prime factors. What is the {which} of those primes?",
               "Identify the {which} prime p such that p divides {n}.",
               "Write {n} as a product of primes. Name the {which} one.",
               "Help me find the {which} prime that goes into {n} without a remainder.",
               "Of the prime numbers that are factors of {n}, give the {which}.",
               "The number {n} has several prime factors. Which is the {which}?",
               "What's the {which} prime that {n} is divisible by?",
               "Looking only at prime divisors of {n}, report the {which} one.",
               "In the prime decomposition of {n}, which prime is the {which}?",
               "A locksmith sets a code equal to the {which} prime factor of {n}. What is the code?",
               "For the integer {n}, find its {which} prime divisor.",
               "Name the {which} among the primes that evenly divide {n}."],
        val=["What is the {which} prime that goes into {n}?", "Work out the {which} prime factor of {n}.",
             "What is the {which} prime divisor of {n}?"],
        test=["Factor {n} into primes; which of those primes is the {which}?",
              "Among the primes p for which {n} is a multiple of p, which one is the {which}?",
              "Write {n} as a product of primes; what is the {which} prime that appears?"])
def prime_factor(rng, test):
    small = _primes()[:168]  # primes below 1000; test numbers also have one between 1000 and 7919
    factors = [rng.choice(small) for _ in range(rng.randint(2, 4) - test)]
    factors += [rng.choice(_primes()[168:1_000])] if test else []
    n = math.prod(factors)
    op, which = rng.choice([("max", "largest"), ("min", "smallest")])
    return {"n": n, "op": op, "which": which}, max(factors) if op == "max" else min(factors)


@family("next_prime", code="from sympy import nextprime\nprint(nextprime({n}))",
        train=["What is the smallest prime greater than {n}?", "Find the first prime after {n}.",
               "What is the next prime number after {n}?", "Compute the least prime larger than {n}.",
               "Which prime comes right after {n}?", "Determine the smallest prime number exceeding {n}.",
               "Give the first prime bigger than {n}.", "What is the nearest prime above {n}?",
               "Find the next prime after {n}.",
               "What is the first prime number greater than {n}?",
               "Compute the smallest prime larger than {n}.",
               "What is the least prime exceeding {n}?",
               "Starting from {n} and counting upward, what is the first prime you reach, not counting {n} itself?",
               "Find the least prime number p with p > {n}.",
               "Which prime immediately follows {n}?",
               "Smallest prime strictly above {n}?",
               "A shopkeeper wants to stock a prime number of items, strictly more than {n} and as few as possible. How many items should she stock?",
               "What is the next prime that is strictly bigger than {n}?",
               "Among all primes larger than {n}, which one is the smallest?",
               "Can you tell me the first prime number that comes after {n}?",
               "A game asks players to name the first prime greater than {n}. What is the correct answer?",
               "Count up from {n} + 1 and stop at the first prime. Where do you stop?",
               "Give the prime successor of {n}, i.e. the smallest prime greater than it.",
               "Identify the lowest prime number bigger than {n}.",
               "Past {n}, what is the very next prime on the number line?",
               "nextprime({n}) = ?",
               "A teacher writes {n} on the board and asks for the closest prime that is larger than it. What should the students say?",
               "Please find the smallest prime that exceeds {n}."],
        val=["Work out the next prime after {n}.", "What is the lowest prime that is more than {n}?",
             "Determine the next prime number after {n}."],
        test=["Counting upward from {n}, which prime number do you reach first (not counting {n} itself)?",
              "Name the least integer above {n} that has no divisors other than 1 and itself.",
              "What is the first prime you reach counting up from {n}?"])
def next_prime(rng, test):
    n = pick(rng, test, (10, 10_000), (10**5, 10**9))
    m = n + 1
    while not _is_prime(m):
        m += 1
    return {"n": n}, m


@family("divisors", code="from sympy import divisors\nprint({op}(divisors({n})))",
        train=["What is the {what} of the positive divisors of {n}?", "Find the {what} of all divisors of {n}.",
               "Compute the {what} of the positive divisors of {n}.",
               "Consider all positive integers that divide {n}. What is their {what}?",
               "What is the {what} of the factors of {n}?", "Determine the {what} of the divisors of {n}.",
               "Give the {what} of the positive factors of {n}.", "For n = {n}, what is the {what} of its divisors?",
               "Compute the {what} of all positive divisors of {n}.",
               "What is the {what} of the divisors of {n}?",
               "Find the {what} of the factors of {n}.",
               "Determine the {what} of all positive factors of {n}.",
               "List every positive divisor of {n}. What is the {what} of that list?",
               "Take all the positive whole numbers that divide {n} evenly, and find their {what}.",
               "Positive divisors of {n}; {what} = ?",
               "A teacher asks her class for the {what} of all positive divisors of {n}. What is the correct answer?",
               "Let D be the set of positive divisors of {n}. Compute the {what} of the elements of D.",
               "For the integer {n}, determine the {what} of all numbers d > 0 such that d divides {n}.",
               "Including 1 and {n} itself, what is the {what} of the positive divisors of {n}?",
               "Can you find the {what} of the positive integer divisors of {n}?",
               "Each positive integer that divides {n} with no remainder is written on a card. What is the {what} of the numbers on the cards?",
               "{n} has several positive divisors. Give their {what}.",
               "Calculate the {what} taken over all positive factors of {n}.",
               "Among the positive integers, consider those that divide {n}. State the {what} of these integers.",
               "A gardener wants to plant {n} trees in equal rows, and every possible row length is a positive divisor of {n}. What is the {what} of all the possible row lengths?",
               "Over all d from 1 to {n} with {n} divisible by d, what is the {what} of such d?",
               "Please give me the {what} of the complete set of positive divisors of {n}."],
        val=["What is the {what} of the positive integers dividing {n}?", "Work out the {what} of the divisors of {n}.",
             "What is the {what} of all the divisors of {n}?"],
        test=["List every whole number that divides {n} evenly; what is the {total} of that list?",
              "Looking at all d > 0 with {n} divisible by d, report the {total} of those d.",
              "Consider every positive integer that goes into {n} evenly; report the {total} of the list of those integers."])
def divisors(rng, test):
    n = pick(rng, test, (12, 2_000), (2_001, 10**6))
    op, what, total = rng.choice([("len", "number", "length"), ("sum", "sum", "sum")])
    ds = _divisors(n)
    return {"n": n, "op": op, "what": what, "total": total}, len(ds) if op == "len" else sum(ds)


@family("factorial", code="import math\nprint(math.factorial({n}))",
        train=["What is {n}!?", "Compute {n} factorial.", "What is the value of {n}!?", "Calculate {n}!.",
               "Find the factorial of {n}.", "What is the product of the integers from 1 to {n}?",
               "Evaluate {n}!.", "What is 1 * 2 * 3 * ... * {n}?",
               "Compute {n}!.",
               "Find {n} factorial.",
               "What is the factorial of {n}?",
               "Calculate {n} factorial exactly.",
               "Multiply all the whole numbers from 1 up to {n}. What is the result?",
               "{n}! = ?",
               "Give the value of {n} * ({n} - 1) * ... * 2 * 1.",
               "What number is the product of every positive integer not exceeding {n}?",
               "Determine the number of permutations of {n} distinct objects.",
               "A teacher wants to line up {n} students for a photo. How many different line-ups are possible?",
               "Work out {n}! for me, please.",
               "In how many orders can {n} different letters be written in a row?",
               "Exactly how large is {n}!?",
               "Starting with 1, multiply successively by 2, 3, and so on up to {n}. What final number do you get?",
               "Tell me the value of the factorial of {n}.",
               "Compute the product 1 x 2 x ... x {n}.",
               "Seating puzzle: {n} guests sit in a row of {n} chairs. How many seating arrangements are there?",
               "{n} factorial equals what number?"],
        val=["Determine {n}!.", "How much is {n} factorial?",
             "What is {n} factorial?"],
        test=["Multiply together every positive whole number up to and including {n}; what do you get?",
              "In how many different orders can {n} distinct books be lined up on a shelf?",
              "How many ways can {n} runners finish a race if there are no ties?"])
def factorial(rng, test):
    n = pick(rng, test, (5, 20), (21, 33))
    return {"n": n}, math.factorial(n)


@family("binomial", code="import math\nprint(math.comb({n}, {k}))",
        train=["What is {n} choose {k}?", "Compute the binomial coefficient C({n}, {k}).",
               "In how many ways can you choose {k} items from {n}?",
               "How many {k}-element subsets does a set of {n} elements have?",
               "How many ways are there to pick a committee of {k} people from {n} people?",
               "Calculate C({n}, {k}).", "Find the number of combinations of {n} objects taken {k} at a time.",
               "What is the value of the binomial coefficient {n} over {k}?",
               "Compute {n} choose {k}.",
               "Find C({n}, {k}).",
               "What is the binomial coefficient C({n}, {k})?",
               "How many ways are there to choose {k} objects out of {n}?",
               "From a class of {n} students, a teacher selects {k} to form a team. How many different teams are possible?",
               "Evaluate {n}! / ({k}! * ({n} - {k})!).",
               "How many subsets of size {k} does a set with {n} elements contain?",
               "Count the unordered selections of {k} objects from {n} distinct objects.",
               "A pizza place offers {n} toppings. How many pizzas with exactly {k} different toppings can you order?",
               "What is the number of ways to select {k} of {n} people when order does not matter?",
               "nCr with n = {n} and r = {k}: what is it?",
               "Choosing {k} out of {n}: how many possibilities are there, ignoring order?",
               "In a lottery you pick {k} different numbers from 1 to {n}. How many different tickets are possible?",
               "Give the value of the binomial coefficient with top entry {n} and bottom entry {k}.",
               "A club of {n} members sends {k} of them to a conference. How many different groups could be sent?",
               "What is the coefficient of x^{k} in the expansion of (1 + x)^{n}?",
               "Find the number of {k}-combinations of a set of {n} distinct items.",
               "Calculate binomial({n}, {k}).",
               "In how many ways can {k} books be taken from a shelf of {n} different books, if the order they are taken in is irrelevant?"],
        val=["Determine {n} choose {k}.", "How many ways can a team of {k} be selected from {n} players?",
             "What is C({n}, {k})?"],
        test=["A pizzeria offers {n} toppings; how many different pizzas with exactly {k} distinct toppings can be made?",
              "What is the coefficient of x^{k} when (1 + x)^{n} is expanded?",
              "How many different hands of {k} cards can be dealt from {n} distinct cards?"])
def binomial(rng, test):
    n = pick(rng, test, (5, 30), (31, 80))
    k = rng.randint(2, min(n - 2, 12 if test else 10))
    return {"n": n, "k": k}, math.comb(n, k)


@family("permutations", code="import math\nprint(math.perm({n}, {k}))",
        train=["In how many ways can {k} of {n} people be arranged in a row?",
               "How many ordered arrangements of {k} items can be made from {n} distinct items?",
               "Compute the number of permutations P({n}, {k}).", "What is P({n}, {k})?",
               "In how many ways can {k} different prizes go to {k} of {n} contestants, one prize each?",
               "How many {k}-letter words with distinct letters can be made from an alphabet of {n} letters?",
               "Find the number of ways to choose {k} of {n} objects in order.",
               "Calculate the number of {k}-permutations of {n} elements.",
               "Compute P({n}, {k}).",
               "Find the number of permutations of {n} objects taken {k} at a time.",
               "How many ways can {k} of {n} books be placed in order on a shelf?",
               "What is the number of ordered selections of {k} items from {n}?",
               "A club with {n} members fills {k} different officer positions, each held by a different member. How many ways can this be done?",
               "Count the ordered sequences of {k} distinct elements chosen from a set of size {n}.",
               "{n} runners compete in a race with no ties. In how many different ways can the first {k} finishing places be filled?",
               "How many injective functions are there from a {k}-element set to an {n}-element set?",
               "Evaluate {n}! / ({n} - {k})!.",
               "Give the value of nPk with n = {n} and k = {k}.",
               "A password uses {k} different symbols picked from {n} available symbols, and the order of the symbols matters. How many such passwords are possible?",
               "Ordered picks of {k} out of {n}, no repeats: how many?",
               "Suppose {n} students want to be in a photo, but only {k} fit in the front row. In how many ways can the front row be filled, from left to right?",
               "Can you help me count the ways to seat {k} of {n} guests in {k} numbered chairs?",
               "I have {n} different flags and want to hang {k} of them in a vertical line. How many different displays are possible?",
               "Multiply together the {k} consecutive integers counting down from {n}. What is the product?",
               "If order matters and repetition is not allowed, how many ways are there to pick {k} things from {n}?",
               "There are {n} different songs, and a DJ will play {k} of them back to back, none repeated. How many distinct playlists are possible?",
               "Work out how many {k}-term sequences with all entries different can be formed using {n} available values.",
               "From a pool of {n} applicants, a panel produces a ranked shortlist of {k} people. How many different ranked shortlists could result?"],
        val=["Determine P({n}, {k}).", "How many ordered selections of {k} from {n} distinct objects are there?",
             "Compute the number of ways to arrange {k} of {n} distinct objects in a line."],
        test=["A club of {n} members elects {k} different officers, each to a distinct post; how many outcomes are possible?",
              "How many sequences of {k} different numbers can be formed from the numbers 1 to {n}?",
              "A race has {n} runners; how many possible orders are there for the first {k} places?"])
def permutations(rng, test):
    n = pick(rng, test, (5, 30), (31, 80))
    k = rng.randint(2, min(n - 1, 10 if test else 6))
    return {"n": n, "k": k}, math.perm(n, k)


@family("fibonacci", code="from sympy import fibonacci\nprint(fibonacci({n}))",
        train=["What is the {nth} Fibonacci number, with F(1) = F(2) = 1?",
               "Find F({n}) where F(1) = 1, F(2) = 1 and F(n) = F(n-1) + F(n-2).",
               "Compute the {nth} term of the Fibonacci sequence that begins 1, 1, 2, 3, 5.",
               "The Fibonacci sequence starts 1, 1, 2, 3, 5, 8. What is its {nth} term?",
               "What is F_{n} if F_1 = F_2 = 1 and each term is the sum of the two before it?",
               "Calculate the Fibonacci number F({n}), taking F(1) = F(2) = 1.",
               "Give term number {n} of the sequence 1, 1, 2, 3, 5, 8, 13, and so on.",
               "Determine the {nth} Fibonacci number (the first two are both 1).",
               "Compute F({n}), where F(1) = F(2) = 1.",
               "Find the {nth} Fibonacci number, where F(1) = F(2) = 1.",
               "What is Fibonacci number {n} if F(1) = F(2) = 1?",
               "Calculate the {nth} term of the Fibonacci numbers 1, 1, 2, 3, 5, 8.",
               "Start with 1 and 1; every later number is the sum of the previous two. What is the {nth} number in this list?",
               "Rabbit puzzle: a sequence begins 1, 1 and each new term adds the two terms before it. Find term {n}.",
               "Let F(1) = F(2) = 1 and F(k) = F(k-1) + F(k-2) for k >= 3. Evaluate F({n}).",
               "In the Fibonacci sequence starting 1, 1, 2, 3, 5, 8, what is the value at index {n}, counting from index 1?",
               "Fibonacci number F_{n}, with F_1 = F_2 = 1?",
               "What value does the {nth} term take in the sequence where a_1 = 1, a_2 = 1, and a_k = a_(k-1) + a_(k-2)?",
               "Can you tell me the {nth} Fibonacci number? Use the convention that the sequence starts 1, 1.",
               "Each term of the list 1, 1, 2, 3, 5, 8, 13, 21, ... is the sum of the two before it. Give the {nth} entry.",
               "Counting F(1) = 1 and F(2) = 1 as the first two terms, determine the Fibonacci number in place {n}.",
               "A student writes 1, then 1, and then keeps writing the sum of the last two numbers. What is the {nth} number she writes?",
               "Find Fib({n}), where Fib(1) = Fib(2) = 1.",
               "How large is the {nth} Fibonacci number if both the first and the second Fibonacci numbers are taken to be 1?",
               "A plant has 1 branch in month 1 and 1 branch in month 2; in each later month its number of branches equals the sum of the previous two months' counts. How many branches does it have in month {n}?",
               "Give the {nth} member of the sequence 1, 1, 2, 3, 5, 8, ... in which every term after the second is the sum of its two predecessors.",
               "Quick: {nth} Fibonacci number (F1 = F2 = 1)?",
               "Please compute Fibonacci term number {n}, indexing so that terms 1 and 2 both equal 1."],
        val=["Work out F({n}) for the Fibonacci numbers with F(1) = F(2) = 1.",
             "What is the {nth} entry of 1, 1, 2, 3, 5, 8, ...?",
             "Find F_{n} where F_1 = F_2 = 1 and F_n = F_(n-1) + F_(n-2)."],
        test=["Starting from two ones, each new number is the sum of the previous two; what is number {n} in this list?",
              "Rabbits follow the Fibonacci rule with 1 pair in months 1 and 2; how many pairs are there in month {n}?",
              "A sequence begins 1, 1 and each later number is the sum of the two numbers before it; what is its {nth} number?"])
def fibonacci(rng, test):
    n = pick(rng, test, (10, 80), (81, 180))
    a, b = 1, 1
    for _ in range(n - 2):
        a, b = b, a + b
    return {"n": n, "nth": ordinal(n)}, b


_MULTIPLES = {1: "", 2: "twice ", 3: "three times ", 4: "four times "}


def _times(c: int, what: str) -> str:
    return _MULTIPLES[c] + what


@family("recurrence", code="a = [{a1}, {a2}]\nwhile len(a) < {n}:\n    a.append({rule})\nprint(a[-1])",
        train=["A sequence has a_1 = {a1}, a_2 = {a2} and a_n = {rule_text}. What is a_{n}?",
               "Let a_1 = {a1}, a_2 = {a2}, and a_n = {rule_text} for n > 2. Find a_{n}.",
               "If a_1 = {a1}, a_2 = {a2} and a_n = {rule_text}, compute a_{n}.",
               "The sequence a_n satisfies a_n = {rule_text} with a_1 = {a1} and a_2 = {a2}. What is a_{n}?",
               "Given a_n = {rule_text}, a_1 = {a1}, a_2 = {a2}, what is the {nth} term?",
               "Define a_1 = {a1}, a_2 = {a2} and a_n = {rule_text}. Calculate a_{n}.",
               "What is the {nth} term of the sequence with a_1 = {a1}, a_2 = {a2} and a_n = {rule_text}?",
               "Find term {n} of the recurrence a_n = {rule_text}, starting from a_1 = {a1} and a_2 = {a2}.",
               "Compute a_{n} for a_1 = {a1}, a_2 = {a2}, a_n = {rule_text}.",
               "With a_1 = {a1}, a_2 = {a2} and a_n = {rule_text}, what is a_{n}?",
               "Find a_{n} given a_1 = {a1}, a_2 = {a2}, a_n = {rule_text}.",
               "Suppose a_1 = {a1}, a_2 = {a2} and a_n = {rule_text}. What is a_{n}?",
               "Start with a_1 = {a1} and a_2 = {a2}; every later term follows a_n = {rule_text}. Find the {nth} term.",
               "A sequence begins {a1}, {a2}, and each term after the second is given by a_n = {rule_text}. What is a_{n}?",
               "Using the rule a_n = {rule_text} for n >= 3, together with a_1 = {a1} and a_2 = {a2}, determine a_{n}.",
               "The first two terms of a sequence are {a1} and {a2}. From then on, a_n = {rule_text}. Calculate term number {n}.",
               "What is the value of a_{n} if the sequence obeys a_n = {rule_text} and starts with a_1 = {a1}, a_2 = {a2}?",
               "A programmer stores a_1 = {a1} and a_2 = {a2}, then repeatedly computes a_n = {rule_text}. What value does a_{n} take?",
               "Recurrence: a_n = {rule_text}; initial values a_1 = {a1}, a_2 = {a2}. Find a_{n}.",
               "Can you work out a_{n} for the sequence defined by a_1 = {a1}, a_2 = {a2} and a_n = {rule_text}?",
               "Each term of a sequence, from the third on, is given by a_n = {rule_text}. The sequence opens with {a1} and {a2}. What is its {nth} term?",
               "Generate terms of a_n = {rule_text} starting from a_1 = {a1} and a_2 = {a2}, and report a_{n}.",
               "Given initial conditions a_1 = {a1} and a_2 = {a2} and the relation a_n = {rule_text}, evaluate the {nth} term.",
               "For n >= 3 let a_n = {rule_text}, where a_1 = {a1} and a_2 = {a2}. Compute the term with index {n}.",
               "In a puzzle, a number sequence starts {a1}, {a2}, ... and every new number is a_n = {rule_text}. Which number appears in position {n}?",
               "Starting values {a1} and {a2} for a_1 and a_2, rule a_n = {rule_text}: which number is a_{n}?",
               "A teacher defines a sequence by a_1 = {a1}, a_2 = {a2} and a_n = {rule_text} for n > 2, and asks the class for a_{n}. What should they answer?"],
        val=["Determine a_{n} when a_1 = {a1}, a_2 = {a2} and a_n = {rule_text}.",
             "Work out the {nth} term of a_n = {rule_text} with a_1 = {a1}, a_2 = {a2}.",
             "If a_n = {rule_text}, a_1 = {a1}, a_2 = {a2}, what is a_{n}?"],
        test=["A list starts {a1}, {a2}, and every later entry equals {rule_words}; what is entry number {n}?",
              "Starting with {a1} and then {a2}, each following number is {rule_words}; which number is in position {n}?",
              "The first two numbers of a list are {a1} and {a2}; afterwards each number is {rule_words}. What is the {nth} number?"])
def recurrence(rng, test):
    a1, a2 = pick(rng, test, (1, 5), (6, 20)), pick(rng, test, (1, 5), (6, 20))
    p, q = rng.randint(1, 4 if test else 3), rng.randint(1, 4 if test else 3)
    n = pick(rng, test, (5, 15), (16, 30))
    seq = [a1, a2]
    while len(seq) < n:
        seq.append(p * seq[-1] + q * seq[-2])

    def coef(c: int, s: str, times: str = "") -> str:
        return s if c == 1 else f"{c}{times}{s}"

    return {"a1": a1, "a2": a2, "p": p, "q": q, "n": n, "nth": ordinal(n),
            "rule": f"{coef(p, 'a[-1]', '*')} + {coef(q, 'a[-2]', '*')}",
            "rule_text": f"{coef(p, 'a_{n-1}')} + {coef(q, 'a_{n-2}')}",
            "rule_words": f"{_times(p, 'the previous entry')} plus {_times(q, 'the one before it')}"}, seq[n - 1]


def _two_divisors(rng, test) -> tuple[int, int]:
    a = pick(rng, test, (2, 12), (13, 40))
    b = pick(rng, test, (2, 12), (13, 40))
    while b == a:
        b = pick(rng, test, (2, 12), (13, 40))
    return a, b


@family("count_multiples", code="print(sum(1 for k in range(1, {n} + 1) if k % {a} == 0 or k % {b} == 0))",
        train=["How many integers from 1 to {n} are divisible by {a} or {b}?",
               "Count the numbers between 1 and {n} inclusive that are multiples of {a} or of {b}.",
               "How many positive integers up to {n} are multiples of {a} or {b}?",
               "Among 1, 2, ..., {n}, how many numbers are divisible by at least one of {a} and {b}?",
               "Find how many integers k with 1 <= k <= {n} are divisible by {a} or by {b}.",
               "How many whole numbers from 1 through {n} are a multiple of {a} or a multiple of {b}?",
               "Compute the number of integers in 1..{n} divisible by {a} or {b}.",
               "What is the count of positive integers not exceeding {n} that {a} or {b} divides?",
               "How many numbers from 1 to {n} are divisible by {a} or {b}?",
               "Count the integers between 1 and {n} divisible by {a} or {b}.",
               "Find the number of multiples of {a} or {b} from 1 to {n}.",
               "How many of the integers 1 through {n} are multiples of {a} or {b}?",
               "How many numbers in the range 1 to {n}, inclusive, are multiples of {a}, of {b}, or of both?",
               "Lockers are numbered 1 through {n}. A student opens every locker whose number is divisible by {a} or by {b}. How many lockers get opened?",
               "Of the whole numbers 1, 2, 3, ..., {n}, how many can be divided evenly by {a} or by {b}?",
               "In a game, players count from 1 to {n} and clap on every number that is a multiple of {a} or a multiple of {b}. How many claps are there?",
               "Determine the number of positive integers at most {n} that are divisible by {a}, by {b}, or by both.",
               "How many integers between 1 and {n}, including both ends, leave remainder 0 when divided by {a} or when divided by {b}?",
               "Tickets numbered from 1 to {n} are in a box. How many tickets carry a number divisible by at least one of {a} and {b}?",
               "Find the size of the set of integers k, 1 <= k <= {n}, such that k is a multiple of {a} or of {b}.",
               "Using inclusion-exclusion or otherwise, count the integers from 1 up to and including {n} that are divisible by {a} or {b}.",
               "Starting at 1 and going up to {n}, how many values have {a} or {b} as a factor?",
               "A factory stamps serial numbers 1 to {n}. Every serial that is a multiple of {a} or of {b} gets inspected. How many items are inspected?",
               "Please count how many of the first {n} positive integers are multiples of {a} or multiples of {b}.",
               "Between 1 and {n} inclusive, tally the numbers that {a} divides or {b} divides.",
               "If you list the integers from 1 to {n}, how many of them are divisible by {a} or by {b} (or both)?",
               "Multiples of {a} or {b} in 1..{n}: how many?",
               "A calendar challenge: days are numbered 1 to {n}, and a reminder rings on every day whose number is a multiple of {a} or of {b}. On how many days does it ring?"],
        val=["Determine how many of the integers 1 to {n} are divisible by {a} or {b}.",
             "How many numbers from 1 up to {n} are multiples of either {a} or {b}?",
             "Work out how many integers from 1 to {n} are multiples of {a} or {b}."],
        test=["Tickets are numbered 1 to {n}; a prize goes to every ticket whose number is a multiple of {a} or of {b}. How many tickets win?",
              "If you cross out every number from 1 to {n} that {a} divides or {b} divides, how many numbers do you cross out?",
              "In a row of {n} lockers numbered from 1, how many lockers have a number that {a} or {b} divides?"])
def count_multiples(rng, test):
    n = pick(rng, test, (50, 2_000), (10_000, 200_000))
    a, b = _two_divisors(rng, test)
    return {"n": n, "a": a, "b": b}, n // a + n // b - n // math.lcm(a, b)


@family("sum_multiples", code="print(sum(k for k in range(1, {n}) if k % {a} == 0 or k % {b} == 0))",
        train=["What is the sum of all positive integers below {n} that are multiples of {a} or {b}?",
               "Find the sum of the natural numbers less than {n} that are divisible by {a} or {b}.",
               "Add up every positive integer smaller than {n} that is a multiple of {a} or of {b}.",
               "Compute the sum of all multiples of {a} or {b} below {n}.",
               "What do the positive integers under {n} divisible by {a} or {b} add up to?",
               "Calculate the total of all numbers less than {n} that {a} or {b} divides.",
               "Sum the positive integers k < {n} with k divisible by {a} or by {b}.",
               "What is the sum of the numbers from 1 to {n1} that are multiples of {a} or {b}?",
               "Find the sum of all multiples of {a} or {b} below {n}.",
               "What is the sum of the positive integers less than {n} divisible by {a} or {b}?",
               "Compute the sum of the numbers below {n} that are multiples of {a} or {b}.",
               "Add all the numbers under {n} that are divisible by {a} or {b}.",
               "Add up all positive integers less than {n} that are divisible by at least one of {a} and {b}.",
               "Consider the numbers 1 through {n1}. What is the sum of those that are multiples of {a}, of {b}, or of both?",
               "A teacher asks the class to add every whole number from 1 up to {n1} that divides evenly by {a} or by {b}. What total should they get?",
               "Sum all k with 1 <= k <= {n1} such that {a} divides k or {b} divides k.",
               "What is the sum of the positive numbers under {n} that are multiples of {a} or multiples of {b}, with numbers that are multiples of both counted once?",
               "Which total do you get by adding every positive multiple of {a} or {b} that is smaller than {n}?",
               "Among the positive integers strictly less than {n}, take those divisible by {a} or {b}, and add them up.",
               "Project Euler style: what do all positive multiples of {a} or {b} lying below {n} sum to?",
               "Can you compute the sum of the positive integers up to {n1} that are multiples of {a} or {b}?",
               "A game awards k points for each number k from 1 to {n1} that is a multiple of {a} or of {b}. How many points are awarded in total?",
               "If you list every positive integer below {n} divisible by {a} or by {b}, each exactly once, what is the sum of the list?",
               "Total the numbers from 1 to {n1} that are divisible by {a} or by {b}.",
               "Determine the sum of the integers k, 0 < k < {n}, for which k is a multiple of {a} or of {b}.",
               "Every positive number less than {n} that is divisible by {a} or {b} is added together. What is the result?",
               "Numbers divisible by {a} or {b}, positive and below {n}: what is their total?"],
        val=["Determine the sum of all multiples of {a} or {b} that are less than {n}.",
             "How much do the positive integers below {n} that are divisible by {a} or {b} sum to?",
             "Work out the sum of the multiples of {a} or {b} below {n}."],
        test=["List the positive whole numbers under {n} that are multiples of {a} or of {b}, then add the list up. What total do you get?",
              "Every positive integer less than {n} that {a} or {b} goes into evenly is added up; report the sum.",
              "What is the total of every positive integer less than {n} that is a multiple of {a} or of {b}?"])
def sum_multiples(rng, test):
    n = pick(rng, test, (50, 2_000), (10_000, 200_000))
    a, b = _two_divisors(rng, test)

    def below(d: int) -> int:
        m = (n - 1) // d
        return d * m * (m + 1) // 2

    return {"n": n, "n1": n - 1, "a": a, "b": b}, below(a) + below(b) - below(math.lcm(a, b))


@family("prime_check", code="from sympy import isprime\nprint(sum(isprime(n) for n in [{args}]))",
        train=["How many of the numbers {nums} are prime?", "Among {nums}, how many are primes?",
               "Count the primes in the list {nums}.", "How many prime numbers are there among {nums}?",
               "Of the integers {nums}, how many are prime?", "In the list {nums}, how many entries are prime?",
               "Find how many of {nums} are prime numbers.", "Determine the number of primes among {nums}.",
               "How many primes are there in the list {nums}?",
               "Count how many of {nums} are prime.",
               "How many of {nums} are prime numbers?",
               "Of the numbers {nums}, how many are primes?",
               "Check each of {nums} for primality. How many of them pass?",
               "A teacher writes {nums} on the board and asks the class how many of them are prime. What is the correct answer?",
               "Tally the prime numbers among the following: {nums}.",
               "How many members of the collection {nums} have exactly two positive divisors?",
               "Looking at {nums}, count those that are prime.",
               "Here is a list: {nums}. Report how many primes it contains.",
               "Number of primes in {nums}?",
               "Consider the integers {nums}. Exactly how many of them are prime numbers?",
               "Sort {nums} into primes and non-primes. How many primes are there?",
               "Can you tell me how many primes are in this list: {nums}?",
               "A puzzle card shows the numbers {nums}. Each prime on the card is worth one point. How many points is the card worth?",
               "Give the count of prime values among {nums}.",
               "Go through {nums} one by one and count the entries that are prime numbers.",
               "Out of {nums}, how many are primes, that is, greater than 1 and divisible only by 1 and themselves?",
               "For the list {nums}, what is the number of prime entries?",
               "A student must circle every prime in the list {nums}. How many numbers should be circled?"],
        val=["How many primes does the list {nums} contain?", "Work out how many of {nums} are prime.",
             "Determine how many of the numbers {nums} are prime."],
        test=["Someone claims each of {nums} is prime; how many of them really are?",
              "Test each of the integers {nums} for primality and report how many pass.",
              "Checking each of {nums}, how many turn out to be prime?"])
def prime_check(rng, test):
    lo, hi = (10**4, 10**6) if test else (10, 1_000)
    nums = rng.sample(range(lo | 1, hi, 2), rng.randint(3, 5))  # odd: not decided by the last digit alone
    return {"nums": listing(nums), "args": ", ".join(map(str, nums))}, sum(map(_is_prime, nums))


@family("probability", code="from fractions import Fraction\nimport math\n"
                            "print(Fraction(math.comb({k}, 2), math.comb({r} + {b}, 2)))",
        train=["A bag has {r} red and {b} blue marbles. Two are drawn without replacement. What is the probability both are {colour}?",
               "From a box of {r} red and {b} blue balls, two balls are taken at random. What is the probability that both are {colour}?",
               "An urn contains {r} red and {b} blue chips. If two chips are drawn at once, what is the probability that both are {colour}?",
               "There are {r} red and {b} blue socks in a drawer. Pick two at random. What is the probability they are both {colour}?",
               "Two marbles are chosen at random from {r} red and {b} blue ones. Find the probability that both are {colour}.",
               "A jar holds {r} red and {b} blue sweets. Two are drawn without replacement; what is the chance that both are {colour}?",
               "What is the probability of drawing two {colour} cards, without replacement, from a pile of {r} red and {b} blue cards?",
               "Given {r} red and {b} blue beads, two beads are selected at random. Compute the probability that both are {colour}.",
               "A bag has {r} red and {b} blue balls. If two are drawn without replacement, what is the probability that both are {colour}?",
               "Two balls are drawn at random from {r} red and {b} blue balls. What is the probability both are {colour}?",
               "With {r} red and {b} blue marbles in a bag, what is the probability that two marbles drawn without replacement are both {colour}?",
               "A box has {r} red and {b} blue cubes. Two are taken at random. Find the probability that both are {colour}.",
               "A drawer contains {r} red pens and {b} blue pens. Without looking, someone takes out two pens at the same time. What is the probability that both pens are {colour}?",
               "Two tickets are drawn, one after the other and without replacement, from a hat with {r} red and {b} blue tickets. Find the probability that each of them is {colour}.",
               "Probability that two random picks, with no replacement, from {r} red and {b} blue balls are both {colour}?",
               "A teacher keeps {b} blue and {r} red markers in a cup. Two markers are grabbed at random without putting any back. What is the chance they are both {colour}? Give a fraction.",
               "If you select 2 of the {r} red and {b} blue counters at random, what is the probability that both chosen counters are {colour}?",
               "Out of a bowl of {r} red and {b} blue candies, a child takes two at random without replacement. As a reduced fraction, how likely is it that both are {colour}?",
               "Compute P(both {colour}) when two items are drawn without replacement from a set of {r} red and {b} blue items.",
               "Deal two cards at random from a deck made up only of {r} red cards and {b} blue cards. What is the probability that the two cards dealt are both {colour}?",
               "Suppose {r} red balls and {b} blue balls are mixed in a sack. Two balls are pulled out together. How probable is it that both are {colour}?",
               "Pick a random pair from {r} red and {b} blue tokens. What is the probability the pair is entirely {colour}?",
               "Can you find the probability that 2 balls drawn at random, without replacement, from {r} red and {b} blue ones are both {colour}?",
               "In a raffle drum there are {r} red and {b} blue balls. The host draws two balls without returning the first. Find the probability that the host draws two {colour} balls.",
               "Two socks are grabbed blindly from a pile of {b} blue and {r} red socks. What is the probability, as a fraction, that both socks are {colour}?",
               "Someone removes two buttons at random, one after another with no replacement, from a tin holding {r} red and {b} blue buttons. How likely is it that the two buttons are {colour}?",
               "Choosing 2 of {r} red and {b} blue beads uniformly at random, find the probability that both chosen beads are {colour}.",
               "Among {r} red and {b} blue gems, two different gems are chosen at random. Determine the probability that they are both {colour}."],
        val=["A bucket has {r} red and {b} blue balls and two are taken without replacement. What is the probability both are {colour}?",
             "Choose two of {r} red and {b} blue pens at random. What is the chance that the two pens are both {colour}?",
             "A bowl has {r} red and {b} blue candies; two are taken at random. What is the probability both are {colour}?"],
        test=["A raffle drum holds {r} red tickets and {b} blue tickets; two tickets are pulled out together. Give the exact probability that each of them is {colour}.",
              "Picking a random pair from {r} red and {b} blue tiles, how likely is it, as a fraction, that the pair is entirely {colour}?",
              "Two cards are dealt from a deck of {r} red and {b} blue cards; what is the exact chance that both dealt cards are {colour}?"])
def probability(rng, test):
    r, b = pick(rng, test, (2, 10), (11, 40)), pick(rng, test, (2, 10), (11, 40))
    colour, k = rng.choice([("red", r), ("blue", b)])
    return {"r": r, "b": b, "k": k, "colour": colour}, Fraction(math.comb(k, 2), math.comb(r + b, 2))


@family("prime_factor_stats", code="from sympy import primefactors\nprint({op}(primefactors({n})))",
        train=["What is the {what} of the distinct prime factors of {n}?", "Find the {what} of the different primes dividing {n}.",
               "Compute the {what} of the distinct primes in the factorisation of {n}.",
               "Consider the distinct prime factors of {n}. What is their {what}?",
               "Determine the {what} of all different prime divisors of {n}.",
               "For n = {n}, what is the {what} of its distinct prime factors?",
               "Give the {what} of the distinct prime numbers that divide {n}.",
               "What is the {what} of the prime factors of {n}, each counted once?",
               "Calculate the {what} of the distinct prime factors of the number {n}.",
               "Find the {what} of the primes that divide {n}, without repetition.",
               "Take the distinct primes dividing {n}; what is their {what}?",
               "What is the {total} of the different prime factors of {n}?",
               "List each prime that divides {n}, writing every prime only once. What is the {what} of that list?",
               "Ignoring multiplicity, what is the {what} of the prime factors of {n}?",
               "Find the prime factors of {n}, count each one only once, and give their {what}.",
               "A student writes down every distinct prime dividing {n}. What is the {what} of the primes on the list?",
               "Determine the {what} of the set of primes that divide {n}.",
               "For the integer {n}, compute the {what} of its prime divisors, counting repeated primes just once.",
               "Take the set of distinct primes p with p dividing {n}. Give the {what} of these p.",
               "Can you work out the {what} of the unique prime factors of {n}?",
               "Each different prime factor of {n} is written on a card, one card per prime. What is the {what} of the numbers on the cards?",
               "{n} has some prime factors, possibly repeated. Counting each distinct one once, give their {what}.",
               "Suppose you strip the repeats from the prime factorisation of {n}. What {what} do the remaining primes have?",
               "Factorise {n}, keep one copy of each prime, and report the {what} of those primes.",
               "Without repeating any prime, what is the {what} of the primes that go into {n}?",
               "Help me find the {what} of the different primes in the factorization of {n}.",
               "A puzzle: collect the distinct primes that divide {n} evenly. What is their {what}?",
               "Over all distinct primes p dividing {n}, what is the {what} of p?"],
        val=["Work out the {what} of the distinct prime factors of {n}.",
             "What is the {what} of the different prime numbers dividing {n}?",
             "Determine the {what} of the distinct primes that go into {n}."],
        test=["Break {n} into primes and keep each prime once; report the {what} of the primes you kept.",
              "Someone lists every prime that divides {n}, with no repeats. What is the {what} of that list's entries?",
              "Ignoring multiplicity, collect the prime divisors of {n}; what is their {total}?"])
def prime_factor_stats(rng, test):
    small = _primes()[:168]
    factors = [rng.choice(small) for _ in range(rng.randint(2, 5) - test)]
    factors += [rng.choice(_primes()[168:1_000])] if test else []
    op, what, total = rng.choice([("len", "number", "count"), ("sum", "sum", "sum")])
    distinct = set(factors)
    return {"n": math.prod(factors), "op": op, "what": what, "total": total}, len(distinct) if op == "len" else sum(distinct)


@family("trailing_zeros", code="import math\ns = str(math.factorial({n}))\nprint(len(s) - len(s.rstrip('0')))",
        train=["How many trailing zeros does {n}! have?", "How many zeros are at the end of {n}!?",
               "Find the number of trailing zeros of {n} factorial.", "With how many zeros does {n}! end?",
               "Compute the number of zeros at the end of the decimal expansion of {n}!.",
               "How many consecutive zeros end the number {n}!?", "Count the trailing zeros in {n}!.",
               "What is the number of trailing zeroes of {n}!?", "How many 0 digits are at the end of {n} factorial?",
               "Determine how many trailing zeros {n}! has.", "If you write out {n}! in full, how many zeros does it end with?",
               "Find how many zeros {n}! ends in.",
               "When {n}! is written in base ten, how many zeros appear at its right end?",
               "Find the largest integer k for which 10^k divides {n}!.",
               "Count the zeros at the tail of {n} factorial.",
               "A student computes {n} x ({n} - 1) x ... x 2 x 1. How many zeros are at the end of the result?",
               "Find the number of terminal zeros in the decimal representation of {n}!.",
               "{n}! ends in a string of zeros. How long is that string?",
               "Can you tell me how many zero digits {n}! finishes with?",
               "Trailing zeros of {n}!?",
               "Multiply all integers from 1 to {n}. How many zeros does the product end with?",
               "If you print {n} factorial on a calculator with unlimited digits, how many zeros would it end with?",
               "In the number {n}!, how many zeros follow the last nonzero digit?",
               "How many trailing 0s are in the factorial of {n}?",
               "Give the count of zeros at the end of the product 1 x 2 x 3 x ... x {n}.",
               "A puzzle: write down {n}!, then count the zeros at its end, stopping at the first nonzero digit. What number do you get?",
               "Work out how many final zeros {n}! has.",
               "Number of ending zeros in {n}!?"],
        val=["Work out the number of trailing zeros of {n}!.", "How many zeros finish the number {n}!?",
             "What is the count of trailing zeros in {n} factorial?"],
        test=["The product 1 * 2 * ... * {n} is written in base ten; how many zero digits come after its last nonzero digit?",
              "Multiplying every integer from 1 to {n} gives a number whose final digits are zeros; how many such final zeros are there?",
              "In the decimal form of the factorial of {n}, how long is the run of zeros at the very end?"])
def trailing_zeros(rng, test):
    n = pick(rng, test, (10, 300), (301, 1_000))
    zeros, power = 0, 5
    while power <= n:  # Legendre: the number of factors 5 in n!
        zeros += n // power
        power *= 5
    return {"n": n}, zeros
