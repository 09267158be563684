"""Arithmetic families: expressions, big products and powers, sums and series, digit sums and counts,
fractions, averages, integer roots, base conversion.

Golds are plain Python integer arithmetic; test ranges are larger than (and disjoint from) train's.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

from .core import family, listing, ordinal, pick


_SHAPES = (
    ("{a} * {b} + {c}", lambda a, b, c, d: a * b + c),
    ("({a} + {b}) * {c} - {d}", lambda a, b, c, d: (a + b) * c - d),
    ("{a} * {b} - {c} * {d}", lambda a, b, c, d: a * b - c * d),
    ("{a} + {b} * {c}", lambda a, b, c, d: a + b * c),
    ("({a} - {b}) * ({c} + {d})", lambda a, b, c, d: (a - b) * (c + d)),
)


@family("arithmetic", code="print({expr})",
        train=["What is {expr}?", "Compute {expr}.", "Evaluate {expr}.", "Calculate {expr}.",
               "Find the value of {expr}.", "What does {expr} equal?", "Work out {expr}.",
               "What is the value of the expression {expr}?",
               "Quick question: what is {expr}?",
               "Find {expr}.",
               "What is the result of {expr}?",
               "Simplify the expression {expr} to a single number.",
               "Tell me what {expr} comes out to.",
               "{expr} = ?",
               "Can you help me figure out {expr}? I keep getting a different answer each time.",
               "On a worksheet, a student must reduce {expr} to one number. What should she write?",
               "Determine the numerical value of {expr}, following the usual order of operations.",
               "Please evaluate the following: {expr}",
               "My calculator is broken. What is {expr}, worked out by hand?",
               "Give the answer to {expr}.",
               "The teacher wrote {expr} on the board and asked the class for its value. What is the correct answer?",
               "Solve this arithmetic problem: {expr}.",
               "If you carry out the operations in {expr}, what result do you get?",
               "Mental math challenge: {expr}. What's the answer?",
               "A shopkeeper's ledger line reads {expr}. Work the line out and state the number it comes to.",
               "Using standard operator precedence, which number does the expression {expr} produce?",
               "State the single number equal to {expr}."],
        val=["Determine {expr}.", "How much is {expr}?",
             "Compute the exact value of {expr}."],
        test=["Tell me the result of {expr}, please.", "What number do you get when you evaluate {expr}?",
              "Reduce the arithmetic expression {expr} to one integer."])
def arithmetic(rng, test):
    shape, value = rng.choice(_SHAPES)
    nums = [pick(rng, test, (2, 99), (100, 9_999)) for _ in range(4)]
    return {"expr": shape.format(a=nums[0], b=nums[1], c=nums[2], d=nums[3])}, value(*nums)


@family("big_product", code="print({a} * {b})",
        train=["What is {a} times {b}?", "Multiply {a} by {b}.", "What is the product of {a} and {b}?",
               "Compute {a} * {b}.", "Calculate {a} multiplied by {b}.", "Find {a} x {b}.",
               "What do you get if you multiply {a} and {b}?", "Work out the product {a} * {b}.",
               "What is {a} * {b}?",
               "Compute the product {a} x {b}.",
               "Find the exact product of {a} and {b}.",
               "Multiply these two numbers: {a} and {b}.",
               "Multiply {a} and {b} together exactly.",
               "{a} * {b} = ?",
               "A warehouse has {a} boxes, each holding {b} screws. How many screws are there in total?",
               "What number do you get by taking {b} groups of {a}?",
               "Tell me the product {a} times {b}, with every digit.",
               "A factory produces {a} items per day for {b} days. How many items is that altogether?",
               "Compute, without rounding, the result of multiplying {b} by {a}.",
               "If a ticket costs {a} dollars and {b} tickets are sold, how many dollars are collected?",
               "What is {a} multiplied by {b}? Give the full integer.",
               "Evaluate {b} x {a}.",
               "Help me multiply two big numbers: {a} and {b}.",
               "Determine the value of {a} times {b}.",
               "Long multiplication exercise: {a} times {b}. What is the answer?",
               "How much is {b} times {a}?",
               "If you add up {b} copies of the number {a}, what total do you get?"],
        val=["Determine {a} times {b}.", "How much is {a} multiplied by {b}?",
             "What is {b} multiplied by {a}?"],
        test=["If one factor is {a} and the other is {b}, what is their product?",
              "Give the exact value of {a} * {b}.",
              "A rectangle measures {a} by {b} units; what is its area in square units?"])
def big_product(rng, test):
    a = pick(rng, test, (1_000, 9_999_999), (10**8, 10**12))
    b = pick(rng, test, (1_000, 9_999_999), (10**8, 10**12))
    return {"a": a, "b": b}, a * b


@family("power", code="print({a}**{b})",
        train=["What is {a}^{b}?", "Compute {a} to the power of {b}.", "What is {a} raised to the power {b}?",
               "Calculate {a}^{b}.", "Evaluate {a}**{b}.", "Find the value of {a}^{b}.",
               "What is {a} to the {bth} power?", "Work out {a} raised to the {bth} power.",
               "Compute {a}^{b} exactly.",
               "What is the exact value of {a}**{b}?",
               "Raise {a} to the power {b}.",
               "Find {a} to the power {b}.",
               "What do you get when you multiply {b} copies of {a} together?",
               "Compute the product of {b} factors, each equal to {a}.",
               "Write the number {a} down {b} times with a multiplication sign between neighbours. What does that product equal?",
               "Find the {bth} power of the integer {a}.",
               "Evaluate the exponential expression with base {a} and exponent {b}.",
               "A bacteria colony starts as a single cell, and every hour each cell turns into {a} cells. How many cells are there after {b} hours?",
               "Raising {a} to the exponent {b}, what number do you obtain?",
               "Tell me the exact integer {a}^{b}, with all of its digits.",
               "If x = {a}, what is x^{b}?",
               "A password has {b} characters, and each character can be any one of {a} symbols. How many different passwords are possible?",
               "A quiz has {b} questions, each with {a} answer options. In how many ways can the whole quiz be filled in if every question gets exactly one option?",
               "Can you work out {a} with an exponent of {b}?",
               "Exponent {b}, base {a}: what is the value?",
               "What is {a} x {a} x ... x {a}, where there are {b} factors in all?",
               "Determine the result of raising the base {a} to the {bth} power."],
        val=["Determine {a}^{b}.", "How much is {a} to the power of {b}?",
             "Evaluate {a} raised to the power of {b}."],
        test=["What number is {b} copies of {a} multiplied together?",
              "Give the exact value of {a} raised to the exponent {b}.",
              "Starting from 1, multiply by {a} a total of {b} times; what number results?"])
def power(rng, test):
    a = pick(rng, test, (2, 20), (21, 99))
    top = int(38 / math.log10(a)) if test else min(40, int(30 / math.log10(a)))
    b = rng.randint(max(5, top // 2) if test else 5, top)
    return {"a": a, "b": b, "bth": ordinal(b)}, a**b


@family("sum_first_n", code="print(sum(range(1, {n} + 1)))",
        train=["What is the sum of the first {n} positive integers?", "Compute 1 + 2 + 3 + ... + {n}.",
               "Find the sum of all integers from 1 to {n}.", "What is 1 + 2 + ... + {n}?",
               "Add up the whole numbers from 1 through {n}.",
               "What do you get when you add all the integers from 1 up to {n}?",
               "Calculate the sum of the integers 1, 2, ..., {n}.",
               "What is the total of the first {n} counting numbers?",
               "Compute the sum of the first {n} natural numbers.",
               "Find 1 + 2 + 3 + ... + {n}.",
               "What is the sum of all whole numbers from 1 to {n}?",
               "Add the integers 1 through {n}. What is the total?",
               "Add together all positive integers up to and including {n}.",
               "Find the triangular number T_{n} = 1 + 2 + ... + {n}.",
               "A staircase of blocks has 1 block in the first row, 2 in the second, and so on up to {n} in the last row. How many blocks are there in total?",
               "Sum every counting number from one to {n}.",
               "On day 1 a child saves $1, on day 2 $2, and so on, saving $k on day k. How many dollars are saved after {n} days?",
               "Determine the value of the series 1 + 2 + ... + {n}.",
               "If you add the numbers 1, 2, 3, and so on through {n}, what total do you get?",
               "Can you help me find the sum of all whole numbers from 1 up to {n}?",
               "The sum of k for k = 1 to {n} is what?",
               "A teacher asks the class to add the integers from 1 to {n}. What answer should they get?",
               "Total of all natural numbers not exceeding {n}?",
               "Compute the sum of every integer k with 1 <= k <= {n}.",
               "A stack of cans has {n} cans on the bottom row, one fewer in each row above, and 1 can on top. How many cans are in the stack?",
               "How large is the sum of the first {n} positive whole numbers?",
               "Evaluate the sum of the integers from 1 to {n}, inclusive."],
        val=["Determine the sum 1 + 2 + ... + {n}.", "How much is the sum of the numbers from 1 to {n}?",
             "What is the sum of the integers from 1 up to {n}?"],
        test=["A child writes down every number from 1 to {n} and adds them all; what total does she get?",
              "Sum every positive whole number that is at most {n}.",
              "Every day a jar gets one more coin than the day before, starting with 1 coin; how many coins are in it after {n} days?"])
def sum_first_n(rng, test):
    n = pick(rng, test, (10, 999), (1_000, 99_999))
    return {"n": n}, n * (n + 1) // 2


@family("sum_range", code="print(sum(range({a}, {b} + 1)))",
        train=["What is the sum of all integers from {a} to {b} inclusive?",
               "Compute {a} + {a1} + ... + {b}.", "Find the sum of the integers between {a} and {b}, inclusive.",
               "Add up every whole number from {a} through {b}.",
               "What is the total of the consecutive integers {a}, {a1}, ..., {b}?",
               "Calculate the sum of the numbers from {a} up to {b}, including both ends.",
               "What do you get if you add all integers n with {a} <= n <= {b}?",
               "Sum the integers from {a} to {b}, both included.",
               "Compute the sum of the integers from {a} to {b}.",
               "Compute the sum {a} + {a1} + ... + {b}.",
               "Find the total of all whole numbers from {a} up to and including {b}.",
               "What is the sum of the consecutive integers starting at {a} and ending at {b}?",
               "A row of seats is numbered {a} to {b}. What is the sum of all the seat numbers?",
               "What is {a} + {a1} + ... + {b}, where every integer in between is included?",
               "Find the total of all whole numbers n such that n is at least {a} and at most {b}.",
               "Sum every integer in the closed interval [{a}, {b}].",
               "Can you add up the consecutive numbers from {a} through {b}, including both endpoints?",
               "A student adds every integer from {a} up to {b}, counting {a} and {b} themselves. What total does the student get?",
               "Evaluate the arithmetic series that starts {a}, {a1} and increases by 1 each step until it ends at {b}.",
               "How much do the integers from {a} to {b}, inclusive, add up to?",
               "Tickets numbered {a}, {a1}, and so on up to {b} are in a box. What is the sum of the numbers on all the tickets?",
               "Total of all integers k with {a} <= k <= {b}?",
               "Starting from {a} and counting up by ones to {b}, add all the numbers you say. What is the sum?",
               "Compute the sum of k over k = {a} to {b}.",
               "Please find the sum of every integer between {a} and {b}, with both {a} and {b} counted.",
               "If all integers from {a} through {b} are added, what is the result?",
               "On day k of a training plan a runner runs k metres. How many metres are run in total from day {a} to day {b}, both days included?",
               "Give the sum of the run of consecutive integers {a}, {a1}, ..., {b}."],
        val=["Determine the sum of all integers from {a} to {b}, inclusive.",
             "How much is {a} + {a1} + ... + {b}?",
             "Work out the sum of every integer from {a} to {b}."],
        test=["A list holds every integer starting at {a} and ending at {b}; what is the sum of the list?",
              "Adding each whole number no smaller than {a} and no larger than {b} gives what total?",
              "Seats are numbered from {a} to {b}; what do all the seat numbers add up to?"])
def sum_range(rng, test):
    a = pick(rng, test, (2, 60), (100, 999))
    b = a + pick(rng, test, (10, 500), (1_000, 9_000))
    return {"a": a, "a1": a + 1, "b": b}, (a + b) * (b - a + 1) // 2


@family("sum_odd_even", code="print(sum(k for k in range({a}, {b} + 1) if k % 2 == {r}))",
        train=["What is the sum of all {kind} integers from {a} to {b} inclusive?",
               "Add up the {kind} numbers between {a} and {b}, inclusive.",
               "Find the sum of every {kind} number from {a} through {b}.",
               "Compute the total of the {kind} integers in the range {a} to {b}, including both ends.",
               "What do you get when you add all {kind} whole numbers from {a} up to {b}?",
               "Calculate the sum of the {kind} integers n with {a} <= n <= {b}.",
               "What is the total of all {kind} numbers from {a} to {b}?",
               "Sum the {kind} integers between {a} and {b}, both included.",
               "Compute the sum of the {kind} numbers from {a} to {b}.",
               "What is the sum of every {kind} integer between {a} and {b} inclusive?",
               "Find the total of all {kind} whole numbers in the interval [{a}, {b}].",
               "Add the {kind} integers from {a} through {b}. What is the result?",
               "Total all {kind} values of n such that n is at least {a} and at most {b}.",
               "What is the sum of the {kind} numbers lying between {a} and {b}, counting {a} and {b} themselves if they are {kind}?",
               "A student writes down every {kind} number from {a} up to and including {b} and adds them. What total does she get?",
               "Find the sum of all {kind} whole numbers no smaller than {a} and no larger than {b}.",
               "Starting at {a} and ending at {b}, inclusive, add up only the {kind} integers.",
               "Determine the total of the {kind} integers in the closed interval from {a} to {b}.",
               "Houses on a street are numbered consecutively from {a} to {b}. What is the sum of all the {kind} house numbers?",
               "Can you add up all the {kind} numbers from {a} to {b}, ends included?",
               "Sum of {kind} k for k = {a}, ..., {b}?",
               "If you add all {kind} integers that are at least {a} but not more than {b}, what do you get?",
               "One chapter of a book runs from page {a} to page {b}, inclusive. What is the sum of the {kind} page numbers in the chapter?",
               "Compute the sum over all {kind} n between {a} and {b}, with both bounds included.",
               "From {a} to {b} inclusive, what do the {kind} integers add up to?",
               "Please work out the sum of every {kind} integer in the range {a}..{b}, including the endpoints.",
               "How much do all {kind} integers from {a} through {b} total?"],
        val=["Determine the sum of the {kind} integers from {a} to {b}, inclusive.",
             "How much do the {kind} numbers from {a} to {b} add up to?",
             "Work out the total of the {kind} integers from {a} up to {b}."],
        test=["Among the integers from {a} to {b} inclusive, keep only the {kind} ones; what is their sum?",
              "A list contains every {kind} whole number that is at least {a} and at most {b}; what is its total?",
              "Houses with {kind} numbers from {a} to {b} are on one side of a street; what do their house numbers add up to?"])
def sum_odd_even(rng, test):
    a = pick(rng, test, (1, 60), (100, 999))
    b = a + pick(rng, test, (10, 500), (1_000, 9_000))
    r = rng.randint(0, 1)
    return {"a": a, "b": b, "r": r, "kind": "odd" if r else "even"}, sum(range(a + (a % 2 != r), b + 1, 2))


@family("sum_powers", code="print(sum(k**{p} for k in range(1, {n} + 1)))",
        train=["What is the sum of the {kinds} of the integers from 1 to {n}?",
               "Compute 1^{p} + 2^{p} + ... + {n}^{p}.", "Find the sum of the first {n} perfect {kinds}.",
               "What is 1^{p} + 2^{p} + 3^{p} + ... + {n}^{p}?",
               "Add up the {kinds} of all whole numbers from 1 through {n}.",
               "Calculate the sum of k^{p} for k = 1 to {n}.",
               "What do you get if you add the {kinds} of 1, 2, ..., {n}?",
               "What is the total of the {kinds} of the first {n} positive integers?",
               "Compute the sum of k^{p} for k from 1 to {n}.",
               "Find 1^{p} + 2^{p} + ... + {n}^{p}.",
               "What is the sum of the {kinds} of 1 through {n}?",
               "Add the {kinds} of the numbers from 1 to {n}.",
               "Evaluate the sum over k = 1, ..., {n} of k^{p}.",
               "Raise each of the numbers 1, 2, ..., {n} to the power {p} and add the results.",
               "Find the total obtained by adding up the {kinds} 1^{p}, 2^{p}, and so on, through {n}^{p}.",
               "A student adds up the {kinds} of all the whole numbers from 1 to {n}. What sum does she obtain?",
               "How large is the sum of the first {n} {kinds}, starting from 1^{p}?",
               "Determine the value of the summation of k^{p} from k = 1 to k = {n}.",
               "Can you help me add 1^{p}, 2^{p}, ..., up to {n}^{p}?",
               "If each integer k from 1 to {n} contributes k^{p}, what is the total contribution?",
               "Sum k^{p}, k = 1..{n}?",
               "What total results from adding the {kinds} of all positive integers not exceeding {n}?",
               "Compute the {kinds} of 1, 2, 3, ..., {n} and add them all up.",
               "In a puzzle, box number k holds k^{p} marbles, for k = 1 to {n}. How many marbles are there altogether?",
               "Each of the numbers from 1 through {n} is raised to the power {p}; find the sum.",
               "Give the sum of the {kinds} from 1^{p} up to {n}^{p}.",
               "Tell me the sum of all {kinds} k^{p} with k running from 1 to {n}."],
        val=["Determine the sum of the {kinds} of the numbers 1 to {n}.", "How much is 1^{p} + 2^{p} + ... + {n}^{p}?",
             "Work out the sum of the first {n} {kinds}."],
        test=["Take each integer from 1 to {n}, raise it to the power {p}, and add the results; what is the total?",
              "Someone sums the {kinds} of every counting number up to and including {n}; what result do they get?",
              "A stack has layers of sizes 1^{p}, 2^{p}, and so on up to {n}^{p}; how many units does the whole stack hold?"])
def sum_powers(rng, test):
    n = pick(rng, test, (5, 100), (101, 2_000))
    p = rng.choice([2, 3])
    return {"n": n, "p": p, "kinds": {2: "squares", 3: "cubes"}[p]}, sum(k**p for k in range(1, n + 1))


@family("arithmetic_series", code="print(sum({a} + {d}*k for k in range({n})))",
        train=["What is the sum of the first {n} terms of the arithmetic sequence {a}, {t2}, {t3}, ...?",
               "An arithmetic sequence starts at {a} with common difference {d}. What is the sum of its first {n} terms?",
               "Find the sum of the first {n} terms of the arithmetic progression with first term {a} and difference {d}.",
               "Compute {a} + {t2} + {t3} + ... with {n} terms in total.",
               "The sequence {a}, {t2}, {t3}, ... increases by {d} each time. Add up its first {n} terms.",
               "Calculate the sum of {n} terms of the arithmetic series whose first term is {a} and whose common difference is {d}.",
               "What do the first {n} terms of {a}, {t2}, {t3}, ... add up to?",
               "What is the total of the first {n} terms of an arithmetic sequence with a_1 = {a} and d = {d}?",
               "Add the first {n} terms of the sequence {a}, {t2}, {t3}, and so on.",
               "What is the sum of {n} terms of {a} + {t2} + {t3} + ...?",
               "Find the sum of the arithmetic series {a} + {t2} + {t3} + ... up to {n} terms.",
               "An arithmetic sequence has first term {a} and common difference {d}. Find the sum of its first {n} terms.",
               "Sum the first {n} terms: {a}, {t2}, {t3}, ...",
               "Starting from {a} and adding {d} each time, write down {n} numbers. What is their total?",
               "A runner trains {a} minutes on day 1 and {d} minutes more on each following day. How many minutes does she train in total over {n} days?",
               "Tom saves {a} dollars in the first week, and every week after that he saves {d} dollars more than the week before. How much has he saved after {n} weeks?",
               "What is S_{n} for the arithmetic progression with a_1 = {a} and common difference {d}?",
               "Let a_k = {a} + (k - 1) * {d}. Compute a_1 + a_2 + ... + a_{n}.",
               "In a theater the front row has {a} seats, and every row behind it has {d} more seats than the row in front. If there are {n} rows, how many seats are there altogether?",
               "Total of {n} terms of {a}, {t2}, {t3}, ...?",
               "Consider the list {a}, {t2}, {t3}, ..., where consecutive entries differ by {d}. If the list has exactly {n} entries, what is their sum?",
               "Could you add up the first {n} members of the arithmetic progression that begins {a}, {t2}, {t3}?",
               "Determine the value of the series {a} + {t2} + {t3} + ... when it is stopped after {n} terms.",
               "An arithmetic sequence has initial term {a}, and each term is {d} larger than the one before. Find the combined value of its first {n} terms.",
               "A stack of cans has {a} cans in the top row, and each lower row holds {d} more cans than the row above it. With {n} rows, how many cans are in the stack?",
               "Evaluate the sum over k = 0, 1, ..., {n} - 1 of ({a} + {d}*k).",
               "Homework: the terms {a}, {t2}, {t3}, ... form an arithmetic sequence. Find the sum of the first {n} of them.",
               "How big is the total if you add {n} consecutive terms of the arithmetic sequence with first term {a} and step {d}, beginning with the first term?"],
        val=["Determine the sum of the first {n} terms of the arithmetic sequence that begins {a}, {t2}, {t3}.",
             "How much are the first {n} terms of an arithmetic progression starting {a}, {t2}, ... worth in total?",
             "Work out the sum of {n} terms of the arithmetic sequence with first term {a} and step {d}."],
        test=["Someone saves {a} dollars in week one and {d} dollars more each week than the week before; how much have they saved after {n} weeks?",
              "Consider the series with first term {a} in which every term exceeds the previous one by {d}; what is the total of {n} terms?",
              "A staircase's first step is {a} cm high and each further step is {d} cm higher than the last; what is the total height of {n} steps in cm?"])
def arithmetic_series(rng, test):
    a = pick(rng, test, (1, 20), (21, 200))
    d = pick(rng, test, (1, 9), (10, 30))
    n = pick(rng, test, (5, 50), (51, 200))
    return {"a": a, "d": d, "n": n, "t2": a + d, "t3": a + 2 * d}, n * (2 * a + (n - 1) * d) // 2


@family("geometric_series", code="print(sum({a} * {r}**k for k in range({n})))",
        train=["What is the sum of the first {n} terms of the geometric sequence {a}, {t2}, {t3}, ...?",
               "A geometric sequence starts at {a} with common ratio {r}. What is the sum of its first {n} terms?",
               "Find the sum of the first {n} terms of the geometric progression with first term {a} and ratio {r}.",
               "Compute the geometric sum {a} + {t2} + {t3} + ... with {n} terms.",
               "Each term of the sequence {a}, {t2}, {t3}, ... is {r} times the previous one. Add up its first {n} terms.",
               "Calculate the sum of {n} terms of the geometric series whose first term is {a} and whose common ratio is {r}.",
               "What do the first {n} terms of the geometric sequence {a}, {t2}, {t3}, ... add up to?",
               "What is the total of the first {n} terms of a geometric sequence with a_1 = {a} and r = {r}?",
               "Add the first {n} terms of the geometric sequence {a}, {t2}, {t3}, and so on.",
               "What is the sum of {n} terms of the geometric series {a} + {t2} + {t3} + ...?",
               "Find the sum of the geometric series {a} + {t2} + {t3} + ... up to {n} terms.",
               "A geometric sequence has first term {a} and ratio {r}. Find the sum of its first {n} terms.",
               "Sum the first {n} terms of {a}, {t2}, {t3}, ..., where each term is {r} times the one before.",
               "Let a_k = {a} * {r}^(k - 1). Compute a_1 + a_2 + ... + a_{n}.",
               "A chain message reaches {a} new people on day 1, and each day the number of new recipients is {r} times that of the previous day. How many people receive it in total over {n} days?",
               "Starting at {a} and multiplying by {r} each time, write down {n} numbers. What do they add up to?",
               "What is S_{n} for a geometric progression with first term {a} and common ratio {r}?",
               "Evaluate the sum over k = 0, 1, ..., {n} - 1 of {a} * {r}^k.",
               "A savings plan deposits {a} dollars in month 1, and each month's deposit is {r} times the previous month's. What is the total deposited over {n} months?",
               "Total of {n} terms of the geometric sequence {a}, {t2}, {t3}, ...?",
               "Could you add up the first {n} members of the geometric progression that begins {a}, {t2}, {t3}?",
               "Determine the value of {a} + {t2} + {t3} + ... when it is cut off after {n} terms, each term being {r} times its predecessor.",
               "Level 1 of a tree diagram has {a} nodes, and each level has {r} times as many nodes as the level above. How many nodes are in the first {n} levels combined?",
               "The list {a}, {t2}, {t3}, ... has a constant ratio of {r} between consecutive entries. If the list has exactly {n} entries, what is their sum?",
               "Homework: the numbers {a}, {t2}, {t3}, ... form a geometric sequence. Find the sum of the first {n} of them.",
               "How big is the total if you add the first {n} terms of the geometric sequence with initial term {a} and multiplier {r}?",
               "Put {a} grains of rice on the first square of a board, and on each following square put {r} times as many as on the square before. How many grains are on the first {n} squares together?",
               "Find {a} + {a}*{r} + {a}*{r}^2 + ... with {n} terms in all."],
        val=["Determine the sum of the first {n} terms of the geometric sequence that begins {a}, {t2}, {t3}.",
             "How much are the first {n} terms of a geometric progression starting {a}, {t2}, ... worth in total?",
             "Work out the sum of {n} terms of the geometric sequence with first term {a} and ratio {r}."],
        test=["A colony has {a} cells on day one and multiplies by {r} every day; how many cells were counted over the first {n} days combined?",
              "Consider the series with first term {a} in which every term is {r} times the one before; what is the total of {n} terms?",
              "A chain letter is sent to {a} people, and each recipient's round reaches {r} times as many people as the round before; how many letters are sent in {n} rounds?"])
def geometric_series(rng, test):
    a = pick(rng, test, (1, 9), (10, 50))
    r = pick(rng, test, (2, 5), (6, 12))
    n = pick(rng, test, (3, 12), (13, 20))
    return {"a": a, "r": r, "n": n, "t2": a * r, "t3": a * r * r}, a * (r**n - 1) // (r - 1)


def _big_number(rng: random.Random, test: bool) -> tuple[str, str, int]:
    """(text, code, value) of a power like 2^100 or a factorial like 30!."""
    if rng.random() < 0.6:
        a = rng.randint(2, 9)
        b = pick(rng, test, (10, 200), (201, 600))
        return f"{a}^{b}", f"{a}**{b}", a**b
    n = pick(rng, test, (10, 60), (61, 150))
    return f"{n}!", f"math.factorial({n})", math.factorial(n)


@family("digit_sum", code="import math\nprint(sum(int(d) for d in str({expr})))",
        train=["What is the sum of the digits of {text}?", "Find the digit sum of {text}.",
               "Add up all the decimal digits of {text}.", "Compute the sum of the digits in the number {text}.",
               "If you write out {text} in full, what do its digits add up to?",
               "Calculate the sum of the base-10 digits of {text}.",
               "What do you get when you add together every digit of {text}?",
               "What is the total of the digits of {text}?",
               "Compute the digit sum of {text}.",
               "Find the sum of all digits of the number {text}.",
               "What is the sum of the digits in {text}?",
               "Add the digits of {text}. What do you get?",
               "Write {text} out in full and add its digits together. What is the total?",
               "What do the decimal digits of {text} sum to?",
               "Digit sum of {text}?",
               "A student expands {text} into an ordinary integer and then adds every digit once. What number should she get?",
               "Determine the sum of all digits appearing in the decimal representation of {text}.",
               "If you compute {text} exactly and then total its digits, what is the answer?",
               "Please add together each of the base-ten digits of the number {text}.",
               "Find S, the sum of the digits of the integer {text} written in base 10.",
               "Can you work out the digit total of {text}?",
               "Expanded completely, {text} is a long string of digits. What is the sum of those digits?",
               "Puzzle: take the exact value of {text}, then add up its digits one by one. Report the sum.",
               "How much is the sum of every digit of {text}?",
               "Summing the digits of {text} gives what number?",
               "A calculator with unlimited digits displays {text}. What is the sum of the digits shown?",
               "Calculate the total you get by adding the individual decimal digits of {text}.",
               "Tell me what the digits of {text} add up to once it is written in ordinary notation."],
        val=["Determine the sum of the digits of {text}.", "How much do the digits of {text} add up to?",
             "Work out the sum of the digits of {text}."],
        test=["Write the number {text} in ordinary decimal notation and add its digits; what is the result?",
              "Summing each digit of the integer {text} gives what value?",
              "Take the decimal expansion of {text} and total its digits; what number do you get?"])
def digit_sum(rng, test):
    text, expr, value = _big_number(rng, test)
    return {"text": text, "expr": expr}, sum(map(int, str(value)))


@family("digit_count", code="import math\nprint(len(str({expr})))",
        train=["How many digits does {text} have?", "Find the number of digits of {text}.",
               "How many decimal digits are in {text}?", "Compute how many digits the number {text} has.",
               "If you write out {text} in full, how many digits do you write?",
               "What is the number of base-10 digits of {text}?",
               "Count the digits of {text}.", "How long, in digits, is the number {text}?",
               "How many digits are in the number {text}?",
               "Find how many digits {text} has.",
               "What is the length of {text} in decimal digits?",
               "Compute the number of digits in {text}.",
               "When {text} is written out in ordinary decimal notation, how many digits does it use?",
               "What is the total number of digits in the decimal expansion of {text}?",
               "How many digits long is {text}?",
               "A student writes the exact value of {text} on the blackboard, one digit per square. How many squares does she need?",
               "Count how many characters (all digits) appear when {text} is printed in base 10.",
               "Digits in {text}?",
               "Determine the digit count of the integer {text}.",
               "If a computer prints {text} in full, how many digits appear on the screen?",
               "Can you tell me how many decimal digits the number {text} contains?",
               "Expanded fully in base ten, {text} has how many digits?",
               "Find the length of the decimal representation of {text}.",
               "A puzzle asks: how many digits are there in {text}, with no rounding or scientific notation? Give the count.",
               "Write {text} as a plain whole number. How many digits are in it?",
               "Please find how many digits the exact value of {text} has.",
               "What is the number of digits needed to write {text} in the usual decimal system?",
               "Suppose you expand {text} completely. What is the count of its digits?"],
        val=["Determine how many digits {text} has.", "What is the digit count of {text}?",
             "Work out how many decimal digits {text} has."],
        test=["Written in ordinary decimal notation, the integer {text} uses how many digits?",
              "Someone prints the full decimal value of {text} without separators; how many characters long is it?",
              "When {text} is written out in base ten, how many digits does it contain?"])
def digit_count(rng, test):
    text, expr, value = _big_number(rng, test)
    return {"text": text, "expr": expr}, len(str(value))


_FRACTION_OPS = {"+": lambda p, q: p + q, "-": lambda p, q: p - q, "*": lambda p, q: p * q}


@family("fraction_arithmetic", code="from fractions import Fraction\nprint(Fraction({a}, {b}) {op} Fraction({c}, {d}))",
        train=["What is {text}?", "Compute {text} and write the result as a fraction in lowest terms.",
               "Simplify {text}.", "Calculate {text} exactly.", "Evaluate {text} as a reduced fraction.",
               "What do you get from {text}?", "Find the exact value of {text}.", "Work out {text} in lowest terms.",
               "Compute {text} exactly as a fraction.",
               "What is the value of {text} in lowest terms?",
               "Find {text}.",
               "Calculate {text} and simplify.",
               "Work out {text} and reduce your answer completely.",
               "Give {text} as a simplified fraction.",
               "A recipe card says the amount of flour needed is {text} cups. What is that as a single fraction in lowest terms?",
               "{text} = ? (reduce fully)",
               "Help me with my fractions homework: what is {text} in simplest form?",
               "Perform the operation {text} and write the answer in lowest terms.",
               "What single fraction, fully reduced, equals {text}?",
               "Express the value of {text} as an irreducible fraction (or an integer if it simplifies to one).",
               "Combine {text} into one fraction in its simplest form.",
               "If you evaluate {text} exactly, what reduced fraction do you obtain?",
               "On a math quiz the question reads {text}. What answer, in lowest terms, earns full marks?",
               "Determine {text}, giving the result as a numerator over a denominator with no common factor.",
               "A carpenter's measurement works out to {text} inches. Simplify it to a single fraction in lowest terms.",
               "Exact value of {text}?",
               "Please calculate {text} using the rules for fractions, and simplify the result.",
               "Without using decimals, what is {text}?"],
        val=["Determine {text} as a fraction.", "How much is {text}?",
             "Work out {text} and reduce it."],
        test=["Combine the fractions in {text} into a single fraction in simplest form.",
              "Give {text} exactly, reducing the answer completely.",
              "Combine {text} into one reduced fraction."])
def fraction_arithmetic(rng, test):
    b, d = (pick(rng, test, (2, 12), (13, 40)) for _ in range(2))
    a, c = rng.randint(1, 2 * b), rng.randint(1, 2 * d)
    op = rng.choice(list(_FRACTION_OPS))
    return {"a": a, "b": b, "c": c, "d": d, "op": op, "text": f"{a}/{b} {op} {c}/{d}"}, \
        _FRACTION_OPS[op](Fraction(a, b), Fraction(c, d))


@family("average", code="from fractions import Fraction\nnums = [{args}]\nprint(Fraction(sum(nums), len(nums)))",
        train=["What is the mean of {nums}?", "Find the average of {nums}.", "Compute the arithmetic mean of {nums}.",
               "What is the average of the numbers {nums}?", "Calculate the mean value of {nums}.",
               "The numbers {nums} are averaged. What is the result?",
               "What is the arithmetic average of {nums}, as an exact fraction if needed?",
               "Determine the mean of the data set {nums}.",
               "What is the average of {nums}?",
               "Find the mean of the values {nums}.",
               "Compute the average value of {nums}.",
               "Calculate the arithmetic mean of the numbers {nums}.",
               "A student scored {nums} on her quizzes. What is her mean score?",
               "What is the mean of this list: {nums}? Give an exact answer.",
               "Over several days a shop sold {nums} items. On average, how many items per day is that, as an exact value?",
               "Average these numbers: {nums}.",
               "The temperatures recorded this week were {nums} degrees. What was the mean temperature?",
               "Suppose the numbers {nums} are added and the total is split into as many equal shares as there are numbers. How big is each share?",
               "Mean of {nums}?",
               "Please compute the average of the data values {nums} and express it exactly.",
               "What single value equals the sum of {nums} divided by the count of those numbers?",
               "Take the numbers {nums}. Their mean is what?",
               "A coach records jump heights of {nums} centimetres. What is the average jump, in centimetres?",
               "Determine the arithmetic average of the sample {nums}, written as a fraction in lowest terms if it is not a whole number.",
               "Can you tell me the mean value of {nums}?",
               "Exactly what average do you get from {nums} taken together?",
               "If {nums} are the measurements, find their arithmetic mean without rounding."],
        val=["Work out the average of {nums}.", "What is the mean of the values {nums}?",
             "Determine the average of the numbers {nums}."],
        test=["A student's scores were {nums}; what is the exact average score?",
              "Add the numbers {nums} and divide by how many there are; what do you get?",
              "The daily temperatures recorded were {nums}; what was the exact mean temperature?"])
def average(rng, test):
    nums = [pick(rng, test, (1, 100), (101, 1_000)) for _ in range(pick(rng, test, (3, 6), (7, 9)))]
    return {"nums": listing(nums), "args": ", ".join(map(str, nums))}, Fraction(sum(nums), len(nums))


_ROOTS = {2: "square", 3: "cube", 4: "fourth"}


@family("integer_root", code="from sympy import root\nprint(root({n}, {k}))",
        train=["What is the {kind} root of {n}?", "Find the {kind} root of {n}.", "Compute the {kind} root of {n}.",
               "{n} is a perfect {power}. What is its {kind} root?", "Calculate the {kind} root of the number {n}.",
               "What is the exact {kind} root of {n}?",
               "Evaluate the {kind} root of {n}.", "What positive number, raised to the power {k}, gives {n}?",
               "Give the {kind} root of {n}.",
               "What is the positive {kind} root of {n}?",
               "Find the integer whose {power} is {n}.",
               "Take the {kind} root of {n}.",
               "Which positive integer, when {k} copies of it are multiplied together, gives {n}?",
               "{n} equals some positive integer raised to the power {k}. What is that integer?",
               "Solve x^{k} = {n} for the positive integer x.",
               "Exact {kind} root of {n}?",
               "What is {n} raised to the power 1/{k}?",
               "Puzzle: I picked a positive whole number and raised it to the power {k}. The result was {n}. What number did I pick?",
               "Please compute the {kind} root of {n}; it comes out to a whole number.",
               "Can you tell me the {kind} root of {n}?",
               "A teacher says {n} is a perfect {power} and asks the class for its {kind} root. What should they answer?",
               "Undo an exponent of {k}: which positive number becomes {n} when raised to the power {k}?",
               "The {kind} root of {n} is an integer. Which one?",
               "Write {n} as r^{k} with r a positive integer, and give r.",
               "How much is the {kind} root of {n}?",
               "For a math club challenge, find the {kind} root of {n} without a calculator."],
        val=["Determine the {kind} root of {n}.", "Work out the {kind} root of {n}.",
             "What is the {kind} root of the number {n}?"],
        test=["Of which positive whole number is {n} the {power}?",
              "Report the exact positive real {kind} root of {n}.",
              "Which positive integer, raised to the power {k}, gives exactly {n}?"])
def integer_root(rng, test):
    k = rng.choice([2, 2, 3, 4])
    base = pick(rng, test, (2, 300), (301, 5_000)) if k == 2 else pick(rng, test, (2, 60), (61, 400))
    return {"n": base**k, "k": k, "kind": _ROOTS[k], "power": {2: "square", 3: "cube", 4: "fourth power"}[k]}, base


_BASES = {2: "binary", 8: "octal", 16: "hexadecimal"}


@family("base_conversion", code="print(int('{digits}', {base}))",
        train=["Convert the {name} number {digits} to decimal.", "What is {digits} in base {base} written in base 10?",
               "The {name} numeral {digits} equals what decimal number?", "Write ({digits})_{base} in decimal.",
               "What is the decimal value of the base-{base} number {digits}?",
               "Convert {digits} from base {base} to base 10.", "In decimal, what is the {name} number {digits}?",
               "What integer does the {name} string {digits} represent?",
               "What is {digits} (base {base}) in base 10?",
               "Convert {name} {digits} to a decimal number.",
               "Express the base-{base} number {digits} in decimal.",
               "Find the decimal equivalent of the {name} number {digits}.",
               "Rewrite the base {base} numeral {digits} as an ordinary base-ten number.",
               "A computer prints {digits} in {name}. What is that value in everyday decimal notation?",
               "{digits} written in base {base}: what is it in base ten?",
               "Turn the {name} representation {digits} into decimal.",
               "How much is {digits}_{base} in decimal?",
               "Interpreting {digits} as a number in base {base}, find its value in base 10.",
               "A programmer sees the {name} value {digits} in a memory dump. What decimal number is it?",
               "Decimal form of {name} {digits}?",
               "If the digits {digits} are read in base {base}, what base-10 integer do they represent?",
               "Change {digits} from {name} (base {base}) into decimal notation.",
               "Can you help me convert the base-{base} number {digits} into a normal decimal integer?",
               "Treat {digits} as a base-{base} numeral. Which decimal number has the same value?",
               "On a quiz, students must translate the {name} number {digits} into base 10. What is the correct answer?",
               "Give the value, in ordinary decimal digits, of the {name} numeral {digits}.",
               "Which number in base ten is written {digits} in base {base}?",
               "An old counter works in base {base} and currently shows {digits}. What is this reading in decimal?"],
        val=["Translate the base-{base} number {digits} into base 10.", "Find the base-10 value of {name} {digits}.",
             "What decimal number is {digits} in base {base}?"],
        test=["A computer shows the {name} value {digits}; what is it in ordinary decimal notation?",
              "Read {digits} as a numeral in base {base}. Which decimal integer is it?",
              "A register holds {digits} written in base {base}; what is its value in base ten?"])
def base_conversion(rng, test):
    base = rng.choice(list(_BASES))
    value = pick(rng, test, (10, 5_000), (5_001, 10**7))
    digits = format(value, {2: "b", 8: "o", 16: "x"}[base])
    return {"digits": digits, "base": base, "name": _BASES[base]}, value
