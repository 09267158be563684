"""Short word problems: prices times quantities, change from a payment, speed-time-distance,
work rates, ages, percentages, simple interest.

Each is a one-line computation once the numbers are read off, which is exactly what a small model
must learn to hand to the sandbox. Test problems use their own stories, names, goods and larger
numbers; divisions are exact by construction, so the snippets use `//` and print integers.
"""

from __future__ import annotations

import math

from .core import family, pick

_NAMES = ("Alice", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jack")
_TEST_NAMES = ("Kwame", "Lucia", "Mateo", "Nadia", "Oskar", "Priya")
_GOODS = (("pen", "pens", "notebook", "notebooks"), ("apple", "apples", "orange", "oranges"),
          ("ticket", "tickets", "poster", "posters"), ("cupcake", "cupcakes", "cookie", "cookies"))
_TEST_GOODS = (("bolt", "bolts", "hinge", "hinges"), ("seed packet", "seed packets", "flower pot", "flower pots"))


def _who(rng, test) -> str:
    return rng.choice(_TEST_NAMES if test else _NAMES)


@family("word_price", code="print({q1} * {p1} + {q2} * {p2})",
        train=["{name} buys {q1} {g1s} at ${p1} each and {q2} {g2s} at ${p2} each. How many dollars does {name} spend?",
               "A shop sells {g1s} for ${p1} and {g2s} for ${p2}. What do {q1} {g1s} and {q2} {g2s} cost in dollars?",
               "{name} bought {q1} {g1s} costing ${p1} apiece and {q2} {g2s} costing ${p2} apiece. What was the total cost in dollars?",
               "One {g1} costs ${p1} and one {g2} costs ${p2}. How much, in dollars, are {q1} {g1s} plus {q2} {g2s}?",
               "What is the total price in dollars of {q1} {g1s} at ${p1} and {q2} {g2s} at ${p2}?",
               "{name} orders {q1} {g1s} (${p1} each) and {q2} {g2s} (${p2} each). What is the bill in dollars?",
               "If {g1s} are ${p1} each and {g2s} are ${p2} each, how many dollars do {q1} {g1s} and {q2} {g2s} cost together?",
               "At ${p1} per {g1} and ${p2} per {g2}, what does {name} pay in dollars for {q1} {g1s} and {q2} {g2s}?",
               "{name} buys {q1} {g1s} for ${p1} each and {q2} {g2s} for ${p2} each. What is the total cost in dollars?",
               "How many dollars do {q1} {g1s} at ${p1} each and {q2} {g2s} at ${p2} each cost?",
               "{q1} {g1s} cost ${p1} each and {q2} {g2s} cost ${p2} each. What is the total in dollars?",
               "What does {name} pay in dollars for {q1} {g1s} at ${p1} each plus {q2} {g2s} at ${p2} each?"],
        val=["{name} picks up {q1} {g1s} priced ${p1} each and {q2} {g2s} priced ${p2} each. What is the total in dollars?",
             "Find the cost in dollars of {q1} {g1s} at ${p1} apiece together with {q2} {g2s} at ${p2} apiece.",
             "{name} gets {q1} {g1s} at ${p1} each and {q2} {g2s} at ${p2} each. How much is that in dollars?"],
        test=["A workshop restocks with {q1} {g1s} at {p1} dollars per unit and {q2} {g2s} at {p2} dollars per unit; what does the order come to?",
              "On the receipt: {q1} {g1s} at {p1} dollars per unit and {q2} {g2s} at {p2} dollars per unit. What must be paid altogether, in dollars?",
              "For a school fair, {name} orders {q1} {g1s} at {p1} dollars apiece and {q2} {g2s} at {p2} dollars apiece; how many dollars is the order?"])
def word_price(rng, test):
    g1, g1s, g2, g2s = rng.choice(_TEST_GOODS if test else _GOODS)
    q1, q2 = (pick(rng, test, (2, 12), (13, 250)) for _ in range(2))
    p1, p2 = (pick(rng, test, (1, 20), (21, 400)) for _ in range(2))
    return {"name": _who(rng, test), "g1": g1, "g1s": g1s, "g2": g2, "g2s": g2s,
            "q1": q1, "q2": q2, "p1": p1, "p2": p2}, q1 * p1 + q2 * p2


@family("word_change", code="print({paid} - {q} * {p})",
        train=["{name} buys {q} {gs} at ${p} each and pays with a ${paid} bill. How much change, in dollars, does {name} get?",
               "{q} {gs} cost ${p} each. If {name} pays ${paid}, how many dollars of change come back?",
               "{name} has ${paid} and spends some of it on {q} {gs} at ${p} apiece. How many dollars are left?",
               "A cashier sells {q} {gs} at ${p} each to a customer who pays ${paid}. How much change is due in dollars?",
               "How many dollars of change does {name} receive after paying ${paid} for {q} {gs} costing ${p} each?",
               "{name} hands over ${paid} for {q} {gs} priced at ${p} each. What is the change in dollars?",
               "With ${paid}, {name} buys {q} {gs} at ${p} per {g}. How much money, in dollars, remains?",
               "If one {g} costs ${p}, how much change in dollars is there from ${paid} after buying {q} of them?",
               "{name} pays ${paid} for {q} {gs} at ${p} each. How much change is returned in dollars?",
               "{q} {gs} cost ${p} each. {name} pays with ${paid}. What is the change in dollars?",
               "How much change in dollars does {name} get from ${paid} after buying {q} {gs} at ${p} each?",
               "{name} has ${paid} and buys {q} {gs} at ${p} each. How many dollars remain?"],
        val=["{name} pays ${paid} for {q} {gs} that cost ${p} each. How many dollars come back as change?",
             "After buying {q} {gs} at ${p} each out of ${paid}, how many dollars does {name} still have?",
             "{name} buys {q} {gs} at ${p} each with ${paid}. What change does {name} get in dollars?"],
        test=["A contractor budgets {paid} dollars and orders {q} {gs} at {p} dollars per unit; how many dollars of the budget are unspent?",
              "The till receives {paid} dollars for {q} {gs} at a unit price of {p} dollars. How much change must be returned, in dollars?",
              "With {paid} dollars in a wallet, {name} buys {q} {gs} priced at {p} dollars each; how many dollars stay in the wallet?"])
def word_change(rng, test):
    g, gs, *_ = rng.choice(_TEST_GOODS if test else _GOODS)
    q = pick(rng, test, (2, 12), (13, 250))
    p = pick(rng, test, (1, 20), (21, 400))
    paid = q * p + pick(rng, test, (1, 50), (51, 5_000))
    return {"name": _who(rng, test), "g": g, "gs": gs, "q": q, "p": p, "paid": paid}, paid - q * p


@family("word_speed", code="print({v} * {t})",
        train=["A car travels at {v} km per hour for {t} hours. How many kilometres does it go?",
               "{name} cycles at {v} km/h for {t} hours. What distance in km does {name} cover?",
               "A train moves at a constant {v} kilometres per hour. How far does it travel in {t} hours?",
               "How many km does a bus going {v} km/h cover in {t} hours?",
               "{name} walks at {v} km per hour for {t} hours. How many kilometres is that?",
               "A boat sails for {t} hours at {v} km/h. What distance does it cover in km?",
               "If a plane flies at {v} km/h, how many km does it fly in {t} hours?",
               "Driving {t} hours at {v} kilometres per hour, how far does {name} get, in km?",
               "{name} drives at {v} km/h for {t} hours. How far does {name} go in km?",
               "At {v} km per hour, how many kilometres are covered in {t} hours?",
               "A truck travels {t} hours at {v} km/h. What distance does it cover in km?",
               "How far in km does a car at {v} km/h travel in {t} hours?"],
        val=["A runner keeps a pace of {v} km per hour for {t} hours. How many km does the runner cover?",
             "What distance in kilometres is covered in {t} hours at {v} km/h?",
             "At a speed of {v} km/h, how far do you travel in {t} hours, in km?"],
        test=["A probe drifts at a steady {v} kilometres every hour; after {t} hours, how many kilometres has it drifted?",
              "Moving without stopping for {t} hours at {v} kilometres each hour, what total distance in km does {name} log?",
              "A glider holds a speed of {v} kilometres per hour for {t} hours; what distance in kilometres does it fly?"])
def word_speed(rng, test):
    v = pick(rng, test, (3, 120), (121, 5_000))
    t = pick(rng, test, (2, 12), (13, 200))
    return {"name": _who(rng, test), "v": v, "t": t}, v * t


@family("word_rate", code="print({total} // {rate})",
        train=["A tank holds {total} litres and drains at {rate} litres per minute. How many minutes does it take to empty?",
               "{name} reads {rate} pages per hour. How many hours does a {total}-page book take?",
               "A machine makes {rate} parts per hour. How many hours does it need for {total} parts?",
               "A pump moves {rate} litres every minute. How many minutes to pump {total} litres?",
               "{name} types {rate} words per minute. How many minutes does it take to type {total} words?",
               "A printer prints {rate} pages per minute. How long, in minutes, does it take to print {total} pages?",
               "How many hours does it take to drive {total} km at {rate} km per hour?",
               "{name} saves ${rate} per week. How many weeks until {name} has saved ${total}?",
               "A hose fills {rate} litres per minute. How many minutes to fill {total} litres?",
               "{name} earns ${rate} per hour. How many hours to earn ${total}?",
               "A baker makes {rate} loaves an hour. How many hours for {total} loaves?",
               "A copier makes {rate} copies per minute. How many minutes for {total} copies?"],
        val=["A factory packs {rate} boxes per hour. How many hours to pack {total} boxes?",
             "At {rate} km/h, how many hours is a trip of {total} km?",
             "{name} packs {rate} bags per hour. How many hours to pack {total} bags?"],
        test=["A conveyor carries {rate} crates each minute; in how many minutes will {total} crates have been carried?",
              "Working steadily, {name} sorts {rate} letters per hour. After how many hours are {total} letters sorted?",
              "Spending {rate} dollars every day, after how many days has {name} spent {total} dollars?"])
def word_rate(rng, test):
    rate = pick(rng, test, (2, 60), (61, 900))
    time = pick(rng, test, (2, 30), (31, 400))
    return {"name": _who(rng, test), "rate": rate, "total": rate * time}, time


@family("word_age", code="print({age} * {m} + {y})",
        train=["{name} is {age} years old. {name}'s mother is {m} times as old. How old will the mother be in {y} years?",
               "{name} is {age}, and {name}'s grandfather is {m} times {name}'s age. How old will the grandfather be in {y} years?",
               "A girl is {age} years old and her aunt is {m} times as old. What will the aunt's age be {y} years from now?",
               "{name}'s father is {m} times as old as {name}, who is {age}. How old will the father be after {y} years?",
               "A boy is {age} and his uncle's age is {m} times his. How old will the uncle be in {y} years?",
               "{name} is {age} years old and a teacher is {m} times that age. What is the teacher's age in {y} years?",
               "If {name} is {age} and {name}'s older cousin is {m} times as old, how old will the cousin be in {y} years?",
               "{name}'s boss is {m} times as old as {name}, who is {age}. What age will the boss be in {y} years?",
               "{name} is {age} years old and {name}'s mother is {m} times as old. What will the mother's age be in {y} years?",
               "{name}'s aunt is {m} times as old as {name}, who is {age}. How old will the aunt be in {y} years?",
               "{name} is {age}. An uncle is {m} times {name}'s age. How old will the uncle be {y} years from now?",
               "A child is {age} and the child's father is {m} times as old. How old will the father be in {y} years?"],
        val=["{name} is {age}. {name}'s coach is {m} times as old. How old will the coach be in {y} years?",
             "A child is {age} years old and a neighbour is {m} times as old. What age will the neighbour be in {y} years?",
             "{name} is {age} years old; {name}'s grandmother is {m} times as old. What is the grandmother's age in {y} years?"],
        test=["A lighthouse is {age} years old and a castle nearby is exactly {m} times as old. How old will the castle be {y} years from now?",
              "The age of a tree planted by {name} is {age} years, and an older tree is {m} times as old. How old will the older tree be {y} years later?",
              "A bridge is {age} years old and a church beside it is {m} times as old; how old will the church be in {y} years' time?"])
def word_age(rng, test):
    while True:  # people: the older one is at least 16 years older and at most 90; test ages are of buildings
        age = pick(rng, test, (3, 20), (21, 60))
        m = rng.randint(2, 5) if not test else rng.randint(2, 8)
        if test or 16 <= age * (m - 1) and age * m <= 90:
            break
    y = pick(rng, test, (1, 20), (21, 90))
    return {"name": _who(rng, test), "age": age, "m": m, "y": y}, age * m + y


@family("word_percent", code="print({base} * {p} // 100)",
        train=["What is {p}% of {base}?", "A jacket costs ${base} and is {p}% off. How many dollars is the discount?",
               "{name} scored {p}% on a test with {base} points. How many points did {name} get?",
               "Find {p} percent of {base}.", "A town of {base} people: {p}% of them cycle to work. How many people cycle?",
               "A tip of {p}% is added to a ${base} bill. How many dollars is the tip?",
               "Compute {p}% of {base}.", "{name} spends {p}% of a ${base} budget on food. How many dollars is that?",
               "What is {p} percent of {base}?",
               "Calculate {p}% of {base}.",
               "A ${base} item is {p}% off. What is the discount in dollars?",
               "{p}% of the {base} students walk to school. How many students walk?"],
        val=["How much is {p} percent of {base}?", "A shop raises a ${base} price by {p}%. By how many dollars does it rise?",
             "Find {p}% of the number {base}."],
        test=["Out of a shipment of {base} parcels, {p} in every hundred arrive late; how many parcels are late?",
              "A tax of {p} percent is charged on a {base}-dollar purchase; how many dollars of tax are paid?",
              "A survey of {base} people found that {p} percent agreed; how many people agreed?"])
def word_percent(rng, test):
    p = pick(rng, test, (1, 50), (51, 99))
    base = (100 // math.gcd(p, 100)) * pick(rng, test, (1, 12), (13, 90))
    return {"name": _who(rng, test), "p": p, "base": base}, base * p // 100


@family("word_interest", code="print({principal} * {rate} * {years} // 100)",
        train=["{name} deposits ${principal} at {rate}% simple interest per year. How many dollars of interest are earned in {years} years?",
               "What is the simple interest on ${principal} at {rate}% per year for {years} years?",
               "A loan of ${principal} charges {rate}% simple interest yearly. How much interest, in dollars, is due after {years} years?",
               "Find the simple interest earned by ${principal} over {years} years at a yearly rate of {rate}%.",
               "${principal} is invested for {years} years at {rate}% simple interest. What is the interest in dollars?",
               "How many dollars of simple interest does ${principal} earn in {years} years at {rate}% a year?",
               "A bank pays {rate}% simple interest per year. How much interest does {name} earn on ${principal} in {years} years?",
               "Compute the interest on a principal of ${principal} at {rate}% simple annual interest for {years} years.",
               "What is the simple interest on ${principal} for {years} years at {rate}% per year?",
               "${principal} earns {rate}% simple interest a year. How much interest in dollars after {years} years?",
               "Find the interest on ${principal} at {rate}% simple interest over {years} years.",
               "How much simple interest, in dollars, does a ${principal} deposit earn at {rate}% per year in {years} years?"],
        val=["What interest in dollars does ${principal} earn at {rate}% simple interest over {years} years?",
             "{name} borrows ${principal} at {rate}% simple interest per year. What is the interest after {years} years?",
             "Compute the simple interest on ${principal} at {rate}% a year for {years} years."],
        test=["A bond of {principal} dollars pays {rate} percent of its face value every year, without compounding; how many dollars does it pay over {years} years?",
              "Each year a savings scheme credits {rate} percent of the original {principal} dollars. What is the total credited after {years} years?",
              "A loan of {principal} dollars accrues {rate} percent of the principal as interest each year, with no compounding; what is the interest after {years} years?"])
def word_interest(rng, test):
    rate = pick(rng, test, (1, 12), (13, 30))
    years = pick(rng, test, (2, 10), (11, 40))
    step = 100 // math.gcd(rate * years, 100)
    principal = step * pick(rng, test, (1, 50), (51, 2_000))  # step makes the interest a whole number
    return {"name": _who(rng, test), "principal": principal, "rate": rate, "years": years}, \
        principal * rate * years // 100
