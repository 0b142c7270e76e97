"""Generate the intent-transfer benchmark's data: 100 intents in ten domains plus
`out_of_scope`, whose eval messages are worded in ways the training data never used.

    .venv/bin/python benchmarks/intent_transfer/make_data.py            # into benchmarks/intent_transfer/build/
    .venv/bin/python benchmarks/intent_transfer/make_data.py OUT_DIR    # anywhere else

Writes (generated, never committed; the same bytes on every run):

  teacher_train.jsonl  8,000 messages the teacher is fine-tuned on
  train.jsonl          20,000 messages the student is distilled on (the transfer set; another seed)
  dev.jsonl            1,500 messages for choosing settings
  eval.jsonl           3,000 messages, the frozen eval set (`stillhouse eval` only)
  families.json        which families of each label went to train, dev and eval

Each row: {"id", "text", "label", "domain", "has_typo", "family"}. `label` is
`<domain>_<intent>` or `out_of_scope`; `family` names the paraphrase family it came from.

How the messages are made (say this plainly wherever the results are shown):

* Every label has SEVEN paraphrase families, hand-written below: distinct ways of asking,
  with their own verbs and vocabulary. For most intents they are, in order: an
  imperative, a how/what question, a statement of the problem, terse keywords, an
  "I want / I need" statement, a long message with its own story, and an indirect or
  polite question. Slots ({city}, {amount}, {item}, ...) are filled at random.
* The families are SPLIT per label, by a seeded shuffle: five families feed both training
  files, one feeds dev and one feeds eval (a family of a single template always trains:
  held out, all of a label's dev or eval rows would be one sentence). So no eval or dev
  message shares a template with anything a model was trained on; the eval set measures
  how the models carry an intent to wordings they never saw, which is what production
  traffic does. Dev has a family of its own rather than sharing eval's, so settings chosen
  on dev are never tuned to the eval wordings. `families.json` lists the split.
* Noise, the same in all four files: an opener ("hi,") on a quarter of messages and a
  closer ("thanks") on a quarter; a fifth get a sentence of context before or after the
  request, half of those mentioning another domain's topic (a distractor: "My car is in the garage at the
  moment." in a banking message); 15% get one to three typos (swapped, dropped, doubled or
  neighbouring-key letters). Small-talk messages get no openers, closers or context: they
  are openers and closers themselves.
* 10% of messages are out of scope: general questions on ten topics no intent covers
  (cooking, sport, geography, science, entertainment, advice, history, pets and garden,
  weather, words), seven per topic. Out-of-scope family i holds the i-th question of every
  topic, and these families are split like the intents', so held-out out-of-scope messages
  are new questions on topics training has seen.
* Gold labels are those of the family the message came from; there is no label noise.

It is a *model* of production traffic, not a sample of it: a real project would freeze a
labelled sample of its own traffic (EVAL-007). No PyPI package was found that ships a real
intent data set (CLINC150, Banking77, HWU64) as data files; see README.md.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "build"
SEED_SPLIT, SEED_EVAL, SEED_DEV, SEED_TEACHER, SEED_TRAIN = 20261201, 20261202, 20261203, 20261204, 20261205
SIZES = {"eval": 3000, "dev": 1500, "teacher_train": 8000, "train": 20000}
# Per label: how many of its seven families go to each split (which ones: a seeded shuffle per label).
SPLIT_FAMILIES = {"train": 5, "dev": 1, "eval": 1}
OOS_SHARE, TYPO_SHARE, OPENER_SHARE, CLOSER_SHARE, CONTEXT_SHARE = 0.10, 0.15, 0.25, 0.25, 0.20

SLOTS: dict[str, list[str]] = {
    "card": ["debit card", "credit card", "bank card", "visa card", "mastercard", "contactless card", "card"],
    "amount": ["$20", "$45.60", "£120", "€75", "$1,200", "$9.99", "300 dollars", "$58", "£35", "€240"],
    "date": ["yesterday", "last week", "on Monday", "this morning", "two days ago", "on the 14th", "last night",
             "over the weekend", "a few days ago"],
    "when": ["tomorrow", "next Tuesday", "on Friday", "next week", "this afternoon", "on the 3rd",
             "tomorrow morning", "this weekend", "next month", "on Thursday"],
    "time": ["9am", "10:30", "2pm", "noon", "4:15", "half past three", "8 in the morning", "11"],
    "city": ["Paris", "Chicago", "Lisbon", "Tokyo", "Denver", "Rome", "Toronto", "Madrid", "Boston", "Sydney",
             "Berlin", "Dublin", "Austin", "Milan"],
    "country": ["Japan", "Brazil", "India", "Canada", "Turkey", "Vietnam", "Kenya", "the UK", "Australia", "Mexico",
                "Thailand"],
    "airline": ["United", "Lufthansa", "easyJet", "Delta", "Air France", "KLM", "Ryanair", "Qantas", "Emirates"],
    "person": ["Sarah", "Tom", "the marketing team", "my manager", "Priya", "the client", "Mr Lopez", "Jamal",
               "the design team", "Anna"],
    "room": ["living room", "kitchen", "bedroom", "hallway", "bathroom", "office", "garage", "basement",
             "dining room", "kids' room"],
    "temp": ["68 degrees", "21 degrees", "72", "19 degrees", "70", "23"],
    "appliance": ["dishwasher", "washing machine", "fridge", "oven", "dryer", "microwave", "freezer", "boiler"],
    "item": ["jacket", "headphones", "blender", "pair of running shoes", "coffee maker", "backpack", "phone case",
             "lamp", "laptop bag", "kettle", "winter coat", "desk chair"],
    "car": ["Honda Civic", "Ford Focus", "Toyota Corolla", "Tesla", "VW Golf", "Subaru", "Mazda", "Kia",
            "pickup truck", "Prius"],
    "doctor": ["Dr Patel", "Dr Nguyen", "my GP", "Dr Smith", "the dermatologist", "the cardiologist", "Dr Okafor",
               "the nurse"],
    "medicine": ["lisinopril", "my inhaler", "metformin", "my blood pressure pills", "insulin", "antibiotics",
                 "levothyroxine", "my allergy tablets"],
    "phone": ["iPhone", "Samsung", "Pixel", "phone", "handset", "Motorola"],
    "nights": ["two nights", "3 nights", "a week", "one night", "four nights", "the weekend"],
    "days": ["three days", "a week", "two weeks", "four days", "ten days", "a couple of days"],
}


def _flight(rng: random.Random) -> str:
    return f"{rng.choice(['UA', 'LH', 'DL', 'AF', 'KL', 'BA', 'EK'])}{rng.randint(100, 2999)}"


def _order(rng: random.Random) -> str:
    n = rng.randint(100000, 999999)
    return f"#{n}" if rng.random() < 0.5 else str(n)


def _reading(rng: random.Random) -> str:
    return f"{rng.randint(0, 99999):05d}"


# Slots whose values are made rather than picked from a list.
MADE_SLOTS = {"flight": _flight, "order": _order, "reading": _reading}

# domain -> intent -> seven families; a family is its templates separated by " | ".
INTENTS: dict[str, dict[str, list[str]]] = {
    "banking": {
        "card_lost": [
            "block my {card} right now | freeze my {card}, it's gone | put a stop on my {card}",
            "how do I report a lost card | what do I do if my {card} is stolen | where can I report a stolen card",
            "I lost my {card} {date} | my wallet was stolen with my {card} in it | I can't find my {card} anywhere",
            "lost card | stolen card | card missing | freeze card",
            "I need to cancel a card that was stolen | I'd like to report my {card} as lost",
            "I was at the train station {date} and when I got home my {card} wasn't in my bag anymore, I'm worried "
            "someone will use it | somebody pickpocketed me on the bus {date} and took my purse with my {card} in it, "
            "what now",
            "is it possible to deactivate a card I misplaced | could you make sure nobody can use my missing {card}",
        ],
        "card_declined": [
            "tell me why my {card} got rejected | explain why my payment of {amount} was refused",
            "why does my card keep getting declined | how come my {card} doesn't work at the shop",
            "my {card} was declined at the supermarket {date} | the payment of {amount} didn't go through even though "
            "I have money",
            "card declined | payment refused | card not working | declined transaction",
            "I need to know why my card won't work online | I want to understand why my purchase of {amount} bounced",
            "I was trying to pay for dinner {date} with my {card} and the waiter said it was declined twice, which was "
            "embarrassing because there is definitely money in the account | I tried to buy a {item} online for "
            "{amount} and the checkout page kept saying my card was rejected, I have plenty of funds",
            "is there a problem with my card, the terminal keeps saying transaction denied | could something be "
            "blocking my {card} from working",
        ],
        "card_activate": [
            "activate my new {card} | switch on the card you just mailed me | enable the {card} I got in the post",
            "how do I activate my new card | how can I start using the {card} that came in the post",
            "my new {card} arrived but it won't work yet | the replacement card came {date} and it says inactive",
            "activate card | card activation | new card setup",
            "I want to turn on my replacement {card} | I need my new card enabled",
            "I received a new {card} in the mail {date} because the old one expired, but when I tried to use it at the "
            "petrol station it didn't work, I guess it needs activating",
            "what's the process to get a freshly issued card working | is there a code I need to enable the card I "
            "just received",
        ],
        "card_pin": [
            "change my card PIN | reset the PIN on my {card} | set a new four digit code for my card",
            "how do I change my PIN | how can I get a new PIN for my {card}",
            "I forgot the PIN for my {card} | my PIN is blocked after three wrong tries",
            "forgot PIN | pin change | pin blocked | new pin",
            "I'd like to pick a different PIN for my card | I need my PIN unlocked",
            "I haven't used my {card} at an ATM in months and {date} I stood there and couldn't remember the number at "
            "all, and after the third attempt it said the PIN was locked",
            "could you remind me of the secret number for my card | is it possible to choose my own card code",
        ],
        "transfer": [
            "send {amount} to {person} | transfer {amount} to my savings account | move {amount} into my other account",
            "how do I transfer money to another bank | how can I send money abroad",
            "I have to pay my landlord {amount} by bank transfer | {person} needs the {amount} I owe them today",
            "transfer money | send money | wire transfer | bank transfer",
            "I want to wire {amount} to {country} | I'd like to set up a payment to {person}",
            "my sister is studying in {country} and she needs {amount} for her rent this month, can I send it to her "
            "from my current account",
            "is it possible to move funds between my checking and savings | can you help me pay someone who banks "
            "elsewhere",
        ],
        "balance": [
            "show my account balance | tell me how much money I have | check my balance",
            "how much is in my checking account | what's my current balance",
            "I'm not sure if I have enough money for rent | I need to know if my salary came in",
            "balance | account balance | money left | available funds",
            "I'd like to see what's left in my savings | I want to know my available balance",
            "I'm about to book a trip that costs {amount} and before I do I want to make sure there's enough in my "
            "current account, can you tell me the figure",
            "could you read out the amount sitting in my account | what does my account hold right now",
        ],
        "dispute_charge": [
            "dispute this charge of {amount} | reverse the payment to a shop I never visited | flag a transaction I "
            "don't recognise",
            "how do I dispute a transaction | how can I get money back from a fraudulent charge",
            "there's a payment of {amount} on my statement I didn't make | someone used my card online and spent "
            "{amount}",
            "unknown charge | fraud | dispute transaction | chargeback",
            "I want to challenge a charge from {date} | I need to report a suspicious payment",
            "I was looking through my app {date} and noticed three payments of {amount} to a company in {country} that "
            "I've never heard of, I definitely didn't make them",
            "can you investigate a debit I never authorised | is it possible to claim back a purchase when the seller "
            "never delivered and won't answer",
        ],
        "open_account": [
            "open a savings account for me | sign me up for a checking account | set up a new joint account",
            "how do I open an account with you | what do I need to open a bank account",
            "I just moved here and don't have a bank account yet | my daughter turned 16 and needs her own account",
            "new account | open account | savings account | joint account",
            "I'd like to become a customer of your bank | I want a second account for my business",
            "my partner and I are moving in together next month and we want a shared account for the bills and "
            "groceries, what are the steps",
            "which documents should I bring to start banking with you | can I apply for an account online without "
            "visiting a branch",
        ],
        "loan": [
            "apply for a personal loan of {amount} | sign me up for a car loan | start a mortgage application",
            "how do I apply for a loan | what interest rate would I get on a loan",
            "I need {amount} to renovate my kitchen | we're buying a house and need financing",
            "loan | personal loan | mortgage | borrow money",
            "I want to borrow {amount} over three years | I'd like to know if I qualify for a mortgage",
            "my car broke down for good {date} and I need a replacement quickly but I don't have the savings, could I "
            "get a loan from you to cover around {amount}",
            "am I eligible for credit with my income | could you lend me some money to consolidate my debts",
        ],
        "direct_debit": [
            "cancel the direct debit to my gym | set up a standing order for my rent | stop the recurring payment to "
            "{person}",
            "how do I set up a direct debit | how can I cancel a standing order",
            "a direct debit I cancelled still took {amount} | I keep paying a subscription I don't use through my bank",
            "direct debit | standing order | recurring payment | cancel debit",
            "I want to change the date of my standing order | I'd like to pay my landlord automatically every month",
            "{date} I noticed my old phone company is still taking {amount} every month from my account by direct "
            "debit even though I left them, can you stop it from your side",
            "is it possible to amend the amount of a monthly automatic payment | could you halt an automatic "
            "withdrawal",
        ],
    },
    "travel": {
        "flight_book": [
            "book a flight to {city} {when} | get me a ticket to {city} | reserve two seats on a flight to {city}",
            "how do I book a flight on your site | what flights go to {city} {when}",
            "I have a conference in {city} {when} and need to fly there | my mom lives in {city} and I want to visit",
            "book flight | flights to {city} | plane ticket | cheap flights",
            "I'd like a one way ticket to {city} | I need to fly to {city} {when}",
            "my company is sending me to a client meeting in {city} {when}, I'll need to leave early in the morning "
            "and come back two days later, can you find me something on {airline}",
            "are there any seats left on a plane to {city} {when} | could you find me the cheapest fare to {city}",
        ],
        "flight_cancel": [
            "cancel my flight to {city} | cancel booking {flight} | drop my return flight",
            "how do I cancel my flight | can I get a refund if I cancel my ticket",
            "I can't travel to {city} anymore | my trip {when} isn't happening",
            "cancel flight | flight cancellation | cancel ticket",
            "I want to cancel my {airline} reservation | I'd like to call off my trip to {city}",
            "unfortunately my father is in hospital so I won't be able to take flight {flight} to {city} {when}, "
            "please cancel it and tell me what I get back",
            "is it too late to scrap my plane booking | could you void my ticket for {when}",
        ],
        "flight_status": [
            "check the status of flight {flight} | tell me if my flight to {city} is on time",
            "is flight {flight} delayed | what time does the {airline} flight from {city} land",
            "my flight to {city} still isn't showing a gate | the board says my flight is late",
            "flight status | flight delayed | arrival time | gate number",
            "I want to know if my plane is leaving on schedule | I need the landing time for {flight}",
            "I'm picking my brother up from the airport tonight, he's coming in from {city} on {airline}, and I don't "
            "want to wait around if it's running late",
            "has the departure of {flight} changed at all | could you look up whether my flight is running behind",
        ],
        "check_in": [
            "check me in for flight {flight} | get my boarding pass | check in for my flight to {city}",
            "how do I check in online | when does check in open for my flight",
            "the online check in keeps giving me an error | I can't get my boarding pass on my phone",
            "check in | boarding pass | online checkin",
            "I'd like to check in for {when} | I need my boarding pass printed",
            "I'm flying to {city} with {airline} early {when} and I'd like to do the check in tonight so I can go "
            "straight to security with just my hand luggage",
            "is it possible to pick my seat and check in now | could you send the boarding card to my email",
        ],
        "baggage_lost": [
            "find my lost suitcase | track my missing luggage | report my bag as lost",
            "what do I do if my luggage didn't arrive | how do I file a claim for a lost bag",
            "my suitcase never came out at baggage claim | {airline} lost my bag on the way to {city}",
            "lost luggage | missing bag | baggage claim | delayed suitcase",
            "I want compensation for my lost luggage | I need my bag delivered to my hotel when it turns up",
            "we landed in {city} {date} and waited at the carousel for an hour but my green suitcase never showed up, "
            "all my clothes are in it",
            "has my luggage been located yet | could someone trace a bag that went astray on my connection",
        ],
        "baggage_allowance": [
            "tell me the baggage allowance for my flight | add a checked bag to my booking",
            "how many bags can I bring | how heavy can my suitcase be",
            "my suitcase is about 25 kilos and I'm not sure it's allowed | I'm bringing skis and don't know if they "
            "count as luggage",
            "baggage allowance | carry on size | luggage weight | extra bag",
            "I want to pay for an extra suitcase | I need to know the hand luggage limit for {airline}",
            "I'm moving to {city} for a year and have a lot of stuff to take, so I'd like to understand what I'm "
            "allowed in the hold and what an extra bag costs",
            "is a backpack counted as a personal item | what are the size rules for cabin bags",
        ],
        "hotel_book": [
            "book a hotel in {city} for {nights} | reserve a double room in {city} | find me a room near the station",
            "how do I book a hotel through you | what hotels are available in {city} {when}",
            "I need a place to stay in {city} {when} | we have nowhere to sleep in {city} next weekend",
            "hotel | hotel booking | room in {city} | accommodation",
            "I'd like to reserve a room for {nights} | I want a hotel with parking in {city}",
            "we're driving down to {city} for my cousin's wedding {when} and need somewhere for two adults and a baby "
            "for {nights}, ideally close to the venue",
            "are there any rooms free in {city} {when} | could you sort out lodging for me in {city}",
        ],
        "hotel_cancel": [
            "cancel my hotel reservation | cancel the room in {city} | drop my hotel booking for {when}",
            "how do I cancel a hotel booking | will I be charged if I cancel my room",
            "I don't need the hotel in {city} anymore | our plans changed and we won't stay at the hotel",
            "cancel hotel | hotel cancellation | cancel room",
            "I want to cancel my stay in {city} | I'd like to call off the accommodation I booked",
            "the conference I was going to in {city} has been moved online, so I won't be using the room I reserved "
            "for {nights}, please cancel it without a fee if you can",
            "is it possible to get my deposit back for a room I no longer need | could you void the lodging "
            "reservation",
        ],
        "car_rental": [
            "rent a car in {city} | book a rental car for {when} | reserve an SUV at the airport",
            "how do I rent a car | how much is a rental car in {city}",
            "I'll need wheels while I'm in {city} | there's no train to the village so we need a car",
            "car rental | rent a car | hire car | rental",
            "I'd like to hire a car for a week | I want to pick up a rental at the airport",
            "we're landing in {city} {when} and want to drive along the coast for a few days, so we need a car that "
            "fits four people and luggage",
            "are there any automatic cars available to hire | could you arrange a vehicle for me at my destination",
        ],
        "visa": [
            "tell me the visa rules for {country} | check if I need a visa for {country}",
            "do I need a visa to visit {country} | how long does a visa for {country} take",
            "I'm going to {country} {when} and I'm not sure about entry requirements | my passport expires in four "
            "months and I'm flying to {country}",
            "visa | visa requirements | entry rules | passport validity",
            "I want to know what documents I need for {country} | I need a travel visa",
            "my husband has a different passport than me and we're going to {country} for our honeymoon, I don't "
            "know if he needs to apply for anything before we fly",
            "what paperwork is required to enter {country} | is an electronic travel authorisation needed for "
            "{country}",
        ],
    },
    "home": {
        "lights": [
            "turn on the lights in the {room} | switch off the {room} lights | dim the lights to 50 percent",
            "can you turn the lights off | how do I make the lights warmer",
            "it's too dark in the {room} | the lights are still on upstairs",
            "lights on | lights off | dim lights | lamp",
            "I want the {room} lit up | I'd like the lights lower for the movie",
            "I'm already in bed and I just realised I left the lights on in the {room} and the hallway, can you shut "
            "them off for me",
            "could you brighten the {room} a little | would you kill the lamps downstairs",
        ],
        "thermostat": [
            "set the thermostat to {temp} | turn up the heating | make the {room} cooler",
            "what's the temperature inside | how do I schedule the heating",
            "it's freezing in the house | the {room} is way too warm",
            "thermostat | heating | air conditioning | temperature",
            "I want it warmer when I get home | I'd like the AC on before I arrive",
            "we're coming back from holiday {when} and the house will be cold after two weeks, can you start warming "
            "it up a few hours before we arrive",
            "could you lower the heat a couple of degrees | would you bump the temperature up to {temp}",
        ],
        "door_lock": [
            "lock the front door | unlock the back door for the cleaner | lock all the doors",
            "did I lock the front door | is the garage door locked",
            "I think I left the door unlocked | I'm locked out of my house",
            "lock door | unlock door | door lock | smart lock",
            "I want the front door secured | I need the door opened for a delivery",
            "I'm at the office and can't remember if I locked up this morning, my neighbour says the front door "
            "might be open, can you check and lock it",
            "could you bolt the entrance | would you let the dog walker in through the side door",
        ],
        "security_alarm": [
            "arm the alarm | disarm the security system | set the alarm to night mode",
            "how do I arm the alarm when I leave | is the alarm on",
            "the burglar alarm went off for no reason | the motion sensor keeps triggering",
            "alarm | arm alarm | security system | intruder alarm",
            "I want the house alarm on while we're away | I need to turn off the alarm, I'm home",
            "we're leaving for the airport in ten minutes and I always forget the alarm, please make sure the "
            "security system is set and all the sensors are active",
            "could you activate the intruder protection | would you silence the siren, it's a false alarm",
        ],
        "smoke_alarm": [
            "test the smoke detector | silence the smoke alarm | replace the battery in the fire alarm",
            "why is my smoke detector beeping | how do I stop the smoke alarm chirping",
            "the smoke alarm in the {room} keeps chirping | the fire alarm goes off every time I cook",
            "smoke alarm | smoke detector | beeping detector | carbon monoxide alarm",
            "I need a new smoke detector installed | I want to check the carbon monoxide sensor",
            "every night around 3am there's a single beep from somewhere in the {room}, I think it's the smoke "
            "detector but I've already changed the battery once",
            "could it be the CO detector making that noise | is the fire sensor in the hallway working",
        ],
        "vacuum": [
            "start the robot vacuum | vacuum the {room} | send the vacuum back to its dock",
            "when did the robot vacuum last run | how do I schedule the vacuum",
            "the robot vacuum is stuck under the sofa | the floors are covered in dog hair",
            "vacuum | robot vacuum | clean floors | hoover",
            "I want the vacuum to clean while I'm out | I need the {room} vacuumed before guests arrive",
            "my in-laws are coming for dinner in two hours and the kitchen floor is a mess from the kids, can you get "
            "the robot going in there and the dining room",
            "could you run the hoover downstairs | would you pause the cleaning robot",
        ],
        "appliance_repair": [
            "book a repair for my {appliance} | send a technician to fix the {appliance} | schedule someone to look "
            "at my {appliance}",
            "how do I get my {appliance} repaired | is my {appliance} still under warranty",
            "my {appliance} stopped working | the {appliance} is making a grinding noise",
            "{appliance} broken | appliance repair | fix {appliance} | repairman",
            "I need an engineer for the {appliance} | I'd like a quote for repairing my {appliance}",
            "the {appliance} we bought last year started leaking water all over the floor {date} and now it won't "
            "turn on at all, I need someone to come out",
            "could a technician come {when} to look at the {appliance} | who can mend a faulty {appliance}",
        ],
        "plumbing": [
            "send a plumber | book a plumber for {when} | unblock the kitchen sink",
            "how do I stop a leaking pipe | who fixes a blocked toilet",
            "water is dripping through the ceiling | the toilet won't stop running | the bathroom sink is clogged",
            "plumber | leak | blocked drain | burst pipe",
            "I need someone to fix a leak under the sink | I want the shower drain cleared",
            "I came home {date} and found a puddle spreading across the {room} floor, it looks like a pipe behind the "
            "wall has burst, I've turned off the water at the main",
            "could you get someone out for a dripping tap | is there an emergency plumber available tonight",
        ],
        "pest_control": [
            "book pest control | get rid of the mice in the {room} | send an exterminator",
            "how do I get rid of ants | who deals with wasps nests",
            "there are cockroaches in the kitchen | I found mouse droppings in the {room} | we have bed bugs",
            "pest control | mice | exterminator | termites",
            "I need someone to remove a wasp nest | I want the house treated for fleas",
            "we've been hearing scratching in the walls at night for about a week and {date} my wife saw a rat run "
            "across the garage, we need this dealt with",
            "could someone inspect the attic for rodents | is there a service for insect infestations",
        ],
        "cleaning": [
            "book a cleaner for {when} | schedule a deep clean of the flat | get someone to clean the house",
            "how much is a house cleaning | how do I book a cleaner",
            "the flat is a mess after the party | I'm moving out and need the place spotless",
            "cleaner | house cleaning | deep clean | maid service",
            "I'd like a cleaner every other week | I need an end of tenancy clean",
            "my landlord is doing the inspection {when} and I've been working such long hours that I haven't had time "
            "to tidy, could someone come and give the whole apartment a proper clean",
            "could a housekeeper come round {when} | is there someone available to scrub the {room}",
        ],
    },
    "work": {
        "schedule_meeting": [
            "schedule a meeting with {person} {when} | set up a call with {person} at {time} | put a meeting in my "
            "calendar for {when}",
            "when is {person} free {when} | can you find a slot for a meeting with {person}",
            "I need to catch up with {person} before the deadline | {person} wants to discuss the budget {when}",
            "schedule meeting | book meeting | calendar invite | set up call",
            "I'd like to meet with {person} for half an hour | I want a recurring weekly meeting with the team",
            "the quarterly numbers are due {when} and I still need to go over them with {person} and the finance lead, "
            "please find an hour where all three of us are available and send an invite",
            "could you arrange a sync with {person} {when} | would you pencil in a call at {time}",
        ],
        "cancel_meeting": [
            "cancel my {time} meeting | cancel the meeting with {person} | remove the call from my calendar",
            "how do I cancel a meeting I organised | can you cancel my meetings for {when}",
            "I can't make the meeting with {person} | my {time} call isn't needed anymore",
            "cancel meeting | meeting cancelled | decline invite",
            "I want to call off the team meeting {when} | I'd like everything cleared from my afternoon",
            "my son is sick so I'm leaving early {when}, please cancel whatever I have after {time} and let {person} "
            "know we'll find another time",
            "could you scrap the sync with {person} | would you take the {time} call off my schedule",
        ],
        "book_room": [
            "book a meeting room for {time} | reserve the boardroom {when} | get me a room for six people",
            "which meeting rooms are free at {time} | is the conference room available {when}",
            "we have nowhere to hold the workshop {when} | the room I booked is double booked",
            "meeting room | book room | conference room | room booking",
            "I need a room with a projector {when} | I'd like the large room for the all hands",
            "we have visitors from a client coming in {when} at {time} and I want somewhere quiet with a screen for "
            "the presentation, for about eight people",
            "could you reserve a space for a workshop | is there a quiet booth free for a call",
        ],
        "vacation_request": [
            "request annual leave for {when} | book time off {when} | submit a holiday request",
            "how many vacation days do I have left | how do I request time off",
            "I'm going on holiday {when} and need it approved | my leave request is still pending",
            "time off | annual leave | vacation days | PTO",
            "I want to take {days} off next month | I'd like to carry over my unused holiday",
            "my sister is getting married abroad in the summer and I'll need {days} off around then, what's the "
            "process to get that approved by my manager",
            "could you log some days of leave for me | is there enough holiday balance for a week away",
        ],
        "sick_day": [
            "log a sick day for today | report me as ill | mark me off sick",
            "how do I call in sick | do I need a doctor's note for sick leave",
            "I woke up with a fever and can't come in | I have the flu and won't be at work {when}",
            "sick day | sick leave | calling in sick | off sick",
            "I need to take sick leave | I want to let HR know I'm unwell",
            "I was up all night with a stomach bug and I'm in no state to work today, please tell my manager and let "
            "me know what form I need to fill in",
            "could you inform my team I'm not well | is there a form for illness absence",
        ],
        "expense_claim": [
            "submit an expense claim for {amount} | file my travel expenses | reimburse my taxi receipt",
            "how do I claim expenses | when will my expenses be paid",
            "I paid {amount} for a client dinner out of my own pocket | my expense report was rejected",
            "expenses | expense claim | reimbursement | receipts",
            "I want to be reimbursed for the train tickets | I need to upload receipts from my trip to {city}",
            "I went to the trade show in {city} last month and paid for the hotel and meals with my personal card, it "
            "comes to about {amount} and I still haven't been paid back",
            "could you process my business costs | is the mileage I drove for work refundable",
        ],
        "payslip": [
            "show me my latest payslip | send me my pay stub | download my salary slip",
            "when is payday | why is my pay lower this month",
            "my salary hasn't arrived | there's a deduction on my payslip I don't understand",
            "payslip | pay stub | salary | payroll",
            "I need my payslips for a mortgage application | I want a copy of my tax form from payroll",
            "I started a new role in the team two months ago with a raise but my pay this month looks exactly the "
            "same as before, can someone check payroll",
            "could you tell me what I'll be paid on the 25th | is overtime included in this month's wages",
        ],
        "timesheet": [
            "submit my timesheet | log 8 hours on the project | fill in my hours for this week",
            "how do I correct my timesheet | when are timesheets due",
            "I forgot to submit my hours last week | my timesheet says zero hours but I worked",
            "timesheet | log hours | time tracking | hours worked",
            "I want to record overtime for {when} | I need to amend the hours I entered",
            "I was travelling for work most of last week and didn't have my laptop, so none of my hours are in the "
            "system and payroll closes {when}",
            "could you enter my working time for the week | is it too late to change the hours I booked",
        ],
        "benefits": [
            "enrol me in the pension scheme | add my partner to my health insurance | sign me up for the cycle to "
            "work scheme",
            "what benefits do I get | how do I change my health plan",
            "my wife had a baby and needs to be added to my insurance | I never joined the pension when I started",
            "benefits | pension | health plan | perks",
            "I want to increase my pension contributions | I'd like to know about the dental cover",
            "I'm coming up on my one year anniversary and I heard that's when the extra benefits kick in, like the "
            "gym membership and life insurance, how do I get those",
            "could you explain the employee perks | is there a company scheme for childcare",
        ],
        "it_equipment": [
            "order me a new laptop | request a second monitor | get me a headset for calls",
            "how do I request new equipment | when will my laptop replacement come",
            "my work laptop is falling apart | the keyboard on my laptop stopped working",
            "new laptop | IT equipment | monitor request | hardware",
            "I need a docking station for home | I want a bigger screen for my desk",
            "I'm starting to work from home three days a week and I only have the small laptop screen, so I'd like to "
            "get a proper monitor, keyboard and mouse sent to my house",
            "could IT supply me with a webcam | is there budget for an ergonomic chair",
        ],
    },
    "shopping": {
        "order_track": [
            "track order {order} | find my parcel | tell me where my package is",
            "where is my order | when will my {item} arrive",
            "my order {order} still hasn't arrived | the tracking hasn't updated in days",
            "track order | where's my parcel | delivery status | tracking",
            "I want to know when my {item} will be delivered | I need an update on order {order}",
            "I ordered a {item} as a birthday present {date} and the party is on Saturday, the website said three to "
            "five days but it's been a week and nothing",
            "has my shipment left the warehouse yet | could you tell me the expected delivery date for {order}",
        ],
        "order_cancel": [
            "cancel order {order} | cancel my {item} order | stop my purchase before it ships",
            "how do I cancel an order | can I still cancel my order",
            "I ordered the wrong size by mistake | I found the {item} cheaper somewhere else",
            "cancel order | cancel purchase | order cancellation",
            "I want to cancel what I bought {date} | I'd like to cancel the {item} before it's dispatched",
            "I accidentally clicked buy twice on the {item} {date} and now I have two identical orders, please cancel "
            "one of them before they both go out",
            "is it too late to withdraw my order | could you void the purchase I just made",
        ],
        "return_item": [
            "return my {item} | start a return for order {order} | send me a return label",
            "how do I return something | what's your return policy",
            "the {item} doesn't fit | the {item} looks nothing like the photo",
            "return | return label | send back | exchange",
            "I want to send back the {item} | I'd like to exchange the {item} for a bigger size",
            "my aunt got me a {item} for Christmas from your store but I already have one, is it possible to bring it "
            "back without a receipt",
            "could I swap the {item} for a different colour | is there a deadline for sending items back",
        ],
        "refund_status": [
            "check my refund status | tell me when I'll get my refund | chase my refund for {order}",
            "when will I get my money back | how long do refunds take",
            "I returned the {item} two weeks ago and still no refund | the refund amount is wrong",
            "refund | refund status | money back | where's my refund",
            "I want my {amount} back for the returned {item} | I need the refund processed today",
            "I sent the {item} back {date} with tracking, your warehouse signed for it, but the {amount} still hasn't "
            "shown up on my card",
            "has the reimbursement for my return been issued | could you confirm my credit note went through",
        ],
        "change_address": [
            "change the delivery address for {order} | send my order to my office instead | update my shipping "
            "address",
            "how do I change the address on my order | can I deliver to a different address",
            "I put the wrong address on my order | I moved and the parcel is going to my old flat",
            "change address | wrong address | delivery address | shipping address",
            "I want my {item} delivered to my parents' house | I need to fix a typo in my street name",
            "I just realised the order I placed {date} is going to my old apartment, I moved out last month and the "
            "new tenant won't pass it on",
            "could you redirect the parcel to a pickup point | is it possible to reroute my delivery",
        ],
        "damaged_item": [
            "report a damaged item | replace my broken {item} | I want a replacement for the cracked {item}",
            "what do I do if my item arrived broken | can I get a replacement for a faulty {item}",
            "my {item} arrived damaged | the box was crushed and the {item} is broken",
            "damaged item | broken on arrival | faulty product | defective",
            "I need a new {item}, this one is defective | I'd like compensation for the damaged parcel",
            "the courier left the package out in the rain {date} and when I opened it the {item} was soaked and the "
            "screen was cracked",
            "is there a warranty for a product that came defective | could you send another {item}, mine doesn't work",
        ],
        "price_match": [
            "match the price I saw elsewhere | apply the sale price to my order | give me the lower price",
            "do you price match | will you refund the difference if the price drops",
            "the {item} I bought is now {amount} cheaper | another shop sells the same {item} for less",
            "price match | price drop | cheaper elsewhere | price adjustment",
            "I want the difference refunded since it went on sale | I'd like you to match a competitor's price",
            "I bought a {item} from you {date} for full price and today I got an email saying it's on sale for "
            "{amount} less, that's annoying, can you do anything about it",
            "is there a price guarantee on your products | could you honour the promotional price",
        ],
        "gift_card": [
            "check my gift card balance | redeem a gift card | add a gift voucher to my account",
            "how much is left on my gift card | how do I use a gift card online",
            "my gift card code doesn't work | the voucher says it's expired",
            "gift card | gift voucher | voucher balance | redeem code",
            "I want to buy a gift card for a friend | I need to use two gift cards on one order",
            "my colleagues gave me a gift card for my leaving party and I tried to use it at checkout {date} but it "
            "said the card number is invalid",
            "could you tell me the remaining value on my voucher | is it possible to combine vouchers",
        ],
        "stock_check": [
            "check if the {item} is in stock | notify me when the {item} is back | find the {item} in my size",
            "when will the {item} be available again | do you have the {item} in blue",
            "the {item} I want says sold out | I can't find the {item} on your site anymore",
            "in stock | availability | back in stock | sold out",
            "I want to reserve a {item} in the store | I'd like to know if my local shop has the {item}",
            "I've been waiting for weeks for the {item} to come back, I check the website every morning and it's "
            "always out of stock, is there any restock date",
            "are there any left in the warehouse | could you tell me whether the shop near me carries this item",
        ],
        "discount_code": [
            "apply my discount code | add a promo code to my order | use my coupon",
            "how do I use a promo code | are there any discounts right now",
            "my discount code isn't working | the coupon didn't apply at checkout",
            "promo code | discount code | coupon | voucher code",
            "I want the student discount | I need the 20 percent code from your email applied",
            "I signed up for your newsletter to get the welcome discount but when I entered the code at checkout "
            "{date} it said invalid, and I already paid full price",
            "is there a coupon for first time buyers | could you honour a promotion that expired yesterday",
        ],
    },
    "utilities": {
        "power_outage": [
            "report a power cut | restore the electricity at my address | log an outage on my street",
            "is there a power cut in my area | when will the electricity be back",
            "the power's out in the whole building | we've had no electricity since {date}",
            "power cut | outage | no electricity | blackout",
            "I need to know when power will be restored | I want to report that the street lights are out on our road",
            "the whole neighbourhood went dark around {time} and my freezer is full of food, I need to know if this "
            "will last more than a few hours",
            "has there been an interruption to the electricity supply | could you check if my area is affected by "
            "the blackout",
        ],
        "gas_leak": [
            "report a gas leak | send someone to check a gas smell | shut off the gas supply",
            "what do I do if I smell gas | who do I call about a gas leak",
            "I can smell gas in the {room} | there's a hissing sound near the gas meter",
            "gas leak | smell gas | gas emergency",
            "I need an emergency gas engineer | I want the gas checked urgently",
            "when I came back from work the whole {room} smelled like rotten eggs, I've opened the windows and I'm "
            "standing outside now, what should I do",
            "could someone inspect the gas line outside | is the odour near the boiler dangerous",
        ],
        "water_supply": [
            "report no water | tell me when the water will be back | log a water supply problem",
            "why is there no water | is there water maintenance in my area",
            "no water coming out of the taps | the water pressure is really low | the water is brown",
            "no water | water outage | low pressure | water supply",
            "I need to know when the water is coming back on | I want to report discoloured tap water",
            "we turned on the shower this morning and nothing came out, the neighbours have the same problem and "
            "nobody told us about any works",
            "could you check if there's an interruption to the water main | has the supply been cut off on my street",
        ],
        "high_bill": [
            "explain my electricity bill | check why my bill is so high | review my last energy bill",
            "why is my bill {amount} this month | how is my bill calculated",
            "my gas bill doubled | I was charged {amount} and I usually pay half that",
            "high bill | bill too high | energy bill | bill explanation",
            "I want a breakdown of my charges | I need someone to look at my bill, it seems wrong",
            "we were away for most of last month so the house was empty, yet the bill that arrived {date} is higher "
            "than ever, {amount}, something must be wrong",
            "could you tell me why my energy costs jumped | is my account being billed on estimated readings",
        ],
        "meter_reading": [
            "submit a meter reading | send my reading of {reading} | update my meter reading to {reading}",
            "how do I read my meter | when do I need to send a reading",
            "the reading on my bill doesn't match my meter | my smart meter stopped sending readings",
            "meter reading | meter | smart meter | submit reading",
            "I want to give you my gas reading | I need a smart meter installed",
            "the last three bills have all been estimated and I'd rather pay for what I actually use, so here are the "
            "numbers from the electricity meter in the hallway, {reading}",
            "could you take the figures from my meter | is the engineer coming to read the meter {when}",
        ],
        "payment_plan": [
            "set up a payment plan | spread my bill over six months | give me more time to pay",
            "can I pay my bill in instalments | what happens if I can't pay my bill",
            "I can't afford this month's bill | I lost my job and I'm behind on payments",
            "payment plan | instalments | overdue bill | payment arrangement",
            "I'd like to pay the {amount} in smaller amounts | I need an extension on my payment date",
            "money is really tight since my hours were cut at work and I've got a {amount} balance I can't clear in "
            "one go, is there any arrangement we can make",
            "is there any help for customers struggling with bills | could you defer my payment until next month",
        ],
        "move_in": [
            "start service at my new address | set up electricity for my new flat | open an account for my new home",
            "how do I set up gas and electricity when I move | what do I need to start service",
            "I'm moving into a new house {when} | we just got the keys to our new apartment",
            "move in | new address | start service | connect supply",
            "I want power connected before I move in | I need to register as the new occupant",
            "we're buying our first house and the move date is {when}, the previous owners are leaving, so I'd like "
            "everything transferred to our names from that day",
            "could you put the utilities in my name | is there a connection fee for a new property",
        ],
        "move_out": [
            "stop service at my old address | close my account, I'm moving out | disconnect the supply {when}",
            "how do I close my account when I move | what happens to my final bill",
            "I'm leaving my apartment at the end of the month | I've sold my house",
            "move out | close account | final bill | disconnect",
            "I want my last bill sent to my new address | I'd like to end my contract when I move",
            "my lease ends {when} and I'm moving back in with my parents, so I don't need gas or electricity at the "
            "flat anymore after that date",
            "could you take the final reading on my moving day and close things off | is there a fee for ending the "
            "supply early",
        ],
        "tariff_change": [
            "switch me to a cheaper tariff | move me to the green energy plan | change my tariff to fixed",
            "what tariffs do you offer | is there a cheaper energy plan for me",
            "my fixed deal is ending next month | I think I'm on the wrong tariff",
            "tariff | switch tariff | fixed rate | green energy",
            "I want a plan with cheaper night rates | I'd like to lock in my price for two years",
            "we just got an electric car and charge it overnight, so I've heard there are tariffs with much lower "
            "rates at night, which one would suit us",
            "could you compare my current rate with your other deals | is a renewable plan more expensive",
        ],
        "bin_collection": [
            "book a bulky waste collection | replace my broken recycling bin | order a new bin",
            "when is my bin collection | which bin goes out this week",
            "my bins weren't collected {date} | the recycling truck skipped our street",
            "bin collection | missed bin | recycling | garbage pickup",
            "I need a bigger trash can | I want an old sofa picked up",
            "the garbage has been sitting outside for two weeks because the truck keeps missing our road, and it's "
            "starting to smell and attract foxes",
            "could you tell me the collection day for my street | is there a charge for taking away a fridge",
        ],
    },
    "auto": {
        "book_service": [
            "book a service for my {car} | schedule my annual inspection | get my car in for maintenance {when}",
            "when is my car due for a service | how much does a full service cost",
            "my {car} is overdue for its service | it's been 20,000 miles since the last service",
            "car service | book service | MOT | inspection",
            "I want my car serviced next week | I need the annual check before the warranty runs out",
            "I'm driving to {city} for a family holiday {when} and I'd like the {car} checked over before such a long "
            "trip, brakes, fluids, the usual",
            "could the garage look at my car {when} | is there a slot for maintenance on my {car} {when}",
        ],
        "roadside": [
            "send roadside assistance | get me a tow truck | I need a jump start",
            "what do I do if my car breaks down | does my cover include towing",
            "my car broke down on the motorway | I have a flat tyre and no spare | the car won't start",
            "breakdown | tow truck | roadside help | flat tyre",
            "I need someone to come help, my battery is dead | I want my car towed to the nearest garage",
            "I'm stuck on a country road about ten miles outside {city}, the engine made a loud bang and died, and "
            "it's getting dark",
            "could a recovery vehicle come to my location | is there a mechanic nearby who can come out",
        ],
        "warning_light": [
            "tell me what this dashboard light means | explain the orange light on my dash | diagnose the check "
            "engine light",
            "what does the check engine light mean | is it safe to drive with the oil light on",
            "a red light came on in my {car} | the tyre pressure warning keeps flashing",
            "warning light | check engine | dashboard light | engine light",
            "I want to know if this warning is serious | I need the fault code read",
            "I was driving home from work {date} when a little yellow symbol that looks like an engine lit up on my "
            "{car}, the car feels fine but I'm nervous",
            "could the symbol with an exclamation mark be the brakes | is that blinking icon on my dash urgent",
        ],
        "tyres": [
            "replace my tyres | book new tyres for my {car} | fit winter tyres",
            "how often should I change my tyres | how much are new tyres",
            "my tyres are bald | the tread is worn down | one tyre keeps losing air",
            "new tyres | tyre replacement | winter tyres | tire change",
            "I need four new tyres before winter | I want my summer tyres swapped",
            "the garage told me at the last service that the front tyres were getting close to the limit and now it's "
            "raining a lot and the car slides a bit at roundabouts",
            "could you fit all-season rubber on my {car} | is there a deal on a set of four tyres",
        ],
        "parking_fine": [
            "pay my parking fine | appeal a parking ticket | contest the penalty charge",
            "how do I pay a parking ticket | can I appeal a parking fine",
            "I got a parking ticket but the sign was hidden | I was fined for parking in my own street",
            "parking ticket | parking fine | penalty notice | appeal fine",
            "I want to dispute the parking fine from {date} | I need to pay the penalty before it goes up",
            "I parked outside the hospital for my mum's appointment {date} and came back to a {amount} ticket even "
            "though I paid at the machine, I still have the receipt",
            "could you cancel a penalty I got while loading my van | is there a discount for paying the fine early",
        ],
        "accident_claim": [
            "file an insurance claim for my car | report an accident | start a claim for the damage to my {car}",
            "how do I make a claim after an accident | will my premium go up if I claim",
            "someone hit my car in the car park | I crashed into a pole {date}",
            "car accident | insurance claim | collision | crash",
            "I need to report a collision | I want the other driver's insurer to pay",
            "I was stopped at a red light {date} when a van went into the back of my {car}, nobody was hurt but the "
            "bumper is hanging off and the boot won't close",
            "could you process the damage from a fender bender | is a cracked windscreen covered by my policy",
        ],
        "insurance_quote": [
            "get me a car insurance quote | renew my car insurance | quote me for fully comprehensive cover",
            "how much would it cost to insure my {car} | what does third party cover include",
            "my car insurance is expiring next week | I just bought a {car} and need cover",
            "car insurance | insurance quote | renew policy | cover",
            "I want to add my son as a named driver | I'd like a cheaper insurance policy",
            "my renewal letter came {date} and the price went up by {amount} even though I haven't made a claim in "
            "five years, can you find me something better",
            "could you price up coverage for a new driver | is breakdown cover included in the policy",
        ],
        "registration": [
            "renew my vehicle registration | pay my road tax | renew the registration for my {car}",
            "when does my registration expire | how do I renew my car tax",
            "my registration expired last month | I got a letter saying my road tax is due",
            "registration | road tax | renew registration | vehicle tax",
            "I need to register my new car | I want to transfer the registration to my name",
            "I just bought a second hand {car} from a private seller and I'm not sure what I need to do with the "
            "paperwork so it's legally mine and taxed",
            "could you update the logbook with my new address | is there a penalty for late registration renewal",
        ],
        "recall": [
            "check my car for recalls | look up recalls on my {car} | book the recall repair",
            "is my {car} affected by a recall | how do I know if there's a recall",
            "I got a recall letter about the airbags | I heard on the news that {car} models are being recalled",
            "recall | safety recall | recall check",
            "I want the recall work done on my car | I need to know if my VIN is affected",
            "my neighbour has the same {car} as me and he said the manufacturer is calling them back for a brake "
            "problem, I never got a letter",
            "could you see whether any safety notices apply to my vehicle | is the fix for the recall free",
        ],
        "ev_charging": [
            "find a charging station near me | start charging at this station | show chargers on my route",
            "where can I charge my electric car | how long does a fast charge take",
            "my car is almost out of charge | the charger at the supermarket isn't working",
            "EV charger | charging station | charge point | electric charging",
            "I need a rapid charger on the way to {city} | I want a charger installed at home",
            "I'm driving my electric {car} to {city} {when} and the range won't get me there in one go, where should "
            "I stop to top up the battery",
            "could you locate a plug for my EV | is there a free charge point in the car park",
        ],
    },
    "health_admin": {
        "appointment_book": [
            "book an appointment with {doctor} | schedule a check up {when} | get me in to see a doctor",
            "when is the next available appointment | can I see {doctor} {when}",
            "I've had a cough for three weeks and want to see someone | my knee still hurts and I need a doctor to "
            "look at it",
            "book appointment | doctor appointment | see a GP | check up",
            "I'd like an appointment for my annual physical | I need to see {doctor} about my headaches",
            "my son has had an ear infection that keeps coming back and I'd like him seen by someone {when} after "
            "school if there's a slot",
            "could I get a consultation {when} | is {doctor} taking new patients",
        ],
        "appointment_cancel": [
            "cancel my appointment {when} | cancel my visit with {doctor} | move my appointment to next week",
            "how do I cancel an appointment | can I reschedule my appointment",
            "I can't make my appointment {when} | something came up and I won't be at the clinic",
            "cancel appointment | reschedule appointment | change appointment",
            "I want to push my check up back a week | I'd like to drop my appointment with {doctor}",
            "I had booked to see {doctor} {when} at {time} but I've just been told I have to work that shift, so I "
            "need to move it or cancel it",
            "could you free up my slot for someone else | is there a fee if I don't turn up",
        ],
        "prescription": [
            "refill my prescription for {medicine} | renew my repeat prescription | order more {medicine}",
            "how do I get a repeat prescription | when can I pick up my {medicine}",
            "I'm running out of {medicine} | I only have two days of {medicine} left",
            "prescription | refill | repeat prescription | medication",
            "I need more {medicine} sent to my pharmacy | I want my prescription renewed",
            "I'm going abroad for a month {when} and I'll run out of {medicine} halfway through, can I get an extra "
            "supply before I go",
            "could you authorise another batch of my tablets | is my repeat medication ready at the chemist",
        ],
        "test_results": [
            "show me my blood test results | send me my lab results | check if my results are in",
            "are my test results back | what did my scan show",
            "I had a blood test {date} and haven't heard anything | nobody called me about my x-ray",
            "test results | lab results | blood work | scan results",
            "I want to know my cholesterol numbers | I need my results for my surgeon",
            "I had bloods taken at the clinic over a week ago for my thyroid and they said someone would ring with the "
            "results in a few days but no one has",
            "could you tell me whether my biopsy report is available | is there an update on my urine sample",
        ],
        "coverage": [
            "check if my insurance covers physiotherapy | tell me what my health plan covers | verify my coverage for "
            "an MRI",
            "does my plan cover dental | how much will I pay for a specialist visit",
            "I'm not sure my insurance pays for therapy | the clinic says my plan doesn't cover this",
            "coverage | health insurance | what's covered | insurance benefits",
            "I want to know my deductible | I need to confirm cover before my surgery",
            "my doctor wants me to see a specialist for my back and I'd like to know before I book whether my plan "
            "will pay for it or if I'll be out of pocket",
            "could you confirm the copay for an emergency visit | is physio included under my policy",
        ],
        "claim_status": [
            "check the status of my medical claim | follow up on my insurance claim | chase my reimbursement for the "
            "dentist",
            "has my claim been approved | when will my claim be paid",
            "my claim for {amount} was denied | I submitted a claim a month ago and heard nothing",
            "claim status | medical claim | claim denied | claim reimbursement",
            "I want to appeal a rejected claim | I need to know why my claim is still pending",
            "I paid {amount} out of pocket for my daughter's emergency visit {date} and sent the receipts in, but the "
            "claim still shows as processing",
            "could you see where my submitted bill is in the process | is there a reason my refund from the insurer "
            "is delayed",
        ],
        "change_doctor": [
            "change my GP | switch me to a different doctor | register me with another practice",
            "how do I change my doctor | can I pick a female doctor",
            "I don't get on with my current doctor | I moved and my practice is too far away",
            "change doctor | new GP | switch doctor | register practice",
            "I want to be seen by someone else from now on | I'd like to transfer to the clinic near my new home",
            "every time I go in my doctor rushes me out after five minutes and doesn't listen, I'd like to be "
            "assigned someone else who has more time",
            "could I be moved to another physician's list | is there a practice nearer to me taking patients",
        ],
        "medical_records": [
            "send me a copy of my medical records | transfer my records to my new doctor | download my health history",
            "how do I get my medical records | can I see my vaccination history",
            "my new clinic says they never got my records | there's a mistake in my medical file",
            "medical records | health records | patient file | records request",
            "I need my records for an insurance application | I want my allergy information corrected",
            "I'm applying for a visa and the embassy wants proof of my past vaccinations and medical history, so I "
            "need a full copy of my file from you",
            "could you forward my chart to the hospital | is it possible to view my notes online",
        ],
        "vaccination": [
            "book a flu jab | schedule my covid booster | get my child vaccinated",
            "when can I get the flu vaccine | which vaccines do I need for {country}",
            "my son is due his jabs | I missed my second dose",
            "vaccine | flu shot | booster | vaccination",
            "I want a tetanus shot | I need travel vaccinations before my trip",
            "I'm over 65 and I got a letter saying I'm eligible for the autumn booster, but the online system won't "
            "let me choose a date",
            "could you arrange immunisations for my baby | is the shingles vaccine free for me",
        ],
        "referral": [
            "refer me to a dermatologist | get me a referral to a specialist | send a referral to the physio",
            "how do I get a referral | do I need a referral to see a cardiologist",
            "the specialist says they never got my referral | my referral was rejected",
            "referral | specialist referral | see a specialist",
            "I want to see a specialist about my migraines | I need a referral letter for my insurer",
            "I've been to my GP three times about the pain in my shoulder and the tablets aren't helping, I think I "
            "should see an orthopaedic specialist but I'm told I need to be referred",
            "could my doctor write to the hospital for me | is a letter from the GP required for the eye clinic",
        ],
    },
    "telecom": {
        "roaming": [
            "turn on roaming | add a roaming pass for {country} | switch off data roaming",
            "how much does roaming cost in {country} | will my phone work in {country}",
            "my phone has no data in {country} | I got charged {amount} for roaming",
            "roaming | data roaming | travel pass | international roaming",
            "I want to use my phone abroad | I need an international data add-on",
            "I'm flying to {country} {when} for two weeks and I don't want to come back to a huge phone bill, what's "
            "the best way to use my data while I'm there",
            "could you activate overseas usage on my line | is there a bundle for calls from abroad",
        ],
        "no_signal": [
            "fix my signal | check the coverage at my address | report a mast outage",
            "why do I have no signal | is there a network problem in my area",
            "my calls keep dropping | I only get one bar at home | the phone says no service",
            "no signal | bad reception | network down | dropped calls",
            "I need better coverage at my house | I want to report poor reception",
            "since {date} I can't make calls from my kitchen at all and have to stand in the garden, my husband's "
            "phone on another network is fine",
            "could there be a fault with the tower near me | is mobile coverage down in {city}",
        ],
        "internet_down": [
            "fix my broadband | reset my router | send an engineer for my internet",
            "why is my internet not working | is there a broadband outage",
            "the wifi keeps dropping | my internet is really slow | the router light is red",
            "internet down | no wifi | broadband | slow internet",
            "I need my home internet back, I work from home | I want someone to check my fibre line",
            "I've restarted the router three times since this morning and the internet still isn't working, I have an "
            "important video call at {time}",
            "could you run a test on my home connection | is the fibre service down on my street",
        ],
        "change_plan": [
            "upgrade my phone plan | switch me to unlimited data | change my contract to a cheaper plan",
            "what mobile plans do you have | how much is the unlimited plan",
            "I keep running out of data every month | my phone contract ends soon",
            "change plan | upgrade plan | unlimited data | new contract",
            "I want more data on my plan | I'd like to add a line for my daughter",
            "my teenage son uses up all our family data in the first week of the month, so I think we need a bigger "
            "bundle or a separate plan for him",
            "could you move me to a different package | is there a better deal for my mobile contract",
        ],
        "sim": [
            "send me a new SIM | replace my SIM card | activate my eSIM",
            "how do I get a replacement SIM | how do I switch to an eSIM",
            "my SIM card isn't detected | I lost my phone and need a new SIM",
            "SIM card | new SIM | eSIM | SIM not working",
            "I need a nano SIM for my new phone | I want my number moved to a new SIM",
            "I dropped my phone in the sea on holiday and bought a new one, but the old SIM was lost with it, so I "
            "need a replacement with the same number",
            "could you post a fresh SIM to my address | is there a charge for a replacement chip",
        ],
        "unlock_phone": [
            "unlock my phone | give me the network unlock code | unlock my {phone} for other networks",
            "how do I unlock my phone | is my phone locked to your network",
            "my phone won't take a SIM from another carrier | it says SIM network locked",
            "unlock phone | network unlock | unlock code | carrier unlock",
            "I want to use my {phone} with a different provider | I need my handset unlocked before I travel",
            "I've paid off my {phone} and I'm switching to another provider next month, but when I put their SIM in "
            "it said the phone is locked",
            "could you release my handset from the network | is there a fee to unlock a paid off device",
        ],
        "port_number": [
            "transfer my number to your network | port my number from my old provider | keep my number when I switch",
            "how do I keep my phone number | how long does porting take",
            "my number transfer failed | I switched to you but my old number isn't working",
            "port number | number transfer | keep my number | PAC code",
            "I want to bring my number over | I need my porting code",
            "I've been with the same number for fifteen years and all my clients have it, so if I move my contract to "
            "you I absolutely need to keep it",
            "could you migrate my existing mobile number | is it possible to move a landline number",
        ],
        "data_usage": [
            "show my data usage | tell me how much data I have left | check my minutes",
            "how much data have I used | when does my data allowance reset",
            "I got a text saying I'm at 80 percent of my data | my data ran out already",
            "data usage | data left | remaining data | allowance",
            "I want to see my usage for this month | I need alerts when my data is low",
            "I've been streaming a lot of videos on the train this week and I'm worried I'm near the limit, can you "
            "tell me where I'm at before I get charged extra",
            "could you check my remaining gigabytes | is my allowance close to running out",
        ],
        "phone_bill": [
            "explain my phone bill | correct the charges on my mobile bill | review my last phone invoice",
            "why is my phone bill so high | what is this charge on my phone bill",
            "I was charged for calls I didn't make | my bill has a {amount} premium SMS charge",
            "phone bill | wrong charges | bill dispute | extra charges",
            "I want a refund for an overcharge on my line | I need an itemised bill",
            "my monthly contract is {amount} but this month's bill says almost double that and I haven't used "
            "anything unusual, no calls abroad or anything",
            "could you look into charges for a subscription I never signed up for | is there an error on my mobile "
            "invoice",
        ],
        "voicemail": [
            "set up my voicemail | turn off voicemail | reset my voicemail PIN",
            "how do I listen to my voicemail | how do I change my voicemail greeting",
            "my voicemail isn't working | callers can't leave me messages",
            "voicemail | voicemail setup | answerphone | voice messages",
            "I want my missed calls to go to voicemail | I need to record a new greeting",
            "my mum keeps telling me she left messages but I never get any notification and when I dial the voicemail "
            "number it just rings out",
            "could you switch on the answering service | is it possible to get voice messages sent to my email",
        ],
    },
    "small_talk": {
        "greeting": [
            "hello | hello there | hello bot",
            "hi | hi there | hi hi",
            "hey | hey there | heya",
            "good morning | morning | good morning to you",
            "good evening | good afternoon | evening",
            "greetings | salutations | howdy",
            "yo | sup | hiya",
        ],
        "how_are_you": [
            "how are you | how are you doing",
            "how's it going | how is your day going",
            "are you doing well | are you ok today",
            "what's up | what's new with you",
            "how have you been | how's life",
            "how do you feel today | are you having a good day",
            "you alright? | everything good with you",
        ],
        "goodbye": [
            "bye | bye bye | goodbye",
            "see you later | see you soon | see ya",
            "that's all for now | that's all I needed | nothing else",
            "talk to you later | catch you later | ttyl",
            "have a good day | have a nice evening | take care",
            "I'm done | I'm leaving now | gotta go",
            "farewell | later | ciao",
        ],
        "thanks": [
            "thanks | thank you | thanks a lot",
            "thank you so much | many thanks | thanks a million",
            "that was helpful | you've been a great help | that helps",
            "cheers | ta | thx",
            "I appreciate it | much appreciated | appreciate the help",
            "perfect, that's exactly what I needed | great, that solved it | awesome, it works now",
            "you're a star | you're the best | legend",
        ],
        "are_you_bot": [
            "are you a bot | are you a robot | are you a machine",
            "am I talking to a real person | is this a human",
            "are you human | are you real",
            "is this automated | is this an AI",
            "what are you | who am I chatting with",
            "you're a computer program, aren't you | I think you're just a bot",
            "is there a person typing these answers | are you artificial intelligence",
        ],
        "capabilities": [
            "what can you do | what can you help with",
            "what are you able to do for me | what do you know about",
            "help | I need help | can you help me",
            "what services do you offer | what kind of questions can I ask",
            "show me what you can do | list your features",
            "I'm not sure what to ask you | where do I start",
            "what topics do you cover | which things can you handle",
        ],
        "human_agent": [
            "talk to a human | connect me to an agent | transfer me to a person",
            "can I speak to someone | is there a real person I can talk to",
            "I want to speak to a representative | I need a human, not a bot",
            "agent | human | representative | operator",
            "put me through to customer service | get me a supervisor",
            "I've been going round in circles with you for ten minutes, please just let me talk to a member of staff",
            "could you escalate this to a colleague | is there a phone number to call someone",
        ],
        "joke": [
            "tell me a joke | say something funny",
            "do you know any jokes | got any good jokes",
            "make me laugh | cheer me up with a joke",
            "joke | joke please | another joke",
            "I want to hear a joke | I need a laugh",
            "I've had a terrible day at work, tell me something funny to cheer me up",
            "know any puns | can you tell me a knock knock joke",
        ],
        "repeat": [
            "repeat that | say that again | repeat please",
            "what did you say | sorry, what was that",
            "I didn't catch that | I missed what you said",
            "again | come again | pardon",
            "can you repeat the last answer | could you say it one more time",
            "sorry, my phone cut out for a second, could you go over that last part again",
            "one more time please | I didn't understand, say it differently",
        ],
        "frustration": [
            "this is useless | you're not helping | this is a waste of time",
            "why don't you understand me | why is this so hard",
            "I'm so annoyed | this is really frustrating",
            "useless | terrible | awful service",
            "you got it wrong again | that's not what I asked",
            "I've explained this three times already and you keep giving me the same wrong answer, it's ridiculous",
            "what a pointless bot | are you even listening to me",
        ],
    },
}

# Out of scope: questions on ten topics no intent covers, seven per topic. Family i holds
# the i-th question of every topic, so a held-out family asks new questions on topics
# training has seen (as production does), not only topics it never saw.
OUT_OF_SCOPE_TOPICS = {
    "cooking": "how do I boil an egg | what can I make with chicken and rice | how long do I bake a potato | recipe "
               "for banana bread | what temperature should I roast a chicken at | how do I make pancakes without eggs "
               "| what wine goes with salmon",
    "sport": "who won the football last night | when is the next world cup | how many players are on a basketball "
             "team | what's the score in the cricket | who holds the marathon world record | explain the offside rule "
             "| who is the best boxer ever",
    "geography": "what is the capital of australia | how tall is mount everest | what's the longest river in the "
                 "world | how many countries are in africa | what language do they speak in brazil | which ocean is "
                 "the biggest | where is the great barrier reef",
    "science": "what is 15 times 23 | how far away is the moon | why is the sky blue | what is the square root of 144 "
               "| convert 10 miles to kilometres | what's the boiling point of water | what is a black hole",
    "entertainment": "recommend a good movie | who sings that song about the rain | what's a good book to read | "
                     "when does the new season come out | who played batman in the last film | suggest a podcast | "
                     "what are the best board games",
    "advice": "how do I get over a breakup | what should I name my dog | how can I sleep better | how do I learn to "
              "play guitar | what's a good gift for my mum | how do I stop procrastinating | should I learn spanish "
              "or french",
    "history": "who was the first president of the united states | when did world war two end | who painted the mona "
               "lisa | what is the meaning of life | who invented the telephone | when were the pyramids built | who "
               "discovered penicillin",
    "pets_garden": "how often should I feed my cat | when do I plant tomatoes | why does my dog eat grass | how do I "
                   "keep slugs off my lettuce | what's the best fish for a small tank | how much should I water a "
                   "cactus | how do I teach my puppy to sit",
    "weather": "will it rain tomorrow | what's the forecast for the weekend | how do hurricanes form | why do leaves "
               "change colour | when does spring start | what causes thunder | how cold does it get at the north "
               "pole",
    "words": "what does ubiquitous mean | how do you spell necessary | what's a synonym for happy | how do you say "
             "good night in japanese | what rhymes with orange | what's the plural of octopus | is it affect or effect",
}
OUT_OF_SCOPE = [" | ".join(topic.split(" | ")[i] for topic in OUT_OF_SCOPE_TOPICS.values()) for i in range(7)]

OPENERS = ["hi,", "hello,", "hey,", "good morning,", "quick question:", "hi there,", "excuse me,", "ok so", "um,",
           "hi team,"]
CLOSERS = ["thanks", "thank you", "please", "asap", "cheers", "thx", "any help appreciated", "please help",
           "thanks in advance"]
CONTEXT = [
    "I've been a customer for years.",
    "I already tried the app but it didn't help.",
    "This is the second time I'm asking.",
    "I'm writing from my phone, sorry for any typos.",
    "My partner usually handles this but they're away.",
    "I'm on my lunch break so I need a quick answer.",
    "Your website sent me here.",
    "I'm not very good with technology.",
]
# A sentence about another domain's topic: the message's intent is still its own.
DISTRACTORS = {
    "banking": ["I got a new debit card last month and that works fine.",
                "My salary just came in, so money isn't the issue."],
    "travel": ["I'm flying out on Friday, but that's a separate thing.", "We just got back from a trip abroad."],
    "home": ["The heating at home has been acting up too, but never mind that.",
             "I'm also waiting for a plumber this week."],
    "work": ["I'm writing this from the office between meetings.",
             "My manager approved my holiday already, so that's sorted."],
    "shopping": ["I also have a parcel on the way from you, which is fine.", "I bought a new jacket online yesterday."],
    "utilities": ["We had a short power cut last night as well.", "My electricity bill came today too."],
    "auto": ["My car is in the garage at the moment.", "I got a parking ticket this week, but that's another story."],
    "health_admin": ["I've just come back from the doctor's.", "I'm waiting on a prescription too."],
    "telecom": ["My phone signal is terrible here, so sorry if this is choppy.", "I just changed my mobile contract."],
}
UNWRAPPED = {"small_talk"}  # small talk is made of openers and closers: none added
QUESTION_START = re.compile(r"^(how|what|why|when|where|which|who|is|are|am|can|could|do|does|did|has|have|will|"
                            r"would|should)\b")
KEYBOARD = {c: n for c, n in zip("qwertyuiopasdfghjklzxcvbnm", "wertyuiopqsdfghjklaxcvbnmz")}
SLOT = re.compile(r"\{(\w+)\}")


def _families() -> dict[str, tuple[str, list[list[str]]]]:
    """label -> (domain, families, each a list of templates); checks the tables as it goes."""
    out: dict[str, tuple[str, list[list[str]]]] = {}
    for domain, intents in INTENTS.items():
        for intent, fams in intents.items():
            out[f"{domain}_{intent}"] = (domain, [[t.strip() for t in f.split("|")] for f in fams])
    out["out_of_scope"] = ("out_of_scope", [[t.strip() for t in f.split("|")] for f in OUT_OF_SCOPE])
    seen: dict[str, str] = {}
    for label, (_, fams) in out.items():
        if len(fams) != sum(SPLIT_FAMILIES.values()):
            raise ValueError(f"{label}: {len(fams)} families; expected {sum(SPLIT_FAMILIES.values())}")
        for i, fam in enumerate(fams):
            for t in fam:
                unknown = set(SLOT.findall(t)) - set(SLOTS) - set(MADE_SLOTS)
                if unknown:
                    raise ValueError(f"{label} family {i}: unknown slot(s) {sorted(unknown)} in {t!r}")
                key = t.lower()
                if key in seen:  # a template in two families would leak across the split
                    raise ValueError(f"{t!r} appears in {seen[key]} and {label} family {i}")
                seen[key] = f"{label} family {i}"
    return out


FAMILIES = _families()
LABELS = sorted(k for k in FAMILIES if k != "out_of_scope") + ["out_of_scope"]
INTENT_LABELS = LABELS[:-1]
DOMAINS = list(INTENTS)


def split_families(seed: int = SEED_SPLIT) -> dict[str, dict[str, list[int]]]:
    """label -> split -> family indices: a seeded shuffle per label; dev and eval take the
    first families of two templates or more (one of one template would make all of a
    label's held-out rows the same sentence), training takes the rest."""
    rng = random.Random(seed)
    out = {}
    for label in LABELS:
        fams = FAMILIES[label][1]
        order = rng.sample(range(len(fams)), len(fams))
        held = [i for i in order if len(fams[i]) >= 2][:SPLIT_FAMILIES["dev"] + SPLIT_FAMILIES["eval"]]
        out[label] = {"train": sorted(i for i in order if i not in held), "dev": sorted(held[:SPLIT_FAMILIES["dev"]]),
                      "eval": sorted(held[SPLIT_FAMILIES["dev"]:])}
    return out


def typo(word: str, rng: random.Random) -> str:
    """One realistic slip of the finger in a word of 4+ letters."""
    w = list(word)
    i = rng.randrange(1, len(w) - 1)
    kind = rng.choice(["swap", "drop", "double", "neighbour"])
    if kind == "swap":
        w[i], w[i + 1] = w[i + 1], w[i]
    elif kind == "drop":
        del w[i]
    elif kind == "double":
        w.insert(i, w[i])
    else:
        w[i] = KEYBOARD.get(w[i].lower(), w[i])
    return "".join(w)


def fill(template: str, rng: random.Random) -> str:
    def value(m: re.Match) -> str:
        name = m.group(1)
        return MADE_SLOTS[name](rng) if name in MADE_SLOTS else rng.choice(SLOTS[name])

    return SLOT.sub(value, template)


def message(rng: random.Random, split: str, families: dict[str, dict[str, list[int]]]) -> dict:
    """One message from the families of ``split``, with its gold label and the slice columns."""
    label = "out_of_scope" if rng.random() < OOS_SHARE else rng.choice(INTENT_LABELS)
    domain, fams = FAMILIES[label]
    family = rng.choice(families[label][split])
    core = fill(rng.choice(fams[family]), rng)
    if QUESTION_START.match(core) and not core.endswith("?") and rng.random() < 0.5:
        core += "?"
    parts = [core]
    if domain not in UNWRAPPED:
        if rng.random() < CONTEXT_SHARE:
            sentence = rng.choice(CONTEXT)
            if domain != "out_of_scope" and rng.random() < 0.5:
                sentence = rng.choice(DISTRACTORS[rng.choice([d for d in DISTRACTORS if d != domain])])
            # context before or after the request, as people write either
            parts = ([sentence, core[0].upper() + core[1:]] if rng.random() < 0.5
                     else [core + ("" if core.endswith("?") else "."), sentence])
        if rng.random() < OPENER_SHARE:
            parts.insert(0, rng.choice(OPENERS))
        if rng.random() < CLOSER_SHARE:
            parts.append(rng.choice(CLOSERS))
    text = " ".join(parts)
    if rng.random() < 0.4:
        text = text[0].upper() + text[1:]
    has_typo = False
    if rng.random() < TYPO_SHARE:
        words = text.split(" ")
        cand = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        if cand:
            for i in rng.sample(cand, min(len(cand), rng.randint(1, 3))):
                words[i] = typo(words[i], rng)
            text, has_typo = " ".join(words), True
    return {"text": text, "label": label, "domain": domain, "has_typo": has_typo, "family": f"{label}/{family}"}


def make(n: int, seed: int, split: str, prefix: str, families: dict, exclude: set[str]) -> list[dict]:
    """``n`` messages; any whose text (lower-cased) is in ``exclude`` is drawn again."""
    rng = random.Random(seed)
    rows: list[dict] = []
    while len(rows) < n:
        row = message(rng, split, families)
        if row["text"].lower() in exclude:
            continue
        rows.append({"id": f"{prefix}-{len(rows):05d}", **row})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows), encoding="utf-8")


