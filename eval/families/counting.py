"""Counting families: factorials, binomials, permutations, Fibonacci and linear recurrences, a drawing
probability, trailing zeros of factorials.

Golds use plain Python (`math`, `fractions`, the recurrence itself, Legendre's formula); the teacher
snippets use `math` and sympy, and the tests check both against sympy's own functions.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .core import family, ordinal, pick

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
