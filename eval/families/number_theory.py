"""Number-theory families: gcd/lcm, remainders, modular powers, primes (counts, n-th, factors, next,
primality checks, distinct factors), divisors, multiples (counts and sums).

Golds use plain Python (a sieve, trial division, `math`); the teacher snippets mostly use sympy, and
the tests check both against sympy's own functions. The counting families are in `counting.py`.
"""

from __future__ import annotations

import functools
import math

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