def main(out: Path = DEFAULT_OUT) -> dict[str, int]:
    families = split_families()
    eval_rows = make(SIZES["eval"], SEED_EVAL, "eval", "eval", families, exclude=set())
    frozen = {r["text"].lower() for r in eval_rows}
    dev = make(SIZES["dev"], SEED_DEV, "dev", "dev", families, exclude=frozen)
    # Different families cannot share a template, but slot fills and typos could, in
    # principle, make one text twice: training never sees a dev or eval text.
    held_out = frozen | {r["text"].lower() for r in dev}
    teacher_train = make(SIZES["teacher_train"], SEED_TEACHER, "train", "tt", families, exclude=held_out)
    train = make(SIZES["train"], SEED_TRAIN, "train", "train", families, exclude=held_out)
    files = {"eval": eval_rows, "dev": dev, "teacher_train": teacher_train, "train": train}
    for name, rows in files.items():
        write_jsonl(out / f"{name}.jsonl", rows)
    (out / "families.json").write_text(json.dumps(families, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    counts = {name: len(rows) for name, rows in files.items()}
    print(f"wrote {out}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items())
          + f" rows; {len(LABELS)} labels ({len(INTENT_LABELS)} intents in {len(DOMAINS)} domains + out_of_scope), "
          f"{sum(len(f) for _, fams in FAMILIES.values() for f in fams):,} templates")
    return counts


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="Generate the intent-transfer benchmark's data.")
    ap.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT, help="folder for the JSONL files")
    main(ap.parse_args().out.resolve())
