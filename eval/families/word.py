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
               "What does {name} pay in dollars for {q1} {g1s} at ${p1} each plus {q2} {g2s} at ${p2} each?",
               "{name} fills a basket with {q1} {g1s} priced at ${p1} each and {q2} {g2s} priced at ${p2} each. What does the basket cost in dollars?",
               "A {g1} sells for ${p1} and a {g2} sells for ${p2}. How many dollars would {name} need to buy {q1} {g1s} and {q2} {g2s}?",
               "Add the cost of {q1} {g1s} at ${p1} each to the cost of {q2} {g2s} at ${p2} each. What is the sum in dollars?",
               "At a market stall, {g1s} are ${p1} each and {g2s} are ${p2} each. {name} takes {q1} {g1s} and {q2} {g2s}. How much does {name} owe, in dollars?",
               "How much money, in dollars, is spent on {q1} {g1s} and {q2} {g2s} when a {g1} costs ${p1} and a {g2} costs ${p2}?",
               "Total bill in dollars: {q1} {g1s} at ${p1} each, {q2} {g2s} at ${p2} each?",
               "For a party, {name} purchases {q1} {g1s} for ${p1} apiece and {q2} {g2s} for ${p2} apiece. Work out the total amount spent in dollars.",
               "Can you find what {name} pays altogether, in dollars, for {q1} {g1s} costing ${p1} each and {q2} {g2s} costing ${p2} each?",
               "The price list says: {g1} ${p1}, {g2} ${p2}. What is the cost in dollars of an order of {q1} {g1s} and {q2} {g2s}?",
               "If {name} gets {q2} {g2s} at ${p2} each and also {q1} {g1s} at ${p1} each, what is the total spend in dollars?",
               "Compute the dollar cost of buying {q1} {g1s} at ${p1} per {g1} plus {q2} {g2s} at ${p2} per {g2}.",
               "Together, {q1} {g1s} and {q2} {g2s} cost how many dollars, given prices of ${p1} per {g1} and ${p2} per {g2}?",
               "{name}'s shopping list: {q1} {g1s} at ${p1} each and {q2} {g2s} at ${p2} each. How many dollars will the shopping cost?",
               "What amount, in dollars, does a cashier ring up for {q1} {g1s} at ${p1} each and {q2} {g2s} at ${p2} each?",
               "Determine how many dollars {q1} {g1s} and {q2} {g2s} cost when each {g1} is ${p1} and each {g2} is ${p2}."],
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
               "{name} has ${paid} and buys {q} {gs} at ${p} each. How many dollars remain?",
               "{name} picks up {q} {gs} that cost ${p} apiece and gives the cashier ${paid}. How many dollars should the cashier hand back?",
               "Each {g} is ${p}. {name} buys {q} and pays with ${paid}. What change, in dollars, is owed?",
               "After spending on {q} {gs} at ${p} each, how many dollars of {name}'s ${paid} are left?",
               "A customer purchases {q} {gs} priced at ${p} per item and pays ${paid}. Find the change due, in dollars.",
               "How much change, in dollars, comes back from ${paid} when buying {q} {gs} at ${p} a piece?",
               "{name} went to the store with ${paid} and bought {q} {gs}, each costing ${p}. How many dollars did {name} have left afterwards?",
               "What is ${paid} minus the cost of {q} {gs} at ${p} each, in dollars?",
               "At the school fair, {gs} sell for ${p} each. {name} buys {q} of them using ${paid}. How much money comes back in dollars?",
               "Paying ${paid} for {q} {gs} that cost ${p} each, what change does {name} receive, in dollars?",
               "Can you figure out {name}'s change? {name} pays ${paid} for {q} {gs} at ${p} per {g}. Answer in dollars.",
               "The price of one {g} is ${p}. If {q} {gs} are bought with ${paid}, how many dollars of change are given?",
               "{name} gives ${paid} to a shopkeeper for {q} {gs} costing ${p} each. How many dollars does the shopkeeper return?",
               "Change from ${paid} after {q} {gs} at ${p} each: how many dollars?",
               "Suppose {name} has a ${paid} note and buys {q} {gs} for ${p} apiece. How many dollars remain after the purchase?",
               "Buying {q} {gs}, each priced ${p}, {name} pays ${paid}. Determine the change in dollars.",
               "In dollars, what change should {name} get back after handing over ${paid} for {q} {gs} worth ${p} each?"],
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
               "How far in km does a car at {v} km/h travel in {t} hours?",
               "{name} jogs at a steady {v} km/h for {t} hours. How many kilometres does {name} run?",
               "What distance, in km, does a ship cover travelling {t} hours at {v} km per hour?",
               "Moving at {v} kilometres each hour, how far does a tram go in {t} hours, in km?",
               "A motorcycle keeps a speed of {v} km/h. After {t} hours, how many km has it travelled?",
               "If distance = speed x time, what distance in km corresponds to {v} km/h for {t} hours?",
               "{name} rides a horse for {t} hours at {v} km per hour. Find the distance covered in kilometres.",
               "How many kilometres lie behind a drone that has flown for {t} hours at {v} km/h?",
               "A delivery van averages {v} km/h on a {t}-hour trip. How long is the trip in km?",
               "Can you tell me how far {name} skates in {t} hours at {v} km/h? Give the answer in km.",
               "Travelling {t} hours at a constant speed of {v} km/h, what distance in km does a coach cover?",
               "Speed {v} km/h, time {t} h. Distance in km?",
               "On a road trip, {name}'s family drives for {t} hours at an average {v} km/h. How many kilometres do they drive?",
               "Find the number of km a runner goes in {t} hours at {v} km per hour.",
               "Suppose a ferry sails at {v} km/h for {t} hours. What is the length of its journey in km?",
               "Determine the distance, in km, travelled by a cyclist moving at {v} km/h for {t} hours.",
               "In {t} hours, a hot-air balloon drifting at {v} km/h moves how many kilometres?"],
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
               "A copier makes {rate} copies per minute. How many minutes for {total} copies?",
               "Water drips from a faucet at {rate} ml per minute. How many minutes until {total} ml have dripped?",
               "{name} knits {rate} rows per hour. How many hours will {name} need to knit {total} rows?",
               "How many days does it take to read {total} pages at a pace of {rate} pages per day?",
               "A factory robot assembles {rate} toys every hour. How long, in hours, will it take to assemble {total} toys?",
               "At {rate} km per day, how many days does a hiker need to cover {total} km?",
               "{name} puts away ${rate} each month. After how many months will the savings reach ${total}?",
               "A job consists of {total} units of work, and a worker completes {rate} units per hour. How many hours does the job take?",
               "If a snail crawls {rate} cm per minute, how many minutes does it need to crawl {total} cm?",
               "Riding at {rate} km/h, how many hours does a cyclist need for a {total} km trip?",
               "Can you work out how many minutes it takes to download {total} MB at {rate} MB per minute?",
               "{total} boxes need to be loaded, and a crew loads {rate} boxes per hour. How many hours will the loading take?",
               "Burning {rate} mm per hour, how many hours does a candle take to burn down {total} mm?",
               "How many weeks will it take {name} to run {total} miles, running {rate} miles a week?",
               "Working at {rate} emails per hour, how many hours does {name} need to answer {total} emails?",
               "Selling {rate} cakes a day, how many days does a bakery need to sell {total} cakes?",
               "{name} plants {rate} trees per day. How many days to plant {total} trees?"],
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
               "A child is {age} and the child's father is {m} times as old. How old will the father be in {y} years?",
               "{name}'s grandmother is currently {m} times as old as {name}. If {name} is {age} now, what will the grandmother's age be {y} years later?",
               "Right now {name} is {age} years old, and {name}'s neighbour's age is {m} times that. How old will the neighbour be in {y} years?",
               "The coach of {name}'s team is {m} times {name}'s age of {age}. What will the coach's age be when {y} more years have passed?",
               "The age of a music teacher is {m} times the age of {name}, a {age}-year-old student. Find the teacher's age {y} years from today.",
               "Today a father is {m} times as old as his {age}-year-old son. What age will the father reach in {y} years?",
               "{name} turned {age} today. {name}'s great-aunt is {m} times as old as {name} right now. After another {y} years, how old will the great-aunt be?",
               "In {y} years, how old will a man be who is currently {m} times as old as {age}-year-old {name}?",
               "Let {name}'s age be {age}. {name}'s grandfather is {m} times as old. What is the grandfather's age after {y} more years?",
               "{name}, aged {age}, has a mentor whose age is {m} times {name}'s. What will the mentor's age be {y} years on?",
               "Can you solve this? {name} is {age}; {name}'s stepmother is {m} times that age. How old is the stepmother going to be in {y} years?",
               "A woman's age is {m} times her daughter's age of {age} years. How old will the woman be {y} years from today?",
               "Currently {name} is {age} and Grandpa is {m} times as old. In {y} years, what age will Grandpa be?",
               "If a doctor's age is {m} times {name}'s age and {name} is {age} years old, find the doctor's age {y} years from now.",
               "{y} years from now, how old will {name}'s uncle be, given that the uncle is now {m} times as old as {name}, who is {age}?",
               "There is a tortoise that is {m} times as old as {name}, and {name} is {age}. How old will the tortoise be in {y} years?"],
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
               "{p}% of the {base} students walk to school. How many students walk?",
               "Work out {p} percent of the number {base}.",
               "A school has {base} pupils and {p}% of them take the bus. How many pupils take the bus?",
               "{name} answered {p}% of the {base} questions on a quiz correctly. How many questions did {name} get right?",
               "Out of {base} tickets, {p}% were sold online. How many tickets were sold online?",
               "A store marks a ${base} lamp down by {p}%. By how many dollars is the price reduced?",
               "Multiply {base} by {p}/100. What do you get?",
               "{name} has {base} stickers and gives away {p}% of them. How many stickers does {name} give away?",
               "If {p} percent of a {base}-member club voted yes, how many members voted yes?",
               "Find the amount that is {p}% of a total of {base}.",
               "Can you tell me what {p}% of {base} comes to?",
               "A sales tax of {p}% is charged on a ${base} purchase. How many dollars is the tax?",
               "Of {base} apples in a crate, {p}% are green. Count the green apples.",
               "Take {p}% of {base}. What is the result?",
               "{base} runners started a race and {p}% of them finished in under an hour. How many runners is that?",
               "{name} earns ${base} and saves {p}% of it. How many dollars does {name} save?"],
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
               "How much simple interest, in dollars, does a ${principal} deposit earn at {rate}% per year in {years} years?",
               "{name} puts ${principal} in a savings account paying {rate}% simple interest each year. After {years} years, how many dollars of interest has {name} earned?",
               "Simple interest at {rate}% per annum on ${principal}: how much in dollars after {years} years?",
               "A principal of ${principal} is lent at {rate}% simple interest per year for {years} years. Find the total interest in dollars.",
               "How much interest, in dollars, accrues on ${principal} over {years} years at a simple annual rate of {rate}%?",
               "{name} borrows ${principal} from a friend who charges {rate}% simple interest per year. How many dollars of interest does {name} owe after {years} years?",
               "For {years} years, ${principal} sits in a bond paying {rate}% simple interest annually. What interest, in dollars, does it earn?",
               "Using simple interest I = P r t, find I in dollars when P = ${principal}, r = {rate}% per year and t = {years} years.",
               "{years} years of simple interest at {rate}% yearly on a ${principal} deposit: how many dollars of interest is that?",
               "Determine the dollar amount of simple interest on ${principal} invested at {rate}% annually for a period of {years} years.",
               "A credit union gives {name} {rate}% simple interest per year on ${principal}. What is the interest, not the total balance, after {years} years, in dollars?",
               "If ${principal} grows at {rate}% per year simple interest, how many dollars of interest are added in {years} years?",
               "Interest earned, in dollars: ${principal} principal, {rate}% simple annual rate, {years} years.",
               "{name}'s grandparents invest ${principal} for {name} at {rate}% simple interest a year. How much interest does the investment make over {years} years?",
               "What interest in dollars is owed on a ${principal} loan after {years} years if the loan charges simple interest of {rate}% per year?"],
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
